/**
 * Pid → argv from `ps -ww -o pid=,args=` output. ps joins arguments with
 * single spaces, so this split is lossy: an argument containing a space
 * becomes several, and empty arguments disappear. A process whose command
 * line is empty (kernel thread, zombie) is shown by ps as "[comm]" and kept
 * verbatim, since a process can also name itself that way to look like one.
 */
export function parsePsArgs(text: string): Map<number, string[]> {
  const argvByPid = new Map<number, string[]>();
  for (const line of text.split("\n")) {
    // (?=(\s+))\2 is an atomic \s+: a plain \s+ gave back a long run of blanks one by one when
    // the rest could not match (a \r in the line), rescanning the rest each time (quadratic).
    const match = /^\s*(\d+)(?:(?=(\s+))\2(.*))?$/.exec(line);
    if (match === null) continue;
    const args = (match[3] ?? "").trim();
    argvByPid.set(Number(match[1]), args === "" ? [] : args.split(/ +/));
  }
  return argvByPid;
}
