// Where a WebSocket connection's messages are written (docs/api.md "Fan-out processes"): its socket on the
// RPC thread (LocalLink), or, once it has subscribed to a public channel, a fan-out process (MovableLink
// after its move). A connection that only trades keeps its socket on the RPC thread for its whole life:
// its requests and answers never cross the IPC channel.
//
// The move keeps the connection's order: from the moment it starts, what the RPC thread produces for the
// connection (answers, the snapshot, joins, deltas) is buffered here; the socket stops being read and its
// queued writes reach the kernel (ws-conn.ts `detach`); the socket goes to the child, then the buffered
// items follow it in the child's queue, and the IPC channel delivers them after the handle. A public
// channel's tick message published while the move is under way is buffered for the connection if it joined
// that channel meanwhile (the child does not know it as a member yet). The buffer is bounded by
// `maxBufferedBytes` like a socket's unsent bytes: past it the connection is cut as a slow consumer.

import type { RpcLimits } from "./options.ts";
import type { FanoutPool } from "./fanout.ts";
import type { WsConn } from "./ws-conn.ts";
import type { SharedMessage } from "./ws-frame.ts";

/** WebSocket close codes of the server (docs/api.md "Subscriptions"). */
export const CloseCode = { TOO_MANY_CONNECTIONS: 1013, SLOW_CONSUMER: 4008 } as const;

/** Where a WebSocket connection's messages are written. */
export interface Link {
  send(data: Buffer | string): void;
  sendShared(m: SharedMessage): void;
  /** Public channel membership, kept where the socket is written (fan-out processes), feeds.ts. */
  join?(channel: string): void;
  leave?(channel: string): void;
  /** The connection subscribes to a public channel: its socket goes where those are written. */
  toPublic?(): void;
  /** The connection is gone. */
  gone?(): void;
}

/** A socket on this thread: written here (corked per turn by the WsConn's corker). */
export class LocalLink implements Link {
  private readonly ws: WsConn;
  private readonly limits: RpcLimits;
  private readonly onCut: () => void;
  private cutOff = false;

  constructor(ws: WsConn, limits: RpcLimits, onCut: () => void) {
    this.ws = ws;
    this.limits = limits;
    this.onCut = onCut;
  }

  /** False (and the connection cut as a slow consumer) when its unsent bytes passed the bound. */
  private writable(): boolean {
    if (this.cutOff) return false;
    if (this.ws.bufferedAmount <= this.limits.maxBufferedBytes) return true;
    // Slow consumer: stop sending, close with 4008 (the socket is destroyed if it still does not read).
    this.cutOff = true;
    this.onCut();
    this.ws.close(CloseCode.SLOW_CONSUMER, "slow consumer");
    return false;
  }

  send(data: Buffer | string): void {
    if (this.writable()) this.ws.send(data);
  }

  /** A message shared by many subscribers: its prebuilt frame straight onto the TCP socket. */
  sendShared(m: SharedMessage): void {
    if (this.writable()) this.ws.sendFrame(m.frame, m.stamp);
  }
}

type Held = ["send", Buffer | string] | ["shared", SharedMessage] | ["join", string] | ["leave", string];

/** The links whose move is under way (they take a public channel's messages for the channels they joined). */
export type Moving = Set<MovableLink>;

/** A socket that starts on this thread and moves to a fan-out process at its first public subscription. */
export class MovableLink implements Link {
  private readonly ws: WsConn;
  private readonly pool: FanoutPool;
  private readonly id: number;
  private readonly moving: Moving;
  private readonly limits: RpcLimits;
  private readonly onCut: () => void;
  private readonly onMoved: () => void;
  /** Until the move starts. */
  private local: LocalLink | null;
  /** While the move is under way: what was produced for the connection, in order, and its bytes. */
  private held: Held[] | null = null;
  private heldBytes = 0;
  /** Public channels joined while moving. */
  private joined = new Set<string>();
  private dead = false;

  /** `onMoved`: the socket has gone to a fan-out process. */
  constructor(ws: WsConn, pool: FanoutPool, id: number, moving: Moving, limits: RpcLimits, onCut: () => void, onMoved: () => void) {
    this.ws = ws;
    this.onMoved = onMoved;
    this.pool = pool;
    this.id = id;
    this.moving = moving;
    this.limits = limits;
    this.onCut = onCut;
    this.local = new LocalLink(ws, limits, onCut);
  }

  /** On this thread still (not moving, not moved). */
  get isLocal(): boolean {
    return this.local !== null;
  }

  private hold(h: Held, bytes: number): void {
    if (this.dead) return;
    this.held!.push(h);
    this.heldBytes += bytes;
    if (this.heldBytes <= this.limits.maxBufferedBytes) return;
    // Slow consumer while its socket drains: drop what is held and the connection (reported gone by its close).
    this.dead = true;
    this.held = [];
    this.onCut();
    this.ws.terminate();
  }

  send(data: Buffer | string): void {
    if (this.local !== null) this.local.send(data);
    else if (this.held !== null) this.hold(["send", data], data.length);
    else this.pool.send(this.id, data);
  }

  sendShared(m: SharedMessage): void {
    if (this.local !== null) this.local.sendShared(m);
    else if (this.held !== null) this.hold(["shared", m], m.payload.length);
    else this.pool.sendShared(this.id, m);
  }

  join(channel: string): void {
    this.toPublic();
    if (this.held !== null) {
      this.joined.add(channel);
      this.hold(["join", channel], 0);
    } else this.pool.join(this.id, channel);
  }

  leave(channel: string): void {
    if (this.local !== null) return; // never joined
    if (this.held !== null) {
      this.joined.delete(channel);
      this.hold(["leave", channel], 0);
    } else this.pool.leave(this.id, channel);
  }

  /** A public channel's tick message, published while this link moves. */
  published(channel: string, m: SharedMessage): void {
    if (this.held !== null && this.joined.has(channel)) this.hold(["shared", m], m.payload.length);
  }

  toPublic(): void {
    if (this.local === null || this.dead) return;
    this.local = null;
    this.held = [];
    this.moving.add(this);
    this.ws.detach((state) => {
      this.moving.delete(this);
      if (this.dead) return;
      this.pool.move(this.id, this.ws.socket, state);
      this.onMoved();
      const held = this.held!;
      this.held = null;
      this.joined.clear();
      for (const h of held) {
        if (h[0] === "send") this.pool.send(this.id, h[1]);
        else if (h[0] === "shared") this.pool.sendShared(this.id, h[1]);
        else if (h[0] === "join") this.pool.join(this.id, h[1]);
        else this.pool.leave(this.id, h[1]);
      }
    });
  }

  gone(): void {
    this.dead = true;
    this.moving.delete(this);
  }
}
