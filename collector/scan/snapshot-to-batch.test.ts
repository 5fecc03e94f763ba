import { describe, expect, it } from "vitest";
import { inferMta, type SnapshotSocket } from "./snapshot-to-batch.js";

const sock = (direction: string, exe: string, remotePort = 25): SnapshotSocket => ({ proto: "tcp", state: "ESTABLISHED", direction, local_address: "192.0.2.1", local_port: direction === "listen" ? 25 : 40000, remote_address: "198.51.100.1", remote_port: remotePort, inode: 1, pid: 10, exe });

describe("inferMta (a scan's socket table)", () => {
  it("counts Postfix's delivery agent beside its listening master, not a script", () => {
    expect(inferMta([sock("listen", "/usr/lib/postfix/sbin/master"), sock("outbound", "/usr/lib/postfix/sbin/smtp"), sock("outbound", "/tmp/.x/sendmail")])).toEqual({
      kind: "postfix",
      binaryPaths: ["/usr/lib/postfix/sbin/master", "/usr/lib/postfix/sbin/smtp"],
    });
  });
  it("counts Exim's own binary, and nothing else of /usr/sbin", () => {
    expect(inferMta([sock("listen", "/usr/sbin/exim4"), sock("outbound", "/usr/sbin/exim4"), sock("outbound", "/usr/sbin/other-mailer")])).toEqual({ kind: "exim", binaryPaths: ["/usr/sbin/exim4"] });
  });
  it("knows no MTA on a host that listens on no SMTP port", () => {
    expect(inferMta([sock("outbound", "/usr/bin/node")])).toEqual({ kind: "", binaryPaths: [] });
  });
});
