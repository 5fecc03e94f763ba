import { lookbackStart } from "../detect-context.js";
import type { Detector } from "../detector.js";
import type { FleetHost } from "../fleet-hosts.js";
import { uniqueStrings, type EvidenceRow, type Finding } from "../../vocabulary/finding.js";
import { IpNetworks } from "../../vocabulary/ip-networks.js";
import { dateTimeAt, inList, num, strings } from "../../store/clickhouse/sql.js";
import { z } from "zod";
import { cidr, count, minutes, port, ruleConfigSchema } from "../rule-config.js";
import { defineRule } from "../rule.js";
import { delistStep, onHosts } from "../remediation-steps.js";

/** detect.rules.directToMx: outbound SMTP connections from processes that are not the MTA. */
export const directToMxConfigSchema = ruleConfigSchema({
  /** Socket snapshots looked at, minutes. */
  lookbackMinutes: minutes(5),
  /** Remote ports that mean "talking to an MX". 587/465 are submission to a smarthost, not direct-to-MX. */
  remotePorts: z.array(port).min(1).default([25]),
  /** Executables counted as the MTA on every host, besides each host's own hosts.mta_binary_paths. */
  mtaExecutables: z.array(z.string().min(1)).default([]),
  /** Executables allowed to connect out to an MX (monitoring agents); matched exactly. */
  allowedExecutables: z.array(z.string().min(1)).default([]),
  /** Remote networks that are the fleet's own relays/smarthosts (connections to them are not direct-to-MX). */
  allowedRemoteNetworks: z.array(cidr).default([]),
  /** Executable path prefixes where no legitimate mailer lives. */
  suspiciousDirs: z.array(z.string().min(1)).default(["/tmp/", "/dev/shm/", "/var/tmp/", "/home/", "/run/user/"]),
  /** Process names that imitate an MTA (a spam tool calling itself sendmail). */
  mtaNames: z.array(z.string().min(1)).default(["sendmail", "smtpd", "smtp", "exim", "exim4", "postfix", "master", "qmgr", "sm-mta", "qmail-remote", "qmail-send"]),
  /** The same executable (sha256, else path) sending from this many hosts also raises a fleet incident. */
  fleetMinHosts: count(2),
});

type Config = z.output<typeof directToMxConfigSchema>;

/** Outbound SMTP sockets of one process in the lookback. */
export interface OutboundProcess {
  hostId: string;
  pid: number;
  ppid: number;
  user: string;
  comm: string;
  argv: string[];
  exe: string;
  exeDeleted: boolean;
  cwd: string;
  exeSha256: string;
  remotes: string[];
  remotePorts: number[];
  sockets: number;
  firstMs: number;
  lastMs: number;
}

/**
 * direct-to-mx: a process connecting out to an MX port (25) whose executable
 * is not one of the host's MTA executables (hosts.mta_binary_paths, plus
 * mtaExecutables from the config). One level more severe when the exe lives
 * in /tmp, /dev/shm, /var/tmp, a home folder, was deleted, or when the
 * process names itself like the MTA (sendmail, smtpd, exim...). The MTA's
 * own delivery agents (Postfix smtp, Exim) are in the MTA set and stay
 * silent. Connections to trusted networks, fleet hosts and
 * allowedRemoteNetworks (the fleet's smarthosts) are not direct-to-MX.
 * Subject: the executable and user (stable while the spammer forks new pids).
 */
export function directToMxDetector(config: Config): Detector {
  return {
    name: "direct-to-mx/process",
    rule: "direct-to-mx",
    async detect(ctx) {
      const fromMs = lookbackStart(ctx, config.lookbackMinutes);
      const rows = await ctx.store.query<Record<string, unknown>>(
        `SELECT host_id, pid, ppid, user, comm, argv, exe, exe_deleted, cwd, exe_sha256,
  arraySlice(groupUniqArray(remote_address), 1, 50) AS remotes, groupUniqArray(remote_port) AS remote_ports, count() AS sockets,
  min(first_seen_unix_ms) AS first_ms, max(last_seen_unix_ms) AS last_ms
FROM ${ctx.table("socket_snapshots")}
WHERE direction = 'outbound' AND remote_port IN ${inList(config.remotePorts)} AND pid != 0
  AND observed_at >= ${dateTimeAt(fromMs)} AND observed_at <= ${dateTimeAt(ctx.nowMs + 60_000)}
GROUP BY host_id, pid, ppid, user, comm, argv, exe, exe_deleted, cwd, exe_sha256`,
      );
      const processes = rows.map((r) => ({
        hostId: String(r.host_id),
        pid: num(r.pid),
        ppid: num(r.ppid),
        user: String(r.user),
        comm: String(r.comm),
        argv: strings(r.argv),
        exe: String(r.exe),
        exeDeleted: num(r.exe_deleted) === 1,
        cwd: String(r.cwd),
        exeSha256: String(r.exe_sha256),
        remotes: strings(r.remotes),
        remotePorts: strings(r.remote_ports).map(Number),
        sockets: num(r.sockets),
        firstMs: num(r.first_ms),
        lastMs: num(r.last_ms),
      }));
      const hostFindings = evaluateDirectToMx(processes, config, ctx.fleet, ctx.isFleetAddress);
      return [...hostFindings, ...fleetDirectToMx(hostFindings, config)];
    },
  };
}

/** Why a process is suspicious, or null when it is the MTA / allowed / talks only to the fleet. */
export function classifyProcess(p: OutboundProcess, config: Config, mtaExecutables: ReadonlySet<string>): { reasons: string[]; boost: number } | null {
  if (config.allowedExecutables.includes(p.exe)) return null;
  if (p.exe !== "" && mtaExecutables.has(p.exe)) return null;
  const reasons = ["exe is not one of the MTA's executables"];
  let boost = 0;
  const dir = config.suspiciousDirs.find((prefix) => p.exe.startsWith(prefix));
  if (dir) reasons.push(`exe under ${dir}`);
  if (p.exeDeleted) reasons.push("exe deleted while running");
  const argv0 = (p.argv[0] ?? "").split("/").pop() ?? "";
  const mimics = config.mtaNames.find((name) => name === p.comm || name === argv0);
  if (mimics) reasons.push(`process calls itself ${mimics} but is not the MTA`);
  if (dir || p.exeDeleted || mimics) boost = 1;
  return { reasons, boost };
}

/** Pure part: outbound processes → one host finding per (host, exe, user). */
export function evaluateDirectToMx(
  processes: readonly OutboundProcess[],
  config: Config,
  fleet: ReadonlyMap<string, FleetHost>,
  isFleetAddress: (ip: string) => boolean,
): Finding[] {
  const allowedRemote = new IpNetworks(config.allowedRemoteNetworks);
  const groups = new Map<string, { p: OutboundProcess; remotes: string[]; reasons: string[]; boost: number }[]>();
  for (const p of processes) {
    const mta = new Set([...(fleet.get(p.hostId)?.mtaBinaryPaths ?? []), ...config.mtaExecutables]);
    const verdict = classifyProcess(p, config, mta);
    if (verdict === null) continue;
    const remotes = p.remotes.filter((ip) => !isFleetAddress(ip) && !allowedRemote.has(ip));
    if (remotes.length === 0) continue;
    const key = `${p.hostId}\u0000${p.exe || `comm:${p.comm}`}\u0000${p.user}`;
    groups.set(key, [...(groups.get(key) ?? []), { p, remotes, ...verdict }]);
  }
  const findings: Finding[] = [];
  for (const procs of groups.values()) {
    procs.sort((a, b) => b.p.lastMs - a.p.lastMs);
    const latest = procs[0]!.p;
    const remotes = uniqueStrings(procs.flatMap((x) => x.remotes));
    const reasons = uniqueStrings(procs.flatMap((x) => x.reasons));
    const exe = latest.exe || `comm:${latest.comm}`;
    findings.push({
      rule: "direct-to-mx",
      scope: "host",
      scopeHost: latest.hostId,
      subject: `${exe} (user ${latest.user || "?"})`,
      check: "process",
      hosts: [latest.hostId],
      severityBoost: Math.max(...procs.map((x) => x.boost)),
      firstSeenMs: Math.min(...procs.map((x) => x.p.firstMs)),
      lastSeenMs: Math.max(...procs.map((x) => x.p.lastMs)),
      summary: `pid ${latest.pid} ${latest.comm} (${exe}${latest.exeDeleted ? " (deleted)" : ""}, user ${latest.user}, cwd ${latest.cwd}) connected to ${remotes.length} MX addresses on port 25: ${reasons.slice(1).join("; ") || reasons[0]}`,
      counts: { processes: procs.length, sockets: procs.reduce((s, x) => s + x.p.sockets, 0), remote_addresses: remotes.length },
      details: {
        pid: latest.pid,
        pids: uniqueStrings(procs.map((x) => String(x.p.pid))).map(Number),
        ppid: latest.ppid,
        user: latest.user,
        comm: latest.comm,
        exe: latest.exe,
        exe_deleted: latest.exeDeleted,
        cwd: latest.cwd,
        argv: latest.argv,
        exe_sha256: latest.exeSha256,
        remote_addresses: remotes.slice(0, 50),
        reasons,
      },
      evidence: {
        rows: procs.slice(0, 20).map(
          (x): EvidenceRow => ({
            table: "socket_snapshots",
            host_id: x.p.hostId,
            at_unix_ms: x.p.firstMs,
            values: { pid: x.p.pid, ppid: x.p.ppid, user: x.p.user, comm: x.p.comm, exe: x.p.exe, exe_deleted: x.p.exeDeleted ? 1 : 0, cwd: x.p.cwd, argv: x.p.argv, remote_addresses: x.remotes.slice(0, 10), sockets: x.p.sockets, last_seen_unix_ms: x.p.lastMs },
          }),
        ),
        sample_lines: [],
        queue_ids: [],
        message_ids: [],
      },
    });
  }
  return findings;
}

/** Fleet part: the same executable (by sha256 when known, else by path) sending from fleetMinHosts hosts. */
export function fleetDirectToMx(hostFindings: readonly Finding[], config: Config): Finding[] {
  const groups = new Map<string, Finding[]>();
  for (const f of hostFindings) {
    const sha = String(f.details.exe_sha256 ?? "");
    const key = sha !== "" ? `sha256:${sha}` : String(f.details.exe ?? "");
    if (key === "") continue;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  const out: Finding[] = [];
  for (const [key, group] of groups) {
    const hosts = uniqueStrings(group.map((f) => f.scopeHost)).sort();
    if (hosts.length < config.fleetMinHosts) continue;
    out.push({
      rule: "direct-to-mx",
      scope: "fleet",
      scopeHost: "",
      subject: key,
      check: "fleet-same-exe",
      hosts,
      severityBoost: 1,
      firstSeenMs: Math.min(...group.map((f) => f.firstSeenMs)),
      lastSeenMs: Math.max(...group.map((f) => f.lastSeenMs)),
      summary: `the same executable (${key}) sends direct to MX from ${hosts.length} hosts: ${hosts.slice(0, 5).join(", ")}`,
      counts: { hosts: hosts.length, processes: group.reduce((s, f) => s + (f.counts.processes ?? 0), 0) },
      details: { exe_paths: uniqueStrings(group.map((f) => String(f.details.exe ?? ""))), exe_sha256: String(group[0]!.details.exe_sha256 ?? ""), per_host: group.map((f) => ({ host: f.scopeHost, pid: f.details.pid, exe: f.details.exe, user: f.details.user, cwd: f.details.cwd })) },
      evidence: { rows: group.flatMap((f) => f.evidence.rows).slice(0, 20), sample_lines: [], queue_ids: [], message_ids: [] },
    });
  }
  return out;
}

/** direct-to-mx: a process that is not the MTA talking SMTP to outside MX hosts. */
export const directToMxRule = defineRule({
  name: "direct-to-mx",
  configKey: "directToMx",
  configSchema: directToMxConfigSchema,
  severity: "high",
  detectors: (config) => [directToMxDetector(config)],
  remediation(f) {
    const d = f.details;
    const on = onHosts(f);
    const pid = typeof d.pid === "number" ? d.pid : undefined;
    return [
      `Inspect the process${on}: \`lsof -Pnp ${pid ?? "<PID>"}\` — its cwd and txt lines show where the script lives${typeof d.cwd === "string" && d.cwd ? ` (cwd ${d.cwd})` : ""} [guide: inspectez les processus suspects avec lsof].`,
      `List the other outbound SMTP connections: \`lsof -Pni tcp:25\` and \`lsof -Pni tcp:587\` [guide: vérifiez à l'aide de lsof les connexions sortantes].`,
      `This process is not the MTA even if it is called ${String(d.comm ?? "sendmail")}: spammers name their tools smtpd or sendmail on purpose. Save a copy of ${String(d.exe ?? "the executable")} (sha256 ${String(d.exe_sha256 || "unknown")}) for analysis, then stop it (\`kill -STOP ${pid ?? "<PID>"}\`, then kill) — never kill the real MTA [guide: faites preuve de prudence avant de tuer].`,
      `Find how it got there (the web account ${String(d.user ?? "")}'s sites, cron jobs, uploads) and secure the site [guide step 3.2: site Web compromis].`,
      delistStep(f),
    ];
  },
  doc: [
    {
      check: "process",
      data: "socket_snapshots outbound to port 25, hosts.mta_binary_paths",
      firesWhen:
        "exe not one of the host's MTA executables (+ `mtaExecutables`), not in `allowedExecutables`, talking to an address outside the fleet / `allowedRemoteNetworks`. One level up when the exe is under /tmp, /dev/shm, /var/tmp, /home, /run/user, deleted, or the process calls itself sendmail/smtpd/exim/postfix/...",
      subject: "`exe (user U)`; details name pid(s), ppid, comm, argv, cwd, sha256, MX addresses",
    },
    { check: "fleet-same-exe (fleet)", data: "the host findings", firesWhen: "the same exe sha256 (else path) on ≥ 2 hosts", subject: "`sha256:<hash>`" },
  ],
});
