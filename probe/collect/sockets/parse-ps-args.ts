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
    const match = /^\s*(\d+)(?:\s+(.*))?$/.exec(line);
    if (match === null) continue;
    const args = (match[2] ?? "").trim();
    argvByPid.set(Number(match[1]), args === "" ? [] : args.split(/ +/));
  }
  return argvByPid;
}
