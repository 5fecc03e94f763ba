import { readFile } from "node:fs/promises";
import { createServer, connect, type AddressInfo, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readProcText } from "./read-proc-text.js";

describe("readProcText", () => {
  const sockets: Socket[] = [];
  const server = createServer((s) => sockets.push(s));

  beforeAll(async () => {
    // Loopback connections (no network) so /proc/net/tcp spans several kernel reads.
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    for (let i = 0; i < 40; i++) sockets.push(connect(port, "127.0.0.1"));
    await Promise.all(sockets.map((s) => new Promise((resolve) => s.once("connect", resolve))));
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it("reads a multi-page /proc file whole, line for line", async () => {
    const text = await readProcText("/proc/net/tcp");
    expect(text.length).toBeGreaterThan(8192);
    expect(text.endsWith("\n")).toBe(true);
    expect(text.split("\n")[0]).toMatch(/^\s*sl\s+local_address/);
    // As many lines as a second full read (same sockets, give or take TIME_WAIT churn).
    const again = await readFile("/proc/net/tcp", "utf8");
    expect(Math.abs(text.split("\n").length - again.split("\n").length)).toBeLessThan(5);
  });

  it("reads a regular file and fails on a missing one", async () => {
    expect(await readProcText("/proc/self/comm")).toMatch(/\n$/);
    await expect(readProcText("/proc/no-such-file")).rejects.toMatchObject({ code: "ENOENT" });
  });
});
