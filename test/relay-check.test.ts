// The active relay check against a tiny fake SMTP server on loopback (answers
// 250 or 554 to RCPT TO and records every command), the fleet allow-list,
// the concurrency cap, the CLI, the scheduled variant — and against the real
// Postfix lab (test/setup/mta/postfix-lab.ts), open and closed.
import net from "node:net";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { relayCheckFinding, startScheduledRelayCheck } from "../collector/relay-check/scheduled-relay-check.js";
import { RelayCheckRefused, runRelayChecks } from "../collector/relay-check/relay-check.js";
import { relayCheckConfigSchema, type RelayCheckConfig } from "../collector/relay-check/relay-check-config.js";
import { EXIT_OPEN_RELAY, registerRelayCheckCommand } from "../collector/relay-check/register-relay-check-command.js";
import { startPostfixLab, type PostfixLab } from "./setup/mta/postfix-lab.js";

/** A fake SMTP server: relays (250) or refuses (554) outside recipients, records commands and concurrency. */
async function startFakeSmtp(opts: { relay: boolean; greetingDelayMs?: number; host?: string }) {
  const commands: string[] = [];
  let open = 0;
  let maxOpen = 0;
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    open++;
    maxOpen = Math.max(maxOpen, open);
    // A dialogue ends at QUIT: the socket's close may be seen after the client already started its next check.
    let ended = false;
    const end = () => {
      if (!ended) open--;
      ended = true;
    };
    socket.on("close", end);
    socket.on("error", () => undefined);
    let buffer = "";
    const reply = (line: string) => socket.write(`${line}\r\n`);
    setTimeout(() => reply("220 fake.test ESMTP"), opts.greetingDelayMs ?? 0);
    socket.on("data", (chunk) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf("\r\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 2);
        commands.push(line);
        const verb = line.split(/[ :]/)[0]!.toUpperCase();
        if (verb === "EHLO") socket.write("250-fake.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n");
        else if (verb === "MAIL") reply("250 2.1.0 Ok");
        else if (verb === "RCPT") reply(opts.relay ? "250 2.1.5 Ok" : "554 5.7.1 <x>: Relay access denied");
        else if (verb === "RSET") reply("250 2.0.0 Ok");
        else if (verb === "QUIT") {
          end();
          reply("221 2.0.0 Bye");
          socket.end();
        } else if (verb === "DATA") reply("354 go ahead (the check must never get here)");
        else reply("502 5.5.2 Error: command not recognized");
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, opts.host ?? "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    commands,
    connections: () => connections,
    maxOpen: () => maxOpen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const config = (over: Partial<RelayCheckConfig> = {}): RelayCheckConfig =>
  relayCheckConfigSchema.parse({ allowedTargets: ["127.0.0.0/8"], heloName: "checker.test", timeoutMs: 3_000, ...over });

describe("relay-check against a fake SMTP server", () => {
  let open: Awaited<ReturnType<typeof startFakeSmtp>>;
  let closed: Awaited<ReturnType<typeof startFakeSmtp>>;
  beforeAll(async () => {
    open = await startFakeSmtp({ relay: true });
    closed = await startFakeSmtp({ relay: false });
  });
  afterAll(async () => {
    await open?.close();
    await closed?.close();
  });

  it("reports an open relay with the accepted recipients and the replies, never sending DATA", async () => {
    const [r] = await runRelayChecks([`127.0.0.1:${open.port}`], config());
    expect(r).toMatchObject({ verdict: "open", address: "127.0.0.1", port: open.port, acceptedRecipients: ["relay-check@example.net", "relay-check@example.org"] });
    expect(r!.transcript.map((t) => [t.command, t.code])).toEqual([
      ["", 220],
      ["EHLO checker.test", 250],
      ["MAIL FROM:<relay-check@example.com>", 250],
      ["RCPT TO:<relay-check@example.net>", 250],
      ["RCPT TO:<relay-check@example.org>", 250],
      ["RSET", 250],
      ["QUIT", 221],
    ]);
    expect(r!.transcript[1]!.reply).toBe("250-fake.test\n250-PIPELINING\n250 8BITMIME");
    expect(open.commands).not.toContain("DATA");
    expect(open.commands.slice(-2)).toEqual(["RSET", "QUIT"]);
  });

  it("reports a closed relay with the server's 554 replies", async () => {
    const [r] = await runRelayChecks([`127.0.0.1:${closed.port}`], config());
    expect(r).toMatchObject({ verdict: "closed", acceptedRecipients: [] });
    expect(r!.transcript.filter((t) => t.command.startsWith("RCPT")).map((t) => t.reply)).toEqual(["554 5.7.1 <x>: Relay access denied", "554 5.7.1 <x>: Relay access denied"]);
    expect(closed.commands).not.toContain("DATA");
  });

  it("refuses targets outside relayCheck.allowedTargets without contacting any", async () => {
    const before = open.connections();
    await expect(runRelayChecks([`127.0.0.1:${open.port}`, "192.0.2.1:25"], config())).rejects.toThrow(
      new RelayCheckRefused("refusing to check targets outside the fleet: 192.0.2.1 is not in relayCheck.allowedTargets"),
    );
    await expect(runRelayChecks([`127.0.0.1:${open.port}`], config({ allowedTargets: [] }))).rejects.toThrow(RelayCheckRefused);
    const resolver = async (host: string) => (host === "mx.fleet.test" ? ["127.0.0.1"] : ["203.0.113.9"]);
    await expect(runRelayChecks([`outside.example:${open.port}`], config(), resolver)).rejects.toThrow(
      "refusing to check targets outside the fleet: outside.example resolves to 203.0.113.9, not in relayCheck.allowedTargets",
    );
    expect(open.connections()).toBe(before);
    // A name resolving inside the fleet networks, or listed itself, is checked at the vetted address.
    const [byNetwork] = await runRelayChecks([`mx.fleet.test:${open.port}`], config(), resolver);
    expect(byNetwork).toMatchObject({ verdict: "open", address: "127.0.0.1" });
    const [byName] = await runRelayChecks([`mx.fleet.test:${open.port}`], config({ allowedTargets: [".fleet.test"] }), resolver);
    expect(byName).toMatchObject({ verdict: "open", address: "127.0.0.1" });
  });

  it("caps concurrency with p-limit", async () => {
    const slow = await startFakeSmtp({ relay: false, greetingDelayMs: 150 });
    try {
      const results = await runRelayChecks(Array.from({ length: 6 }, () => `127.0.0.1:${slow.port}`), config({ concurrency: 2 }));
      expect(results.map((r) => r.verdict)).toEqual(Array(6).fill("closed"));
      expect(slow.connections()).toBe(6);
      expect(slow.maxOpen()).toBeLessThanOrEqual(2);
    } finally {
      await slow.close();
    }
  });

  it("reports an unreachable target as undecided", async () => {
    const port = open.port;
    await open.close();
    const [r] = await runRelayChecks([`127.0.0.1:${port}`], config());
    expect(r!.verdict).toBe("error");
    expect(r!.error).toMatch(/ECONNREFUSED/);
    open = await startFakeSmtp({ relay: true });
  });

  it("the CLI prints the verdicts and exits 3 for an open relay, 2 for a target outside the fleet", async () => {
    const program = new Command("spamtrace").exitOverride();
    registerRelayCheckCommand(program, { loadRelayCheckConfig: () => config() });
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    const exitCode = process.exitCode;
    try {
      await program.parseAsync(["node", "spamtrace", "relay-check", `127.0.0.1:${open.port}`, `127.0.0.1:${closed.port}`]);
      const text = out.join("");
      expect(text).toContain(`127.0.0.1:${open.port} (127.0.0.1:${open.port}): OPEN — accepted relay-check@example.net, relay-check@example.org`);
      expect(text).toContain(`127.0.0.1:${closed.port} (127.0.0.1:${closed.port}): CLOSED`);
      expect(text).toContain("  < 554 5.7.1 <x>: Relay access denied");
      expect(text).toContain("2 checked: 1 open, 1 closed, 0 undecided");
      expect(process.exitCode).toBe(EXIT_OPEN_RELAY);
      process.exitCode = exitCode;
      out.length = 0;
      await program.parseAsync(["node", "spamtrace", "relay-check", "--json", `127.0.0.1:${closed.port}`]);
      expect((JSON.parse(out.join("")) as { verdict: string }[]).map((r) => r.verdict)).toEqual(["closed"]);
      await expect(program.parseAsync(["node", "spamtrace", "relay-check", "198.51.100.7"])).rejects.toMatchObject({ name: "ConfigError", key: "relayCheck.allowedTargets" });
    } finally {
      spy.mockRestore();
      process.exitCode = exitCode;
    }
  });

  it("the scheduled variant runs the configured targets and turns open ones into open-relay findings", async () => {
    const got: string[] = [];
    const scheduled = startScheduledRelayCheck({
      config: config({ schedule: { enabled: false, intervalMinutes: 60, targets: [`127.0.0.1:${open.port}`, `127.0.0.1:${closed.port}`] } }),
      onResults: (results) => {
        for (const r of results) got.push(r.verdict);
      },
    });
    const results = await scheduled.runOnce();
    await scheduled.stop();
    expect(got).toEqual(["open", "closed"]);
    const finding = relayCheckFinding(results![0]!, "mx-1");
    expect(finding).toMatchObject({ rule: "open-relay", scope: "host", scopeHost: "mx-1", subject: "mx-1", check: "active" });
    expect(finding.details.listeners).toEqual([`127.0.0.1:${open.port}`]);
    expect(finding.evidence.sample_lines[3]).toBe("> RCPT TO:<relay-check@example.net>\n< 250 2.1.5 Ok");
  });
});

describe("relay-check against the Postfix lab", () => {
  let lab: PostfixLab;
  // The lab trusts 127.0.0.1 and its own address (mynetworks); the check connects from another loopback address, as an outsider.
  const outsider = "127.0.0.99";
  beforeAll(async () => {
    // A lab folder and address of its own: other suites may run their Postfix lab at the same time.
    lab = await startPostfixLab({ labDir: "/var/lib/spamtrace-test/postfix-lab-relay-check", smtpHost: "127.0.0.37" });
  });
  afterAll(async () => {
    await lab?.stop();
  });

  const check = async () => (await runRelayChecks([`${lab.smtpHost}:${lab.smtpPort}`], config({ localAddress: outsider, timeoutMs: 15_000 })))[0]!;

  it("reports closed while mynetworks is correct, open once it is 0.0.0.0/0, closed again after the fix", async () => {
    const before = await check();
    expect(before.verdict).toBe("closed");
    expect(before.transcript.find((t) => t.command.startsWith("RCPT"))!.reply).toMatch(/^[45]54 .*Relay access denied/);

    await lab.setOpenRelay(true);
    const opened = await check();
    expect(opened.verdict).toBe("open");
    expect(opened.acceptedRecipients).toEqual(["relay-check@example.net", "relay-check@example.org"]);

    await lab.setOpenRelay(false);
    expect((await check()).verdict).toBe("closed");
  });
});
