// The rpc bench's subscriber process: N WebSocket clients subscribed to book:1. For every delta each client
// receives it records now - changedAt (ms; the server stamps a delta with the time of its first change) and
// checks that its seq is the previous one's plus one. Prints "SUBSCRIBED" when all are in; a stdin line
// "report" prints "REPORT <json>" with what was received since the last report (for a phase of the bench),
// and on stdin end it prints one JSON line with the same since the start: the latency histogram (ms ->
// count), the gaps seen, this process's CPU share, and in 0.1 ms buckets (node/rpc/lag.ts pairs) the
// delivery latency and its last part, receipt - tickAt (the delta's tick on the server -> this read), with
// this process's own event-loop delay (how late it reads).
//
// The clients are minimal RFC 6455 clients on raw TCP sockets (handshake, masked request frame, unmasked
// server frames of the three length classes, close frames): the subscriber side has to read 1,000 x (ticks
// per second) messages, and Node's built-in WebSocket (undici) queued them for seconds at that rate on this
// machine while costing the same CPU per message (docs/benchmarks.md "rpc"), so it measured itself. The
// sockets read into one static buffer (net's `onread`: no Buffer and no stream event per read; only an
// incomplete frame at the end of a read is copied), since this process shares the machine with the server.
// Every message is still parsed: frame header, opcode, the seq, changedAt and tickAt fields of the JSON.
// The clock is the machine's wall clock with sub-ms resolution (lag.ts nowMs), as the server stamps it.
// Subscribers may be spread over several processes (`--fanout-procs`); each one runs this file.

import { randomBytes } from "node:crypto";
import net from "node:net";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { LagHistogram, nowMs } from "../node/rpc/lag.ts";

const [url, nArg] = process.argv.slice(2);
const n = Number(nArg ?? 1000);
const { hostname, port, pathname } = new URL(url);
/** Delivery latencies: ms -> count. */
const hist = new Map<number, number>();
let deltas = 0;
let gaps = 0;
let recording = false;
/** Close codes of subscribers the server cut (4008: slow consumer). */
const closes: Record<number, number> = {};
const sockets: net.Socket[] = [];
/** Every socket reads into this buffer: a read is handled before the next one starts. */
const READ_BUFFER = Buffer.allocUnsafe(256 << 10);
/** Messages read (snapshots and deltas, recorded or not) for the CPU per message. */
let messages = 0;
const CHANGED_AT = Buffer.from('"changedAt":');
const TICK_AT = Buffer.from('"tickAt":');
/** Since the start and since the last report: change -> receipt and tick -> receipt, 0.1 ms buckets. */
const total = { all: new LagHistogram(), phase: new LagHistogram() };
const read = { all: new LagHistogram(), phase: new LagHistogram() };
const SEQ = Buffer.from('"seq":');

/** The unsigned integer after `marker` in `p`, or -1. */
function intAfter(p: Buffer, marker: Buffer): number {
  const at = p.indexOf(marker);
  if (at < 0) return -1;
  let v = 0;
  for (let j = at + marker.length; p[j] >= 48 && p[j] <= 57; j++) v = v * 10 + p[j] - 48;
  return v;
}

/** A client frame: FIN + opcode, masked as RFC 6455 5.3 requires. */
function clientFrame(opcode: number, payload: Buffer): Buffer {
  const mask = randomBytes(4);
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0x80 | opcode, 0x80 | n]) : Buffer.from([0x80 | opcode, 0x80 | 126, n >> 8, n & 255]);
  const body = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) body[i] = payload[i] ^ mask[i & 3];
  return Buffer.concat([head, mask, body]);
}

function subscriber(i: number): Promise<void> {
  return new Promise((ok, fail) => {
    /** The incomplete frame (or handshake) left at the end of the last read. */
    let carry: Buffer | null = null;
    let upgraded = false;
    let subscribed = false;
    let seq = -1;
    const onMessage = (p: Buffer) => {
      messages++;
      if (!subscribed) {
        if (p.includes('"id":1,')) {
          subscribed = true;
          ok();
        }
        return;
      }
      const changedAt = intAfter(p, CHANGED_AT);
      if (changedAt < 0) {
        seq = intAfter(p, SEQ); // the snapshot
        return;
      }
      const next = intAfter(p, SEQ);
      if (seq >= 0 && next !== seq + 1) gaps++;
      seq = next;
      if (!recording) return;
      const now = nowMs();
      const ms = Math.floor(now) - changedAt;
      hist.set(ms, (hist.get(ms) ?? 0) + 1);
      deltas++;
      total.phase.add(now - changedAt);
      const tickAt = intAfter(p, TICK_AT);
      if (tickAt >= 0) read.phase.add(now - tickAt);
    };
    /** Handles one read of `nread` bytes into READ_BUFFER; true: keep reading. */
    const onRead = (nread: number): boolean => {
      const got = READ_BUFFER.subarray(0, nread);
      let buf = carry === null ? got : Buffer.concat([carry, got]);
      carry = null;
      if (!upgraded) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) {
          carry = Buffer.from(buf);
          return true;
        }
        if (!buf.subarray(0, 12).toString().startsWith("HTTP/1.1 101")) {
          fail(new Error(`subscriber ${i}: ${buf.subarray(0, end).toString()}`));
          return false;
        }
        upgraded = true;
        buf = buf.subarray(end + 4);
        s.write(clientFrame(1, Buffer.from(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "rb_subscribe", params: ["book", { market: 1, depth: 10 }] }))));
      }
      let o = 0;
      for (;;) {
        if (buf.length - o < 2) break;
        let len = buf[o + 1] & 127;
        let h = 2;
        if (len === 126) {
          if (buf.length - o < 4) break;
          len = buf.readUInt16BE(o + 2);
          h = 4;
        } else if (len === 127) {
          if (buf.length - o < 10) break;
          len = buf.readUInt32BE(o + 2) * 2 ** 32 + buf.readUInt32BE(o + 6);
          h = 10;
        }
        if (buf.length - o < h + len) break;
        const opcode = buf[o] & 15;
        const p = buf.subarray(o + h, o + h + len);
        if (opcode === 1) onMessage(p);
        else if (opcode === 8) {
          const code = p.length >= 2 ? p.readUInt16BE(0) : 1005;
          closes[code] = (closes[code] ?? 0) + 1;
          s.end();
        }
        o += h + len;
      }
      if (o < buf.length) carry = Buffer.from(buf.subarray(o)); // a copy: READ_BUFFER is overwritten by the next read
      return true;
    };
    const s = net.connect({ port: Number(port), host: hostname, onread: { buffer: READ_BUFFER, callback: onRead } });
    sockets.push(s);
    s.setNoDelay(true);
    s.on("connect", () => {
      s.write(`GET ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    s.on("error", () => fail(new Error(`subscriber ${i} failed`)));
  });
}

await Promise.all(Array.from({ length: n }, (_, i) => subscriber(i)));
recording = true;
const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
const start = { messages, deltas: 0, gaps: 0, cpu: process.cpuUsage(), t: performance.now(), hist: new Map<number, number>() };
let last = { ...start, hist: new Map(hist) };
console.log("SUBSCRIBED");

/** What was received since `from` (the start or the last report). */
function summary(from: typeof start) {
  const cpu = process.cpuUsage(from.cpu);
  const busy = (cpu.user + cpu.system) / 1000 / (performance.now() - from.t);
  const usPerMessage = (cpu.user + cpu.system) / Math.max(1, messages - from.messages);
  const h: Record<number, number> = {};
  for (const [ms, c] of hist) if (c - (from.hist.get(ms) ?? 0) > 0) h[ms] = c - (from.hist.get(ms) ?? 0);
  return {
    subscribers: n, deltas: deltas - from.deltas, gaps: gaps - from.gaps, hist: h, closes, cpu: Number(busy.toFixed(2)), cpu_us_per_message: Number(usPerMessage.toFixed(2)),
    loop_delay_ms_p99: Number((delay.percentile(99) / 1e6).toFixed(2)), loop_delay_ms_max: Number((delay.max / 1e6).toFixed(2)),
  };
}
/** A phase's histogram as [bucket, count] pairs, emptied and added to the whole run's. */
function phaseDrain(h: { all: LagHistogram; phase: LagHistogram }): number[] {
  const pairs = h.phase.drain();
  h.all.merge(pairs);
  return pairs;
}
createInterface({ input: process.stdin }).on("line", (l) => {
  if (l.trim() !== "report") return;
  const r = summary(last);
  const lagTotal = phaseDrain(total);
  const lagRead = phaseDrain(read);
  delay.reset();
  last = { messages, deltas, gaps, cpu: process.cpuUsage(), t: performance.now(), hist: new Map(hist) };
  console.log(`REPORT ${JSON.stringify({ ...r, lag_total: lagTotal, lag_read: lagRead })}`);
});
process.stdin.on("end", () => {
  const r = summary(start);
  phaseDrain(total);
  phaseDrain(read);
  console.log(JSON.stringify({ ...r, lag_total: total.all.drain(), lag_read: read.all.drain() }));
  for (const s of sockets) s.destroy();
  process.exit(0);
});
