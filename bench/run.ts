// Benchmark dispatcher: `npm run bench -- <name> [args...]` runs bench/<name>.ts, whose module exports
// `main(args: string[]): Promise<void> | void`. Each benchmark prints human-readable lines and ends with
// one JSON line `{"bench":"<name>",...}`. Without a name, lists the available benchmarks.

import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const dir = path.dirname(fileURLToPath(import.meta.url));
const available = readdirSync(dir)
  .filter((f) => f.endsWith(".ts") && f !== "run.ts" && !f.startsWith("_"))
  .map((f) => f.slice(0, -3))
  .sort();

const [name, ...args] = process.argv.slice(2);
if (name === undefined || !available.includes(name)) {
  console.error(`usage: npm run bench -- <name> [args...]\navailable: ${available.join(", ")}`);
  process.exit(name === undefined ? 0 : 2);
}
const mod = (await import(path.join(dir, `${name}.ts`))) as { main: (args: string[]) => unknown };
await mod.main(args);
