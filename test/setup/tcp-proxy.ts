import net from "node:net";

/** A loopback TCP proxy whose link can be cut and restored, standing in for a network failure. */
export interface CuttableProxy {
  port: number;
  /** Black-holes the link: bytes in flight and new connections go nowhere, like a dead route (no RST, no FIN). */
  cut(): void;
  /** Restores forwarding for new connections; black-holed ones are dropped. */
  restore(): void;
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1:<free port> forwarding to 127.0.0.1:targetPort. */
export async function startCuttableProxy(targetPort: number): Promise<CuttableProxy> {
  let isCut = false;
  const live = new Set<{ client: net.Socket; upstream: net.Socket }>();
  const holed = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (isCut) {
      // Accept and never answer: the client's TLS handshake or keepalive times out.
      client.on("data", () => {});
      client.on("error", () => {});
      holed.add(client);
      return;
    }
    const upstream = net.connect(targetPort, "127.0.0.1");
    const pair = { client, upstream };
    live.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const drop = (): void => {
      live.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut: () => {
      isCut = true;
      for (const { client, upstream } of live) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.removeAllListeners("data");
        client.on("data", () => {});
        upstream.removeAllListeners("data");
        upstream.on("data", () => {});
        holed.add(client);
        holed.add(upstream);
      }
      live.clear();
    },
    restore: () => {
      isCut = false;
      for (const socket of holed) socket.destroy();
      holed.clear();
    },
    close: async () => {
      for (const socket of holed) socket.destroy();
      for (const { client, upstream } of live) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
