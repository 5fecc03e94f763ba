import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { RULE_NAMES } from "./rule-catalog.js";
import { generatedBlock, renderRuleDefaults, renderRulesTable } from "./rules-doc.js";
import { RULES } from "./rules/registry.js";

const readme = readFileSync(new URL("README.md", import.meta.url), "utf8");

describe("collector/detect/README.md (run `npm run docs:rules` after changing a rule module)", () => {
  it("lists every rule's checks as the modules declare them", () => {
    expect(generatedBlock(readme, "rules-table")).toBe(renderRulesTable());
  });
  it("shows every rule's config defaults as the schemas declare them", () => {
    expect(generatedBlock(readme, "rule-defaults")).toBe(renderRuleDefaults());
  });
  it("names each rule once, with a config key that is its name in camelCase", () => {
    expect(new Set(RULE_NAMES).size).toBe(RULES.length);
    for (const rule of RULES) expect(rule.configKey).toBe(rule.name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()));
    for (const name of RULE_NAMES) expect(renderRulesTable()).toContain(`| ${name} (`);
  });
});
