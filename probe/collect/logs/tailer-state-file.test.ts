import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadTailerState, saveTailerState, type TailerState } from "./tailer-state-file.js";

const dirs: string[] = [];
afterEach(async () => {
  while (dirs.length > 0) await rm(dirs.pop() ?? "", { recursive: true, force: true });
});

async function tmp(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "spamtrace-state-"));
  dirs.push(dir);
  return dir;
}

const STATE: TailerState = {
  version: 1,
  path: "/var/log/mail.log",
  cursor: {
    sourcePath: "/var/log/mail.log",
    dev: "65024",
    ino: "18446744073709551615",
    birth: "1795945309090785015",
    compressed: false,
    offset: 1234,
    headLength: 256,
    headSha256: "ab".repeat(32),
    observedAtUnixMs: 1795945309090,
  },
  finished: [{ length: 256, sha256: "cd".repeat(32) }],
  updatedAtUnixMs: 1795945309100,
};

describe("tailer state file", () => {
  it("round-trips and leaves no temporary file", async () => {
    const dir = await tmp();
    const path = join(dir, "mail.log.cursor.json");
    await saveTailerState(path, STATE);
    await saveTailerState(path, { ...STATE, cursor: { ...STATE.cursor, offset: 5678 } });
    expect(await loadTailerState(path)).toEqual({ state: { ...STATE, cursor: { ...STATE.cursor, offset: 5678 } } });
    expect(await readdir(dir)).toEqual(["mail.log.cursor.json"]);
    expect(JSON.parse(await readFile(path, "utf8")).cursor.ino).toBe("18446744073709551615");
  });

  it.each([
    { name: "missing", content: null, problem: "missing" },
    { name: "not JSON", content: "{", problem: /is not JSON: / },
    { name: "another version", content: JSON.stringify({ ...STATE, version: 2 }), problem: /does not hold a version 1 tailer state$/ },
    { name: "a negative offset", content: JSON.stringify({ ...STATE, cursor: { ...STATE.cursor, offset: -1 } }), problem: /does not hold a version 1 tailer state$/ },
  ])("reports $name", async ({ content, problem }) => {
    const dir = await tmp();
    const path = join(dir, "state.json");
    if (content !== null) await writeFile(path, content);
    const loaded = await loadTailerState(path);
    expect(loaded.state).toBeNull();
    if (loaded.state === null) {
      if (typeof problem === "string") expect(loaded.problem).toBe(problem);
      else expect(loaded.problem).toMatch(problem);
    }
  });

  it("accepts a cursor saved before birth and observedAtUnixMs existed", async () => {
    const dir = await tmp();
    const path = join(dir, "state.json");
    const { birth: _b, observedAtUnixMs: _o, ...oldCursor } = STATE.cursor;
    await writeFile(path, JSON.stringify({ ...STATE, cursor: oldCursor }));
    expect(await loadTailerState(path)).toEqual({ state: { ...STATE, cursor: { ...STATE.cursor, birth: "0", observedAtUnixMs: 0 } } });
  });

  it("accepts a state without the finished list", async () => {
    const dir = await tmp();
    const path = join(dir, "state.json");
    const { finished: _, ...withoutFinished } = STATE;
    await writeFile(path, JSON.stringify(withoutFinished));
    expect(await loadTailerState(path)).toEqual({ state: { ...STATE, finished: [] } });
  });
});
