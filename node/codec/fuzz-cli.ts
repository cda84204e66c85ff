// `npm run fuzz:codec [-- --inputs N --seed S]`: fuzzes decodeBatch/decodeTx (see fuzz.ts) and prints one
// JSON summary line on stdout; exits 1 if any assertion failed.
import { parseArgs } from "node:util";
import { runFuzz } from "./fuzz.ts";

const { values } = parseArgs({
  options: { inputs: { type: "string", default: "1000000" }, seed: { type: "string", default: "1" } },
});
const inputs = Number(values.inputs);
const seed = Number(values.seed);
if (!Number.isSafeInteger(inputs) || inputs <= 0 || !Number.isSafeInteger(seed)) {
  console.error("usage: npm run fuzz:codec -- [--inputs N] [--seed S]");
  process.exit(2);
}
const t0 = performance.now();
const summary = runFuzz({
  inputs,
  seed,
  progress: (n) => console.error(`fuzz:codec ${n} inputs, ${((performance.now() - t0) / 1000).toFixed(1)} s`),
});
console.log(JSON.stringify(summary));
process.exit(summary.ok ? 0 : 1);
