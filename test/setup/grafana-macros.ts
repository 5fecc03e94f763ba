/** A time range and variable values, as Grafana would send them with a panel's query. */
export interface GrafanaQueryContext {
  fromMs: number;
  toMs: number;
  /** $__interval_s. */
  intervalSeconds: number;
  /** Dashboard variables by name (`${name}` and `$name`). */
  variables: Readonly<Record<string, string>>;
}

/**
 * Expands the grafana-clickhouse-datasource macros the dashboard uses the way
 * the plugin does ($__timeFilter(c) → `c >= toDateTime(from) AND c <=
 * toDateTime(to)`, seconds), and dashboard variables. Throws on any `$` left:
 * a macro the plugin would expand differently, or an unknown variable.
 */
export function expandGrafanaSql(sql: string, ctx: GrafanaQueryContext): string {
  const from = Math.floor(ctx.fromMs / 1000);
  const to = Math.floor(ctx.toMs / 1000);
  let out = sql
    .replace(/\$__timeFilter\(\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\)/g, (_m, column: string) => `${column} >= toDateTime(${from}) AND ${column} <= toDateTime(${to})`)
    .replace(/\$__fromTime\b/g, `toDateTime(${from})`)
    .replace(/\$__toTime\b/g, `toDateTime(${to})`)
    .replace(/\$__interval_s\b/g, String(ctx.intervalSeconds));
  out = out.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (m, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare!;
    const value = ctx.variables[name];
    if (value === undefined) throw new Error(`unknown Grafana variable or macro ${m}`);
    return value;
  });
  return out;
}

/** Grafana's relative time ("7d", "1h", "30m") in ms. */
export function relativeTimeMs(text: string): number {
  const match = /^(\d+)([smhdw])$/.exec(text);
  if (!match) throw new Error(`unsupported relative time ${text}`);
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[match[2] as "s" | "m" | "h" | "d" | "w"];
  return Number(match[1]) * unit;
}
