// Integration setup file: after a failed test, print what the labs it ran
// registered (test/setup/failure-diagnostics.ts).
import { beforeEach } from "vitest";
import { collectDiagnostics } from "./failure-diagnostics.js";

beforeEach((context) => {
  context.onTestFailed(async () => {
    const text = await collectDiagnostics();
    if (text !== "") console.error(`diagnostics of "${context.task.name}":\n${text}`);
  });
});
