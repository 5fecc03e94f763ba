import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { timingSafeEqual } from "node:crypto";
import type { AddressInfo } from "node:net";
import type { Logger } from "../../shared/log/logger.js";
import type { ClickHouseStore } from "../store/clickhouse/store.js";
import { checkReadOnlySql } from "./check-read-only-sql.js";
import { explainLimitError, limitSettings, type QueryLimits } from "./query-limits.js";
import type { CollectorMetrics } from "./metrics.js";

/** What the admin endpoint serves. */
export interface AdminServerOptions {
  host: string;
  port: number;
  /** Bearer token required by /api/sql. */
  token: string;
  store: ClickHouseStore;
  /** Time and memory limit of every /api/sql query (`admin.query.*`). */
  queryLimits: QueryLimits;
  metrics: CollectorMetrics;
  logger: Logger;
  /**
   * More POST endpoints behind the bearer token, by path: what commands need
   * this process to do in embedded mode, where only it may write the engine's
   * folder (`/api/dnsbl`, `/api/remediation`, wired by serve.ts). A handler
   * gets the parsed JSON body; a RangeError or TypeError it throws is the
   * caller's mistake (HTTP 400).
   */
  actions?: Readonly<Record<string, (body: unknown) => Promise<unknown>>>;
}

/** A started admin endpoint. */
export interface StartedAdminServer {
  /** Port actually bound. */
  port: number;
  close(): Promise<void>;
}

/** Largest /api/sql request body, bytes. */
const MAX_SQL_BODY_BYTES = 256 * 1024;
/** Largest request body of an action, bytes (a remediation plan lists up to remediate.maxQueueMessages queue ids). */
const MAX_ACTION_BODY_BYTES = 8 * 1024 * 1024;

/**
 * HTTP admin endpoint: GET /metrics (Prometheus), GET /healthz, and
 * POST /api/sql {"query": "..."} → {"rows": [...]} for analysts. In embedded
 * mode the engine's folder belongs to this process, so analyst tools query
 * through here instead of opening it; `actions` adds the POST endpoints of
 * commands that write (DNSBL check, remediation audit).
 */
export async function startAdminServer(opts: AdminServerOptions): Promise<StartedAdminServer> {
  const server = createServer((req, res) => {
    handle(req, res, opts).catch((error: unknown) => {
      opts.logger.warn({ err: (error as Error).message }, "admin request failed");
      if (!res.headersSent) reply(res, 500, { error: "internal error" });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, opts: AdminServerOptions): Promise<void> {
  const path = (req.url ?? "/").split("?")[0];
  if (req.method === "GET" && path === "/metrics") {
    res.writeHead(200, { "content-type": opts.metrics.registry.contentType });
    res.end(await opts.metrics.registry.metrics());
    return;
  }
  if (req.method === "GET" && path === "/healthz") {
    reply(res, 200, { ok: true, store: opts.store.kind });
    return;
  }
  if (path === "/api/sql") {
    if (req.method !== "POST") return reply(res, 405, { error: "use POST" });
    if (!authorized(req, opts.token)) return reply(res, 401, { error: "missing or wrong bearer token" });
    let query: string;
    try {
      const body = JSON.parse(await readBody(req)) as { query?: unknown };
      if (typeof body.query !== "string") throw new Error('body must be {"query": "..."}');
      query = checkReadOnlySql(body.query);
    } catch (error) {
      return reply(res, 400, { error: (error as Error).message });
    }
    try {
      reply(res, 200, { rows: await opts.store.query(query, { readonly: true, settings: limitSettings(opts.queryLimits) }) });
    } catch (error) {
      reply(res, 400, { error: (explainLimitError(error, opts.queryLimits) as Error).message });
    }
    return;
  }
  const action = path === undefined ? undefined : opts.actions?.[path];
  if (action) {
    if (req.method !== "POST") return reply(res, 405, { error: "use POST" });
    if (!authorized(req, opts.token)) return reply(res, 401, { error: "missing or wrong bearer token" });
    let body: unknown;
    try {
      const text = await readBody(req, MAX_ACTION_BODY_BYTES);
      body = text === "" ? {} : JSON.parse(text);
    } catch (error) {
      return reply(res, 400, { error: (error as Error).message });
    }
    try {
      reply(res, 200, await action(body));
    } catch (error) {
      reply(res, error instanceof RangeError || error instanceof TypeError ? 400 : 500, { error: (error as Error).message });
    }
    return;
  }
  reply(res, 404, { error: "not found" });
}

function authorized(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization ?? "";
  const given = Buffer.from(header.startsWith("Bearer ") ? header.slice(7) : "");
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function readBody(req: IncomingMessage, maxBytes = MAX_SQL_BODY_BYTES): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(new Error(`request body over ${maxBytes} bytes`));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function reply(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
