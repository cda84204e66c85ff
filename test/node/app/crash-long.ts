// `npm run test:crash:node [kills]`: the long crash test of the composed node (default 100 SIGKILLs).
import { nodeCrashRun } from "./crash-harness.ts";

const kills = Number(process.argv[2] ?? 100);
const t0 = Date.now();
const r = await nodeCrashRun(kills, 300, 2000, (s) => console.log(s));
console.log(`${r.kills} kills, ${r.acked} acknowledged, ${r.refused} refused, dropped ${JSON.stringify(r.dropped)}, ${r.batches} batches, ${Math.round((Date.now() - t0) / 1000)} s`);
console.log(`node root ${r.root}, follower root ${r.followerRoot}`);
if (r.root !== r.followerRoot || r.verified.at(-1) !== r.acked) {
  console.log("FAILED");
  process.exit(1);
}
console.log("no acknowledged transaction lost; roots equal the follower's");
