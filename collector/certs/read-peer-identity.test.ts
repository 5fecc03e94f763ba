import { once } from "node:events";
import type { AddressInfo } from "node:net";
import tls from "node:tls";
import { beforeAll, describe, expect, it } from "vitest";
import { issueCertificate } from "./issue-certificate.js";
import { makeCa, type CertificateAndKey, type CertificateAuthority } from "./make-ca.js";
import { readPeerIdentity } from "./read-peer-identity.js";

let ca: CertificateAuthority;
let otherCa: CertificateAuthority;
let collector: CertificateAndKey;
let probe: CertificateAndKey;
beforeAll(async () => {
  [ca, otherCa] = await Promise.all([makeCa(), makeCa()]);
  [collector, probe] = await Promise.all([
    issueCertificate({ kind: "server", ca }),
    issueCertificate({ kind: "client", ca, hostId: "web1.example.com" }),
  ]);
});

/** What each side saw: the server's identity or authorizationError, and whether the client's side completed. */
interface Outcome {
  server: { identity: string | null } | { rejected: string };
  client: "connected" | { error: string };
}

/**
 * One TLS handshake on loopback, the way the collector runs it: the server
 * requires a client certificate signed by `ca`.
 */
async function handshake(client: Partial<CertificateAndKey> & { ca?: string; host?: string }): Promise<Outcome> {
  const server = tls.createServer({
    key: collector.keyPem,
    cert: collector.certPem,
    ca: ca.certPem,
    requestCert: true,
    rejectUnauthorized: true,
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const sockets = new Set<tls.TLSSocket>();
  try {
    const serverSide = new Promise<Outcome["server"]>((resolve) => {
      server.on("secureConnection", (socket) => {
        sockets.add(socket);
        resolve({ identity: readPeerIdentity(socket.getPeerCertificate()) });
      });
      // Node destroys a socket whose certificate failed verification, so the
      // error is a bare ECONNRESET; the reason is on the socket.
      server.on("tlsClientError", (error, socket) => resolve({ rejected: socket.authorizationError?.toString() ?? error.message }));
    });
    const socket = tls.connect({
      host: client.host ?? "127.0.0.1",
      port,
      ca: client.ca ?? ca.certPem,
      ...(client.keyPem === undefined ? {} : { key: client.keyPem, cert: client.certPem }),
    });
    sockets.add(socket);
    // With TLS 1.3 the client finishes its side before the server has checked
    // the client certificate, so "connected" alone proves nothing.
    const clientSide = new Promise<Outcome["client"]>((resolve) => {
      socket.once("secureConnect", () => resolve("connected"));
      socket.once("error", (error) => resolve({ error: error.message }));
    });
    return { server: await serverSide, client: await clientSide };
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
}

describe("mutual TLS with certsInit-style certificates", () => {
  it("accepts a probe certificate from the CA and reads its host id", async () => {
    expect(await handshake({ keyPem: probe.keyPem, certPem: probe.certPem })).toEqual({
      server: { identity: "web1.example.com" },
      client: "connected",
    });
  });

  it("lets the probe verify the collector by name as well as by IP", async () => {
    expect(await handshake({ keyPem: probe.keyPem, certPem: probe.certPem, host: "localhost" })).toEqual({
      server: { identity: "web1.example.com" },
      client: "connected",
    });
  });

  it("refuses a client certificate from another CA", async () => {
    const foreign = await issueCertificate({ kind: "client", ca: otherCa, hostId: "web1.example.com" });
    const outcome = await handshake({ keyPem: foreign.keyPem, certPem: foreign.certPem });
    expect(outcome.server).toEqual({ rejected: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" });
  });

  it("refuses a client without a certificate", async () => {
    const outcome = await handshake({});
    expect(outcome.server).toEqual({ rejected: expect.stringContaining("peer did not return a certificate") });
  });

  it("refuses the collector's server certificate used as a client certificate (no clientAuth)", async () => {
    const outcome = await handshake({ keyPem: collector.keyPem, certPem: collector.certPem });
    expect(outcome.server).toEqual({ rejected: "INVALID_PURPOSE" });
  });

  it("client refuses a collector whose certificate comes from another CA", async () => {
    const outcome = await handshake({ keyPem: probe.keyPem, certPem: probe.certPem, ca: otherCa.certPem });
    expect(outcome.client).toEqual({ error: "self-signed certificate in certificate chain" });
    expect(outcome.server).not.toHaveProperty("identity");
  });
});

describe("readPeerIdentity", () => {
  const peer = (subject: Record<string, unknown>): tls.PeerCertificate =>
    ({ subject, raw: Buffer.alloc(1) }) as unknown as tls.PeerCertificate;

  it.each([
    { input: peer({ CN: "web1", O: "spamtrace" }), output: "web1" },
    { input: peer({ O: "spamtrace" }), output: null },
    { input: peer({ CN: ["web1", "web2"] }), output: null },
    { input: peer({ CN: "web 1" }), output: null },
    { input: peer({ CN: "" }), output: null },
    { input: {} as tls.PeerCertificate, output: null },
    { input: undefined, output: null },
    { input: null, output: null },
  ])("$output from %j", ({ input, output }) => {
    expect(readPeerIdentity(input)).toBe(output);
  });
});
