import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** Reads the admin bearer token, creating the file (mode 0600) with a random token when missing. */
export function ensureAdminToken(file: string): string {
  try {
    const token = readFileSync(file, "utf8").trim();
    if (token.length >= 16) return token;
    throw new Error(`admin.tokenFile ${file} holds a token shorter than 16 characters`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  mkdirSync(dirname(file), { recursive: true });
  const token = randomBytes(24).toString("base64url");
  writeFileSync(file, `${token}\n`, { mode: 0o600, flag: "wx" });
  return token;
}

/** Reads an existing admin token; errors name the key and the file. */
export function readAdminToken(file: string): string {
  try {
    return readFileSync(file, "utf8").trim();
  } catch (error) {
    throw new Error(`admin.tokenFile ${file} cannot be read (is the collector running with this config?): ${(error as Error).message}`);
  }
}
