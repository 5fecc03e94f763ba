// Build-time substitutions that keep the probe bundle small (`npm run build`).
// Each one drops code the probe never runs; the figures are in bench/README.md.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Plugin } from "esbuild";
import { REPO_ROOT } from "./package-info.js";

const STUBS = join(REPO_ROOT, "scripts/stubs");

/**
 * zod's index modules re-export every locale (`export * as locales`), about
 * 258 KiB minified, while the probe's errors are formatted in English by
 * shared/config/format-config-issue.ts. The locale index zod imports is
 * replaced by one that exports only `en` (the one zod itself configures at
 * load): `z.locales.en` still works, any other locale is absent.
 */
export const zodEnglishOnly: Plugin = {
  name: "zod-english-only",
  setup(build) {
    const enLocale = join(dirname(createRequire(join(REPO_ROOT, "package.json")).resolve("zod/v4/locales/en.js")), "en.js");
    build.onResolve({ filter: /\/locales\/index\.js$/ }, (args) => {
      if (!/node_modules[\\/]zod[\\/]/.test(args.importer)) return undefined;
      return { path: "zod-locales-en-only", namespace: "spamtrace-stub" };
    });
    build.onLoad({ filter: /^zod-locales-en-only$/, namespace: "spamtrace-stub" }, () => ({
      contents: `export { default as en } from ${JSON.stringify(enLocale)};\n`,
      resolveDir: REPO_ROOT,
      loader: "js",
    }));
  },
};

/**
 * @grpc/grpc-js requires @grpc/proto-loader (and with it protobufjs, long,
 * lodash.camelcase: about 140 KiB minified) only to load the channelz and
 * ORCA service definitions, which a grpc-js SERVER registers on demand. The
 * probe is a client and registers neither; the stub throws if that changes.
 */
export const grpcWithoutProtoLoader: Plugin = {
  name: "grpc-without-proto-loader",
  setup(build) {
    build.onResolve({ filter: /^@grpc\/proto-loader$/ }, () => ({ path: join(STUBS, "grpc-proto-loader.cjs") }));
  },
};

/** The substitutions applied to the probe bundle. */
export const PROBE_BUILD_PLUGINS: Plugin[] = [zodEnglishOnly, grpcWithoutProtoLoader];
