// The fan-out processes' send loop (docs/api.md "Fan-out processes", docs/operator.md "Native addons"): a
// turn's frames for the sockets whose user-space write queue is empty are written by ONE call into the
// native addon (native/sockets), a non-blocking sendmsg(2) per socket on its fd, instead of a libuv write
// request per socket (1.5-1.6x less CPU in the write loop, docs/benchmarks.md "fan-out: native send loop").
// What the kernel did not take (a partial send, EAGAIN from a full socket buffer, an error) goes to the
// socket's own libuv write queue, which then holds the socket: while anything is queued there (writableLength
// > 0) its frames take that path, in order, until it drains. The slow-consumer bound reads that queue plus
// what the loop holds for the socket in this turn (`held`), as it read the corked bytes before. Without the addon (not built, not Linux, or SEND_BACKEND=js) the fan-out processes use the plain
// TurnCorker.

import { createRequire } from "node:module";
import type { Socket } from "node:net";
import { nowMs } from "./lag.ts";
import { TurnCorker, threadCpuUs } from "./ws-frame.ts";

/** native/sockets/src/sendmany.c. */
export interface NativeSockets {
  /**
   * Socket i (fd `fds[i]`) is sent bufs[idx[starts[i]]] .. bufs[idx[starts[i+1] - 1]] in one non-blocking
   * sendmsg; out[i] = bytes sent or -errno, doneAt[i] = process.hrtime ms when it returned. Returns how
   * many sockets took everything.
   */
  sendMany(fds: Int32Array, bufs: Buffer[], starts: Int32Array, idx: Int32Array, out: Int32Array, doneAt: Float64Array): number;
}

function loadNative(): NativeSockets | null {
  if (process.env.SEND_BACKEND === "js") return null;
  const require = createRequire(import.meta.url);
  for (const p of ["../../native/sockets/build/Release/sockets.node", "rollbook-sockets"]) {
    try {
      const m = require(p) as Partial<NativeSockets>;
      if (typeof m.sendMany === "function") return m as NativeSockets;
    } catch {
      // try the next location, then write through libuv
    }
  }
  return null;
}

/** The addon, or null (then the fan-out processes write through libuv). */
export const nativeSockets: NativeSockets | null = loadNative();

/** Which path the fan-out processes write with: "native" or "js". */
export const sendBackend: "native" | "js" = nativeSockets === null ? "js" : "native";

/** The socket's file descriptor, or -1 (closed: no handle; or a platform without one). */
export function socketFd(socket: Socket): number {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
  return typeof fd === "number" && Number.isInteger(fd) && fd >= 0 ? fd : -1;
}

/** process.hrtime in ms: the clock of the addon's `doneAt` (CLOCK_MONOTONIC). */
function hrMs(): number {
  const [s, ns] = process.hrtime();
  return s * 1e3 + ns / 1e6;
}

/** `a` if it holds `n` items, else a larger one (doubling; its contents are refilled each turn). */
function room<T extends Int32Array | Float64Array>(a: T, n: number, make: (n: number) => T): T {
  return a.length >= n ? a : make(Math.max(n, 2 * a.length));
}

/** `to` with `from` copied into its start. */
function grown<T extends Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

/**
 * A TurnCorker whose writes to sockets with an empty write queue are held to the end of the turn and sent
 * by one native call; the rest go the corker's way. A turn's held sockets live in slots (parallel arrays,
 * reused from turn to turn: no objects per socket and tick); a socket's first frame has its own array,
 * the rare further ones of the same turn a list.
 */
export class SendLoop extends TurnCorker {
  private readonly native: NativeSockets;
  /** Socket -> its slot this turn. */
  private readonly slot = new Map<Socket, number>();
  private readonly socks: Socket[] = [];
  private readonly first: Buffer[] = [];
  /** Frames after the first, per slot (null: none). */
  private readonly more: (Buffer[] | null)[] = [];
  /** Oldest tick stamp per slot (NaN: none) and bytes held per slot. */
  private stamps = new Float64Array(64);
  private bytes = new Int32Array(64);
  private fds = new Int32Array(64);
  private starts = new Int32Array(65);
  private idx = new Int32Array(64);
  private out = new Int32Array(64);
  private doneAt = new Float64Array(64);
  private flushing = false;
  /** Sockets a native send did not take everything from (their rest went to libuv). */
  short = 0;

  constructor(native: NativeSockets) {
    super();
    this.native = native;
  }

  override write(raw: Socket, frame: Buffer, stamp = NaN): void {
    const i = this.slot.get(raw);
    if (i !== undefined) {
      (this.more[i] ??= []).push(frame);
      this.bytes[i] += frame.length;
      if (stamp < this.stamps[i] || Number.isNaN(this.stamps[i])) this.stamps[i] = stamp; // the oldest stamp counts
      return;
    }
    // Anything queued in libuv goes first: this frame joins it.
    if (raw.writableLength > 0 || socketFd(raw) < 0) return super.write(raw, frame, stamp);
    const n = this.socks.length;
    if (n === this.stamps.length) {
      this.stamps = grown(this.stamps, new Float64Array(2 * n));
      this.bytes = grown(this.bytes, new Int32Array(2 * n));
    }
    this.slot.set(raw, n);
    this.socks.push(raw);
    this.first.push(frame);
    this.more.push(null);
    this.stamps[n] = stamp;
    this.bytes[n] = frame.length;
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(this.flush);
    }
  }

  override held(raw: Socket): number {
    const i = this.slot.get(raw);
    return i === undefined ? 0 : this.bytes[i];
  }

  override spill(raw: Socket): void {
    const i = this.slot.get(raw);
    if (i === undefined) return;
    // Its slot stays, empty: the flush sends nothing for it.
    this.slot.delete(raw);
    super.write(raw, this.first[i], this.stamps[i]);
    for (const f of this.more[i] ?? []) super.write(raw, f, this.stamps[i]);
    this.bytes[i] = 0;
  }

  private readonly flush = (): void => {
    this.flushing = false;
    const n = this.socks.length;
    if (n === 0) return;
    const t0 = threadCpuUs();
    const fds = (this.fds = room(this.fds, n, (k) => new Int32Array(k)));
    const starts = (this.starts = room(this.starts, n + 1, (k) => new Int32Array(k)));
    this.out = room(this.out, n, (k) => new Int32Array(k));
    this.doneAt = room(this.doneAt, n, (k) => new Float64Array(k));
    let frames = n;
    for (const m of this.more) if (m !== null) frames += m.length;
    const idx = (this.idx = room(this.idx, frames, (k) => new Int32Array(k)));
    // The distinct frames: mostly one (the tick's), so the last one is checked before the map.
    const bufs: Buffer[] = [];
    const bufIndex = new Map<Buffer, number>();
    const indexOf = (f: Buffer): number => {
      if (bufs.length > 0 && bufs[bufs.length - 1] === f) return bufs.length - 1;
      let b = bufIndex.get(f);
      if (b === undefined) {
        b = bufs.length;
        bufs.push(f);
        bufIndex.set(f, b);
      }
      return b;
    };
    let k = 0;
    for (let i = 0; i < n; i++) {
      // Read now: a socket destroyed in this turn has no handle (-1), and its fd number may be another's.
      fds[i] = this.bytes[i] === 0 ? -1 : socketFd(this.socks[i]);
      starts[i] = k;
      if (fds[i] < 0) continue;
      idx[k++] = indexOf(this.first[i]);
      for (const f of this.more[i] ?? []) idx[k++] = indexOf(f);
    }
    starts[n] = k;
    const out = this.out.subarray(0, n);
    const doneAt = this.doneAt.subarray(0, n);
    this.native.sendMany(fds.subarray(0, n), bufs, starts.subarray(0, n + 1), idx.subarray(0, k), out, doneAt);
    const toNowMs = nowMs() - hrMs();
    let sent = 0;
    for (let i = 0; i < n; i++) {
      if (fds[i] < 0) continue; // closed or spilled in this turn
      sent++;
      const r = out[i];
      if (r === this.bytes[i]) {
        if (!Number.isNaN(this.stamps[i])) this.lag.add(doneAt[i] + toNowMs - this.stamps[i]);
        continue;
      }
      // The first frame not taken whole, and every one after it: the socket's libuv queue, in order.
      this.short++;
      let rest = r < 0 ? 0 : r;
      for (const f of [this.first[i], ...(this.more[i] ?? [])]) {
        if (rest >= f.length) rest -= f.length;
        else {
          super.write(this.socks[i], rest > 0 ? f.subarray(rest) : f, this.stamps[i]);
          rest = 0;
        }
      }
    }
    this.cost.add(threadCpuUs() - t0, sent);
    this.slot.clear();
    this.socks.length = 0;
    this.first.length = 0;
    this.more.length = 0;
  };
}

/** The fan-out processes' writer: the native send loop when the addon is there, else the TurnCorker. */
export function fanoutWriter(): TurnCorker {
  return nativeSockets === null ? new TurnCorker() : new SendLoop(nativeSockets);
}
