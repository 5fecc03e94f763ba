#!/usr/bin/env node
// Runs the TypeScript sources through tsx (Node 20 cannot strip types itself).
import { register } from "tsx/esm/api";

register();
await import("../collector/cli.ts");
