// Long crash test: `npm run test:crash` (many more kills over a longer stream). Exit code 0 on success.
import { crashTest } from "./crash-harness.ts";

const kills = Number(process.env.CRASH_KILLS ?? 200);
const target = Number(process.env.CRASH_BATCHES ?? 1500);
const t0 = Date.now();
const r = await crashTest({ kills, target, seed: Number(process.env.CRASH_SEED ?? 17), accounts: 500, batchSize: 300, maxKillMs: 40, log: (s) => console.log(s) });
const ok = r.finalRoot === r.referenceRoot && r.kills >= kills;
console.log(`${r.kills} kills, ${r.restarts} restarts, final root ${r.finalRoot} ${ok ? "==" : "!="} reference ${r.referenceRoot} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
console.log(ok ? "1 passed, 0 failed" : "0 passed, 1 failed");
process.exit(ok ? 0 : 1);
