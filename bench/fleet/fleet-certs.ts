// Certificates for the fleet benchmark: one CA, the collector's certificate
// and one client certificate per virtual probe (CN = host id), minted once
// into a cache folder and reused by later runs. Probe certificates share one
// key pair and are signed with node:crypto (OpenSSL) instead of node-forge's
// JavaScript RSA, so 10,000 of them take seconds, not the whole run.
import { createPrivateKey, sign, type KeyObject } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import forge from "node-forge";
import { certsInit, CA_CERT_FILE, CA_KEY_FILE } from "../../collector/certs/certs-init.js";
import { generateRsaKeyPair } from "../../collector/certs/generate-key-pair.js";
import { randomSerialNumber } from "../../collector/certs/random-serial-number.js";

/** Default cache folder (survives runs; delete it to mint afresh). */
export const FLEET_CERTS_DIR = path.join(os.tmpdir(), "spamtrace-fleet-certs");

/** PEM material of the fleet. */
export interface FleetCerts {
  dir: string;
  ca: Buffer;
  /** The key every probe certificate certifies. */
  probeKey: Buffer;
  /** Client certificate of probe `i` (0-based). */
  probeCert(i: number): Promise<Buffer>;
}

/** Host id of virtual probe `i`. */
export function fleetHostId(i: number): string {
  return `fleet-${String(i).padStart(5, "0")}`;
}

/** Makes sure the cache holds a CA, the collector's certificate and `count` probe certificates. */
export async function ensureFleetCerts(count: number, dir = FLEET_CERTS_DIR): Promise<{ certs: FleetCerts; minted: number; ms: number }> {
  const started = Date.now();
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (!existsSync(path.join(dir, CA_CERT_FILE))) await certsInit({ dir, probeHostIds: [], days: 365 });
  const keyFile = path.join(dir, "fleet-probe.key");
  if (!existsSync(keyFile)) {
    const pair = await generateRsaKeyPair();
    await writeFile(keyFile, pair.keyPem, { mode: 0o600 });
  }
  const probeKeyPem = await readFile(keyFile, "utf8");
  const caCertPem = await readFile(path.join(dir, CA_CERT_FILE), "utf8");
  const caKey = createPrivateKey(await readFile(path.join(dir, CA_KEY_FILE), "utf8"));
  const caSubject = forge.pki.certificateFromPem(caCertPem).subject.attributes;
  const publicKey = forge.pki.setRsaPublicKey(
    (forge.pki.privateKeyFromPem(probeKeyPem) as forge.pki.rsa.PrivateKey).n,
    (forge.pki.privateKeyFromPem(probeKeyPem) as forge.pki.rsa.PrivateKey).e,
  );
  const certFile = (i: number): string => path.join(dir, `probe-${fleetHostId(i)}.crt`);
  let minted = 0;
  for (let i = 0; i < count; i++) {
    if (existsSync(certFile(i))) continue;
    await writeFile(certFile(i), clientCertificate(fleetHostId(i), publicKey, caSubject, caKey));
    minted++;
  }
  return {
    certs: { dir, ca: Buffer.from(caCertPem), probeKey: Buffer.from(probeKeyPem), probeCert: (i) => readFile(certFile(i)) },
    minted,
    ms: Date.now() - started,
  };
}

function clientCertificate(hostId: string, publicKey: forge.pki.PublicKey, issuer: forge.pki.CertificateField[], caKey: KeyObject): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = randomSerialNumber();
  cert.validity.notBefore = new Date(Date.now() - 3600_000);
  cert.validity.notAfter = new Date(Date.now() + 300 * 86_400_000);
  cert.setSubject([
    { name: "commonName", value: hostId },
    { name: "organizationName", value: "spamtrace" },
  ]);
  cert.setIssuer(issuer);
  cert.setExtensions([
    { name: "basicConstraints", cA: false, critical: true },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", clientAuth: true },
    { name: "subjectAltName", altNames: [{ type: 2, value: hostId }] },
  ]);
  // forge hands the "digest" the DER of the TBSCertificate through update(); OpenSSL signs it.
  const captured = { algorithm: "sha256", bytes: "", update(b: string) { this.bytes += b; return this; } };
  const signer = { sign: (md: typeof captured) => sign("sha256", Buffer.from(md.bytes, "binary"), caKey).toString("binary") };
  cert.sign(signer as unknown as forge.pki.rsa.PrivateKey, captured as unknown as forge.md.MessageDigest);
  return forge.pki.certificateToPem(cert);
}
