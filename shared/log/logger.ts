import { pino, type Logger } from "pino";

/**
 * Root structured logger (JSON lines on stderr so stdout stays free for
 * command output). Level from SPAMTRACE_LOG_LEVEL (default "info");
 * SPAMTRACE_DEBUG=grpc,store turns on debug for the named modules only.
 */
const root: Logger = pino(
  { level: "trace", base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime },
  pino.destination({ fd: 2, sync: true }),
);

const defaultLevel = process.env.SPAMTRACE_LOG_LEVEL ?? "info";
const debugModules = new Set((process.env.SPAMTRACE_DEBUG ?? "").split(",").map((s) => s.trim()).filter(Boolean));

/** A child logger carrying `module`; ERROR means data loss or operator action. */
export function moduleLogger(module: string): Logger {
  const level = debugModules.has(module) || debugModules.has("*") ? "debug" : defaultLevel;
  return root.child({ module }, { level });
}

export type { Logger };
