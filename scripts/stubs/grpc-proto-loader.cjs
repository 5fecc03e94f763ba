// Stands in for @grpc/proto-loader in the probe bundle (scripts/probe-build-plugins.ts):
// grpc-js loads it only for the channelz and ORCA services of a gRPC server.
"use strict";
exports.loadSync = function loadSync(file) {
  throw new Error(`@grpc/proto-loader is not in the spamtrace probe bundle (asked to load ${file}): channelz and ORCA are server-side services`);
};
