import { addColumnStatement } from "./dialect.js";
import type { Migration } from "./migrations.js";
import { tableName } from "./sql-literal.js";

/**
 * Migration 6 (4 and 5 are taken by the DNSBL and remediation tables of
 * another branch): `mail_windows.distinct_failed_client_ips`, the addresses
 * that only failed to log in as an identity, now counted apart from
 * `distinct_client_ips` (addresses that authenticated or sent; CHANGELOG.md).
 * Rows stored before it read 0. Documented in docs/clickhouse-schema.md.
 */
export const FAILED_CLIENT_IPS_MIGRATION: Migration = {
  version: 6,
  name: "mail_windows.distinct_failed_client_ips",
  statements: (d, o) => [addColumnStatement(d, tableName(o.database, "mail_windows"), "distinct_failed_client_ips", "UInt32", "distinct_client_ips")],
};
