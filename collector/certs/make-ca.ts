import { randomBytes } from "node:crypto";
import forge from "node-forge";
import { generateRsaKeyPair } from "./generate-key-pair.js";
import { randomSerialNumber } from "./random-serial-number.js";
import { validityPeriod } from "./validity-period.js";

/** Default validity of a new CA, in days (10 years). */
export const CA_VALIDITY_DAYS_DEFAULT = 3650;

/** A certificate and its private key, both PEM. */
export interface CertificateAndKey {
  /** X.509 certificate, PEM. */
  certPem: string;
  /** Private key, PKCS#8 PEM. */
  keyPem: string;
}

/** The private CA that signs the collector's and the probes' certificates. */
export type CertificateAuthority = CertificateAndKey;

/** Options for {@link makeCa}. */
export interface MakeCaOptions {
  /** Validity in days from now; default {@link CA_VALIDITY_DAYS_DEFAULT}. */
  days?: number;
  /** Subject CN; default `spamtrace CA <8 random hex digits>` so CAs made on different days are told apart. */
  commonName?: string;
  /** Issue time; default now (for tests). */
  now?: Date;
}

/** Creates a self-signed RSA CA that may sign only end-entity certificates (pathLen 0). */
export async function makeCa(opts: MakeCaOptions = {}): Promise<CertificateAuthority> {
  const { notBefore, notAfter } = validityPeriod(opts.days ?? CA_VALIDITY_DAYS_DEFAULT, opts.now);
  const keys = await generateRsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = randomSerialNumber();
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  const subject = [
    { name: "commonName", value: opts.commonName ?? `spamtrace CA ${randomBytes(4).toString("hex")}` },
    { name: "organizationName", value: "spamtrace" },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: "basicConstraints", cA: true, pathLenConstraint: 0, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.keyPem };
}
