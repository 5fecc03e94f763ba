// The classic log summarisers bench:parse compares parse-log with: Debian's
// pflogsumm and eximstats (exim4-base), taken from PATH when installed, else
// `apt-get download` + `dpkg -x` into /var/cache/spamtrace-test (installing
// exim4-base would replace Postfix; unpacking conflicts with nothing).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { EXIM_CACHE_DIR } from "../test/setup/mta/exim-lab.js";
import { unpackDebs } from "../test/setup/unpack-debs.js";

const CACHE = "/var/cache/spamtrace-test";

/** A command to run a Perl tool, with the environment it needs. */
export interface ClassicTool {
  /** argv before the log file. */
  argv: string[];
  /** PERL5LIB for unpacked Perl modules ("" when installed). */
  perl5lib: string;
  /** Where it came from, for the printed figures. */
  origin: string;
}

function onPath(name: string): string {
  return spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).stdout.trim();
}

/** The Perl module folders of an unpacked root (arch-dependent ones include the Perl version). */
function perlLib(root: string): string {
  const dirs = [join(root, "usr/share/perl5")];
  const archDir = join(root, "usr/lib/x86_64-linux-gnu/perl5");
  if (existsSync(archDir)) for (const v of readdirSync(archDir)) dirs.push(join(archDir, v));
  return dirs.join(":");
}

/** pflogsumm (needs Date::Calc, which needs Bit::Vector and Carp::Clan). */
export async function pflogsumm(): Promise<ClassicTool> {
  const installed = onPath("pflogsumm");
  if (installed) return { argv: [installed], perl5lib: "", origin: installed };
  const cache = join(CACHE, "pflogsumm");
  const root = join(cache, "root");
  if (!existsSync(join(root, "usr/sbin/pflogsumm"))) await unpackDebs(["pflogsumm", "libdate-calc-perl", "libbit-vector-perl", "libcarp-clan-perl"], cache);
  return { argv: ["perl", join(root, "usr/sbin/pflogsumm")], perl5lib: perlLib(root), origin: `${root}/usr/sbin/pflogsumm (dpkg -x)` };
}

/** eximstats of exim4-base (the Exim lab's unpacked copy when there). */
export async function eximstats(): Promise<ClassicTool> {
  const installed = onPath("eximstats");
  if (installed) return { argv: [installed], perl5lib: "", origin: installed };
  for (const cache of [EXIM_CACHE_DIR, join(CACHE, "eximstats")]) {
    const path = join(cache, "root/usr/sbin/eximstats");
    if (existsSync(path)) return { argv: ["perl", path], perl5lib: "", origin: `${path} (dpkg -x)` };
  }
  const cache = join(CACHE, "eximstats");
  await unpackDebs(["exim4-base"], cache);
  const path = join(cache, "root/usr/sbin/eximstats");
  return { argv: ["perl", path], perl5lib: "", origin: `${path} (dpkg -x)` };
}
