import { readFile, stat } from "node:fs/promises";

/** Uid → user name from the text of /etc/passwd; the first entry wins for a duplicated uid, as with getpwuid(3). */
export function parsePasswd(text: string): Map<number, string> {
  const users = new Map<number, string>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#") || line.startsWith("+") || line.startsWith("-")) continue;
    const [name, , uid] = line.split(":");
    if (name === undefined || name === "" || uid === undefined || !/^\d+$/.test(uid)) continue;
    const id = Number(uid);
    if (!users.has(id)) users.set(id, name);
  }
  return users;
}

/** Options for PasswdCache. */
export interface PasswdCacheOptions {
  /** File to read; default "/etc/passwd". */
  path?: string;
  /** How long a loaded file is trusted before its mtime is checked again, in ms; default 30000. */
  recheckMs?: number;
}

const DEFAULT_RECHECK_MS = 30_000;

/**
 * Cached uid → user name reader for /etc/passwd (local users only; NSS
 * sources such as LDAP are not consulted). The file is re-read only when its
 * mtime or size changed, and that is checked at most every recheckMs.
 */
export class PasswdCache {
  private readonly path: string;
  private readonly recheckMs: number;
  private users = new Map<number, string>();
  private signature: string | null = null;
  private checkedAt = -Infinity;
  private loading: Promise<void> | null = null;

  /** Creates a cache; nothing is read until the first lookup. */
  constructor(options: PasswdCacheOptions = {}) {
    this.path = options.path ?? "/etc/passwd";
    this.recheckMs = options.recheckMs ?? DEFAULT_RECHECK_MS;
  }

  /** User name for uid, or null when the uid has no entry or the file cannot be read. Never throws. */
  async userName(uid: number | null): Promise<string | null> {
    if (uid === null) return null;
    if (this.loading === null && performance.now() - this.checkedAt >= this.recheckMs) {
      this.loading = this.refresh().finally(() => {
        this.loading = null;
      });
    }
    // Concurrent lookups wait for the load in progress instead of answering from the old table.
    if (this.loading !== null) await this.loading;
    return this.users.get(uid) ?? null;
  }

  private async refresh(): Promise<void> {
    this.checkedAt = performance.now();
    try {
      const info = await stat(this.path);
      const signature = `${info.mtimeMs}:${info.size}:${info.ino}`;
      if (signature === this.signature) return;
      this.users = parsePasswd(await readFile(this.path, "utf8"));
      this.signature = signature;
    } catch {
      this.users = new Map();
      this.signature = null;
    }
  }
}
