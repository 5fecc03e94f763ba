import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";

/** A host key refused: not in known_hosts, or different from the one recorded there. */
export class HostKeyError extends Error {
  override name = "HostKeyError";
}

/** One known_hosts line: the host patterns (plain or hashed) and the key blob. */
interface KnownHost {
  patterns: string[];
  keyType: string;
  key: Buffer;
  line: number;
}

/**
 * Host key check against an OpenSSH known_hosts file, without trust on first
 * use: a host missing from the file is refused, and so is a host whose key
 * differs from every key recorded for it. Hosts are written as sshd's
 * clients write them: `host` for port 22, `[host]:port` otherwise; hashed
 * names (`|1|salt|hmac`, HashKnownHosts) are matched too. @cert-authority and
 * @revoked lines are not supported and are skipped.
 */
export class KnownHosts {
  readonly #entries: KnownHost[];

  constructor(
    private readonly file: string,
    text: string = readFileSync(file, "utf8"),
  ) {
    this.#entries = text.split("\n").flatMap((raw, i): KnownHost[] => {
      const line = raw.trim();
      if (line === "" || line.startsWith("#") || line.startsWith("@")) return [];
      const [hosts, keyType, key] = line.split(/\s+/);
      if (!hosts || !keyType || !key) return [];
      return [{ patterns: hosts.split(","), keyType, key: Buffer.from(key, "base64"), line: i + 1 }];
    });
  }

  /** Throws HostKeyError unless `key` (the SSH wire blob) is recorded for host:port. */
  verify(host: string, port: number, key: Buffer): void {
    const name = port === 22 ? host : `[${host}]:${port}`;
    const known = this.#entries.filter((e) => e.patterns.some((p) => matches(p, name)));
    if (known.length === 0) throw new HostKeyError(`host key of ${name} refused: ${name} is not in ${this.file} (no trust on first use: add its key with ssh-keyscan after checking its fingerprint)`);
    if (known.some((e) => e.key.equals(key))) return;
    const lines = known.map((e) => e.line).join(", ");
    throw new HostKeyError(`host key of ${name} refused: it does not match the key recorded in ${this.file} (line ${lines}): the host was reinstalled or someone is in the middle; check before updating known_hosts`);
  }
}

function matches(pattern: string, name: string): boolean {
  if (pattern.startsWith("|1|")) {
    const [, , salt, hash] = pattern.split("|");
    if (!salt || !hash) return false;
    return createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64") === hash;
  }
  return pattern === name;
}
