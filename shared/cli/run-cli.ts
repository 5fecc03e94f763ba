import type { Command } from "commander";
import { ConfigError } from "../config/config-error.js";

/** Exit status for a bad configuration or bad arguments. */
export const EXIT_CONFIG = 2;
/** Exit status for a runtime failure. */
export const EXIT_FAILURE = 1;

/** Parses argv and runs the chosen command; errors print one line to stderr and set the exit status. */
export async function runCli(program: Command, argv: readonly string[] = process.argv): Promise<void> {
  await runMain(program.name(), () => program.parseAsync([...argv]));
}

/**
 * Runs a command's body (no CLI framework needed: the probe bundle parses
 * its arguments with node:util); errors print one line "<name>: message" to
 * stderr and set the exit status. Never rejects.
 */
export async function runMain(name: string, main: () => Promise<unknown>): Promise<void> {
  // `spamtrace parse-log big.log | head`: a closed pipe ends the command quietly.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(0);
    throw error;
  });
  try {
    await main();
  } catch (error) {
    const config = error instanceof ConfigError;
    process.stderr.write(`${name}: ${(error as Error).message}\n`);
    process.exitCode = config ? EXIT_CONFIG : EXIT_FAILURE;
  }
}

/** Resolves when SIGINT or SIGTERM arrives. */
export function waitForShutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
}
