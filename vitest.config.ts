import { defineConfig } from "vitest/config";

// One config, two suites: `unit` (beside the sources, no network, no services)
// and `integration` (test/, real services started by the setup).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["shared/**/*.test.ts", "probe/**/*.test.ts", "collector/**/*.test.ts"],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/**/*.test.ts"],
          globalSetup: ["test/setup/global-setup.ts"],
          // After a failed test, the output and logs of the processes it ran (CI keeps only the test output).
          setupFiles: ["test/setup/print-diagnostics.ts"],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
