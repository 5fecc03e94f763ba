/** Where the MTA's commands are on one host (remediate.hosts.<hostId>), for a second instance or a non-standard install. */
export interface MtaPaths {
  /** Postfix config directory of the instance (`-c DIR`); absent: the default instance. */
  postfixConfigDir?: string | undefined;
  /** Exim binary (exim on RHEL/cPanel, exim4 on Debian). */
  eximBinary?: string | undefined;
}

/** The exact argv of every MTA command a remediation plan uses, for one host's MTA. */
export interface MtaCommands {
  kind: "postfix" | "exim";
  postqueueList(): string[];
  postcatEnvelopes(ids: readonly string[]): string[];
  eximList(): string[];
  eximHeaderFile(id: string): string[];
  /** Stop delivery of these messages (Postfix hold queue / Exim freeze). */
  hold(ids: readonly string[]): string[];
  /** Undo of hold: release / thaw. */
  release(ids: readonly string[]): string[];
  delete(ids: readonly string[]): string[];
}

/** The commands for `kind` ("postfix" or "exim"; anything else has no queue commands). */
export function mtaCommands(kind: string, paths: MtaPaths = {}): MtaCommands | undefined {
  if (kind === "postfix") {
    const c = paths.postfixConfigDir ? ["-c", paths.postfixConfigDir] : [];
    // postsuper takes one id per -h/-H/-d option.
    const each = (flag: string, ids: readonly string[]): string[] => ids.flatMap((id) => [flag, id]);
    return {
      kind,
      postqueueList: () => ["postqueue", ...c, "-j"],
      postcatEnvelopes: (ids) => ["postcat", ...c, "-e", "-q", ...ids],
      eximList: () => [],
      eximHeaderFile: () => [],
      hold: (ids) => ["postsuper", ...c, ...each("-h", ids)],
      release: (ids) => ["postsuper", ...c, ...each("-H", ids)],
      delete: (ids) => ["postsuper", ...c, ...each("-d", ids)],
    };
  }
  if (kind === "exim") {
    const exim = paths.eximBinary ?? "exim";
    return {
      kind,
      postqueueList: () => [],
      postcatEnvelopes: () => [],
      eximList: () => [exim, "-bp"],
      eximHeaderFile: (id) => [exim, "-Mvh", id],
      hold: (ids) => [exim, "-Mf", ...ids],
      release: (ids) => [exim, "-Mt", ...ids],
      delete: (ids) => [exim, "-Mrm", ...ids],
    };
  }
  return undefined;
}
