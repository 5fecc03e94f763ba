import type { RuleConfigs } from "../detect-config.js";
import { lookbackStart } from "../detect-context.js";
import type { Detector } from "../detector.js";
import type { FleetHost } from "../fleet-hosts.js";
import { uniqueStrings, type EvidenceRow, type Finding } from "../finding.js";
import { IpNetworks } from "../ip-networks.js";
import { dateTimeAt, inList, num, strings } from "../sql.js";

type Config = RuleConfigs["directToMx"];

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
