// `npm run docs:rules`: rewrites the generated blocks of collector/detect/README.md from the rule modules.
import { readFileSync, writeFileSync } from "node:fs";
import { updateRulesDoc } from "./rules-doc.js";

const path = new URL("README.md", import.meta.url);
writeFileSync(path, updateRulesDoc(readFileSync(path, "utf8")));
