// `npm run test:crash:sequencer [kills]`: the long crash test of the sequencer (default 100 SIGKILLs).
import { crashRun } from "./crash-harness.ts";

const kills = Number(process.argv[2] ?? 100);
const t0 = Date.now();
const r = await crashRun(kills, 200, 900, (s) => console.log(s));
const last = r.verified[r.verified.length - 1];
console.log(`${r.kills} kills, ${r.acked} acknowledged, final check answered ${last}, ${r.rejected} rejected, ${Math.round((Date.now() - t0) / 1000)} s`);
if (last !== r.acked || r.rejected !== 0) {
  console.log("FAILED");
  process.exit(1);
}
console.log("no acknowledged transaction lost");
