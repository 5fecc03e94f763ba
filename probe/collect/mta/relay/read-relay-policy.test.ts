import { afterEach, describe, expect, it } from "vitest";
import { fakeCommandRunner } from "../../fake-command-runner.test-support.js";
import { createFakeHostTree, type FakeHostEntry, type FakeHostTree } from "../fake-host-tree.test-support.js";
import { HostFiles } from "../host-files.js";
import { readRelayPolicy } from "./read-relay-policy.js";

// Configuration files written here as an admin would (not copied from the corpus).
let tree: FakeHostTree | undefined;
afterEach(async () => {
  await tree?.remove();
  tree = undefined;
});
async function hostWith(entries: Record<string, FakeHostEntry>): Promise<HostFiles> {
  tree = await createFakeHostTree(entries);
  return new HostFiles(tree.root);
}

/** `postconf -x` output of a Plesk-like Postfix: hash-table virtual domains, a mynetworks file. */
const postconf = (over: Record<string, string> = {}) =>
  Object.entries({
    config_directory: "/etc/postfix",
    mydestination: "mail.host.example, localhost.localdomain, localhost",
    virtual_alias_domains: "",
    virtual_mailbox_domains: "hash:/var/spool/postfix/plesk/virtual_domains",
    relay_domains: "lmdb:/etc/postfix/relay_domains",
    mynetworks: "127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128 /etc/postfix/network_table",
    smtpd_relay_restrictions: "permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination",
    smtpd_recipient_restrictions: "",
    ...over,
  })
    .map(([k, v]) => `${k} =${v === "" ? "" : ` ${v}`}`)
    .join("\n");

const POSTFIX_TREE: Record<string, FakeHostEntry> = {
  "/usr/sbin/postconf": { exec: "" },
  "/usr/sbin/postmap": { exec: "" },
  "/var/spool/postfix/plesk/virtual_domains": "# Plesk\nshop.example\tVIRTUAL\nblog.example VIRTUAL\n",
  "/etc/postfix/network_table": "# offices\n10.20.0.0/16\n192.0.2.0/24, 198.51.100.7\n",
};

describe("readRelayPolicy (Postfix)", () => {
  it("reads served domains from postconf -x and table sources (postmap -s when the source is gone), networks from mynetworks and its file", async () => {
    const files = await hostWith(POSTFIX_TREE);
    const fake = fakeCommandRunner({
      "postconf -x config_directory mydestination virtual_alias_domains virtual_mailbox_domains relay_domains mynetworks smtpd_relay_restrictions smtpd_recipient_restrictions": postconf(),
      "postconf -P -x": "submission/inet/syslog_name = postfix/submission\nsubmission/inet/smtpd_relay_restrictions = permit_sasl_authenticated,reject\n",
      "postmap -s lmdb:/etc/postfix/relay_domains": "partner.example\tOK\n",
    });
    const policy = await readRelayPolicy({ kind: "postfix", binaryPaths: [] }, files, fake.run, 5000, []);
    expect(policy).toMatchObject({
      mta: "postfix",
      servedDomains: ["blog.example", "localhost", "localhost.localdomain", "mail.host.example", "partner.example", "shop.example"],
      permittedNetworks: ["10.20.0.0/16", "127.0.0.0/8", "192.0.2.0/24", "198.51.100.7/32", "::1/128"],
      unreadableSources: [],
      findings: [],
    });
    expect(policy!.sources).toEqual(expect.arrayContaining(["hash:/var/spool/postfix/plesk/virtual_domains (source file)", "postmap -s lmdb:/etc/postfix/relay_domains", "/etc/postfix/network_table"]));
  });

  it.each<{ name: string; over: Record<string, string>; master: string; settings: string[]; files: string[] }>([
    { name: "mynetworks covering the Internet", over: { mynetworks: "127.0.0.0/8 0.0.0.0/0" }, master: "", settings: ["mynetworks"], files: ["/etc/postfix/main.cf"] },
    { name: "a /7 in mynetworks", over: { mynetworks: "10.0.0.0/7" }, master: "", settings: ["mynetworks"], files: ["/etc/postfix/main.cf"] },
    {
      name: "a check_client_access cidr table letting 0.0.0.0/0 through",
      over: { smtpd_relay_restrictions: "permit_mynetworks, check_client_access cidr:/etc/postfix/partners.cidr, reject_unauth_destination" },
      master: "",
      settings: ["smtpd_relay_restrictions"],
      files: ["/etc/postfix/main.cf"],
    },
    {
      name: "old-style: no relay restrictions, recipient restrictions without reject_unauth_destination",
      over: { smtpd_relay_restrictions: "", smtpd_recipient_restrictions: "permit_mynetworks, reject_unknown_recipient_domain" },
      master: "",
      settings: ["smtpd_recipient_restrictions"],
      files: ["/etc/postfix/main.cf"],
    },
    {
      name: "a master.cf service opening the relay",
      over: {},
      master: "2525/inet/smtpd_relay_restrictions = permit\n2525/inet/smtpd_recipient_restrictions = permit_mynetworks\n",
      settings: ["master.cf 2525/inet: smtpd_recipient_restrictions", "master.cf 2525/inet: smtpd_relay_restrictions"],
      files: ["/etc/postfix/master.cf", "/etc/postfix/master.cf"],
    },
    { name: "the closed Debian default", over: {}, master: "", settings: [], files: [] },
    { name: "wide mynetworks unused by the restrictions", over: { mynetworks: "0.0.0.0/0", smtpd_relay_restrictions: "permit_sasl_authenticated, reject_unauth_destination" }, master: "", settings: [], files: [] },
  ])("open-relay settings: $name", async ({ over, master, settings, files: inFiles }) => {
    const files = await hostWith({ ...POSTFIX_TREE, "/etc/postfix/partners.cidr": "# partners\n192.0.2.0/24 OK\n0.0.0.0/0 OK\n" });
    const fake = fakeCommandRunner({
      "postconf -x config_directory mydestination virtual_alias_domains virtual_mailbox_domains relay_domains mynetworks smtpd_relay_restrictions smtpd_recipient_restrictions": postconf(over),
      "postconf -P -x": master,
      "postmap -s lmdb:/etc/postfix/relay_domains": { code: 1, stderr: "postmap: fatal: open /etc/postfix/relay_domains.lmdb: No such file or directory" },
    });
    const policy = await readRelayPolicy({ kind: "postfix", binaryPaths: [] }, files, fake.run, 5000, []);
    expect(policy!.findings.map((f) => f.setting)).toEqual(settings);
    expect(policy!.findings.map((f) => f.file)).toEqual(inFiles);
    // The unreadable lmdb table makes the domain list partial; Internet-wide networks are never "permitted".
    expect(policy!.unreadableSources).toEqual(["lmdb:/etc/postfix/relay_domains"]);
    expect(policy!.permittedNetworks.some((n) => n.endsWith("/0") || n === "10.0.0.0/7")).toBe(false);
  });
});

/** A Debian-style Exim configuration: macros, conditionals, named lists with lookups, the RCPT ACL. */
const eximConf = (relayFromHosts: string, acl: string) => `
# generated
MAIN_LOCAL_DOMAINS = @:localhost:lsearch;/etc/exim4/virtual_domains
.ifndef MAIN_RELAY_TO_DOMAINS
MAIN_RELAY_TO_DOMAINS = partner.example : *.branch.example
.endif
primary_hostname = mx1.host.example
domainlist local_domains = MAIN_LOCAL_DOMAINS
domainlist relay_to_domains = MAIN_RELAY_TO_DOMAINS
hostlist relay_from_hosts = ${relayFromHosts}
acl_smtp_rcpt = acl_check_rcpt

begin acl

acl_check_rcpt:
${acl}

begin routers
dnslookup:
  driver = dnslookup
  domains = ! +local_domains
`;
const DEBIAN_ACL = `  accept  hosts = :
  deny    domains = +local_domains
          local_parts = ^[.] : ^.*[@%!/|]
          message = restricted characters in address
  accept  domains = +local_domains : +relay_to_domains
  accept  hosts = +relay_from_hosts
          control = submission/sender_retain
  accept  authenticated = *
          control = submission/sender_retain
  deny    message = relay not permitted`;

describe("readRelayPolicy (Exim)", () => {
  const EXIM_TREE = (conf: string): Record<string, FakeHostEntry> => ({
    "/usr/sbin/exim4": { exec: "" },
    "/var/lib/exim4/config.autogenerated": conf,
    "/etc/exim4/virtual_domains": "shop.example: /var/mail/shop\nblog.example:\n",
  });
  const run = () => fakeCommandRunner({ "exim4 -bV": "Exim version 4.96 #2 built 26-Nov-2026 14:26:47\nConfiguration file is /var/lib/exim4/config.autogenerated\n" }).run;

  it("reads local_domains (with its lsearch file), relay_to_domains and relay_from_hosts; the Debian ACL is closed", async () => {
    const files = await hostWith(EXIM_TREE(eximConf("<; 127.0.0.1 ; ::1 ; 10.1.0.0/16", DEBIAN_ACL)));
    const policy = await readRelayPolicy({ kind: "exim", binaryPaths: [] }, files, run(), 5000, []);
    expect(policy).toMatchObject({
      mta: "exim",
      servedDomains: [".branch.example", "blog.example", "localhost", "mx1.host.example", "partner.example", "shop.example"],
      permittedNetworks: ["10.1.0.0/16", "127.0.0.1/32", "::1/128"],
      unreadableSources: [],
      findings: [],
    });
  });

  it("relay_from_hosts = * is an open-relay finding naming the list and the file", async () => {
    const files = await hostWith(EXIM_TREE(eximConf("*", DEBIAN_ACL)));
    const policy = await readRelayPolicy({ kind: "exim", binaryPaths: [] }, files, run(), 5000, []);
    expect(policy!.findings.map((f) => [f.setting, f.file, f.value])).toEqual([["hostlist relay_from_hosts", "/var/lib/exim4/config.autogenerated", "*"]]);
    expect(policy!.permittedNetworks).toEqual([]);
  });

  it("an RCPT ACL accepting any domain from any host is a finding; one refusing non-local domains first is not", async () => {
    const open = await readRelayPolicy({ kind: "exim", binaryPaths: [] }, await hostWith(EXIM_TREE(eximConf("127.0.0.1", "  accept  hosts = :\n  accept  domains = *\n          message = ok\n  deny"))), run(), 5000, []);
    expect(open!.findings.map((f) => [f.setting, f.value])).toEqual([["acl_smtp_rcpt (acl_check_rcpt)", "accept  domains = * message = ok"]]);
    await tree?.remove();
    const closed = await readRelayPolicy(
      { kind: "exim", binaryPaths: [] },
      await hostWith(EXIM_TREE(eximConf("127.0.0.1", "  require domains = +local_domains : +relay_to_domains\n  accept  hosts = *"))),
      run(),
      5000,
      [],
    );
    expect(closed!.findings).toEqual([]);
  });
});

describe("readRelayPolicy (Sendmail, qmail, cPanel)", () => {
  it("Sendmail: local-host-names, relay-domains and access RELAY entries", async () => {
    const files = await hostWith({
      "/etc/mail/local-host-names": "# local\nhost.example\nmail.host.example\n",
      "/etc/mail/relay-domains": "partner.example\n",
      "/etc/mail/access": "Connect:localhost.localdomain RELAY\nConnect:127.0.0.1 RELAY\nConnect:10.1 RELAY\nTo:branch.example RELAY\nConnect:0.0.0.0/0 RELAY\nspammer.example REJECT\n",
    });
    const policy = await readRelayPolicy({ kind: "sendmail", binaryPaths: [] }, files, fakeCommandRunner({}).run, 5000, []);
    expect(policy).toMatchObject({ servedDomains: ["branch.example", "host.example", "localhost", "mail.host.example", "partner.example"], permittedNetworks: ["10.1.0.0/16", "127.0.0.1/32"] });
    expect(policy!.findings.map((f) => [f.setting, f.file])).toEqual([["access RELAY", "/etc/mail/access"]]);
  });

  it("qmail: rcpthosts and RELAYCLIENT rules; a RELAYCLIENT rule for every address is a finding", async () => {
    const files = await hostWith({
      "/var/qmail/control/rcpthosts": "host.example\n.host.example\n",
      "/var/qmail/control/locals": "localhost\n",
      "/etc/tcp.smtp": '127.:allow,RELAYCLIENT=""\n10.2.3.:allow,RELAYCLIENT=""\n:allow,RELAYCLIENT=""\n',
    });
    const policy = await readRelayPolicy({ kind: "qmail", binaryPaths: [] }, files, fakeCommandRunner({}).run, 5000, []);
    expect(policy).toMatchObject({ servedDomains: [".host.example", "host.example", "localhost"], permittedNetworks: ["10.2.3.0/24", "127.0.0.0/8"] });
    expect(policy!.findings.map((f) => f.setting)).toEqual(["RELAYCLIENT"]);
  });

  it("cPanel: /etc/localdomains joins Exim's served domains", async () => {
    const files = await hostWith({
      "/usr/sbin/exim": { exec: "" },
      "/etc/exim.conf": "primary_hostname = server.host.example\ndomainlist local_domains = @ : localhost : lsearch;/etc/localdomains\nhostlist relay_from_hosts = 127.0.0.1\n",
      "/etc/localdomains": "customer1.example\ncustomer2.example\n",
    });
    const runner = fakeCommandRunner({ "exim -bV": "Exim version 4.98 #2\nConfiguration file is /etc/exim.conf\n" });
    const policy = await readRelayPolicy({ kind: "exim", flavour: "cpanel", binaryPaths: [] }, files, runner.run, 5000, []);
    expect(policy!.servedDomains).toEqual(["customer1.example", "customer2.example", "localhost", "server.host.example"]);
  });
});
