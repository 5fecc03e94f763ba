import { ensureDebianPackages } from "./apt-packages.js";
import { installClickHouseServer } from "./clickhouse-server.js";

/**
 * Installs the real services the integration tests start: lsof (the probe's
 * fallback socket source, compared against /proc) and Debian's
 * clickhouse-server 18.16. Each test file starts and stops its own servers
 * on loopback ports of their own.
 */
export default async function globalSetup(): Promise<void> {
  await ensureDebianPackages([{ name: "lsof", marker: "/usr/bin/lsof" }]);
  await installClickHouseServer();
}
