// The page's connection to the node: HTTP reads through RollbookClient and one WebSocket that reconnects
// by itself (doubling delay, 250 ms to 5 s) and re-subscribes every channel the views asked for, so each
// feed starts again from its snapshot. Views listen to the connection state to show "stale".

import { RollbookClient } from "../../client/client.ts";
import { channelKey, WsTransport } from "../../client/transport.ts";

export type ConnState = "connecting" | "open" | "down";

/** One channel (by its key) and every view listening to it. */
interface Sub {
  channel: string;
  params: Record<string, unknown>;
  handlers: Set<(m: unknown) => void>;
}

export class Live {
  readonly url: string;
  readonly client: RollbookClient;
  state: ConnState = "connecting";
  /** Successful (re)connections; the tests read it from window.rollbook. */
  connects = 0;
  private ws: WsTransport | null = null;
  private readonly subs = new Map<string, Sub>();
  private readonly stateListeners = new Set<(s: ConnState) => void>();
  private delay = 250;

  constructor(url: string) {
    this.url = url;
    this.client = new RollbookClient({ url });
  }

  start(): void {
    void this.connect();
  }

  private setState(s: ConnState): void {
    this.state = s;
    for (const f of this.stateListeners) f(s);
  }

  onState(f: (s: ConnState) => void): () => void {
    this.stateListeners.add(f);
    return () => this.stateListeners.delete(f);
  }

  private async connect(): Promise<void> {
    this.setState("connecting");
    let ws: WsTransport;
    try {
      ws = await WsTransport.connect(this.client.wsUrl);
    } catch {
      this.retry();
      return;
    }
    this.ws = ws;
    this.delay = 250;
    this.connects++;
    void ws.closed.then(() => {
      if (this.ws === ws) this.ws = null;
      this.retry();
    });
    this.setState("open");
    for (const s of this.subs.values()) void this.open(ws, s);
  }

  private retry(): void {
    this.setState("down");
    setTimeout(() => void this.connect(), this.delay);
    this.delay = Math.min(5000, this.delay * 2);
  }

  private async open(ws: WsTransport, s: Sub): Promise<void> {
    try {
      await ws.subscribe(s.channel, s.params, (m) => {
        for (const f of s.handlers) f(m);
      });
    } catch {
      // the socket dropped while subscribing: the reconnect subscribes again
    }
  }

  /** Subscribes now (if connected) and after every reconnect; returns the function that stops it. */
  subscribe(channel: string, params: Record<string, unknown>, on: (m: unknown) => void): () => void {
    const key = channelKey(channel, params);
    let s = this.subs.get(key);
    if (s === undefined) {
      s = { channel, params, handlers: new Set() };
      this.subs.set(key, s);
      if (this.ws !== null && this.state === "open") void this.open(this.ws, s);
    }
    const sub = s;
    sub.handlers.add(on);
    return () => {
      sub.handlers.delete(on);
      if (sub.handlers.size > 0 || this.subs.get(key) !== sub) return;
      this.subs.delete(key);
      void this.ws?.request("rb_unsubscribe", [key]).catch(() => {});
    };
  }
}
