// The fan-out processes' send loop (docs/api.md "Fan-out processes", docs/operator.md "Native addons"): a
// turn's frames for the sockets whose user-space write queue is empty are written by ONE call into the
// native addon (native/sockets), a non-blocking sendmsg(2) per socket on its fd, instead of a libuv write
// request per socket (about 1.3x less CPU per socket write, docs/benchmarks.md "fan-out: native send loop").
// What the kernel did not take (a partial send, EAGAIN from a full socket buffer, an error) goes to the
// socket's own libuv write queue, which then holds the socket: while anything is queued there (writableLength
// > 0) its frames take that path, in order, until it drains; the slow-consumer bound reads that queue as
// before. Without the addon (not built, not Linux, or SEND_BACKEND=js) the fan-out processes use the plain
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

/** A socket's frames of this turn, and the oldest tick stamp among them (NaN: none). */
interface Held {
  frames: Buffer[];
  stamp: number;
}

/**
 * A TurnCorker whose writes to sockets with an empty write queue are held to the end of the turn and sent
 * by one native call; the rest go the corker's way.
 */
export class SendLoop extends TurnCorker {
  private readonly native: NativeSockets;
  private readonly held = new Map<Socket, Held>();
  private flushing = false;
  /** Sockets a native send did not take everything from (their rest went to libuv). */
  short = 0;

  constructor(native: NativeSockets) {
    super();
    this.native = native;
  }

  override write(raw: Socket, frame: Buffer, stamp = NaN): void {
    let h = this.held.get(raw);
    if (h === undefined) {
      // Anything queued in libuv goes first: this frame joins it.
      if (raw.writableLength > 0 || socketFd(raw) < 0) return super.write(raw, frame, stamp);
      h = { frames: [], stamp: NaN };
      this.held.set(raw, h);
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(this.flush);
      }
    }
    h.frames.push(frame);
    if (stamp < h.stamp || Number.isNaN(h.stamp)) h.stamp = stamp; // the oldest stamp counts
  }

  override spill(raw: Socket): void {
    const h = this.held.get(raw);
    if (h === undefined) return;
    this.held.delete(raw);
    for (const f of h.frames) super.write(raw, f, h.stamp);
  }

  private readonly flush = (): void => {
    this.flushing = false;
    const n = this.held.size;
    if (n === 0) return;
    const t0 = threadCpuUs();
    const fds = new Int32Array(n);
    const starts = new Int32Array(n + 1);
    const bufs: Buffer[] = [];
    const bufIndex = new Map<Buffer, number>();
    const idx: number[] = [];
    let i = 0;
    for (const [raw, h] of this.held) {
      // Read now: a socket destroyed in this turn has no handle (-1), and its fd number may be another's.
      fds[i] = socketFd(raw);
      starts[i++] = idx.length;
      for (const f of h.frames) {
        let b = bufIndex.get(f);
        if (b === undefined) {
          b = bufs.length;
          bufs.push(f);
          bufIndex.set(f, b);
        }
        idx.push(b);
      }
    }
    starts[n] = idx.length;
    const out = new Int32Array(n);
    const doneAt = new Float64Array(n);
    this.native.sendMany(fds, bufs, starts, Int32Array.from(idx), out, doneAt);
    const toNowMs = nowMs() - hrMs();
    i = 0;
    for (const [raw, h] of this.held) {
      const sent = out[i];
      const fd = fds[i];
      const at = doneAt[i++];
      if (fd < 0) continue; // closed in this turn: nothing to write to
      let rest = sent < 0 ? 0 : sent;
      let whole = true;
      for (const f of h.frames) {
        if (rest >= f.length) {
          rest -= f.length;
          continue;
        }
        // The first frame not taken whole, and every one after it: the socket's libuv queue, in order.
        super.write(raw, rest > 0 ? f.subarray(rest) : f, h.stamp);
        rest = 0;
        whole = false;
      }
      if (!whole) this.short++;
      else if (!Number.isNaN(h.stamp)) this.lag.add(at + toNowMs - h.stamp);
    }
    this.held.clear();
    this.cost.add(threadCpuUs() - t0, n);
  };
}

/** The fan-out processes' writer: the native send loop when the addon is there, else the TurnCorker. */
export function fanoutWriter(): TurnCorker {
  return nativeSockets === null ? new TurnCorker() : new SendLoop(nativeSockets);
}
