import { describe, expect, it } from "vitest";
import { ConfigError } from "../../shared/config/config-error.js";
import { parseProbeArgs, PROBE_USAGE } from "./parse-probe-args.js";

describe("parseProbeArgs", () => {
  it("reads snapshot flags with their defaults", () => {
    expect(parseProbeArgs(["snapshot"])).toEqual({ command: "snapshot", once: false, json: false, source: "proc", ports: [25, 465, 587] });
    expect(parseProbeArgs(["snapshot", "--once", "--json", "--source", "lsof", "--ports", "25, 2525"])).toEqual({
      command: "snapshot",
      once: true,
      json: true,
      source: "lsof",
      ports: [25, 2525],
    });
    expect(parseProbeArgs(["snapshot", "--ports=587"])).toMatchObject({ ports: [587] });
  });

  it("reads inspect flags: the probe config's mta.kind, mta.binaryPaths and mta.commandEnv", () => {
    expect(parseProbeArgs(["inspect"])).toEqual({ command: "inspect", json: false, source: "proc", ports: [25, 465, 587], mta: { kind: "auto", binaryPaths: [], commandEnv: {} } });
    expect(parseProbeArgs(["inspect", "--json", "--mta-kind", "exim", "--mta-binary", "/opt/exim/bin/exim4", "--mta-binary", "/opt/exim/bin/exim_tidydb", "--mta-env", "MAIL_CONFIG=/etc/postfix-out", "--mta-env", "EMPTY="])).toEqual({
      command: "inspect",
      json: true,
      source: "proc",
      ports: [25, 465, 587],
      mta: { kind: "exim", binaryPaths: ["/opt/exim/bin/exim4", "/opt/exim/bin/exim_tidydb"], commandEnv: { MAIL_CONFIG: "/etc/postfix-out", EMPTY: "" } },
    });
  });

  it("reads run --config, version and help", () => {
    expect(parseProbeArgs(["run", "--config", "/etc/spamtrace/probe.yaml"])).toEqual({ command: "run", config: "/etc/spamtrace/probe.yaml" });
    expect(parseProbeArgs(["run"])).toEqual({ command: "run", config: undefined });
    expect(parseProbeArgs(["--version"])).toEqual({ command: "version" });
    expect(parseProbeArgs(["-V"])).toEqual({ command: "version" });
    expect(parseProbeArgs([])).toEqual({ command: "help", text: PROBE_USAGE });
    expect(parseProbeArgs(["snapshot", "--help"])).toEqual({ command: "help", text: PROBE_USAGE });
  });

  it.each([
    [["snapshot", "--ports", "0"], "--ports", "--ports 0: each port must be an integer in 1..65535"],
    [["snapshot", "--ports", "25,x"], "--ports", "--ports 25,x: each port must be an integer in 1..65535"],
    [["snapshot", "--source", "netstat"], "--source", "--source netstat must be proc or lsof"],
    [["snapshot", "--bogus"], "--bogus", "Unknown option '--bogus'"],
    [["run", "--config"], "--config", "Option '--config <value>' argument missing"],
    [["run", "extra"], "extra", "Unexpected argument 'extra'"],
    [["serve"], "serve", "unknown command serve"],
    [["inspect", "--mta-kind", "courier"], "--mta-kind", "--mta-kind courier must be one of auto, postfix, exim, sendmail, qmail, opensmtpd, none"],
    [["inspect", "--mta-binary", "exim4"], "--mta-binary", "--mta-binary exim4 must be an absolute path"],
    [["inspect", "--mta-env", "mail_config=/x"], "--mta-env", "--mta-env mail_config=/x must be NAME=VALUE with an upper-case NAME"],
  ])("%j is a usage error naming %s", (argv, key, message) => {
    let error: unknown;
    try {
      parseProbeArgs(argv);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(`${message} (see spamtrace-probe --help)`);
    expect((error as ConfigError).key).toBe(key);
  });
});
