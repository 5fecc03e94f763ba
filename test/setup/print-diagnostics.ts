// Integration setup file: after a failed test, print what the labs it ran
// registered (test/setup/failure-diagnostics.ts), and keep a short copy for
// the digest the global teardown prints at the very end of the run.
import { afterAll, beforeEach, type RunnerTestFile, type RunnerTestSuite } from "vitest";
import { collectDiagnostics, recordFailure } from "./failure-diagnostics.js";

beforeEach((context) => {
  context.onTestFailed(async () => {
    const text = await collectDiagnostics();
    if (text !== "") console.error(`diagnostics of "${context.task.name}":\n${text}`);
    await recordFailure(context.task.file.filepath, context.task.name);
  });
});

// A failed beforeAll (a lab that did not start) fails no test: its file's suite carries the error.
// vitest requires the fixture argument to be destructured, even when unused.
afterAll(async ({}, file) => {
  for (const suite of failedSuites(file)) {
    await recordFailure(file.file.filepath, `${suite.name}: ${suite.result?.errors?.[0]?.message?.split("\n")[0] ?? "suite failed"}`, `${suite.id} hooks`);
  }
});

function failedSuites(suite: Readonly<RunnerTestSuite | RunnerTestFile>): Array<Readonly<RunnerTestSuite | RunnerTestFile>> {
  const own = (suite.result?.errors?.length ?? 0) > 0 ? [suite] : [];
  return [...own, ...suite.tasks.flatMap((t) => (t.type === "suite" ? failedSuites(t) : []))];
}
