// The shipped systemd units pass `systemd-analyze verify` without a single warning, and their
// `systemd-analyze security` exposure stays at what docs/deploy-requirements.md reports. systemd is not
// PID 1 here (nor in CI) but systemd-analyze works on unit files offline.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "./setup/cli-process.js";
import { parseUnitFile, splitUnitWords, unitCommand } from "./setup/run-as-unit.js";

const run = promisify(execFile);

/** Exposure ceilings: measured 2.2 (probe: CAP_SYS_PTRACE, adm, host network) and 1.2 (collector). */
const UNITS = [
  { name: "spamtrace-probe.service", maxExposure: 2.2 },
  { name: "spamtrace-collector.service", maxExposure: 1.2 },
];

async function analyze(args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run("systemd-analyze", args);
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}

describe("systemd unit files", () => {
  let dir: string;
  beforeAll(async () => {
    if (!existsSync("/usr/bin/systemd-analyze")) throw new Error("systemd-analyze is missing (Debian package systemd)");
    // verify also checks that ExecStart's executable exists. Where node is not /usr/bin/node (a CI image
    // with its own Node), the copy names this machine's node instead; every other line is verified as shipped.
    dir = await mkdtemp(join(tmpdir(), "spamtrace-units-"));
    for (const { name } of UNITS) {
      const text = await readFile(join(REPO_ROOT, "deploy/systemd", name), "utf8");
      const node = existsSync("/usr/bin/node") ? "/usr/bin/node" : process.execPath;
      await writeFile(join(dir, name), text.replace(/^ExecStart=\/usr\/bin\/node /m, `ExecStart=${node} `));
    }
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each(UNITS)("$name: systemd-analyze verify prints nothing and succeeds", async ({ name }) => {
    expect(await analyze(["verify", join(dir, name)])).toEqual({ code: 0, output: "" });
  });

  it.each(UNITS)("$name: systemd-analyze security exposure <= $maxExposure", async ({ name, maxExposure }) => {
    const { output } = await analyze(["security", "--offline=yes", "--no-pager", join(dir, name)]);
    const exposure = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(output)?.[1]);
    console.log(`${name}: exposure ${exposure}`);
    expect(exposure).toBeLessThanOrEqual(maxExposure);
  });
});

// run-as-unit reads units as systemd does; rollout tests rely on it to start installed units.
describe("run-as-unit's reading of a unit", () => {
  const UNIT = [
    "[Unit]",
    "Description=x # not a comment",
    "[Service]",
    "# comment",
    "User=svc",
    "SupplementaryGroups=adm",
    'Environment="A=one two" B=2',
    "Environment=B=3",
    "AmbientCapabilities=CAP_SYS_PTRACE",
    "CapabilityBoundingSet=CAP_SYS_PTRACE",
    "ExecStart=-/usr/bin/node /opt/app/app.cjs \\",
    '    run --config "/etc/app/my app.yaml"',
    "WorkingDirectory=-/var/lib/app",
    "NoNewPrivileges=yes",
    "StateDirectory=app",
  ].join("\n");

  it("parses settings, quoting, continuation lines and prefixes; drop-ins add to lists and an empty value resets", () => {
    expect(parseUnitFile(UNIT, "[Service]\nSupplementaryGroups=postdrop\nAmbientCapabilities=\n")).toEqual({
      user: "svc",
      group: null,
      supplementaryGroups: ["adm", "postdrop"],
      ambientCapabilities: [],
      capabilityBoundingSet: ["CAP_SYS_PTRACE"],
      noNewPrivileges: true,
      environment: { A: "one two", B: "3" },
      execStart: ["/usr/bin/node", "/opt/app/app.cjs", "run", "--config", "/etc/app/my app.yaml"],
      workingDirectory: "/var/lib/app",
      stateDirectories: ["app"],
    });
  });

  it.each([
    { text: "a 'b c' \"d\\\"e\"", words: ["a", "b c", 'd"e'] },
    { text: "  ", words: [] },
    { text: '""', words: [""] },
  ])("splitUnitWords($text)", ({ text, words }) => {
    expect(splitUnitWords(text)).toEqual(words);
  });

  it("refuses what it cannot model: no ExecStart, \"+\" (full privileges)", () => {
    expect(() => parseUnitFile("[Service]\nUser=x\n")).toThrow(/no ExecStart/);
    expect(() => parseUnitFile("[Service]\nExecStart=+/bin/true\n")).toThrow(/not supported/);
  });

  it("the shipped probe unit becomes this setpriv command (root mapped, a capability and a group dropped)", async () => {
    const spec = parseUnitFile(await readFile(join(REPO_ROOT, "deploy/systemd/spamtrace-probe.service"), "utf8"));
    // root and nobody exist everywhere; the unit's own user is swapped for them so no user must be created here.
    const command = await unitCommand(
      { ...spec, user: "nobody", group: null, supplementaryGroups: ["adm", "root"] },
      { root: "/r", dropCapabilities: ["CAP_SYS_PTRACE"], dropGroups: ["root"], addCapabilities: ["CAP_NET_RAW"] },
    );
    expect(command.argv).toEqual([
      "setpriv", "--reuid=nobody", "--regid=nogroup", "--groups=adm",
      "--inh-caps=-all,+net_raw", "--ambient-caps=-all,+net_raw", "--bounding-set=-all,+net_raw", "--no-new-privs",
      "--", "/usr/bin/node", "--max-semi-space-size=1", "--lite-mode", "/r/opt/spamtrace/probe/spamtrace-probe.cjs", "run", "--config", "/r/etc/spamtrace/probe.yaml",
    ]);
    expect(command.cwd).toBe("/r/var/lib/spamtrace-probe");
    expect(command.env).toMatchObject({ USER: "nobody", LOGNAME: "nobody", STATE_DIRECTORY: "/r/var/lib/spamtrace-probe", PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin" });
  });

  it("fails as systemd would when the user or a group is missing", async () => {
    const spec = parseUnitFile("[Service]\nUser=st-no-such-user\nExecStart=/bin/true\n");
    await expect(unitCommand(spec)).rejects.toThrow(/217\/USER/);
    await expect(unitCommand({ ...spec, user: "nobody", supplementaryGroups: ["st-no-such-group"] })).rejects.toThrow(/216\/GROUP/);
  });
});
