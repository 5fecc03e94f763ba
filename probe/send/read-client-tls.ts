import { readTlsFiles } from "../../shared/grpc/read-tls-files.js";
import type { ProbeConfig } from "../config/probe-config.js";
import type { ClientTls } from "./grpc-sender.js";

/** The probe's client certificate, key and CA, as `spamtrace certs init --probe <host id>` makes them. */
export function readClientTls(collector: ProbeConfig["collector"], hostId: string): ClientTls {
  const files = readTlsFiles(collector, { configSection: "collector", certName: `probe-${hostId}`, fix: `make it with \`spamtrace certs init --probe ${hostId}\`` });
  return { ...files, serverName: collector.serverName };
}
