// Build-time substitutions that keep the probe bundle small (`npm run build`).
// Each one drops code the probe never runs; the figures are in bench/README.md.
// (The probe validates its config with valibot, not zod: no zod locale stub is needed; build-bundles.ts
// refuses a probe bundle that carries zod.)
import { join } from "node:path";
import type { Plugin } from "esbuild";
import { REPO_ROOT } from "./package-info.js";

const STUBS = join(REPO_ROOT, "scripts/stubs");

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
export const PROBE_BUILD_PLUGINS: Plugin[] = [grpcWithoutProtoLoader];
