import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The PEM files of one side of the mutual TLS between probe and collector. */
export interface TlsFiles {
  /** The private CA that signs both sides. */
  ca: Buffer;
  /** This side's certificate. */
  cert: Buffer;
  /** This side's private key. */
  key: Buffer;
}

/** Where the files are: each explicit path wins over `<certsDir>/<name>` as `spamtrace certs init` lays them out. */
export interface TlsFileSettings {
  certsDir: string;
  caFile?: string | undefined;
  certFile?: string | undefined;
  keyFile?: string | undefined;
}

/**
 * Reads the CA, certificate and key of one side (the probe's `collector.*`
 * settings, the collector's `grpc.*`). A file that cannot be read stops the
 * process with a message naming the config key, the path, the reason and
 * `fix`, what to do about it.
 */
export function readTlsFiles(settings: TlsFileSettings, o: { configSection: string; certName: string; fix: string }): TlsFiles {
  const read = (key: "caFile" | "certFile" | "keyFile", path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new Error(`${o.configSection}.${key} ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); ${o.fix}`);
    }
  };
  return {
    ca: read("caFile", settings.caFile ?? join(settings.certsDir, "ca.crt")),
    cert: read("certFile", settings.certFile ?? join(settings.certsDir, `${o.certName}.crt`)),
    key: read("keyFile", settings.keyFile ?? join(settings.certsDir, `${o.certName}.key`)),
  };
}
