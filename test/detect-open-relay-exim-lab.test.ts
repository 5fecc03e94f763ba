// Open relay by destination and permission on a real Exim (test/setup/mta/exim-lab.ts):
// the probe's reader takes the relay policy from the configuration file the
// lab's own `exim -bV` names; the lab's log goes through the shared parser and
// the window aggregator with that policy.
//  - relay_from_hosts with an application server: the server relays order
//    mail → nothing counted as relayed, no finding in the policy
//  - relay_from_hosts = * (the lab's open relay): the policy names
//    `hostlist relay_from_hosts` in the configuration file, and an outside
//    client's relayed mail is counted on every line
import { readFile, stat } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HostFiles } from "../probe/collect/mta/host-files.js";
import { readRelayPolicy } from "../probe/collect/mta/relay/read-relay-policy.js";
import { runCommand } from "../probe/collect/run-command.js";
import { WindowAggregator } from "../shared/mta/aggregate/window-aggregator.js";
import { MailLogParser } from "../shared/mta/parse/mail-log-parser.js";
import { RelayJudge, type RelayPolicy } from "../shared/mta/relay/relay-policy.js";
import { swaks } from "./setup/mta/drive-traffic.js";
import { startEximLab, type EximLab } from "./setup/mta/exim-lab.js";
import { waitFor } from "./setup/wait-for.js";

const APP_SERVER = "127.83.2.31";
const OUTSIDER = "127.83.0.31";

describe("open relay by destination and permission on a real Exim", () => {
  let lab: EximLab;
  const policies: Record<string, RelayPolicy> = {};
  const relayed: Record<string, Record<string, number>> = {};

  /** Sends `n` messages from `client` to outside domains, waits for their delivery attempts, and counts relayed per client with `policy`. */
  const phase = async (name: string, client: string, n: number): Promise<void> => {
    const policy = await readRelayPolicy({ kind: "exim", binaryPaths: [lab.eximPath] }, new HostFiles(), runCommand, 20_000, []);
    if (policy === null) throw new Error("no relay policy read from the lab's Exim");
    policies[name] = policy;
    const offset = (await stat(lab.logPath)).size;
    for (let i = 0; i < n; i++) {
      const r = await swaks({ host: lab.smtpHost, port: lab.smtpPort, localInterface: client, timeoutSeconds: 30 }, { from: `orders@${lab.domain}`, to: [`customer${i}@buyers${i % 3}.example`] });
      if (r.exitCode !== 0) throw new Error(`${client}: refused: ${r.lastReply}`);
    }
    const lines = await waitFor(`${name}: delivery attempts`, async () => {
      const l = (await readFile(lab.logPath)).subarray(offset).toString("utf8").split("\n").filter(Boolean);
      return l.filter((x) => / (==|=>|\*\*) customer/.test(x)).length >= n ? l : undefined;
    }, 60_000);
    const judge = new RelayJudge(policy);
    const agg = new WindowAggregator({ relayJudge: () => judge });
    const parser = new MailLogParser((e) => agg.add(e));
    for (const line of lines) parser.parseLine(line);
    relayed[name] = {};
    for (const w of agg.drainAll().identities) if (w.kind === "client_ip") relayed[name]![w.key] = (relayed[name]![w.key] ?? 0) + w.relayed;
  };

  beforeAll(async () => {
    lab = await startEximLab({ labDir: "/var/lib/spamtrace-test/exim-lab-relay", smtpHost: "127.0.0.58", relayFromHosts: `127.0.0.1 : 127.0.0.58 : ${APP_SERVER}` });
    await phase("app-server", APP_SERVER, 6);
    await lab.setOpenRelay(true);
    await phase("open", OUTSIDER, 6);
    await lab.setOpenRelay(false);
  }, 300_000);

  afterAll(async () => {
    await lab?.stop();
  });

  it("reads served domains and permitted hosts from the configuration file exim -bV names", () => {
    const p = policies["app-server"]!;
    expect(p.servedDomains).toEqual(expect.arrayContaining([lab.domain]));
    expect(p.permittedNetworks).toEqual(expect.arrayContaining([`${APP_SERVER}/32`]));
    expect(p.findings).toEqual([]);
  });

  it("the application server in relay_from_hosts relays nothing by destination and permission", () => {
    expect(relayed["app-server"]![APP_SERVER] ?? 0).toBe(0);
  });

  it("relay_from_hosts = * is named with its file, and the outside client's relayed mail is counted", () => {
    expect(policies.open!.findings.map((f) => [f.setting, f.file])).toEqual([["hostlist relay_from_hosts", lab.configPath]]);
    expect(relayed.open![OUTSIDER]).toBe(6);
  });
});
