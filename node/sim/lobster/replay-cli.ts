// `npm run replay:lobster -- <message.csv[.gz]> <orderbook.csv[.gz]> [levels]`
// Replays a LOBSTER day through the real order book (see replay.ts), prints per-level agreement and the
// FIFO figure, and ends with one JSON line:
//   {"replay":"lobster","rows":N,"level_agreement":[l1..lN],"fifo_agreement":x}

import { replayLobster } from "./replay.ts";

const [messagePath, orderbookPath, levelsArg] = process.argv.slice(2);
if (messagePath === undefined || orderbookPath === undefined) {
  console.error("usage: npm run replay:lobster -- <message.csv[.gz]> <orderbook.csv[.gz]> [levels]");
  process.exit(2);
}
const levels = levelsArg === undefined ? undefined : Number(levelsArg);
if (levels !== undefined && !(Number.isInteger(levels) && levels > 0)) {
  console.error(`levels must be a positive integer, got ${levelsArg}`);
  process.exit(2);
}

const t0 = process.hrtime.bigint();
const s = await replayLobster(messagePath, orderbookPath, { levels });
const ms = Number(process.hrtime.bigint() - t0) / 1e6;

const pct = (x: number) => `${(100 * x).toFixed(3)}%`;
console.log(`LOBSTER replay through node/clob OrderBook: ${s.rows} rows scored in ${(ms / 1000).toFixed(2)} s`);
console.log(
  `messages by type: ${s.messagesByType.map((n, t) => (n > 0 ? `${t}:${n}` : "")).filter(Boolean).join(" ")}; ` +
    `events on unknown orders ${s.unknownOrderEvents}; crossing submissions ${s.crossingSubmissions}; ` +
    `known orders dropped by sync ${s.knownDroppedBySync}; ` +
    `known orders charged for unknown events ${s.knownChargedForUnknown}; halts ${s.halts}`,
);
for (let i = 0; i < s.levels; i++) {
  console.log(`level ${String(i + 1).padStart(2)}: ${pct(s.levelAgreement[i])} (${s.levelMatches[i]}/${s.rows})`);
}
console.log(`FIFO agreement (visible executions of known orders): ${pct(s.fifoAgreement)} (${s.fifoHits}/${s.fifoChecks})`);
const round = (x: number) => Math.round(x * 1e6) / 1e6;
console.log(
  JSON.stringify({
    replay: "lobster",
    rows: s.rows,
    level_agreement: s.levelAgreement.map(round),
    fifo_agreement: round(s.fifoAgreement),
  }),
);
