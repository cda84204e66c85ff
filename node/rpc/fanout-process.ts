// A WebSocket fan-out process (docs/api.md "Fan-out processes"), forked by fanout.ts with `advanced` IPC
// serialization. Every WebSocket starts on the node's main thread (its requests are answered there without
// an IPC hop); when a connection subscribes to a public channel (book, trades, candles) the main thread
// stops reading it, lets its queued writes reach the kernel and hands the socket to this process
// (`child.send(msg, socket)`, the fd passes over the IPC channel) with what its frame reader had read and not
// delivered; from then on this process owns the socket: it reads the client's frames (ws-conn.ts, the same
// reader the main thread uses) and forwards every message to the main thread, and writes what the main
// thread sends back. A tick's shared message (a book delta, trades, a candle) arrives once, as its prebuilt
// frame with the channel's name, and is written straight to each member's TCP socket here (by the native
// send loop, send-loop.ts: one call for a turn's writes, where the addon is built), so the main thread pays
// one IPC message per tick instead of one socket write per subscriber. Slow consumers are cut
// here (close 4008), where the unsent bytes are known, and reported to the main thread, which drops their
// subscriptions. The CPU time of the writes (per socket write, ws-frame.ts WriteCost) is reported too: the
// main thread spaces its ticks by it.
//
// IPC protocol (arrays, to keep the serialization cheap):
//   main -> here   {t:"move", id, state}  + the socket handle (an open WebSocket; state: ws-conn.ts ReaderState)
//                  {t:"out", items}   items: ["send", id, data] | ["pub", frame, ids, stamp] | ["close", id, code, reason]
//                                     | ["join" | "leave", id, channel] | ["cpub", channel, frame, stamp]  (a public
//                                     channel's message, written to the members joined here; stamp: its tick's
//                                     time, lag.ts nowMs, NaN if none)
//                  {t:"limits", maxBufferedBytes, slowConsumerGraceMs, maxPayload}   (first message)
//                  {t:"end"}   terminate every socket, then answer {t:"ended"}
//   here -> main   {t:"in", items}    items: ["msg", id, bytes] | ["gone", id] | ["slow", id]
//                                     | ["cost", us per socket write, socket writes so far, lag, hop]   (<= every
//                                     100 ms; lag: [bucket, count] pairs of the ms from a tick to the end of each
//                                     socket write carrying it, hop: of the ms from a tick to its arrival here,
//                                     per member, both since the last report, lag.ts)

import type { Socket } from "node:net";
import { LagHistogram, nowMs } from "./lag.ts";
import { type ReaderState, WsConn } from "./ws-conn.ts";
import { fanoutWriter } from "./send-loop.ts";
import { threadCpuUs } from "./ws-frame.ts";

interface Conn {
  ws: WsConn;
  cut: boolean;
  /** The public channels it is a member of. */
  channels: Set<string>;
}

export type ToFanout =
  | { t: "limits"; maxBufferedBytes: number; slowConsumerGraceMs: number; maxPayload: number }
  | { t: "move"; id: number; state: ReaderState }
  | { t: "out"; items: OutItem[] }
  | { t: "end" };
export type OutItem = ["send", number, string | Uint8Array] | ["pub", Uint8Array, Int32Array, number] | ["close", number, number, string]
  | ["join", number, string] | ["leave", number, string] | ["cpub", string, Uint8Array, number];
export type InItem = ["msg", number, Uint8Array] | ["gone", number] | ["slow", number] | ["cost", number, number, number[], number[]];

const SLOW_CONSUMER = 4008;

function main(): void {
  let limits = { maxBufferedBytes: 8 << 20, slowConsumerGraceMs: 5000, maxPayload: 8 << 20 };
  const conns = new Map<number, Conn>();
  /** Public channel -> its members here (ids). */
  const groups = new Map<string, Set<number>>();
  const leave = (id: number, c: Conn, channel: string): void => {
    c.channels.delete(channel);
    const g = groups.get(channel);
    g?.delete(id);
    if (g?.size === 0) groups.delete(channel);
  };
  /** Writes a shared frame to connection `id` (skipped if gone, cut or closing). */
  const writeShared = (id: number, frame: Buffer, stamp: number): void => {
    const c = conns.get(id);
    if (c !== undefined && writable(id, c)) c.ws.sendFrame(frame, stamp);
  };
  const corker = fanoutWriter();
  /** ms from a tick to its message's arrival here, per member it is written to. */
  const hop = new LagHistogram();
  let inbox: InItem[] = [];
  let reportedAt = 0;
  let costTimer: NodeJS.Timeout | null = null;
  const reportCost = (): void => {
    costTimer = null;
    reportedAt = performance.now();
    report(["cost", corker.usPerWrite, corker.cost.writes, corker.lag.drain(), hop.drain()]);
  };
  /** To the main thread; a failure means it is gone, and "disconnect" below ends this process. */
  const toMain = (m: { t: "in"; items: InItem[] } | { t: "ended" }): void => {
    if (process.connected) process.send!(m, undefined, undefined, () => {});
  };
  const flushIn = (): void => {
    const items = inbox;
    inbox = [];
    toMain({ t: "in", items });
  };
  const report = (item: InItem): void => {
    if (inbox.length === 0) setImmediate(flushIn);
    inbox.push(item);
  };
  const asBuffer = (u: Uint8Array): Buffer => (Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength));

  /** False (and the connection cut as a slow consumer) when its unsent bytes passed the bound. */
  const writable = (id: number, c: Conn): boolean => {
    if (c.cut) return false;
    if (c.ws.bufferedAmount <= limits.maxBufferedBytes) return true;
    c.cut = true;
    report(["slow", id]);
    c.ws.close(SLOW_CONSUMER, "slow consumer");
    return false;
  };

  process.on("message", (m: ToFanout, handle?: Socket) => {
    switch (m.t) {
      case "limits":
        limits = m;
        return;
      case "move": {
        if (handle === undefined) return;
        const ws = new WsConn(handle, { maxPayload: limits.maxPayload, corker, closeGraceMs: limits.slowConsumerGraceMs }, m.state);
        const id = m.id;
        conns.set(id, { ws, cut: false, channels: new Set() });
        ws.onMessage = (data) => report(["msg", id, data]);
        ws.onClose = () => {
          const c = conns.get(id);
          if (c !== undefined) for (const ch of [...c.channels]) leave(id, c, ch);
          conns.delete(id);
          report(["gone", id]);
        };
        ws.start();
        return;
      }
      case "out": {
        const t0 = threadCpuUs();
        for (const it of m.items) {
          if (it[0] === "cpub") {
            const g = groups.get(it[1]);
            if (g === undefined) continue;
            const frame = asBuffer(it[2]);
            if (!Number.isNaN(it[3])) hop.add(nowMs() - it[3], g.size);
            for (const id of g) writeShared(id, frame, it[3]);
          } else if (it[0] === "pub") {
            const frame = asBuffer(it[1]);
            for (const id of it[2]) writeShared(id, frame, it[3]);
          } else if (it[0] === "join") {
            const c = conns.get(it[1]);
            if (c === undefined) continue;
            c.channels.add(it[2]);
            let g = groups.get(it[2]);
            if (g === undefined) groups.set(it[2], (g = new Set()));
            g.add(it[1]);
          } else if (it[0] === "leave") {
            const c = conns.get(it[1]);
            if (c !== undefined) leave(it[1], c, it[2]);
          } else if (it[0] === "send") {
            const c = conns.get(it[1]);
            if (c !== undefined && writable(it[1], c)) c.ws.send(typeof it[2] === "string" ? it[2] : asBuffer(it[2]));
          } else {
            conns.get(it[1])?.ws.close(it[2], it[3]);
          }
        }
        // The writes themselves happen when the corker releases the sockets; this is the work before them.
        corker.cost.add(threadCpuUs() - t0, 0);
        // At most every 100 ms, after these writes (a timer: so the last writes of a burst are reported too).
        if (costTimer === null) costTimer = setTimeout(reportCost, Math.max(0, 100 - (performance.now() - reportedAt)));
        return;
      }
      case "end": {
        const open = [...conns.values()].map((c) => c.ws.socket);
        let left = open.length;
        const done = () => toMain({ t: "ended" });
        if (left === 0) done();
        for (const sock of open) {
          sock.once("close", () => --left === 0 && done());
          sock.destroy();
        }
        return;
      }
    }
  });
  // A terminal's Ctrl-C reaches the whole process group: the node's own shutdown ends this process
  // (endConnections, then disconnect), after its sockets are closed in order.
  process.on("SIGINT", () => undefined);
  // The main thread went away: nothing here can answer a request any more.
  process.on("disconnect", () => {
    for (const c of conns.values()) c.ws.terminate();
    process.exit(0);
  });
}

main();
