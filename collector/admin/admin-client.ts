import { readAdminToken } from "./admin-token.js";

/** Where the running collector's admin endpoint is (the collector config's `admin` section). */
export interface AdminEndpoint {
  host: string;
  port: number;
  tokenFile: string;
}

/**
 * POSTs a JSON body to the running collector's admin endpoint (bearer token
 * from admin.tokenFile) and returns its JSON answer. In embedded mode the
 * engine's folder belongs to that process, so commands that read or write the
 * store go through it. Throws with the endpoint's error message.
 */
export async function postToCollector<T>(config: { admin: AdminEndpoint }, path: string, body: unknown): Promise<T> {
  const host = config.admin.host === "0.0.0.0" ? "127.0.0.1" : config.admin.host;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${config.admin.port}${path}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${readAdminToken(config.admin.tokenFile)}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch (error) {
    throw new Error(`cannot reach the collector's admin endpoint ${url} (embedded store: is \`spamtrace serve\` running?): ${(error as Error).message}`);
  }
  const answer = (await response.json()) as T & { error?: string };
  if (!response.ok) throw new Error(answer.error ?? `admin endpoint answered HTTP ${response.status}`);
  return answer;
}
