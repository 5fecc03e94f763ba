import { afterEach, describe, expect, it } from "vitest";
import { loadProbeConfig, type ProbeConfig } from "../../config/probe-config.js";
import { fakeCommandRunner } from "../fake-command-runner.test-support.js";
import { createFakeHostTree, type FakeHostEntry } from "./fake-host-tree.test-support.js";
import {
  createFakeMtaProcs,
  DEBIAN_EXIM_ANSWERS,
  DEBIAN_EXIM_FILES,
  DEBIAN_POSTCONF,
  DEBIAN_POSTFIX_FILES,
  POSTCONF_KEY,
  type FakeMtaProcess,
} from "./fake-mta-host.test-support.js";
import { resolveMta, type ResolvedMta } from "./resolve-mta.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

/** mta settings as the probe's config loader gives them (defaults filled in). */
function mtaConfig(mta: Record<string, unknown>): ProbeConfig["mta"] {
  return loadProbeConfig(undefined, { mta }, {}).mta;
}

async function resolveOn(files: Record<string, FakeHostEntry>, processes: FakeMtaProcess[], mta: Record<string, unknown>): Promise<ResolvedMta> {
  const fs = await createFakeHostTree(files);
  cleanups.push(fs.remove);
  const proc = await createFakeMtaProcs(processes);
  cleanups.push(proc.remove);
  const runner = fakeCommandRunner({ [POSTCONF_KEY]: DEBIAN_POSTCONF, ...DEBIAN_EXIM_ANSWERS });
  return resolveMta(mtaConfig(mta), runner.run, { procRoot: proc.root, fsRoot: fs.root });
}

const POSTFIX_RUNNING: FakeMtaProcess[] = [{ pid: 812, comm: "master", exe: "/usr/lib/postfix/sbin/master" }];
const TWO_MTAS = { ...DEBIAN_POSTFIX_FILES, ...DEBIAN_EXIM_FILES };

describe("resolveMta", () => {
  it("with mta.kind auto takes the detected MTA and follows its first log", async () => {
    const { mta, warnings } = await resolveOn(TWO_MTAS, POSTFIX_RUNNING, {});

    expect(mta).toMatchObject({ kind: "postfix", version: "3.7.11", queuePath: "/var/spool/postfix", logPaths: ["/var/log/mail.log"] });
    expect(mta.binaryPaths).toContain("/usr/sbin/postqueue");
    expect(mta).not.toHaveProperty("candidates");
    expect(warnings).toEqual([]);
  });

  it("forced to the other of two installed MTAs, keeps that MTA's version, binaries, queue and log", async () => {
    const { mta, warnings } = await resolveOn(TWO_MTAS, POSTFIX_RUNNING, { kind: "exim" });

    expect(mta).toMatchObject({
      kind: "exim",
      flavour: "debian",
      version: "4.96",
      binaryPaths: ["/usr/sbin/exim", "/usr/sbin/exim4"],
      queuePath: "/var/spool/exim4",
      logPaths: ["/var/log/exim4/mainlog"],
    });
    expect(mta.evidence).toContain("mta.kind forced to exim (detection chose postfix): using what detection found for exim");
    expect(warnings).toEqual([]);
  });

  it("forced to the MTA detection chose anyway, is the detection", async () => {
    const auto = await resolveOn(TWO_MTAS, POSTFIX_RUNNING, {});
    const forced = await resolveOn(TWO_MTAS, POSTFIX_RUNNING, { kind: "postfix" });

    expect({ ...forced.mta, evidence: [] }).toEqual({ ...auto.mta, evidence: [] });
    expect(forced.mta.evidence).toContain("mta.kind postfix matches detection");
  });

  it("forced to an MTA detection did not find, warns and uses only what the overrides give", async () => {
    const { mta, warnings } = await resolveOn(DEBIAN_POSTFIX_FILES, POSTFIX_RUNNING, {
      kind: "sendmail",
      logPaths: ["/var/log/sendmail.log"],
      binaryPaths: ["/opt/sm/sendmail"],
      queuePath: "/opt/sm/mqueue",
    });

    expect(warnings).toEqual([
      "mta.kind is sendmail but detection found no sendmail on this host (it found postfix); its version, binaries, queue and logs are only what mta.binaryPaths, mta.queuePath and mta.logPaths give",
    ]);
    expect(mta).toMatchObject({ kind: "sendmail", version: "", binaryPaths: ["/opt/sm/sendmail"], queuePath: "/opt/sm/mqueue", logPaths: ["/var/log/sendmail.log"] });
    expect(mta.evidence).toContain(warnings[0]);
  });

  it("forced to an MTA detection did not find and no overrides, has nothing to follow", async () => {
    const { mta, warnings } = await resolveOn(DEBIAN_POSTFIX_FILES, POSTFIX_RUNNING, { kind: "qmail" });

    expect(warnings).toHaveLength(1);
    expect(mta).toMatchObject({ kind: "qmail", version: "", binaryPaths: [], queuePath: "", logPaths: [] });
  });

  it("lets the overrides win key by key over a forced kind's findings: logs and queue replace, binaries add", async () => {
    const { mta } = await resolveOn(TWO_MTAS, POSTFIX_RUNNING, {
      kind: "exim",
      logPaths: ["/srv/exim/main.log", "/srv/exim/reject.log"],
      queuePath: "/srv/exim/spool",
      binaryPaths: ["/opt/exim-out/bin/exim"],
    });

    expect(mta).toMatchObject({
      kind: "exim",
      version: "4.96",
      logPaths: ["/srv/exim/main.log", "/srv/exim/reject.log"],
      queuePath: "/srv/exim/spool",
      binaryPaths: ["/opt/exim-out/bin/exim", "/usr/sbin/exim", "/usr/sbin/exim4"],
    });
  });

  it("forced to none, follows no MTA even where one runs", async () => {
    const { mta, warnings } = await resolveOn(TWO_MTAS, POSTFIX_RUNNING, { kind: "none" });

    expect(mta).toMatchObject({ kind: "none", version: "", binaryPaths: [], queuePath: "", logPaths: [] });
    expect(warnings).toEqual([]);
  });
});
