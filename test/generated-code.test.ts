import { execFile } from "node:child_process";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "./setup/cli-process.js";

const run = promisify(execFile);

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort();
}

describe("generated protobuf code", () => {
  let out: string | undefined;
  afterAll(async () => {
    if (out) await rm(out, { recursive: true, force: true });
  });

  it("is what `buf generate` produces from proto/ (regenerate with `npm run generate`)", async () => {
    out = await mkdtemp(join(tmpdir(), "spamtrace-gen-"));
    const template = JSON.stringify({
      version: "v2",
      inputs: [{ directory: "proto" }],
      plugins: [{ local: join(REPO_ROOT, "node_modules/.bin/protoc-gen-es"), out, opt: ["target=ts", "import_extension=js"] }],
    });
    await run(join(REPO_ROOT, "node_modules/.bin/buf"), ["lint"], { cwd: REPO_ROOT });
    await run(join(REPO_ROOT, "node_modules/.bin/buf"), ["generate", "--template", template], { cwd: REPO_ROOT });
    const committed = join(REPO_ROOT, "shared/gen");
    const fresh = await listFiles(out);
    expect(fresh).toEqual(await listFiles(committed));
    expect(fresh.length).toBeGreaterThan(0);
    for (const file of fresh) {
      expect(await readFile(join(committed, file), "utf8"), `shared/gen/${file} is stale: run npm run generate`).toBe(await readFile(join(out, file), "utf8"));
    }
  });
});
