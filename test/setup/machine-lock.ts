import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Releases a lock taken with {@link acquireMachineLock}. */
export type ReleaseLock = () => Promise<void>;

/** How long a lock folder may stay without its pid file before it counts as left by a crash, ms. */
const PIDLESS_STALE_MS = 60_000;

/**
 * Takes a lock shared by every process on this machine (a folder under /run:
 * mkdir is atomic), waiting while another live process holds it. Tests that
 * change machine-wide state, such as the system users `spamtrace-probe` and
 * `spamtrace-collector`, take it so that vitest runs from several checkouts
 * at once do not create and delete those users under each other. A lock
 * whose holder died is taken over.
 */
export async function acquireMachineLock(name: string, timeoutMs: number): Promise<ReleaseLock> {
  const dir = join("/run", `spamtrace-lock-${name}`);
  const pidFile = join(dir, "pid");
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await mkdir(dir);
      await writeFile(pidFile, String(process.pid));
      return async () => {
        await rm(dir, { recursive: true, force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = Number(await readFile(pidFile, "utf8").catch(() => ""));
    const stale = holder > 0 ? !isAlive(holder) : Date.now() - (await stat(dir).then((s) => s.mtimeMs, () => Date.now())) > PIDLESS_STALE_MS;
    if (stale) {
      await rm(dir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`machine lock ${dir} still held by pid ${holder || "?"} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
