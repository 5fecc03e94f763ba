import { X509Certificate } from "node:crypto";
import forge from "node-forge";
import { describe, expect, it } from "vitest";
import { makeCa } from "./make-ca.js";

describe("makeCa", () => {
  it("makes a self-signed CA limited to signing end-entity certificates", async () => {
    const ca = await makeCa({ days: 30 });
    const cert = forge.pki.certificateFromPem(ca.certPem);
    expect(cert.subject.getField("CN").value).toMatch(/^spamtrace CA [0-9a-f]{8}$/);
    expect(cert.verify(cert)).toBe(true);
    expect(cert.getExtension("basicConstraints")).toMatchObject({ cA: true, pathLenConstraint: 0, critical: true });
    expect(cert.getExtension("keyUsage")).toMatchObject({ keyCertSign: true, cRLSign: true, digitalSignature: false });
    const lifetimeDays = (cert.validity.notAfter.getTime() - Date.now()) / 86_400_000;
    expect(lifetimeDays).toBeGreaterThan(29.9);
    expect(lifetimeDays).toBeLessThanOrEqual(30);

    const x509 = new X509Certificate(ca.certPem);
    expect(x509.ca).toBe(true);
    expect(x509.checkPrivateKey((await import("node:crypto")).createPrivateKey(ca.keyPem))).toBe(true);
    expect(ca.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
  });

  it("gives each CA a different name and serial", async () => {
    const [a, b] = await Promise.all([makeCa(), makeCa()]);
    const [x, y] = [new X509Certificate(a.certPem), new X509Certificate(b.certPem)];
    expect(x.subject).not.toBe(y.subject);
    expect(x.serialNumber).not.toBe(y.serialNumber);
  });

  it.each([0, -1, 1.5, Number.NaN])("rejects days %s", async (days) => {
    await expect(makeCa({ days })).rejects.toThrow(`days ${String(days)} must be an integer >= 1`);
  });
});
