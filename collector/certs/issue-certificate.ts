import { isIP } from "node:net";
import os from "node:os";
import forge from "node-forge";
import { generateRsaKeyPair } from "./generate-key-pair.js";
import type { CertificateAndKey, CertificateAuthority } from "./make-ca.js";
import { randomSerialNumber } from "./random-serial-number.js";
import { validateHostId } from "./validate-host-id.js";
import { validityPeriod } from "./validity-period.js";

/** Default validity of a collector or probe certificate, in days (10 years; clamped to the CA's expiry). */
export const CERTIFICATE_VALIDITY_DAYS_DEFAULT = 3650;

/** Subject CN of collector (server) certificates; clients check the subjectAltName, not this. */
export const SERVER_COMMON_NAME = "spamtrace collector";

/** "server": the collector's TLS server certificate; "client": a probe's client certificate. */
export type CertificateKind = "server" | "client";

/** Options for {@link issueCertificate}. */
export type IssueCertificateOptions =
  | {
      /** Issue a TLS server certificate (extKeyUsage serverAuth). */
      kind: "server";
      /** The signing CA. */
      ca: CertificateAuthority;
      /** DNS names and IP addresses for subjectAltName; default {@link defaultServerNames}(). */
      names?: string[];
      /** Validity in days; default {@link CERTIFICATE_VALIDITY_DAYS_DEFAULT}. */
      days?: number;
      /** Issue time; default now (for tests). */
      now?: Date;
    }
  | {
      /** Issue a TLS client certificate (extKeyUsage clientAuth). */
      kind: "client";
      /** The signing CA. */
      ca: CertificateAuthority;
      /** The probe's host id: the subject CN and the only subjectAltName (DNS). */
      hostId: string;
      /** Validity in days; default {@link CERTIFICATE_VALIDITY_DAYS_DEFAULT}. */
      days?: number;
      /** Issue time; default now (for tests). */
      now?: Date;
    };

// Labels of letters, digits, '-' and '_' (hostnames in the wild have them), optionally a leading wildcard.
const DNS_NAME_PATTERN = /^(\*\.)?[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*$/;

/** Names a collector certificate covers by default: `localhost`, `127.0.0.1`, `::1` and this machine's hostname. */
export function defaultServerNames(): string[] {
  const names = ["localhost", "127.0.0.1", "::1"];
  const hostname = os.hostname();
  if (DNS_NAME_PATTERN.test(hostname) && !names.includes(hostname)) names.push(hostname);
  return names;
}

/** Issues an RSA leaf certificate signed by the CA, with a fresh key and a random serial. */
export async function issueCertificate(opts: IssueCertificateOptions): Promise<CertificateAndKey> {
  const caCert = parseCaCertificate(opts.ca);
  const caKey = forge.pki.privateKeyFromPem(opts.ca.keyPem) as forge.pki.rsa.PrivateKey;
  const caPublicKey = caCert.publicKey as forge.pki.rsa.PublicKey;
  if (caKey.n.compareTo(caPublicKey.n) !== 0 || caKey.e.compareTo(caPublicKey.e) !== 0) {
    throw new Error("CA private key does not match the CA certificate");
  }

  let commonName: string;
  let altNames: Array<{ type: 2; value: string } | { type: 7; ip: string }>;
  let extKeyUsage: { name: "extKeyUsage"; serverAuth?: true; clientAuth?: true };
  if (opts.kind === "server") {
    const names = [...new Set(opts.names ?? defaultServerNames())];
    if (names.length === 0) throw new Error("names must list at least one DNS name or IP address");
    altNames = names.map((name) => {
      if (isIP(name) !== 0) return { type: 7, ip: name };
      if (!DNS_NAME_PATTERN.test(name)) {
        throw new Error(`server name ${JSON.stringify(name)} must be an IP address or a DNS name`);
      }
      return { type: 2, value: name };
    });
    commonName = SERVER_COMMON_NAME;
    extKeyUsage = { name: "extKeyUsage", serverAuth: true };
  } else {
    validateHostId(opts.hostId);
    altNames = [{ type: 2, value: opts.hostId }];
    commonName = opts.hostId;
    extKeyUsage = { name: "extKeyUsage", clientAuth: true };
  }

  const { notBefore, notAfter } = validityPeriod(
    opts.days ?? CERTIFICATE_VALIDITY_DAYS_DEFAULT,
    opts.now,
    caCert.validity.notAfter,
  );
  const keys = await generateRsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = randomSerialNumber();
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  cert.setSubject([
    { name: "commonName", value: commonName },
    { name: "organizationName", value: "spamtrace" },
  ]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: "basicConstraints", cA: false, critical: true },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    extKeyUsage,
    { name: "subjectAltName", altNames },
    { name: "subjectKeyIdentifier" },
    { name: "authorityKeyIdentifier", keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.keyPem };
}

function parseCaCertificate(ca: CertificateAuthority): forge.pki.Certificate {
  const cert = forge.pki.certificateFromPem(ca.certPem);
  const basicConstraints = cert.getExtension("basicConstraints") as { cA?: boolean } | undefined;
  if (basicConstraints?.cA !== true) throw new Error("CA certificate is not a CA (basicConstraints cA is not set)");
  return cert;
}
