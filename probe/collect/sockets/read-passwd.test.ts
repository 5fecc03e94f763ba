import { mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PasswdCache, parsePasswd } from "./read-passwd.js";

describe("parsePasswd", () => {
  it.each([
    {
      name: "Debian-style file",
      input: "root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
      output: [[0, "root"], [33, "www-data"], [65534, "nobody"]],
    },
    {
      name: "first entry wins for a duplicated uid (toor)",
      input: "root:x:0:0::/root:/bin/sh\ntoor:x:0:0::/root:/bin/sh\n",
      output: [[0, "root"]],
    },
    {
      name: "comments, NIS markers, short and bad lines are ignored",
      input: "# comment\n+@netgroup::::::\n-baduser:::::\nshort\nbad:x:abc:1::/:/bin/sh\n:x:5:5::/:/bin/sh\nmail:x:8:8:mail:/var/mail:/usr/sbin/nologin",
      output: [[8, "mail"]],
    },
  ])("$name", ({ input, output }) => {
    expect([...parsePasswd(input)]).toEqual(output);
  });
});

describe("PasswdCache", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "spamtrace-passwd-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("looks up names, re-reads a changed file after recheckMs, and never throws", async () => {
    const path = join(dir, "passwd");
    await writeFile(path, "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n");
    const fresh = new PasswdCache({ path, recheckMs: 0 });
    const stale = new PasswdCache({ path, recheckMs: 3_600_000 });
    expect(await fresh.userName(1000)).toBe("alice");
    expect(await stale.userName(1000)).toBe("alice");
    expect(await fresh.userName(1001)).toBeNull();
    expect(await fresh.userName(null)).toBeNull();

    await writeFile(path, "root:x:0:0::/root:/bin/sh\nbob:x:1000:1000::/home/bob:/bin/sh\n");
    await utimes(path, new Date(), new Date(Date.now() + 5_000));
    expect(await fresh.userName(1000)).toBe("bob");
    expect(await stale.userName(1000)).toBe("alice");

    await rm(path);
    expect(await fresh.userName(0)).toBeNull();
  });

  it("returns null for every uid when the file does not exist", async () => {
    expect(await new PasswdCache({ path: join(dir, "missing") }).userName(0)).toBeNull();
  });
});

describe("PasswdCache concurrency", () => {
  it("answers concurrent first lookups from the loaded file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "spamtrace-passwd-"));
    try {
      await writeFile(join(dir, "passwd"), "root:x:0:0::/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n");
      const cache = new PasswdCache({ path: join(dir, "passwd") });
      expect(await Promise.all([cache.userName(0), cache.userName(65534), cache.userName(0)])).toEqual(["root", "nobody", "root"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
