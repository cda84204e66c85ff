// A WebSocket fan-out process (docs/api.md "Fan-out processes"), forked by fanout.ts with `advanced` IPC
// serialization. The node's main thread hands it each upgraded /ws TCP socket (`child.send(msg, socket)`,
// the fd passes over the IPC channel); from then on this process owns the socket: it completes the RFC 6455
// handshake with the `ws` library, reads the client's frames and forwards every text message to the main
// thread, and writes what the main thread sends back. A tick's shared message (a book delta, trades, a
// candle) arrives once, as its prebuilt frame with the ids of the connections subscribed, and is written
// straight to each of those TCP sockets here, so the main thread pays one IPC message per tick instead
// of one socket write per subscriber. Slow consumers are cut here (close 4008), where the unsent bytes are
// known, and reported to the main thread, which drops their subscriptions. The CPU time of the writes
// (per socket write, ws-frame.ts WriteCost) is reported too: the main thread spaces its ticks by it.
//
// IPC protocol (arrays, to keep the serialization cheap):
//   main -> here   {t:"conn", id, method, url, headers, head, reject?}  + the socket handle
//                  {t:"out", items}   items: ["send", id, data] | ["pub", frame, ids] | ["close", id, code, reason]
//                                     | ["join" | "leave", id, channel] | ["cpub", channel, frame]  (a public
//                                     channel's message, written to the members joined here)
//                  {t:"limits", maxBufferedBytes, slowConsumerGraceMs, maxPayload}   (first message)
//                  {t:"end"}   terminate every socket, then answer {t:"ended"}
//   here -> main   {t:"in", items}    items: ["msg", id, text] | ["gone", id] | ["slow", id]
//                                     | ["cost", us per socket write, socket writes so far]   (<= every 100 ms)

import type { Socket } from "node:net";
// @ts-expect-error: ws ships no types here; WebSocketServer.handleUpgrade completes the handshake
import { WebSocketServer } from "ws";
import { TurnCorker, threadCpuUs } from "./ws-frame.ts";

/** The part of a `ws` WebSocket used here. */
interface Ws {
  readonly bufferedAmount: number;
  readonly readyState: number;
  readonly _socket: Socket;
  send(data: Buffer | string, opts: { binary: boolean }): void;
  close(code: number, reason: string): void;
  terminate(): void;
  on(event: "message", f: (data: Buffer) => void): void;
  on(event: "close" | "error", f: () => void): void;
}

interface Conn {
  ws: Ws;
  cut: boolean;
  /** The public channels it is a member of. */
  channels: Set<string>;
}

export type ToFanout =
  | { t: "limits"; maxBufferedBytes: number; slowConsumerGraceMs: number; maxPayload: number }
  | { t: "conn"; id: number; method: string; url: string; headers: Record<string, string | string[] | undefined>; head: Uint8Array; reject?: { code: number; reason: string } }
  | { t: "out"; items: OutItem[] }
  | { t: "end" };
export type OutItem = ["send", number, string | Uint8Array] | ["pub", Uint8Array, Int32Array] | ["close", number, number, string]
  | ["join", number, string] | ["leave", number, string] | ["cpub", string, Uint8Array];
export type InItem = ["msg", number, string] | ["gone", number] | ["slow", number] | ["cost", number, number];

const SLOW_CONSUMER = 4008;
const WS_OPEN = 1;

function main(): void {
  let limits = { maxBufferedBytes: 8 << 20, slowConsumerGraceMs: 5000, maxPayload: 8 << 20 };
  let wss: { handleUpgrade(req: unknown, socket: Socket, head: Buffer, cb: (ws: Ws) => void): void } | null = null;
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
  const writeShared = (id: number, frame: Buffer): void => {
    const c = conns.get(id);
    if (c === undefined || !writable(id, c) || c.ws.readyState !== WS_OPEN) return;
    corker.hold(c.ws._socket);
    c.ws._socket.write(frame);
  };
  const corker = new TurnCorker();
  let inbox: InItem[] = [];
  let reportedAt = 0;
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
    setTimeout(() => c.ws.terminate(), limits.slowConsumerGraceMs).unref();
    return false;
  };

  process.on("message", (m: ToFanout, handle?: Socket) => {
    switch (m.t) {
      case "limits":
        limits = m;
        wss = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false, maxPayload: m.maxPayload });
        return;
      case "conn": {
        if (handle === undefined || wss === null) return;
        const req = { method: m.method, url: m.url, headers: m.headers, socket: handle };
        wss.handleUpgrade(req, handle, asBuffer(m.head), (ws) => {
          if (m.reject !== undefined) {
            ws.close(m.reject.code, m.reject.reason);
            return;
          }
          conns.set(m.id, { ws, cut: false, channels: new Set() });
          ws.on("message", (data) => report(["msg", m.id, data.toString("utf8")]));
          ws.on("error", () => ws.terminate());
        });
        // Also when the handshake fails (the main thread counted the connection when it handed it over).
        handle.once("close", () => {
          const c = conns.get(m.id);
          if (c !== undefined) for (const ch of [...c.channels]) leave(m.id, c, ch);
          conns.delete(m.id);
          if (m.reject === undefined) report(["gone", m.id]);
        });
        return;
      }
      case "out": {
        const t0 = threadCpuUs();
        for (const it of m.items) {
          if (it[0] === "cpub") {
            const g = groups.get(it[1]);
            if (g === undefined) continue;
            const frame = asBuffer(it[2]);
            for (const id of g) writeShared(id, frame);
          } else if (it[0] === "pub") {
            const frame = asBuffer(it[1]);
            for (const id of it[2]) writeShared(id, frame);
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
            if (c === undefined || !writable(it[1], c)) continue;
            corker.hold(c.ws._socket);
            c.ws.send(typeof it[2] === "string" ? it[2] : asBuffer(it[2]), { binary: false });
          } else {
            conns.get(it[1])?.ws.close(it[2], it[3]);
          }
        }
        // The writes themselves happen when the corker releases the sockets; this is the work before them.
        corker.cost.add(threadCpuUs() - t0, 0);
        const now = performance.now();
        if (now - reportedAt >= 100) {
          reportedAt = now;
          report(["cost", corker.usPerWrite, corker.cost.writes]);
        }
        return;
      }
      case "end": {
        const open = [...conns.values()].map((c) => c.ws._socket);
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
