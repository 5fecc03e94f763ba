import { readFileSync } from "node:fs";
import { hostname, networkInterfaces, release, uptime } from "node:os";

/** What the probe tells the collector about its host in Hello. */
export interface HostInfo {
  /** Stable host id: from config, else /etc/machine-id, else the hostname. */
  hostId: string;
  hostname: string;
  /** Non-loopback, non-link-local addresses. */
  ipAddresses: string[];
  /** PRETTY_NAME from /etc/os-release, or "unknown". */
  os: string;
  /** Kernel release. */
  kernel: string;
  /** Boot time, ms since the Unix epoch. */
  bootTimeUnixMs: number;
}

/** Reads host facts; never throws (unknown values get a placeholder). */
export function readHostInfo(configuredHostId: string | undefined): HostInfo {
  return {
    hostId: configuredHostId ?? readMachineId() ?? hostname(),
    hostname: hostname(),
    ipAddresses: Object.values(networkInterfaces())
      .flatMap((list) => list ?? [])
      .filter((a) => !a.internal && !a.address.startsWith("fe80:"))
      .map((a) => a.address),
    os: readOsName(),
    kernel: release(),
    bootTimeUnixMs: Math.round(Date.now() - uptime() * 1000),
  };
}

function readMachineId(): string | undefined {
  try {
    const id = readFileSync("/etc/machine-id", "utf8").trim();
    return /^[0-9a-f]{32}$/.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

function readOsName(): string {
  try {
    const match = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync("/etc/os-release", "utf8"));
    return match?.[1] ?? "unknown";
  } catch {
    return "unknown";
  }
}
