// The RPC server (docs/api.md): fastify with JSON-RPC 2.0 on POST / and on the WebSocket /ws, batching,
// limits (body and message size, batch size, connections, per-connection and per-account rates), the
// subscription feeds and slow-consumer cut-off. It reads the node only through a NodeView. WebSockets are
// raw sockets read and written here (ws-conn.ts); with `fanoutProcs` > 0 a connection moves to a fan-out
// child process (fanout.ts, ws-links.ts) at its first public subscription, and the child writes its
// subscription messages; requests are still answered here. With the
// `webPage` option it serves the built web page at GET / and /assets/* (web-page.ts); other routes of the
// node's port (/health, /ready) are registered on `app` by their owners.

import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import fastify, { type FastifyInstance } from "fastify";
import { Counter, Gauge, register as defaultRegistry, type Registry } from "prom-client";
import { hashMessage } from "viem";
import { hexToBytes, recoverAddress } from "../clob/eip712.ts";
import { moduleLogger, type Logger } from "../log.ts";
import { type DispatchHooks, errorResponse, handleBytes } from "./dispatch.ts";
import { RpcError } from "./errors.ts";
import { FanoutPool } from "./fanout.ts";
import { Feeds, type Sink, feedMetrics } from "./feeds.ts";
import type { CallContext, ConnectionApi } from "./methods.ts";
import type { NodeView } from "./node-view.ts";
import { openRpcDocument } from "./openrpc.ts";
import { DEFAULT_LIMITS, DEFAULT_RPC_OPTIONS, KeyedBuckets, type RpcLimits, type RpcOptions, TokenBucket } from "./options.ts";
import { registerWebPage } from "./web-page.ts";
import { parseSignature } from "./wire.ts";
import { WsConn, refuseUpgrade, upgradeAnswer } from "./ws-conn.ts";
import { type SharedMessage, TurnCorker } from "./ws-frame.ts";
import { CloseCode, type Link, LocalLink, MovableLink, type Moving } from "./ws-links.ts";

export { CloseCode };

export interface RpcMetrics {
  requests: Counter<"method" | "code">;
  /** Counts one answered request in `requests` (taken into the counter when it is collected). */
  answered(method: string, code: number): void;
  wsConnections: Gauge;
  slowConsumers: Counter;
}

function getOrCreate<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

/** Answers counted since the counter's last collection, by method and code. */
type Answered = Map<string, Map<number, number>>;
/**
 * The counts of each requests counter: a request bumps a number here, and the counter takes them when it
 * is collected (a scrape). prom-client's `inc` with labels hashes the label set on every call, which
 * costs the RPC thread ~2 us per request (docs/benchmarks.md "rpc").
 */
const ANSWERED = new WeakMap<Counter<"method" | "code">, Answered>();

function requestsCounter(registers: Registry[]): Counter<"method" | "code"> {
  const answered: Answered = new Map();
  const c = new Counter({
    name: "rollbook_rpc_requests_total", help: "JSON-RPC requests answered, by method and code (0 = ok)", labelNames: ["method", "code"] as const, registers,
    collect() {
      for (const [method, byCode] of answered) for (const [code, n] of byCode) if (n > 0) this.inc({ method, code }, n);
      answered.clear();
    },
  });
  ANSWERED.set(c, answered);
  return c;
}

export function rpcMetrics(registry: Registry = defaultRegistry): RpcMetrics {
  const registers = [registry];
  const requests = getOrCreate(registry, "rollbook_rpc_requests_total", () => requestsCounter(registers));
  const answered = ANSWERED.get(requests);
  return {
    requests,
    answered: answered === undefined ? (method, code) => requests.inc({ method, code }) : (method, code) => {
      let byCode = answered.get(method);
      if (byCode === undefined) answered.set(method, (byCode = new Map()));
      byCode.set(code, (byCode.get(code) ?? 0) + 1);
    },
    wsConnections: getOrCreate(registry, "rollbook_rpc_ws_connections", () => new Gauge({ name: "rollbook_rpc_ws_connections", help: "Open WebSocket connections", registers })),
    slowConsumers: getOrCreate(registry, "rollbook_rpc_slow_consumers_total", () => new Counter({ name: "rollbook_rpc_slow_consumers_total", help: "WebSockets cut off for not reading", registers })),
  };
}

export interface RpcServerConfig {
  view: NodeView;
  options?: Partial<Omit<RpcOptions, "limits">> & { limits?: Partial<RpcLimits> };
  logger?: Logger;
  registry?: Registry;
}

export interface RpcServer {
  app: FastifyInstance;
  feeds: Feeds;
  /** The fan-out processes owning the WebSockets (`options.fanoutProcs` > 0), else null. */
  fanout: FanoutPool | null;
  options: RpcOptions;
  /** The WebSocket connections whose sockets are on this thread (not moved to a fan-out process). */
  connections(): WsConn[];
  /** Listens; returns the base URL (http://host:port). */
  listen(host: string, port: number): Promise<string>;
  close(): Promise<void>;
}

const CHALLENGE_PREFIX = "Rollbook WebSocket login\nchallenge: ";

class HttpConnection implements ConnectionApi {
  readonly transport = "http" as const;
  challenge(): string {
    throw new RpcError("METHOD_NOT_FOUND");
  }
  authenticate(): string {
    throw new RpcError("METHOD_NOT_FOUND");
  }
  subscribe(): string {
    throw new RpcError("METHOD_NOT_FOUND");
  }
  unsubscribe(): boolean {
    throw new RpcError("METHOD_NOT_FOUND");
  }
}

class WsConnection implements ConnectionApi, Sink {
  readonly transport = "ws" as const;
  readonly bucket: TokenBucket;
  private account: string | null = null;
  private pendingChallenge: string | null = null;
  private readonly subs = new Set<string>();
  closed = false;
  private readonly link: Link;
  private readonly feeds: Feeds;
  private readonly limits: RpcLimits;

  constructor(link: Link, feeds: Feeds, limits: RpcLimits) {
    this.link = link;
    this.feeds = feeds;
    this.limits = limits;
    this.bucket = new TokenBucket(limits.connRate, limits.connBurst);
  }

  send(data: Buffer | string): void {
    if (!this.closed) this.link.send(data);
  }

  sendShared(m: SharedMessage): void {
    if (!this.closed) this.link.sendShared(m);
  }

  join(channel: string): void {
    if (!this.closed) this.link.join?.(channel);
  }

  leave(channel: string): void {
    this.link.leave?.(channel);
  }

  /** Drops the connection's subscriptions (closed, or cut as a slow consumer). */
  release(): void {
    if (this.closed) return;
    this.closed = true;
    for (const id of this.subs) this.feeds.unsubscribe(this, id, this.account);
    this.subs.clear();
  }

  challenge(): string {
    this.pendingChallenge = CHALLENGE_PREFIX + "0x" + randomBytes(32).toString("hex");
    return this.pendingChallenge;
  }

  authenticate(account: string, signature: string): string {
    const message = this.pendingChallenge;
    this.pendingChallenge = null;
    if (message === null) throw new RpcError("UNAUTHORIZED", { reason: "call rb_challenge first" });
    const signer = recoverAddress(hexToBytes(hashMessage(message)), parseSignature(signature));
    if (signer === null || signer !== account.toLowerCase()) throw new RpcError("BAD_SIGNATURE", { reason: "the signature is not the account's over the challenge" });
    if (this.account !== null && this.account !== signer) {
      for (const id of [...this.subs]) if (id === "orders" || id === "fills" || id === "txs") this.unsubscribe(id);
    }
    this.account = signer;
    return signer;
  }

  subscribe(channel: string, p: Record<string, unknown>): string {
    if (this.subs.size >= this.limits.maxSubscriptions) throw new RpcError("RATE_LIMITED", { reason: `at most ${this.limits.maxSubscriptions} subscriptions per connection` });
    const market = p.market as number | undefined;
    const need = (what: string): never => {
      throw new RpcError("INVALID_PARAMS", { reason: `params.params.${what}: required for ${channel}` });
    };
    let id: string;
    if ((channel === "book" || channel === "trades" || channel === "candles") && market !== undefined) this.link.toPublic?.();
    switch (channel) {
      case "book":
        if (market === undefined) need("market");
        if (this.subs.has(`book:${market}`)) return `book:${market}`;
        id = this.feeds.subscribeBook(this, market!, (p.depth as number | undefined) ?? 1000);
        break;
      case "trades":
        if (market === undefined) need("market");
        id = this.feeds.subscribeTrades(this, market!);
        break;
      case "candles":
        if (market === undefined) need("market");
        if (p.interval === undefined) need("interval");
        id = this.feeds.subscribeCandles(this, market!, p.interval as number);
        break;
      case "orders":
      case "fills":
      case "txs":
        if (this.account === null) throw new RpcError("UNAUTHORIZED", { reason: `${channel} needs rb_challenge + rb_auth first` });
        id = this.feeds.subscribeAccount(this, channel, this.account);
        break;
      default:
        id = this.feeds.subscribeBatches(this);
    }
    this.subs.add(id);
    return id;
  }

  unsubscribe(id: string): boolean {
    if (!this.subs.delete(id)) return false;
    this.feeds.unsubscribe(this, id, this.account);
    return true;
  }
}

function resolveOptions(o: RpcServerConfig["options"] = {}): RpcOptions {
  return { ...DEFAULT_RPC_OPTIONS, ...o, limits: { ...DEFAULT_LIMITS, ...(o.limits ?? {}) } };
}

export async function createRpcServer(cfg: RpcServerConfig): Promise<RpcServer> {
  const options = resolveOptions(cfg.options);
  const limits = options.limits;
  const view = cfg.view;
  const log = cfg.logger ?? moduleLogger("rpc");
  const metrics = rpcMetrics(cfg.registry);
  const feeds = new Feeds(view, { minMs: options.tickMs, maxMs: options.maxTickMs });
  feedMetrics(cfg.registry ?? defaultRegistry, feeds);
  const accountBuckets = new KeyedBuckets(limits.accountRate, limits.accountBurst);
  const addressBuckets = new KeyedBuckets(limits.connRate, limits.connBurst);
  let discoverDoc: unknown = null;
  let wsCount = 0;

  const context = (conn: ConnectionApi): CallContext => ({
    view,
    options,
    conn,
    chargeAccount(account: string) {
      if (!accountBuckets.take(account.toLowerCase())) throw new RpcError("RATE_LIMITED", { reason: "account transaction rate" });
    },
    bookSeq: (market) => feeds.bookSeq(market),
    discover: () => (discoverDoc ??= openRpcDocument()),
  });
  const hooks = (charge: (n: number) => boolean): DispatchHooks => ({
    chargeConnection: charge,
    onInternalError: (method, err) => log.error({ err, method }, "rpc handler failed"),
    onAnswer: metrics.answered,
  });

  const app = fastify({ bodyLimit: limits.maxBodyBytes, logger: false });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));
  app.setErrorHandler((err: { code?: string; statusCode?: number }, _req, reply) => {
    const tooLarge = err.code === "FST_ERR_CTP_BODY_TOO_LARGE";
    const body = errorResponse(null, tooLarge ? "TOO_LARGE" : "INVALID_REQUEST", tooLarge ? `body longer than ${limits.maxBodyBytes} bytes` : "unreadable request");
    void reply.code(tooLarge ? 413 : (err.statusCode ?? 400)).header("content-type", "application/json").send(JSON.stringify(body));
  });
  /** A new WebSocket connection on `link`: returns what its transport calls on a message, a cut, a close. */
  const attach = (link: (conn: { cut(): void }) => Link) => {
    wsCount++;
    metrics.wsConnections.inc();
    const handle = {
      cut(): void {
        metrics.slowConsumers.inc();
        conn.release();
      },
    };
    const l = link(handle);
    const conn = new WsConnection(l, feeds, limits);
    const ctx = context(conn);
    const h = hooks((n) => conn.bucket.take(n));
    return {
      message(bytes: Buffer): void {
        void handleBytes(bytes, ctx, h, limits.maxBodyBytes, limits.maxBatch).then((out) => {
          if (out !== null) conn.send(out);
        });
      },
      cut: handle.cut,
      gone(): void {
        wsCount--;
        metrics.wsConnections.dec();
        l.gone?.();
        conn.release();
      },
    };
  };

  // Every WebSocket starts here, on a raw socket (ws-conn.ts): its requests are read and answered on this
  // thread. With fan-out processes it moves to one of them at its first public subscription (ws-links.ts).
  const corker = new TurnCorker();
  /** Connections by id: messages from a fan-out process name theirs. */
  const conns = new Map<number, ReturnType<typeof attach>>();
  /** WebSockets whose sockets are on this thread. */
  const local = new Set<WsConn>();
  let nextId = 1;
  let pool: FanoutPool | null = null;
  const moving: Moving = new Set();
  if (options.fanoutProcs > 0) {
    pool = new FanoutPool(options.fanoutProcs, { maxBufferedBytes: limits.maxBufferedBytes, slowConsumerGraceMs: limits.slowConsumerGraceMs, maxPayload: 8 * limits.maxBodyBytes, maxInflightBytes: 8 * limits.maxBufferedBytes }, {
      message: (id, data) => conns.get(id)?.message(data),
      slow: (id) => conns.get(id)?.cut(),
      gone: (id) => {
        conns.get(id)?.gone();
        conns.delete(id);
      },
    }, log, options.fanoutNice ?? 0);
    const fanout = pool;
    feeds.writeCost = fanout;
    feeds.publish = (channel, m) => {
      fanout.publish(channel, m);
      for (const l of moving) l.published(channel, m);
    };
    feeds.onPublished = fanout.flush;
  } else feeds.writeCost = corker;
  app.server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const q = req.url?.indexOf("?") ?? -1;
    if ((q < 0 ? req.url : req.url!.slice(0, q)) !== "/ws") {
      socket.destroy();
      return;
    }
    const answer = upgradeAnswer(req);
    if (!Buffer.isBuffer(answer)) return refuseUpgrade(socket, answer.refused);
    socket.write(answer);
    // Messages up to 8x the limit are read and answered TOO_LARGE; beyond that the socket closes with 1009.
    const ws = new WsConn(socket, { maxPayload: 8 * limits.maxBodyBytes, corker, closeGraceMs: limits.slowConsumerGraceMs });
    local.add(ws);
    if (wsCount >= limits.maxConnections) {
      ws.onClose = () => local.delete(ws);
      ws.close(CloseCode.TOO_MANY_CONNECTIONS, "too many connections");
      ws.start(head);
      return;
    }
    const id = nextId++;
    const fanout = pool;
    const c = attach((handle) => (fanout === null ? new LocalLink(ws, limits, handle.cut) : new MovableLink(ws, fanout, id, moving, limits, handle.cut, () => local.delete(ws))));
    conns.set(id, c);
    ws.onMessage = (data) => c.message(data);
    ws.onClose = () => {
      local.delete(ws);
      conns.get(id)?.gone();
      conns.delete(id);
    };
    ws.start(head);
  });

  const http = new HttpConnection();
  app.post("/", async (req, reply) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const key = req.ip;
    const out = await handleBytes(body, context(http), hooks((n) => addressBuckets.take(key, n)), limits.maxBodyBytes, limits.maxBatch);
    reply.header("content-type", "application/json");
    if (out === null) return reply.code(204).send();
    return reply.send(out);
  });

  if (options.webPage !== undefined) registerWebPage(app, options.webPage);

  return {
    app,
    feeds,
    fanout: pool,
    options,
    connections: () => [...local],
    async listen(host: string, port: number): Promise<string> {
      const addr = await app.listen({ host, port });
      app.server.maxConnections = limits.maxConnections;
      return addr.replace("[::1]", "127.0.0.1");
    },
    async close(): Promise<void> {
      feeds.close();
      await pool?.endConnections();
      for (const ws of local) ws.terminate();
      await app.close();
      await pool?.stop();
    },
  };
}
