import type { PeerCertificate } from "node:tls";
import { HOST_ID_PATTERN } from "./validate-host-id.js";

/**
 * The probe identity (subject CN) of a verified peer certificate, as grpc-js
 * gives it in `call.getAuthContext().sslPeerCertificate` (set only when the
 * TLS handshake verified the certificate). Null when there is no certificate,
 * no CN, several CNs, or a CN that is not a valid host id.
 */
export function readPeerIdentity(cert: PeerCertificate | null | undefined): string | null {
  // Node returns an array when the subject has several CN attributes.
  const cn: unknown = cert?.subject?.CN;
  return typeof cn === "string" && HOST_ID_PATTERN.test(cn) ? cn : null;
}
