import { randomBytes } from "node:crypto";
import { chmod, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { isIP } from "node:net";
import path from "node:path";
import forge from "node-forge";
import { CERTIFICATE_VALIDITY_DAYS_DEFAULT, defaultServerNames, issueCertificate } from "./issue-certificate.js";
import { makeCa, type CertificateAndKey, type CertificateAuthority } from "./make-ca.js";
import { HOST_ID_PATTERN, validateHostId } from "./validate-host-id.js";
import { validityPeriod } from "./validity-period.js";

/** File name of the CA certificate in a certs dir. */
export const CA_CERT_FILE = "ca.crt";
/** File name of the CA private key in a certs dir (mode 0600). */
export const CA_KEY_FILE = "ca.key";
/** File name of the collector's server certificate in a certs dir. */
export const COLLECTOR_CERT_FILE = "collector.crt";
/** File name of the collector's private key in a certs dir (mode 0600). */
export const COLLECTOR_KEY_FILE = "collector.key";

/** File names of a probe's client certificate and private key in a certs dir. */
export function probeCertFiles(hostId: string): { cert: string; key: string } {
  return { cert: `probe-${hostId}.crt`, key: `probe-${hostId}.key` };
}

/** Options for {@link certsInit}. */
export interface CertsInitOptions {
  /** Folder to write into; created (mode 0700) when missing. */
  dir: string;
  /** Host ids to issue probe client certificates for (each must match HOST_ID_PATTERN). */
  probeHostIds: string[];
  /** Extra DNS names / IPs for the collector certificate, added to defaultServerNames(). */
  serverNames?: string[];
  /** Validity of every certificate written, in days; default CERTIFICATE_VALIDITY_DAYS_DEFAULT. */
  days?: number;
  /** Make a new CA even if one exists, and reissue the collector cert and every probe cert in dir. */
  force?: boolean;
}

const PRIVATE_MODE = 0o600;
const PUBLIC_MODE = 0o644;

/**
 * Creates (or extends) a certs dir: a private CA, the collector's server
 * certificate and one client certificate per probe. When the dir already has
 * a CA and force is not set, the CA is reused and only missing certificates
 * are issued; existing files are never overwritten. Returns the paths written.
 */
export async function certsInit(opts: CertsInitOptions): Promise<string[]> {
  const days = opts.days ?? CERTIFICATE_VALIDITY_DAYS_DEFAULT;
  validityPeriod(days); // Fail on a bad `days` before touching the disk.
  const requestedIds = [...new Set(opts.probeHostIds)];
  requestedIds.forEach(validateHostId);
  const serverNames = [...new Set([...defaultServerNames(), ...(opts.serverNames ?? [])])];

  const dir = opts.dir;
  const at = (file: string): string => path.join(dir, file);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const existing = new Set(await readdir(dir));
  const hasCaCert = existing.has(CA_CERT_FILE);
  const hasCaKey = existing.has(CA_KEY_FILE);

  const files: Array<{ file: string; data: string; mode: number }> = [];
  const add = (certFile: string, keyFile: string, pair: CertificateAndKey): void => {
    files.push({ file: keyFile, data: pair.keyPem, mode: PRIVATE_MODE });
    files.push({ file: certFile, data: pair.certPem, mode: PUBLIC_MODE });
  };

  let ca: CertificateAuthority;
  let hostIds: string[];
  let issueCollector: boolean;
  if (opts.force === true || (!hasCaCert && !hasCaKey)) {
    ca = await makeCa({ days });
    add(CA_CERT_FILE, CA_KEY_FILE, ca);
    // Certificates already in dir were signed by the old CA: reissue them too.
    const previousIds = [...existing]
      .map((file) => /^probe-(.+)\.crt$/.exec(file)?.[1])
      .filter((id): id is string => id !== undefined && HOST_ID_PATTERN.test(id));
    hostIds = [...new Set([...requestedIds, ...previousIds])];
    issueCollector = true;
  } else {
    if (!hasCaCert || !hasCaKey) {
      const [present, missing] = hasCaCert ? [CA_CERT_FILE, CA_KEY_FILE] : [CA_KEY_FILE, CA_CERT_FILE];
      throw new Error(`${at(present)} exists but ${at(missing)} does not; restore it, or pass force to make a new CA`);
    }
    ca = { certPem: await readFile(at(CA_CERT_FILE), "utf8"), keyPem: await readFile(at(CA_KEY_FILE), "utf8") };
    hostIds = requestedIds.filter((id) => !existing.has(probeCertFiles(id).cert));
    issueCollector = !existing.has(COLLECTOR_CERT_FILE);
    if (!issueCollector && opts.serverNames !== undefined) {
      await checkServerNames(at(COLLECTOR_CERT_FILE), opts.serverNames);
    }
    if (hostIds.length === 0 && !issueCollector) {
      throw new Error(
        `${at(CA_CERT_FILE)} already exists and so do the collector and requested probe certificates; ` +
          `pass force to make a new CA and reissue every certificate in ${dir}`,
      );
    }
  }

  if (issueCollector) {
    add(COLLECTOR_CERT_FILE, COLLECTOR_KEY_FILE, await issueCertificate({ kind: "server", ca, names: serverNames, days }));
  }
  for (const hostId of hostIds) {
    const { cert, key } = probeCertFiles(hostId);
    add(cert, key, await issueCertificate({ kind: "client", ca, hostId, days }));
  }

  // Everything is generated before the first write, so a bad CA or name leaves dir as it was.
  const written: string[] = [];
  for (const { file, data, mode } of files) {
    await writeFileAtomic(at(file), data, mode);
    written.push(at(file));
  }
  return written;
}

/** Throws when the existing collector certificate does not cover every requested name. */
async function checkServerNames(certPath: string, names: string[]): Promise<void> {
  const cert = forge.pki.certificateFromPem(await readFile(certPath, "utf8"));
  const san = cert.getExtension("subjectAltName") as { altNames?: Array<{ value?: string; ip?: string }> } | undefined;
  const covered = new Set((san?.altNames ?? []).map((n) => (n.ip !== undefined ? normalizeIp(n.ip) : (n.value ?? ""))));
  const missing = names.filter((name) => !covered.has(isIP(name) !== 0 ? normalizeIp(name) : name));
  if (missing.length > 0) {
    throw new Error(
      `${certPath} does not cover server names ${missing.join(", ")}; delete it (and ${COLLECTOR_KEY_FILE}) to reissue it, or pass force`,
    );
  }
}

/** Canonical text of an IP (RFC 5952 for IPv6) so `0:0:0:0:0:0:0:1` equals `::1`. */
function normalizeIp(ip: string): string {
  return isIP(ip) === 6 ? new URL(`http://[${ip}]/`).hostname : ip;
}

/** Writes via a temporary file + rename so a reader never sees a partial key, with an explicit mode (umask-proof). */
async function writeFileAtomic(file: string, data: string, mode: number): Promise<void> {
  const tmp = `${file}.tmp-${randomBytes(4).toString("hex")}`;
  try {
    await writeFile(tmp, data, { mode, flag: "wx" });
    await chmod(tmp, mode);
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}
