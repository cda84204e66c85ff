// Benchmark of the market maker's quote cycle: one reference event through the estimators (book: mid,
// micro-price, EWMA and windowed vol, regime, jumps, markouts; trade: Hawkes intensities, flow
// imbalance), then the models (GLFT or Avellaneda-Stoikov + Cartea-Jaimungal adjustments, regime and
// burst widening), the ladder and the differ against our live orders. docs/market-maker.md "Benchmark".
//
//   npm run bench -- mm [--cycles N] [--warm N] [--model glft|as] [--anchors N]
//   defaults: --cycles 50000 --warm 10000 --model glft --anchors 1
//
// Input: the recorded Binance BTCUSDT sample (node/mm/fixtures), parsed once, replayed in a loop (times
// shifted per loop); one cycle per book event, the trades between two book events are fed in the same
// cycle. The differ's actions are applied to the order tracker as if acknowledged at once (untimed), so
// the next cycle diffs against live orders that match the last target, as in the node. With --anchors 2
// the market has two candidate instruments (the same feed twice) and the cycle includes the anchor vote.
// Timing: process.hrtime.bigint() around each cycle; percentiles over the timed cycles.
//
// Last line: {"bench":"mm","cycle_us_p50":x,"cycle_us_p99":x}

import path from "node:path";
import { fileURLToPath } from "node:url";
import { BinanceParser } from "../node/mm/feeds/binance.ts";
import { CollectSink, type RefEvent } from "../node/mm/feeds/types.ts";
import { loadRecording } from "../node/mm/feeds/replay.ts";
import { validateMakerConfig } from "../node/mm/config.ts";
import { MarketQuoter } from "../node/mm/quoter.ts";
import { quantile } from "../node/quant/stats.ts";

function arg(args: string[], name: string, def: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1]! : def;
}

export function main(args: string[]): void {
  const cycles = Number(arg(args, "cycles", "50000"));
  const warm = Number(arg(args, "warm", "10000"));
  const model = arg(args, "model", "glft");
  const anchors = Number(arg(args, "anchors", "1"));
  const dir = path.dirname(fileURLToPath(import.meta.url));
  const rec = loadRecording(path.join(dir, "../node/mm/fixtures/binance-btcusdt-usdm-20240808.jsonl.gz"));
  const sink = new CollectSink();
  const parser = new BinanceParser({ symbol: "BTCUSDT" });
  for (const m of rec) parser.parse(m.raw, m.recvMs, sink);
  const events = sink.events;
  const span = events[events.length - 1]!.recvMs - events[0]!.recvMs + 1;
  const names = anchors === 2 ? ["binance", "binance2"] : ["binance"];
  const cfg = validateMakerConfig({
    references: names.map((name) => ({ name, source: "replay", venue: "binance", symbol: "BTCUSDT" })),
    markets: [{ market: 1, references: names, model, priceScale: 10, tickValue: 10, gamma: model === "as" ? 0.0005 : 0.02, k: 0.02, tauS: 5 }],
  });
  const q = new MarketQuoter(cfg.markets[0]!, cfg);
  const top = { bestBid: -1, bestAsk: -1 };
  const times: number[] = [];
  const busy: number[] = [];
  let i = 0;
  let loop = 0;
  let bulk = 0;
  let actions = 0;
  const next = (): RefEvent => {
    if (i === events.length) {
      i = 0;
      loop++;
    }
    const e = events[i++]!;
    return loop === 0 ? e : { ...e, recvMs: e.recvMs + loop * span };
  };
  for (let c = 0; c < warm + cycles; c++) {
    // trades up to the next book event, then the book (events materialized outside the timed region)
    const batch: RefEvent[] = [];
    for (;;) {
      const e = next();
      batch.push(e);
      if (e.kind === "book") break;
    }
    const nowMs = batch[batch.length - 1]!.recvMs;
    const t0 = process.hrtime.bigint();
    for (const e of batch) {
      for (let k = 0; k < names.length; k++) {
        if (e.kind === "book") q.onBook(k, e);
        else q.onTrade(k, e);
      }
    }
    const acts = q.plan(nowMs, "", top);
    const t1 = process.hrtime.bigint();
    if (c >= warm) {
      times.push(Number(t1 - t0) / 1000);
      if (acts.length > 0) busy.push(Number(t1 - t0) / 1000);
      actions += acts.length;
    }
    // acknowledge at once (untimed)
    if (acts.length > 0) {
      const id = ++bulk;
      q.tracker.sent(id, acts, nowMs);
      q.tracker.acked(id, { batch: id, level: 1, results: acts.map((a, j) => ({ ok: true, code: "OK", orderId: a.kind === "place" ? 1_000_000 + id * 64 + j : 0 })) });
    }
  }
  const p50 = quantile(times, 0.5);
  const p99 = quantile(times, 0.99);
  const p999 = quantile(times, 0.999);
  const mean = times.reduce((s, v) => s + v, 0) / times.length;
  console.log(`mm quote cycle (model ${model}, ${names.length} candidate instrument${names.length > 1 ? "s" : ""}, ${q.ladderParams.levels} levels a side)`);
  console.log(`  ${cycles} timed cycles after ${warm} warm-up, ${(actions / cycles).toFixed(2)} actions per cycle`);
  console.log(`  cycle latency us: p50 ${p50.toFixed(2)}  p99 ${p99.toFixed(2)}  p99.9 ${p999.toFixed(2)}  mean ${mean.toFixed(2)}  max ${Math.max(...times).toFixed(1)}`);
  console.log(`  cycles that emitted actions: ${busy.length} (${((100 * busy.length) / cycles).toFixed(1)}%), p50 ${quantile(busy, 0.5).toFixed(2)}  p99 ${quantile(busy, 0.99).toFixed(2)} us`);
  console.log(JSON.stringify({ bench: "mm", cycle_us_p50: Number(p50.toFixed(2)), cycle_us_p99: Number(p99.toFixed(2)) }));
}
