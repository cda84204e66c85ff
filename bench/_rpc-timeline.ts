// The rpc bench's slow-episode report: which acknowledgements took longer than a threshold, grouped into
// episodes on one absolute clock, each with the server events that overlap it (GC pauses by kind,
// main-thread stalls, slow WAL group writes, slow seals; bench/_rpc-server.ts records them). A reader gets
// a short list of the slow stretches of a run and what the server was doing then, not a wall of numbers.

/** A server event on the absolute clock (performance.timeOrigin + now, ms). */
export interface ServerEvent {
  at: number;
  ms: number;
  what: "scavenge" | "mark-compact" | "gc" | "stall" | "wal" | "seal";
}

/** perf_hooks "gc" entry kinds (NODE_PERFORMANCE_GC_*). */
export function gcKind(kind: number | undefined): ServerEvent["what"] {
  return kind === 1 ? "scavenge" : kind === 4 ? "mark-compact" : "gc";
}

export interface Episode {
  /** Absolute start and end (send time of its first and last slow order's 100 ms bin). */
  from: number;
  to: number;
  slow: number;
  maxMs: number;
  events: ServerEvent[];
}

export interface SlowReport {
  slow: number;
  episodes: Episode[];
  /** Slow acks by the cause class of their episode. */
  byCause: Record<string, number>;
}

const BIN_MS = 100;

/**
 * Groups the orders whose latency exceeded `thresholdMs` into episodes: 100 ms bins of send time with a
 * slow order, merged when adjacent; an episode's events are those between its start and its end plus its
 * longest latency (an event delays the orders sent before it that wait for it).
 */
export function slowEpisodes(sentAbs: Float64Array, latency: Float64Array, events: readonly ServerEvent[], thresholdMs = 20): SlowReport {
  const bins = new Map<number, { slow: number; maxMs: number }>();
  let slow = 0;
  for (let i = 0; i < sentAbs.length; i++) {
    if (!(latency[i]! > thresholdMs)) continue;
    slow++;
    const k = Math.floor(sentAbs[i]! / BIN_MS);
    const b = bins.get(k) ?? { slow: 0, maxMs: 0 };
    b.slow++;
    if (latency[i]! > b.maxMs) b.maxMs = latency[i]!;
    bins.set(k, b);
  }
  const episodes: Episode[] = [];
  for (const k of [...bins.keys()].sort((a, b) => a - b)) {
    const b = bins.get(k)!;
    const last = episodes.at(-1);
    if (last !== undefined && Math.floor(last.to / BIN_MS) >= k - 1) {
      last.to = (k + 1) * BIN_MS;
      last.slow += b.slow;
      last.maxMs = Math.max(last.maxMs, b.maxMs);
    } else episodes.push({ from: k * BIN_MS, to: (k + 1) * BIN_MS, slow: b.slow, maxMs: b.maxMs, events: [] });
  }
  const byCause: Record<string, number> = {};
  for (const e of episodes) {
    e.events = events.filter((v) => v.at + v.ms >= e.from && v.at <= e.to + e.maxMs);
    const c = causeOf(e.events);
    byCause[c] = (byCause[c] ?? 0) + e.slow;
  }
  return { slow, episodes, byCause };
}

/** The cause class of an episode: the heaviest kind of event in it. */
function causeOf(events: readonly ServerEvent[]): string {
  const has = (w: ServerEvent["what"]) => events.some((e) => e.what === w);
  if (has("mark-compact")) return "mark-compact";
  if (has("scavenge") || has("gc")) return has("wal") ? "scavenge + slow WAL sync" : "scavenge";
  if (has("wal")) return "slow WAL sync";
  if (has("seal")) return "seal";
  if (has("stall")) return "main-thread stall (no GC)";
  return "no server event (queueing, the load process, or the OS)";
}

/** Human-readable lines: a summary by cause and the `top` episodes with the most slow acks, in time order. */
export function describe(r: SlowReport, total: number, phaseStart: number, thresholdMs = 20, top = 8): string[] {
  if (r.slow === 0) return [`slow acks (> ${thresholdMs} ms): none of ${total}`];
  const causes = Object.entries(r.byCause).sort((a, b) => b[1] - a[1]).map(([c, n]) => `${n} ${c}`).join(", ");
  const out = [`slow acks (> ${thresholdMs} ms): ${r.slow} of ${total} (${((100 * r.slow) / total).toFixed(2)}%) in ${r.episodes.length} episode(s); by cause: ${causes}`];
  const shown = [...r.episodes].sort((a, b) => b.slow - a.slow).slice(0, top).sort((a, b) => a.from - b.from);
  for (const e of shown) {
    const ev = summarize(e.events);
    out.push(`  at ${((e.from - phaseStart) / 1000).toFixed(1)}-${((e.to - phaseStart) / 1000).toFixed(1)} s: ${e.slow} slow, max ${e.maxMs.toFixed(0)} ms; server: ${ev === "" ? "no event" : ev}`);
  }
  if (r.episodes.length > shown.length) out.push(`  (${r.episodes.length - shown.length} smaller episode(s) not shown)`);
  return out;
}

function summarize(events: readonly ServerEvent[]): string {
  const by = new Map<string, { n: number; max: number }>();
  for (const e of events) {
    const s = by.get(e.what) ?? { n: 0, max: 0 };
    s.n++;
    s.max = Math.max(s.max, e.ms);
    by.set(e.what, s);
  }
  return [...by].map(([w, s]) => `${s.n} ${w}${s.n > 1 ? " (longest " : " ("}${s.max.toFixed(0)} ms)`).join(", ");
}
