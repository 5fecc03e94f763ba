import type { RuleModule } from "./rule.js";
import { RULES } from "./rules/registry.js";

// The parts of collector/detect/README.md written from the rule modules, so
// the docs cannot drift from the code: rules-doc.test.ts fails when they
// differ, and `npm run docs:rules` rewrites them.

const rules = RULES as readonly RuleModule[];

/** The rules table: one row per check, the rule and its config key on its first row. */
export function renderRulesTable(): string {
  const lines = ["| rule (config key) | checks | data | fires when (defaults) | subject |", "|---|---|---|---|---|"];
  for (const rule of rules) {
    rule.doc.forEach((row, i) => {
      const name = i === 0 ? `${rule.name} (\`${rule.configKey}\`)` : "";
      lines.push(`| ${name} | ${row.check} | ${row.data} | ${row.firesWhen} | ${row.subject} |`.replace(/ {2,}/g, " "));
    });
  }
  return lines.join("\n");
}

/** `detect.rules` with every default, as YAML (one flow mapping per rule). */
export function renderRuleDefaults(): string {
  const lines = ["  rules:"];
  for (const rule of rules) {
    const { enabled: _enabled, ...keys } = rule.configSchema.parse({}) as Record<string, unknown>;
    const entries = Object.entries(keys).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}: ${yamlValue(v)}`);
    lines.push(`    ${rule.configKey}: { ${entries.join(", ")} }`);
  }
  lines.push("    # every rule also takes enabled: false and quietMinutes: N (default detect.quietMinutes)");
  return lines.join("\n");
}

/** The README with its generated blocks replaced by what the modules say now. */
export function updateRulesDoc(readme: string): string {
  return replaceBlock(replaceBlock(readme, "rules-table", renderRulesTable()), "rule-defaults", renderRuleDefaults());
}

/** Text between `<!-- name -->` and `<!-- /name -->` (a YAML block keeps its own comment markers: `# name` / `# /name`). */
export function generatedBlock(readme: string, name: string): string | undefined {
  const m = new RegExp(`(?:<!-- |# )${name}(?: -->)?\\n([\\s\\S]*?)\\n[ ]*(?:<!-- |# )/${name}`).exec(readme);
  return m?.[1];
}

function replaceBlock(readme: string, name: string, body: string): string {
  const current = generatedBlock(readme, name);
  if (current === undefined) throw new Error(`collector/detect/README.md has no generated block ${name}`);
  return readme.replace(current, () => body);
}

function yamlValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(yamlValue).join(", ")}]`;
  if (typeof v === "string") return /^[A-Za-z0-9_./-][A-Za-z0-9_./ -]*$/.test(v) ? v : JSON.stringify(v);
  return String(v);
}
