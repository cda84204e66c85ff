// `npm run test:crash:node [-- <kills>] [--json]`: the long crash test of the composed node (crash-harness.ts),
// default 100 SIGKILLs. Prints progress after every restart and a summary; exit code 1 on any failure.
import { nodeCrashRun } from "./crash-harness.ts";

const HELP = `usage: npm run test:crash:node [-- <kills>] [--json]
  <kills>   SIGKILLs of \`rollup-node run\` under load (default 100; env CRASH_KILLS)
  --json    progress and the summary as JSON lines (the last line is the summary)
Each kill comes 300-2000 ms after the restarted node acknowledges again. After every restart each
acknowledged transaction must be answered by the node or derived by an independent follower; at the end
the node drains and its roots must equal the follower's.`;

const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  console.log(HELP);
  process.exit(0);
}
const json = args.includes("--json");
const positional = args.filter((a) => !a.startsWith("--"));
const kills = Number(positional[0] ?? process.env.CRASH_KILLS ?? 100);
if (!Number.isInteger(kills) || kills < 1) {
  console.error(`kills must be a positive integer, got ${positional[0] ?? process.env.CRASH_KILLS}\n${HELP}`);
  process.exit(2);
}

const t0 = Date.now();
const r = await nodeCrashRun(
  kills,
  300,
  2000,
  (s) => json || console.log(s),
  (p) => json && console.log(JSON.stringify({ progress: "crash:node", ...p, elapsedS: Math.round(p.elapsedS * 10) / 10 })),
);
const lost = r.acked - (r.verified.at(-1) ?? 0);
const rootsEqual = r.root === r.followerRoot;
const ok = rootsEqual && lost === 0;
const wallS = Math.round((Date.now() - t0) / 1000);
const phaseS = Object.fromEntries(Object.entries(r.phaseMs).map(([k, v]) => [k, Math.round(v / 100) / 10]));
if (json) {
  console.log(JSON.stringify({ test: "crash:node", ok, kills: r.kills, acknowledged: r.acked, lost, refused: r.refused, dropped: r.dropped, batches: r.batches, rootsEqual, root: r.root, wallS, phaseS }));
} else {
  console.log(`${r.kills} kills, ${r.acked} acknowledged, ${lost} lost, ${r.refused} refused, dropped ${JSON.stringify(r.dropped)}, ${r.batches} batches, ${wallS} s`);
  console.log(`time: ${Object.entries(phaseS).map(([k, v]) => `${k} ${v} s`).join(", ")}`);
  console.log(`node root ${r.root}, follower root ${r.followerRoot}`);
  console.log(ok ? "no acknowledged transaction lost; roots equal the follower's" : "FAILED");
}
process.exit(ok ? 0 : 1);
