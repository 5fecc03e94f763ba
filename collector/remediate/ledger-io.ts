import type { AdminEndpoint } from "../admin/admin-client.js";
import type { Row } from "../store/clickhouse/store.js";
import type { StoreConfig } from "../store/open-store.js";
import type { LedgerIo } from "./remediation-ledger.js";

/** Reads and writes through the store when it is a server, through the running collector's admin endpoint for the embedded engine. */
export async function ledgerIo(config: { store: StoreConfig; admin: AdminEndpoint }): Promise<{ io: LedgerIo; close(): Promise<void> }> {
  if (config.store.url !== undefined) {
    const { migrateStore, openStore } = await import("../store/open-store.js");
    const store = await openStore(config.store);
    await migrateStore(store, config.store);
    return { io: { query: (sql) => store.query(sql), insert: (table, rows) => store.insert(table, rows) }, close: () => store.close() };
  }
  const { postToCollector } = await import("../admin/admin-client.js");
  return {
    io: { query: async (sql) => (await postToCollector<{ rows: Row[] }>(config, "/api/sql", { query: sql })).rows, insert: async (table, rows) => void (await postToCollector(config, "/api/remediation", { table, rows })) },
    close: async () => undefined,
  };
}
