import { createHmac, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { HostKeyError, KnownHosts } from "./known-hosts.js";

const KEY = Buffer.from("AAAAC3NzaC1lZDI1NTE5AAAAIB0aXzV1HzbR0Hd2cOQ3K9jyPfR3BSFvPjJjOuHzwGnZ", "base64");
const OTHER = Buffer.from("AAAAC3NzaC1lZDI1NTE5AAAAIOTHERkeyOTHERkeyOTHERkeyOTHERkeyOTHERkeyOTH", "base64");

function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString("base64")}|${createHmac("sha1", salt).update(name).digest("base64")}`;
}

describe("KnownHosts", () => {
  const file = "/etc/ssh/known_hosts.test";
  const text = [
    "# comment",
    `mx1.example.net,192.0.2.1 ssh-ed25519 ${KEY.toString("base64")}`,
    `[192.0.2.2]:2222 ssh-ed25519 ${KEY.toString("base64")}`,
    `${hashed("mx3.example.net")} ssh-ed25519 ${KEY.toString("base64")}`,
    `@revoked * ssh-ed25519 ${OTHER.toString("base64")}`,
  ].join("\n");
  const known = new KnownHosts(file, text);

  it("accepts the recorded key by name, address, [address]:port and hashed name", () => {
    expect(() => known.verify("mx1.example.net", 22, KEY)).not.toThrow();
    expect(() => known.verify("192.0.2.1", 22, KEY)).not.toThrow();
    expect(() => known.verify("192.0.2.2", 2222, KEY)).not.toThrow();
    expect(() => known.verify("mx3.example.net", 22, KEY)).not.toThrow();
  });

  it("refuses an unknown host (no trust on first use) and a changed key, saying which", () => {
    expect(() => known.verify("192.0.2.2", 22, KEY)).toThrow(new HostKeyError(`host key of 192.0.2.2 refused: 192.0.2.2 is not in ${file} (no trust on first use: add its key with ssh-keyscan after checking its fingerprint)`));
    expect(() => known.verify("mx1.example.net", 22, OTHER)).toThrow(
      new HostKeyError(`host key of mx1.example.net refused: it does not match the key recorded in ${file} (line 2): the host was reinstalled or someone is in the middle; check before updating known_hosts`),
    );
  });
});
