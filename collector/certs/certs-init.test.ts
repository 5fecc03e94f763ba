import { X509Certificate } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, stat, unlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { certsInit } from "./certs-init.js";

let dir: string;
beforeEach(async () => {
  dir = path.join(await mkdtemp(path.join(os.tmpdir(), "spamtrace-certs-")), "certs");
});
afterEach(async () => {
  await rm(path.dirname(dir), { recursive: true, force: true });
});

const mode = async (file: string): Promise<number> => (await stat(path.join(dir, file))).mode & 0o777;
const x509 = async (file: string): Promise<X509Certificate> =>
  new X509Certificate(await readFile(path.join(dir, file), "utf8"));

describe("certsInit", () => {
  it("writes the CA, the collector pair and one pair per probe, keys 0600", async () => {
    const written = await certsInit({ dir, probeHostIds: ["web1", "mail.example.com", "web1"] });
    const names = ["ca.crt", "ca.key", "collector.crt", "collector.key"];
    names.push("probe-web1.crt", "probe-web1.key", "probe-mail.example.com.crt", "probe-mail.example.com.key");
    expect(written.map((p) => path.basename(p)).sort()).toEqual([...names].sort());
    expect(written.every((p) => path.dirname(p) === dir)).toBe(true);
    expect((await readdir(dir)).sort()).toEqual([...names].sort());
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    for (const key of names.filter((n) => n.endsWith(".key"))) expect(await mode(key), key).toBe(0o600);
    for (const crt of names.filter((n) => n.endsWith(".crt"))) expect(await mode(crt), crt).toBe(0o644);

    const ca = await x509("ca.crt");
    for (const id of ["web1", "mail.example.com"]) {
      const probe = await x509(`probe-${id}.crt`);
      expect(probe.checkIssued(ca)).toBe(true);
      expect(probe.verify(ca.publicKey)).toBe(true);
      expect(probe.subject).toContain(`CN=${id}`);
      expect(probe.keyUsage).toEqual(["1.3.6.1.5.5.7.3.2"]);
    }
    const collector = await x509("collector.crt");
    expect(collector.verify(ca.publicKey)).toBe(true);
    expect(collector.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(collector.checkHost("localhost")).toBe("localhost");
  });

  it("adds extra server names to the collector certificate", async () => {
    await certsInit({ dir, probeHostIds: [], serverNames: ["collector.example.net", "192.0.2.7"], days: 10 });
    const collector = await x509("collector.crt");
    expect(collector.checkHost("collector.example.net")).toBe("collector.example.net");
    expect(collector.checkIP("192.0.2.7")).toBe("192.0.2.7");
    expect(collector.checkIP("::1")).toBe("::1");
    expect(Date.parse(collector.validTo) - Date.now()).toBeLessThanOrEqual(10 * 86_400_000);
  });

  it("refuses a second init that would write nothing, with the exact message", async () => {
    await certsInit({ dir, probeHostIds: ["web1"] });
    await expect(certsInit({ dir, probeHostIds: ["web1"] })).rejects.toThrow(
      `${path.join(dir, "ca.crt")} already exists and so do the collector and requested probe certificates; ` +
        `pass force to make a new CA and reissue every certificate in ${dir}`,
    );
  });

  it("reuses the CA to add a probe certificate later, leaving the others untouched", async () => {
    await certsInit({ dir, probeHostIds: ["web1"] });
    const before = await Promise.all(["ca.crt", "ca.key", "collector.crt", "probe-web1.crt"].map((f) => readFile(path.join(dir, f), "utf8")));

    const written = await certsInit({ dir, probeHostIds: ["web1", "web2"] });
    expect(written).toEqual([path.join(dir, "probe-web2.key"), path.join(dir, "probe-web2.crt")]);
    const after = await Promise.all(["ca.crt", "ca.key", "collector.crt", "probe-web1.crt"].map((f) => readFile(path.join(dir, f), "utf8")));
    expect(after).toEqual(before);
    expect((await x509("probe-web2.crt")).checkIssued(await x509("ca.crt"))).toBe(true);
    expect(await mode("probe-web2.key")).toBe(0o600);
  });

  it("reissues a deleted collector certificate from the existing CA", async () => {
    await certsInit({ dir, probeHostIds: [] });
    await unlink(path.join(dir, "collector.crt"));
    const written = await certsInit({ dir, probeHostIds: [] });
    expect(written.map((p) => path.basename(p))).toEqual(["collector.key", "collector.crt"]);
    expect((await x509("collector.crt")).checkIssued(await x509("ca.crt"))).toBe(true);
  });

  it("with force makes a new CA and reissues every certificate in dir", async () => {
    await certsInit({ dir, probeHostIds: ["web1"] });
    const oldCa = await x509("ca.crt");
    const written = await certsInit({ dir, probeHostIds: ["web2"], force: true });
    expect(written.map((p) => path.basename(p)).sort()).toEqual(
      ["ca.crt", "ca.key", "collector.crt", "collector.key", "probe-web1.crt", "probe-web1.key", "probe-web2.crt", "probe-web2.key"].sort(),
    );
    const newCa = await x509("ca.crt");
    expect(newCa.fingerprint256).not.toBe(oldCa.fingerprint256);
    for (const file of ["collector.crt", "probe-web1.crt", "probe-web2.crt"]) {
      expect((await x509(file)).checkIssued(newCa), file).toBe(true);
    }
    expect(await mode("ca.key")).toBe(0o600);
    expect((await readdir(dir)).filter((f) => f.includes(".tmp-"))).toEqual([]);
  });

  it("names a bad host id and writes nothing", async () => {
    await expect(certsInit({ dir, probeHostIds: ["web1", "../etc/passwd"] })).rejects.toThrow(
      'probe host id "../etc/passwd" must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$',
    );
    await expect(readdir(dir)).rejects.toThrow(/ENOENT/);
  });

  it.each(["", "a".repeat(254), "web 1", "_web", "web/1"])("rejects host id %j", async (hostId) => {
    await expect(certsInit({ dir, probeHostIds: [hostId] })).rejects.toThrow(
      `probe host id ${JSON.stringify(hostId)} must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$`,
    );
  });

  it("rejects bad days before writing", async () => {
    await expect(certsInit({ dir, probeHostIds: ["web1"], days: 0 })).rejects.toThrow("days 0 must be an integer >= 1");
    await expect(readdir(dir)).rejects.toThrow(/ENOENT/);
  });

  it("refuses a dir with a CA certificate but no CA key", async () => {
    await certsInit({ dir, probeHostIds: [] });
    await unlink(path.join(dir, "ca.key"));
    await expect(certsInit({ dir, probeHostIds: ["web1"] })).rejects.toThrow(
      `${path.join(dir, "ca.crt")} exists but ${path.join(dir, "ca.key")} does not; restore it, or pass force to make a new CA`,
    );
  });

  it("refuses new server names that the existing collector certificate lacks", async () => {
    await certsInit({ dir, probeHostIds: [] });
    await expect(certsInit({ dir, probeHostIds: ["web1"], serverNames: ["collector.example.net", "::1"] })).rejects.toThrow(
      `${path.join(dir, "collector.crt")} does not cover server names collector.example.net; delete it (and collector.key) to reissue it, or pass force`,
    );
    await expect(stat(path.join(dir, "probe-web1.crt"))).rejects.toThrow(/ENOENT/);
  });

  it("keeps a key file mode 0600 under a permissive umask", async () => {
    const previous = process.umask(0);
    try {
      await certsInit({ dir, probeHostIds: ["web1"] });
    } finally {
      process.umask(previous);
    }
    expect(await mode("probe-web1.key")).toBe(0o600);
    expect(await mode("probe-web1.crt")).toBe(0o644);
  });
});
