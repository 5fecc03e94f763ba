// ServerStore sends a reading query once more when the server dropped the
// keep-alive socket under it ("socket hang up"), and only once. A stand-in
// HTTP server on loopback hangs up on chosen requests: the real ClickHouse
// server does it only when a socket idles past its keep_alive_timeout, which
// a test cannot time.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ServerStore } from "../collector/store/clickhouse/server-store.js";

describe("ServerStore: a query on a socket the server dropped", () => {
  let server: Server;
  let url: string;
  let hangUps = 0;
  const seen: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        const sql = new URL(req.url ?? "/", "http://x").searchParams.get("query") ?? body;
        seen.push(sql.trim().split(/\s+/)[0]!.toUpperCase());
        if (!/^\s*CREATE/i.test(sql) && hangUps > 0) {
          hangUps--;
          req.socket.destroy();
          return;
        }
        res.writeHead(200, { "content-type": "text/plain" });
        res.end(/^\s*CREATE/i.test(sql) ? "" : '{"n":"1"}\n');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    seen.length = 0;
  });

  async function open(): Promise<ServerStore> {
    return ServerStore.open({ url, username: "default", password: "", database: "d", requestTimeoutMs: 5000 });
  }

  it("sends a SELECT again after one hang-up and returns its rows", async () => {
    const store = await open();
    hangUps = 1;
    await expect(store.query("SELECT 1 AS n")).resolves.toEqual([{ n: "1" }]);
    expect(seen.filter((s) => s === "SELECT")).toHaveLength(2);
    await store.close();
  });

  it("gives up after the second hang-up, with the store's error", async () => {
    const store = await open();
    hangUps = 2;
    await expect(store.query("SELECT 1 AS n")).rejects.toThrow(/ClickHouse query failed: socket hang up/);
    expect(seen.filter((s) => s === "SELECT")).toHaveLength(2);
    await store.close();
  });

  it("does not send a statement that writes twice", async () => {
    const store = await open();
    hangUps = 1;
    await expect(store.query("ALTER TABLE t DELETE WHERE 1")).rejects.toThrow(/socket hang up/);
    expect(seen.filter((s) => s === "ALTER")).toHaveLength(1);
    hangUps = 0;
    await store.close();
  });
});
