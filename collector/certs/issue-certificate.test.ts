import { X509Certificate } from "node:crypto";
import os from "node:os";
import forge from "node-forge";
import { beforeAll, describe, expect, it } from "vitest";
import { defaultServerNames, issueCertificate, SERVER_COMMON_NAME } from "./issue-certificate.js";
import { makeCa, type CertificateAuthority } from "./make-ca.js";

let ca: CertificateAuthority;
let otherCa: CertificateAuthority;
beforeAll(async () => {
  [ca, otherCa] = await Promise.all([makeCa(), makeCa()]);
});

describe("issueCertificate client", () => {
  it("names the probe by host id, allows only clientAuth and verifies against the CA", async () => {
    const issued = await issueCertificate({ kind: "client", ca, hostId: "web1.example-host_2" });
    const cert = forge.pki.certificateFromPem(issued.certPem);
    const caCert = forge.pki.certificateFromPem(ca.certPem);
    expect(caCert.verify(cert)).toBe(true);
    expect(forge.pki.verifyCertificateChain(forge.pki.createCaStore([caCert]), [cert])).toBe(true);
    const otherStore = forge.pki.createCaStore([forge.pki.certificateFromPem(otherCa.certPem)]);
    expect(() => forge.pki.verifyCertificateChain(otherStore, [cert])).toThrow();
    expect(cert.subject.getField("CN").value).toBe("web1.example-host_2");
    expect(cert.getExtension("extKeyUsage")).toMatchObject({ clientAuth: true });
    expect(cert.getExtension("extKeyUsage")).not.toHaveProperty("serverAuth");
    expect(cert.getExtension("basicConstraints")).toMatchObject({ cA: false });

    const x509 = new X509Certificate(issued.certPem);
    const caX509 = new X509Certificate(ca.certPem);
    expect(x509.verify(caX509.publicKey)).toBe(true);
    expect(x509.checkIssued(caX509)).toBe(true);
    expect(x509.verify(new X509Certificate(otherCa.certPem).publicKey)).toBe(false);
    expect(x509.subject).toContain("CN=web1.example-host_2");
    expect(x509.subjectAltName).toBe("DNS:web1.example-host_2");
    expect(x509.keyUsage).toEqual(["1.3.6.1.5.5.7.3.2"]); // Node lists extKeyUsage OIDs here: clientAuth.
    expect(x509.ca).toBe(false);
  });

  it("rejects a bad host id with the value and the rule", async () => {
    await expect(issueCertificate({ kind: "client", ca, hostId: "-web1" })).rejects.toThrow(
      'probe host id "-web1" must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$',
    );
  });

  it("gives each certificate its own serial and key", async () => {
    const [a, b] = await Promise.all([
      issueCertificate({ kind: "client", ca, hostId: "web1" }),
      issueCertificate({ kind: "client", ca, hostId: "web1" }),
    ]);
    expect(new X509Certificate(a.certPem).serialNumber).not.toBe(new X509Certificate(b.certPem).serialNumber);
    expect(a.keyPem).not.toBe(b.keyPem);
  });
});

describe("issueCertificate server", () => {
  it("covers localhost, loopback IPs and the hostname by default, for serverAuth only", async () => {
    const issued = await issueCertificate({ kind: "server", ca });
    const x509 = new X509Certificate(issued.certPem);
    expect(x509.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(x509.subject).toContain(`CN=${SERVER_COMMON_NAME}`);
    expect(x509.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]); // serverAuth
    expect(x509.checkHost("localhost")).toBe("localhost");
    expect(x509.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(x509.checkIP("::1")).toBe("::1");
    expect(x509.checkHost(os.hostname())).toBe(os.hostname());
    expect(x509.checkHost("example.com")).toBeUndefined();
    expect(defaultServerNames()).toEqual(expect.arrayContaining(["localhost", "127.0.0.1", "::1"]));
  });

  it("puts the given DNS names and IPs in subjectAltName", async () => {
    const issued = await issueCertificate({
      kind: "server",
      ca,
      names: ["collector.example.net", "*.spamtrace.example.net", "192.0.2.7", "2001:db8::7"],
    });
    const x509 = new X509Certificate(issued.certPem);
    expect(x509.subjectAltName).toBe(
      "DNS:collector.example.net, DNS:*.spamtrace.example.net, IP Address:192.0.2.7, IP Address:2001:DB8:0:0:0:0:0:7",
    );
    expect(x509.checkHost("a.spamtrace.example.net")).toBe("*.spamtrace.example.net");
    expect(x509.checkIP("2001:db8::7")).toBe("2001:db8::7");
    expect(x509.checkHost("localhost")).toBeUndefined();
  });

  it("rejects a name that is neither a DNS name nor an IP", async () => {
    await expect(issueCertificate({ kind: "server", ca, names: ["bad name"] })).rejects.toThrow(
      'server name "bad name" must be an IP address or a DNS name',
    );
  });
});

describe("issueCertificate validity", () => {
  it("never outlives its CA", async () => {
    const shortCa = await makeCa({ days: 2 });
    const issued = await issueCertificate({ kind: "client", ca: shortCa, hostId: "web1", days: 365 });
    expect(new X509Certificate(issued.certPem).validTo).toBe(new X509Certificate(shortCa.certPem).validTo);
  });

  it("refuses a CA key that does not belong to the CA certificate", async () => {
    await expect(
      issueCertificate({ kind: "client", ca: { certPem: ca.certPem, keyPem: otherCa.keyPem }, hostId: "web1" }),
    ).rejects.toThrow("CA private key does not match the CA certificate");
  });

  it("refuses to sign with a leaf certificate", async () => {
    const leaf = await issueCertificate({ kind: "client", ca, hostId: "web1" });
    await expect(issueCertificate({ kind: "client", ca: leaf, hostId: "web2" })).rejects.toThrow(
      "CA certificate is not a CA (basicConstraints cA is not set)",
    );
  });
});
