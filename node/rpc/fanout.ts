// WebSocket fan-out processes, the main thread's side (docs/api.md "Fan-out processes"). With
// `rpc.fanoutProcs` > 0 the RPC server moves a WebSocket to one of that many child processes
// (fanout-process.ts, the one with the fewest connections) when it first subscribes to a public channel
// (ws-links.ts; connections that only trade stay on the main thread); the child owns the socket from then
// on, and the connection's traffic crosses the IPC channel: the client's messages come in, answers and
// subscription messages go out. Everything for one child within an event-loop turn goes out as ONE IPC
// message, and a shared message is in it once, as its prebuilt frame: a public channel's (a tick's book
// delta, trades, candle) with the channel's name, the child holding the channel's members (joins and
// leaves travel in the same queue, so a member gets exactly the messages after its snapshot); any other
// with the ids of the subscribers on that child. So the main thread's cost of a tick does not grow with the
// number of subscribers at all, where it grew by a socket write (a system call, 5-13 us on this machine)
// each.
//
// Order: one child, one IPC channel, one queue (a moved socket's handle first, then what follows it), so a
// connection's answers, snapshot and deltas arrive in the order the main thread produced them. Memory: the
// bytes handed to a child's channel and not yet written are counted; above `maxInflightBytes` the shared messages for that child are dropped (its subscribers
// see a seq gap and resync with one call, docs/api.md) until it catches up, and the drops are counted.
// A child that dies takes its connections with it (they are reported gone) and is replaced. The children
// report the CPU time of their socket writes: `usPerWrite` and `parallel` are what feeds.ts spaces its
// ticks by.

import { fork, type ChildProcess } from "node:child_process";
import { setPriority } from "node:os";
import type { Socket } from "node:net";
import type { Logger } from "../log.ts";
import type { InItem, OutItem, ToFanout } from "./fanout-process.ts";
import type { ReaderState } from "./ws-conn.ts";
import { LagHistogram } from "./lag.ts";
import { DEFAULT_US_PER_WRITE, type SharedMessage } from "./ws-frame.ts";

const CHILD = new URL("./fanout-process.ts", import.meta.url);

export interface FanoutEvents {
  /** A message from connection `id`. */
  message(id: number, data: Buffer): void;
  /** Connection `id` is closed (or its process died). */
  gone(id: number): void;
  /** Connection `id` was cut as a slow consumer (close 4008). */
  slow(id: number): void;
}

export interface FanoutLimits {
  maxBufferedBytes: number;
  slowConsumerGraceMs: number;
  maxPayload: number;
  /** Bytes handed to a child's IPC channel and not yet written, above which shared messages are dropped. */
  maxInflightBytes: number;
}

type Pending = ["send", number, string | Buffer] | ["pub", SharedMessage, number[]] | ["close", number, number, string]
  | ["join", number, string] | ["leave", number, string] | ["cpub", string, SharedMessage];

interface Proc {
  child: ChildProcess;
  conns: Set<number>;
  queue: Pending[];
  inflight: number;
  /** CPU us per socket write and socket writes so far, as the child last reported them. */
  usPerWrite: number;
  writes: number;
}

export class FanoutPool {
  private readonly procs: Proc[] = [];
  private readonly byConn = new Map<number, Proc>();
  private readonly limits: FanoutLimits;
  private readonly events: FanoutEvents;
  private readonly log: Logger;
  private scheduled = false;
  private stopping = false;
  /** Shared messages not handed to a child because its channel was over `maxInflightBytes`. */
  dropped = 0;
  /** ms from a tick to the end of each socket write carrying its message, all children (as reported). */
  readonly lag = new LagHistogram();
  /** ms from a tick to its message's arrival in a child, per member written to (as reported). */
  readonly hop = new LagHistogram();

  /** The children's nice value (0: as this process). */
  private readonly nice: number;

  /** `nice`: the children's scheduling priority (os.setPriority; refused without the privilege: a warning). */
  constructor(n: number, limits: FanoutLimits, events: FanoutEvents, log: Logger, nice = 0) {
    this.limits = limits;
    this.events = events;
    this.log = log;
    this.nice = nice;
    for (let i = 0; i < n; i++) this.procs.push(this.spawn());
  }

  private spawn(): Proc {
    const child = fork(CHILD, [], { serialization: "advanced", execArgv: [], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    const p: Proc = { child, conns: new Set(), queue: [], inflight: 0, usPerWrite: DEFAULT_US_PER_WRITE, writes: 0 };
    if (this.nice !== 0 && child.pid !== undefined) {
      // The child's main thread (its pid), which reads and writes the sockets; its helper threads, started
      // before this, keep the default.
      try {
        setPriority(child.pid, this.nice);
      } catch (err) {
        this.log.warn({ err, nice: this.nice }, "cannot set the fan-out process's nice value (CAP_SYS_NICE is needed below 0); it runs at the default");
      }
    }
    const first: ToFanout = { t: "limits", maxBufferedBytes: this.limits.maxBufferedBytes, slowConsumerGraceMs: this.limits.slowConsumerGraceMs, maxPayload: this.limits.maxPayload };
    child.send(first);
    child.on("message", (m: { t: "in"; items: InItem[] } | { t: "ended" }) => {
      if (m.t === "ended") return;
      for (const it of m.items) {
        if (it[0] === "msg") this.events.message(it[1], Buffer.from(it[2].buffer, it[2].byteOffset, it[2].byteLength));
        else if (it[0] === "slow") this.events.slow(it[1]);
        else if (it[0] === "cost") {
          p.usPerWrite = it[1];
          p.writes = it[2];
          this.lag.merge(it[3]);
          this.hop.merge(it[4]);
        } else this.forget(p, it[1]);
      }
    });
    child.on("error", (err) => this.log.error({ err }, "fan-out process error"));
    child.once("exit", (code, signal) => {
      const i = this.procs.indexOf(p);
      for (const id of [...p.conns]) this.forget(p, id);
      if (this.stopping || i < 0) return;
      this.log.error({ code, signal }, "fan-out process died; its connections are gone, starting another");
      this.procs[i] = this.spawn();
    });
    return p;
  }

  /** CPU us per socket write: the most any child that has written reported (before any: the default). */
  get usPerWrite(): number {
    let us = 0;
    for (const p of this.procs) if (p.writes > 0) us = Math.max(us, p.usPerWrite);
    return us > 0 ? us : DEFAULT_US_PER_WRITE;
  }

  /** The writes are spread over this many processes. */
  get parallel(): number {
    return this.procs.length;
  }

  /** Socket writes the children have made (as last reported; a replaced child's are gone). */
  get writes(): number {
    let n = 0;
    for (const p of this.procs) n += p.writes;
    return n;
  }

  /** The children's process ids (for metrics and tests). */
  pids(): number[] {
    return this.procs.map((p) => p.child.pid ?? 0);
  }

  private forget(p: Proc, id: number): void {
    if (!p.conns.delete(id)) return;
    this.byConn.delete(id);
    this.events.gone(id);
  }

  /**
   * Moves open WebSocket `id` to the child with the fewest connections: `socket` (detached: not read, its
   * writes done, ws-conn.ts) goes with what its reader held (`state`). Everything sent for `id` after this
   * call follows it in the child's queue: the IPC channel keeps messages after a handle behind it.
   */
  move(id: number, socket: Socket, state: ReaderState): void {
    let p = this.procs[0];
    for (const q of this.procs) if (q.conns.size < p.conns.size) p = q;
    p.conns.add(id);
    this.byConn.set(id, p);
    const m: ToFanout = { t: "move", id, state };
    p.child.send(m, socket, (err) => {
      if (err !== null && err !== undefined) {
        socket.destroy();
        this.forget(p, id);
      }
    });
  }

  private enqueue(p: Proc, item: Pending): void {
    p.queue.push(item);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  send(id: number, data: string | Buffer): void {
    const p = this.byConn.get(id);
    if (p !== undefined) this.enqueue(p, ["send", id, data]);
  }

  /** A shared message for connection `id`: consecutive ones for the same message become one item. */
  sendShared(id: number, m: SharedMessage): void {
    const p = this.byConn.get(id);
    if (p === undefined) return;
    const last = p.queue.at(-1);
    if (last !== undefined && last[0] === "pub" && last[1] === m) last[2].push(id);
    else this.enqueue(p, ["pub", m, [id]]);
  }

  /** Connection `id` joins public channel `channel` (the child keeps the membership, for `publish`). */
  join(id: number, channel: string): void {
    const p = this.byConn.get(id);
    if (p !== undefined) this.enqueue(p, ["join", id, channel]);
  }

  leave(id: number, channel: string): void {
    const p = this.byConn.get(id);
    if (p !== undefined) this.enqueue(p, ["leave", id, channel]);
  }

  /** A tick's message of a public channel: once to every child, which writes it to the members it holds. */
  publish(channel: string, m: SharedMessage): void {
    for (const p of this.procs) if (p.conns.size > 0) this.enqueue(p, ["cpub", channel, m]);
  }

  close(id: number, code: number, reason: string): void {
    const p = this.byConn.get(id);
    if (p !== undefined) this.enqueue(p, ["close", id, code, reason]);
  }

  /**
   * Hands every child what is queued for it now, one IPC message each (otherwise at the end of this
   * event-loop turn): a tick calls it, so its message does not wait for the rest of the turn's I/O.
   */
  readonly flush = (): void => {
    this.scheduled = false;
    for (const p of this.procs) {
      if (p.queue.length === 0) continue;
      const over = p.inflight > this.limits.maxInflightBytes;
      const items: OutItem[] = [];
      let bytes = 0;
      for (const it of p.queue) {
        if (it[0] === "pub") {
          if (over) {
            this.dropped++;
            continue;
          }
          const frame = it[1].frame;
          bytes += frame.length + 4 * it[2].length;
          items.push(["pub", frame, Int32Array.from(it[2]), it[1].stamp]);
        } else if (it[0] === "cpub") {
          if (over) {
            this.dropped++;
            continue;
          }
          bytes += it[2].frame.length;
          items.push(["cpub", it[1], it[2].frame, it[2].stamp]);
        } else {
          if (it[0] === "send") bytes += it[2].length;
          items.push(it);
        }
      }
      p.queue = [];
      if (items.length === 0) continue;
      p.inflight += bytes;
      if (p.child.connected) p.child.send({ t: "out", items } satisfies ToFanout, (err) => {
        p.inflight -= bytes;
        if (err !== null && err !== undefined && !this.stopping) this.log.warn({ err }, "fan-out IPC write failed");
      });
    }
  };

  /**
   * Closes every connection (the children destroy their sockets). Before the HTTP server closes: it counts
   * the sockets handed to the children as its own until they report them closed.
   */
  async endConnections(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.procs.map((p) => new Promise<void>((ok) => {
      if (!p.child.connected) return ok();
      const onMsg = (m: { t: string }) => {
        if (m.t !== "ended") return;
        p.child.off("message", onMsg);
        ok();
      };
      p.child.on("message", onMsg);
      p.child.once("exit", () => ok());
      p.child.send({ t: "end" } satisfies ToFanout);
    })));
  }

  /** Disconnects the children (each terminates its sockets and exits) and waits for them. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.procs.map((p) => new Promise<void>((ok) => {
      if (p.child.exitCode !== null || p.child.signalCode !== null) return ok();
      const kill = setTimeout(() => p.child.kill("SIGKILL"), 2000);
      p.child.once("exit", () => {
        clearTimeout(kill);
        ok();
      });
      if (p.child.connected) p.child.disconnect();
      else p.child.kill();
    })));
  }
}
