import { describe, expect, it } from "vitest";
import { normalizeTcpStateName, tcpStateNameFromCode } from "./tcp-state-name.js";

describe("tcpStateNameFromCode", () => {
  it.each([
    { input: 0x01, output: "ESTABLISHED" },
    { input: 0x02, output: "SYN_SENT" },
    { input: 0x03, output: "SYN_RECV" },
    { input: 0x04, output: "FIN_WAIT1" },
    { input: 0x05, output: "FIN_WAIT2" },
    { input: 0x06, output: "TIME_WAIT" },
    { input: 0x07, output: "CLOSE" },
    { input: 0x08, output: "CLOSE_WAIT" },
    { input: 0x09, output: "LAST_ACK" },
    { input: 0x0a, output: "LISTEN" },
    { input: 0x0b, output: "CLOSING" },
    { input: 0x0c, output: "NEW_SYN_RECV" },
    { input: 0x00, output: "UNKNOWN_0" },
    { input: 0xff, output: "UNKNOWN_255" },
  ])("$input → $output", ({ input, output }) => {
    expect(tcpStateNameFromCode(input)).toBe(output);
  });
});

describe("normalizeTcpStateName", () => {
  it.each([
    { input: "ESTABLISHED", output: "ESTABLISHED" },
    { input: "LISTEN", output: "LISTEN" },
    { input: "TIME_WAIT", output: "TIME_WAIT" },
    { input: "CLOSE_WAIT", output: "CLOSE_WAIT" },
    { input: "SYN_RCVD", output: "SYN_RECV" },
    { input: "FIN_WAIT_1", output: "FIN_WAIT1" },
    { input: "FIN_WAIT_2", output: "FIN_WAIT2" },
    { input: "CLOSED", output: "CLOSE" },
    { input: "syn-sent", output: "SYN_SENT" },
    { input: "UNKNOWN_TCP_STATE_42", output: "UNKNOWN_TCP_STATE_42" },
  ])("$input → $output", ({ input, output }) => {
    expect(normalizeTcpStateName(input)).toBe(output);
  });
});
