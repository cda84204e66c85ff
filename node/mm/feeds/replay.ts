// Replay of recorded feeds: files of lines "<receive time ns> <raw message>" (the format of the samples
// under node/mm/fixtures, cut from the project's shared recordings), optionally gzip-compressed, passed
// through the source's parser in order. Looping shifts every time by the recording's span so prices keep
// moving on a devnet. docs/market-maker.md "Replay".

import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { CollectSink, type FeedParser, type QualityIssue, type RefEvent } from "./types.ts";

export interface RecordedMessage {
  recvMs: number;
  raw: string;
}

/** Reads a recording (.jsonl or .jsonl.gz). Lines that do not start with a time are skipped. */
export function loadRecording(path: string): RecordedMessage[] {
  const bytes = readFileSync(path);
  const text = (path.endsWith(".gz") ? gunzipSync(bytes) : bytes).toString("utf8");
  const out: RecordedMessage[] = [];
  for (const line of text.split("\n")) {
    const sp = line.indexOf(" ");
    if (sp <= 0) continue;
    const ns = Number(line.slice(0, sp));
    if (!Number.isFinite(ns)) continue;
    out.push({ recvMs: ns / 1e6, raw: line.slice(sp + 1) });
  }
  return out;
}

/** Replays recorded messages through a parser; `next()` returns the next event or issue, or null at the end. */
export class ReplaySource {
  private readonly messages: readonly RecordedMessage[];
  private readonly parser: FeedParser;
  private readonly loop: boolean;
  private i = 0;
  private offsetMs = 0;
  private readonly span: number;
  private readonly sink = new CollectSink();
  private q = 0;
  /** Completed passes over the recording. */
  loops = 0;

  constructor(messages: readonly RecordedMessage[], parser: FeedParser, opts: { loop?: boolean } = {}) {
    if (messages.length === 0) throw new RangeError("empty recording");
    this.messages = messages;
    this.parser = parser;
    this.loop = opts.loop ?? false;
    this.span = messages[messages.length - 1]!.recvMs - messages[0]!.recvMs + 1;
  }

  /** Next normalized event (issues are collected in `issues`); null when the recording ended (no loop). */
  next(): RefEvent | null {
    for (;;) {
      if (this.q < this.sink.events.length) return shift(this.sink.events[this.q++]!, this.offsetMs);
      this.sink.events.length = 0;
      this.q = 0;
      if (this.i >= this.messages.length) {
        if (!this.loop) return null;
        this.i = 0;
        this.loops++;
        this.offsetMs += this.span;
        this.parser.reset();
      }
      const m = this.messages[this.i++]!;
      this.parser.parse(m.raw, m.recvMs, this.sink);
    }
  }

  /** Data-quality issues seen so far. */
  get issues(): readonly QualityIssue[] {
    return this.sink.issues;
  }
}

function shift(ev: RefEvent, offsetMs: number): RefEvent {
  if (offsetMs === 0) return ev;
  return { ...ev, exchMs: ev.exchMs + offsetMs, recvMs: ev.recvMs + offsetMs };
}
