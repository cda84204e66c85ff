// Transports of the Rollbook client: JSON-RPC over HTTP (fetch) and over a WebSocket (the WHATWG
// WebSocket of browsers and Node 22), with subscriptions. No Node-only imports (docs/api.md "Client").

export class RollbookRpcError extends Error {
  readonly code: number;
  readonly data: Record<string, unknown> | undefined;
  constructor(e: { code: number; message: string; data?: Record<string, unknown> }) {
    super(`${e.message} (${e.code})${e.data?.stfName !== undefined ? ` ${String(e.data.stfName)}` : ""}${e.data?.reason !== undefined ? `: ${String(e.data.reason)}` : ""}`);
    this.name = "RollbookRpcError";
    this.code = e.code;
    this.data = e.data;
  }
  /** The STF's error name when the STF refused a transaction (e.g. "NONCE_TOO_LOW"). */
  get stfName(): string | undefined {
    return this.data?.stfName as string | undefined;
  }
}

export interface Transport {
  request<T = unknown>(method: string, params?: unknown[] | Record<string, unknown>): Promise<T>;
  close(): void;
}

type Reply = { id: number; result?: unknown; error?: { code: number; message: string; data?: Record<string, unknown> } };

export class HttpTransport implements Transport {
  private id = 0;
  readonly url: string;
  constructor(url: string) {
    this.url = url;
  }
  async request<T>(method: string, params: unknown[] | Record<string, unknown> = []): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: ++this.id, method, params }) });
    } catch (err) {
      // fetch says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, ...) is in its cause
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(`cannot reach the node at ${this.url}: ${cause?.code ?? cause?.message ?? (err as Error).message}`, { cause: err });
    }
    const text = await res.text();
    let body: Reply;
    try {
      body = JSON.parse(text) as Reply;
    } catch {
      throw new Error(`${this.url} answered HTTP ${res.status} without a JSON-RPC reply: ${JSON.stringify(text.slice(0, 80))}`);
    }
    if (body.error !== undefined) throw new RollbookRpcError(body.error);
    return body.result as T;
  }
  close(): void {}
}

export interface Subscription {
  readonly id: string;
  unsubscribe(): Promise<void>;
}

/** JSON-RPC over one WebSocket: requests by id, notifications dispatched by subscription id. */
export class WsTransport implements Transport {
  private id = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly handlers = new Map<string, (result: unknown) => void>();
  readonly socket: WebSocket;
  /** Resolves with the close code and reason when the socket closes. */
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    this.closed = new Promise((resolve) => {
      socket.addEventListener("close", (ev) => {
        for (const p of this.pending.values()) p.reject(new Error(`socket closed (${ev.code} ${ev.reason})`));
        this.pending.clear();
        resolve({ code: ev.code, reason: ev.reason });
      });
    });
    socket.addEventListener("message", (ev) => this.onMessage(typeof ev.data === "string" ? ev.data : new TextDecoder().decode(ev.data as ArrayBuffer)));
  }

  static connect(url: string): Promise<WsTransport> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      socket.binaryType = "arraybuffer";
      const t = new WsTransport(socket);
      socket.addEventListener("open", () => resolve(t), { once: true });
      socket.addEventListener("error", () => reject(new Error(`cannot connect to ${url}`)), { once: true });
    });
  }

  private onMessage(text: string): void {
    const msg = JSON.parse(text) as Reply & { method?: string; params?: { subscription: string; result: unknown } };
    if (msg.method === "rb_subscription" && msg.params !== undefined) {
      this.handlers.get(msg.params.subscription)?.(msg.params.result);
      return;
    }
    const p = this.pending.get(msg.id);
    if (p === undefined) return;
    this.pending.delete(msg.id);
    if (msg.error !== undefined) p.reject(new RollbookRpcError(msg.error));
    else p.resolve(msg.result);
  }

  request<T>(method: string, params: unknown[] | Record<string, unknown> = []): Promise<T> {
    const id = ++this.id;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.socket.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
    });
  }

  /**
   * Subscribes; `onMessage` gets every notification. The handler is installed before the request is sent,
   * under the channel key the server uses as subscription id, so the first message (a book snapshot) is
   * never missed.
   */
  async subscribe(channel: string, params: Record<string, unknown>, onMessage: (result: unknown) => void): Promise<Subscription> {
    const key = channelKey(channel, params);
    this.handlers.set(key, onMessage);
    let id: string;
    try {
      id = await this.request<string>("rb_subscribe", [channel, params]);
    } catch (e) {
      this.handlers.delete(key);
      throw e;
    }
    if (id !== key) {
      this.handlers.delete(key);
      this.handlers.set(id, onMessage);
    }
    return {
      id,
      unsubscribe: async () => {
        this.handlers.delete(id);
        await this.request("rb_unsubscribe", [id]);
      },
    };
  }

  close(): void {
    this.socket.close();
  }
}

/** The subscription id the server gives a channel (docs/api.md "Subscriptions"). */
export function channelKey(channel: string, p: Record<string, unknown>): string {
  if (channel === "book" || channel === "trades") return `${channel}:${String(p.market)}`;
  if (channel === "candles") return `candles:${String(p.market)}:${String(p.interval)}`;
  return channel;
}
