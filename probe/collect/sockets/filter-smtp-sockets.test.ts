import { describe, expect, it } from "vitest";
import { filterSmtpSockets, socketDirection, type SocketEndpoints } from "./filter-smtp-sockets.js";

const SMTP = new Set([25, 465, 587]);

describe("socketDirection", () => {
  it.each<{ name: string; input: SocketEndpoints; output: ReturnType<typeof socketDirection> }>([
    { name: "listener on 25", input: { state: "LISTEN", local_port: 25, remote_port: 0 }, output: "listen" },
    { name: "listener on 587", input: { state: "LISTEN", local_port: 587, remote_port: 0 }, output: "listen" },
    { name: "listener on an unwatched port", input: { state: "LISTEN", local_port: 8080, remote_port: 0 }, output: null },
    { name: "client connected to our 465", input: { state: "ESTABLISHED", local_port: 465, remote_port: 51234 }, output: "inbound" },
    { name: "half-open client on our 25", input: { state: "SYN_RECV", local_port: 25, remote_port: 51234 }, output: "inbound" },
    { name: "us connecting to a remote 25", input: { state: "SYN_SENT", local_port: 51234, remote_port: 25 }, output: "outbound" },
    { name: "us connected to a remote 587", input: { state: "ESTABLISHED", local_port: 40000, remote_port: 587 }, output: "outbound" },
    { name: "TIME_WAIT after an outbound session", input: { state: "TIME_WAIT", local_port: 40000, remote_port: 25 }, output: "outbound" },
    { name: "watched port on both ends counts as inbound", input: { state: "ESTABLISHED", local_port: 25, remote_port: 25 }, output: "inbound" },
    { name: "neither port watched", input: { state: "ESTABLISHED", local_port: 40000, remote_port: 443 }, output: null },
  ])("$name", ({ input, output }) => {
    expect(socketDirection(input, SMTP)).toBe(output);
  });
});

describe("filterSmtpSockets", () => {
  it("keeps watched sockets in order, adds direction, keeps other fields", () => {
    const input = [
      { state: "LISTEN", local_port: 25, remote_port: 0, inode: "1" },
      { state: "ESTABLISHED", local_port: 40000, remote_port: 443, inode: "2" },
      { state: "ESTABLISHED", local_port: 40001, remote_port: 25, inode: "3" },
      { state: "ESTABLISHED", local_port: 587, remote_port: 50000, inode: "4" },
    ];
    expect(filterSmtpSockets(input, SMTP)).toEqual([
      { state: "LISTEN", local_port: 25, remote_port: 0, inode: "1", direction: "listen" },
      { state: "ESTABLISHED", local_port: 40001, remote_port: 25, inode: "3", direction: "outbound" },
      { state: "ESTABLISHED", local_port: 587, remote_port: 50000, inode: "4", direction: "inbound" },
    ]);
  });

  it("keeps nothing with an empty port set", () => {
    expect(filterSmtpSockets([{ state: "LISTEN", local_port: 25, remote_port: 0 }], new Set())).toEqual([]);
  });
});
