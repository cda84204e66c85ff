// One WebSocket message for many subscribers (docs/api.md "Subscriptions"): the JSON bytes, and the complete
// unmasked RFC 6455 text frame (FIN, opcode 1, no extension bits: the server never negotiates
// permessage-deflate) built once on first use, so fanning a tick's delta out to N sockets is N writes of
// the same Buffer with no per-socket framing; and the per-turn corking of the sockets written.

import { LagHistogram, nowMs } from "./lag.ts";

/** Bytes of the header of an unmasked frame with `n` payload bytes. */
function headerLength(n: number): number {
  return n < 126 ? 2 : n < 65536 ? 4 : 10;
}

/** Writes the header of an unmasked final frame of `opcode` with `n` payload bytes; returns its length. */
function writeHeader(out: Buffer, opcode: number, n: number): number {
  out[0] = 0x80 | opcode;
  if (n < 126) {
    out[1] = n;
    return 2;
  }
  if (n < 65536) {
    out[1] = 126;
    out.writeUInt16BE(n, 2);
    return 4;
  }
  out[1] = 127;
  out.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
  out.writeUInt32BE(n >>> 0, 6);
  return 10;
}

/** An unmasked final frame (server to client, RFC 6455 5.2) of `opcode` carrying `payload`. */
export function serverFrame(opcode: number, payload: Buffer | string): Buffer {
  const n = typeof payload === "string" ? Buffer.byteLength(payload) : payload.length;
  const out = Buffer.allocUnsafe(headerLength(n) + n);
  const h = writeHeader(out, opcode, n);
  if (typeof payload === "string") out.write(payload, h, "utf8");
  else payload.copy(out, h);
  return out;
}

/** The frame of an unmasked final text message carrying `payload`. */
export function textFrame(payload: Buffer): Buffer {
  return serverFrame(1, payload);
}

/** A message sent to many subscribers: serialized once, framed once. */
export class SharedMessage {
  readonly payload: Buffer;
  /** lag.ts `nowMs` when the tick that made it ran (NaN: not a tick's message); the writes' delays are measured from it. */
  readonly stamp: number;
  private framed: Buffer | null = null;
  constructor(payload: Buffer, stamp = NaN) {
    this.payload = payload;
    this.stamp = stamp;
  }
  /** The complete WebSocket frame (built on first use). */
  get frame(): Buffer {
    return (this.framed ??= textFrame(this.payload));
  }
}

/** The TCP socket under a WebSocket (ws keeps it as `_socket`). */
export interface RawSocket {
  write(data: Buffer): boolean;
  cork(): void;
  uncork(): void;
}

/** CPU us of one loopback socket write on the development machine (docs/benchmarks.md "fanout"). */
export const DEFAULT_US_PER_WRITE = 10;

/**
 * The CPU cost of socket writes, measured where they happen (docs/api.md "Subscriptions", the tick): CPU time
 * and writes accumulate, and every `WINDOW` writes the window's mean CPU time per write becomes the
 * estimate. Until the first window closes the estimate is `initialUs`.
 */
export class WriteCost {
  static readonly WINDOW = 1000;
  /** Mean CPU us per socket write over the last closed window. */
  usPerWrite: number;
  /** Socket writes counted since the start. */
  writes = 0;
  private cpuUs = 0;
  private n = 0;

  constructor(initialUs = DEFAULT_US_PER_WRITE) {
    this.usPerWrite = initialUs;
  }

  /** Adds `cpuUs` of CPU time spent on `writes` writes (0 writes: time that belongs to the next ones). */
  add(cpuUs: number, writes: number): void {
    this.cpuUs += cpuUs;
    this.n += writes;
    this.writes += writes;
    if (this.n >= WriteCost.WINDOW) {
      this.usPerWrite = this.cpuUs / this.n;
      this.cpuUs = 0;
      this.n = 0;
    }
  }
}

/** CPU time of this thread, us. */
export function threadCpuUs(): number {
  const c = process.threadCpuUsage();
  return c.user + c.system;
}

/**
 * Coalesces each connection's writes of one event-loop turn (acknowledgements, a tick's book, trades and
 * candle messages) into one socket write: the first write of a turn corks the TCP socket, and one
 * setImmediate uncorks every socket corked in that turn. The uncorks are the system calls: their CPU time
 * per socket is `cost` (what a tick's fan-out costs, feeds.ts). A socket write that carries a tick's
 * message is timed from the oldest such message's stamp to the end of its uncork, in `lag`.
 */
export class TurnCorker {
  readonly cost = new WriteCost();
  /** ms from a tick (its message's stamp) to the end of the socket write that carried it, per socket write. */
  readonly lag = new LagHistogram();
  /** The writes fan out from one thread (the interface feeds.ts reads the cost through). */
  readonly parallel = 1;
  /** Sockets corked this turn -> the oldest tick stamp they carry (NaN: none). */
  private readonly corked = new Map<RawSocket, number>();
  private scheduled = false;

  get usPerWrite(): number {
    return this.cost.usPerWrite;
  }

  get writes(): number {
    return this.cost.writes;
  }

  /** Writes `frame` to `raw`, corked until the end of this turn; `stamp`: it carries a tick's message stamped then. */
  write(raw: RawSocket, frame: Buffer, stamp = NaN): void {
    this.hold(raw, stamp);
    raw.write(frame);
  }

  /**
   * Hands what this writer holds back for `raw` to the socket's own write queue, before the socket is
   * ended (a corked write is in that queue already; send-loop.ts holds some outside it).
   */
  spill(_raw: RawSocket): void {}

  /** Bytes written to `raw` that this writer holds outside the socket's own queue (send-loop.ts). */
  held(_raw: RawSocket): number {
    return 0;
  }

  /** Corks `raw` until the end of this turn; `stamp`: the write carries a tick's message stamped then. */
  hold(raw: RawSocket, stamp = NaN): void {
    const held = this.corked.get(raw);
    if (held !== undefined) {
      if (stamp < held || Number.isNaN(held)) this.corked.set(raw, stamp); // the oldest stamp counts
      return;
    }
    raw.cork();
    this.corked.set(raw, stamp);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.release);
    }
  }

  private readonly release = (): void => {
    this.scheduled = false;
    const t0 = threadCpuUs();
    for (const [raw, stamp] of this.corked) {
      raw.uncork();
      if (!Number.isNaN(stamp)) this.lag.add(nowMs() - stamp);
    }
    this.cost.add(threadCpuUs() - t0, this.corked.size);
    this.corked.clear();
  };
}
