// The `mm` role: the market maker running in the node. It drives MarketMaker (maker.ts) on a timer against
// the sequencer through SequencerExchange (bulk transactions signed by the maker's agent key, the same
// signed path as any trader), with its reference inputs (references.ts), metrics on the admin registry and
// a status object for the admin routes (admin-routes.ts). docs/market-maker.md "In the node".
//
// Inventory after a soft-state rebuild (another proposer's batch, an L1 reorg): the sequencer re-executes
// pending transactions on the canonical state, so fills the maker counted may be undone and fills it never
// saw (a competing proposer's batch trading against its orders) may be in the balances. After every
// rebuild the next step reconciles: per base asset, the account's balance change since the start is the
// sum of inventory x lot over the markets on that asset; the difference is booked on the first such market
// (reconcile()).
//
// Life cycle: waiting (until every configured market is listed and the maker's agent key is approved on
// the soft state) -> starting (one CANCEL_ALL per market clears orders left by an earlier run, waits for
// soft) -> running (a quote cycle every cycleMs) -> stopped (stop(): one CANCEL_ALL per market, waits
// until soft, then stops listening).

import type { FastifyPluginAsync } from "fastify";
import type { Registry } from "prom-client";
import { addressOfPrivateKey } from "../clob/eip712.ts";
import type { Address } from "../clob/types.ts";
import { type NodeConfig, makerConfigOf } from "../config.ts";
import type { Logger } from "../log.ts";
import { LEVEL_NAMES } from "./actions.ts";
import { mmAdminRoutes } from "./admin-routes.ts";
import type { MarketMakerConfig } from "./config.ts";
import type { RefEvent } from "./feeds/types.ts";
import { type MakerStatus, MarketMaker, type MarketStatus } from "./maker.ts";
import { makerMetrics } from "./metrics.ts";
import { type ReferenceInput, referenceInput } from "./references.ts";
import { DEVNET_CHAIN_ID, DEVNET_MAKER } from "./devnet.ts";
import { MakerRuntimeError } from "./errors.ts";
import type { RiskLimits } from "./risk.ts";
import { SequencerExchange, type SequencerPort } from "./sequencer-exchange.ts";

export type RuntimeState = "waiting" | "starting" | "running" | "stopped";

export interface MakerRuntimeOptions {
  config: MarketMakerConfig;
  port: SequencerPort;
  /** The maker's funded account. */
  account: Address;
  /** Private key of the agent the account approved (APPROVE_AGENT). */
  agentKey: Uint8Array;
  registry?: Registry;
  logger?: Logger;
  /** Clock (ms); default Date.now. */
  clock?: () => number;
  /** Reference inputs by reference index, replacing the configured ones (tests, stand-ins). */
  inputs?: readonly ReferenceInput[];
  /** When true no timer runs: the caller drives step() (tests). */
  manual?: boolean;
  /** How long stop() waits for the cancel-all to be soft (ms, default 10 000). */
  stopTimeoutMs?: number;
}

export interface InFlight {
  /** Bulks sent and not acknowledged. */
  pending: number;
  soft: number;
  included: number;
  safe: number;
}

export interface RuntimeMarketStatus extends MarketStatus {
  /** Our best quotes against the fair value (ticks): fair - best bid, best ask - fair (null: no quote). */
  quotesVsReference: { fair: number; bestBid: number | null; bestAsk: number | null; bidDistance: number | null; askDistance: number | null };
  /** The whole book's top (ours and others'), ticks, -1: none. */
  book: { bestBid: number; bestAsk: number };
  inFlight: InFlight;
}

export interface ReferenceStatus {
  name: string;
  source: string;
  events: number;
  issues: Record<string, number>;
  /** Receive time (ms) of its last event, null before the first. */
  lastMs: number | null;
}

export interface RuntimeStatus extends Omit<MakerStatus, "markets"> {
  state: RuntimeState;
  /** While waiting: what the runtime waits for. */
  waitingFor: string[];
  account: Address;
  agent: Address;
  cycleMs: number;
  cycles: number;
  cycleErrors: number;
  /** Inventory reconciliations from the account's balances (after soft-state rebuilds) and the lots they moved. */
  reconciliations: { count: number; lots: number; lastMs: number | null };
  limits: RiskLimits;
  references: ReferenceStatus[];
  markets: RuntimeMarketStatus[];
}

export class MakerRuntime {
  readonly config: MarketMakerConfig;
  readonly account: Address;
  readonly agent: Address;
  state: RuntimeState = "waiting";
  waitingFor: string[] = [];
  maker: MarketMaker | null = null;
  exchange: SequencerExchange | null = null;
  cycles = 0;
  cycleErrors = 0;
  private readonly o: MakerRuntimeOptions;
  private readonly clock: () => number;
  private readonly log: Logger | null;
  private inputs: readonly ReferenceInput[] = [];
  private readonly refStats: ReferenceStatus[];
  private timer: NodeJS.Timeout | null = null;
  private starting: Promise<void> | null = null;
  /** Account balance (available + locked) per base asset when quoting began: inventory 0. */
  private baseline = new Map<number, number>();
  /** Soft-state rebuilds already reconciled (SequencerExchange.rebuilds). */
  private rebuildsSeen = 0;
  readonly reconciliations: { count: number; lots: number; lastMs: number | null } = { count: 0, lots: 0, lastMs: null };

  constructor(o: MakerRuntimeOptions) {
    this.o = o;
    this.config = o.config;
    this.account = o.account.toLowerCase() as Address;
    this.agent = addressOfPrivateKey(o.agentKey);
    this.clock = o.clock ?? Date.now;
    this.log = o.logger ?? null;
    this.refStats = o.config.references.map((r) => ({ name: r.name, source: r.source, events: 0, issues: {}, lastMs: null }));
  }

  /** Starts the timer (unless manual): every cycleMs, step(). */
  start(): void {
    if (this.o.manual || this.timer !== null || this.state === "stopped") return;
    this.timer = setInterval(() => this.step(), this.config.cycleMs);
  }

  /** One tick: while waiting, checks the preconditions; while running, polls the references and quotes. */
  step(nowMs: number = this.clock()): void {
    try {
      if (this.state === "waiting") this.checkReady();
      if (this.state !== "running" || this.maker === null) return;
      for (const input of this.inputs) input.poll(nowMs);
      if (this.exchange !== null && this.exchange.rebuilds !== this.rebuildsSeen && this.reconcile(nowMs)) this.rebuildsSeen = this.exchange.rebuilds;
      this.maker.cycle(nowMs);
      this.cycles++;
    } catch (err) {
      // a failing cycle must never take the node down: counted, logged, the next tick tries again
      this.cycleErrors++;
      this.log?.error({ err }, "market maker cycle failed");
    }
  }

  /** Resolves when the runtime is running (after its start-up cancel-all is soft). */
  async ready(): Promise<void> {
    while (this.state === "waiting") {
      this.step();
      if (this.state === "waiting") await new Promise((r) => setTimeout(r, Math.min(this.config.cycleMs, 200)));
    }
    await this.starting;
  }

  /**
   * The manual kill switch: one CANCEL_ALL per market; resolves when it is soft, with the status (or, when
   * the sequencer did not take it, with `killError` set: the next cycles resend it).
   */
  async kill(detail: string, nowMs: number = this.clock()): Promise<RuntimeStatus> {
    const mm = this.running();
    mm.kill(detail, nowMs);
    await mm.killAck?.catch(() => undefined);
    return this.status(nowMs);
  }

  /** The explicit reset after a kill. */
  reset(by: string, nowMs: number = this.clock()): RuntimeStatus {
    const mm = this.running();
    if (!mm.risk.killed) throw new MakerRuntimeError("MM_NOT_KILLED", "the kill switch is not tripped");
    mm.reset(by, nowMs);
    return this.status(nowMs);
  }

  /** Shutdown: stops quoting, one CANCEL_ALL per market, waits until it is soft (bounded), stops listening. */
  async stop(): Promise<void> {
    if (this.state === "stopped") return;
    const wasRunning = this.maker !== null;
    this.state = "stopped";
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    for (const input of this.inputs) input.stop();
    if (wasRunning) {
      await this.starting?.catch(() => undefined);
      const timeout = this.o.stopTimeoutMs ?? 10_000;
      let t: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          this.maker!.stop(),
          new Promise((_, reject) => {
            t = setTimeout(() => reject(new Error(`cancel-all not soft within ${timeout} ms`)), timeout);
          }),
        ]);
        this.log?.info("market maker stopped: every quote cancelled (soft)");
      } catch (err) {
        this.log?.error({ err }, "market maker stop: cancel-all failed");
      } finally {
        clearTimeout(t);
      }
    }
    this.exchange?.close();
  }

  /**
   * Sets each market's inventory from the account's soft balances: per base asset, the balance change since
   * quoting began minus what the tracked inventories explain is booked (at the mark) on the first market
   * quoting that asset. False (try again next step) while a market with a difference has no mark yet.
   */
  reconcile(nowMs: number = this.clock()): boolean {
    const mm = this.maker;
    if (mm === null) return false;
    const soft = this.o.port.softState();
    const idx = soft.accountIndex.get(this.account);
    const acct = idx === undefined ? undefined : soft.accounts[idx];
    if (acct === undefined) return false;
    const byAsset = new Map<number, { q: (typeof mm.quoters)[number]; lot: number }[]>();
    for (const q of mm.quoters) {
      const p = soft.markets.get(q.market)?.params;
      if (p === undefined) continue;
      byAsset.set(p.baseAsset, [...(byAsset.get(p.baseAsset) ?? []), { q, lot: p.lotSize }]);
    }
    let done = true;
    for (const [asset, markets] of byAsset) {
      const explained = markets.reduce((a, m) => a + m.q.pnl.inventory * m.lot, 0);
      const drift = acct.available(asset) + acct.locked(asset) - (this.baseline.get(asset) ?? 0) - explained;
      const first = markets[0]!;
      const lots = Math.trunc(drift / first.lot);
      if (lots === 0) continue;
      if (Number.isNaN(first.q.pnl.mark)) {
        if (Number.isNaN(first.q.fair)) {
          done = false;
          continue;
        }
        first.q.pnl.onMark(nowMs / 1000, first.q.fair);
      }
      first.q.pnl.reconcile(lots);
      this.reconciliations.count++;
      this.reconciliations.lots += Math.abs(lots);
      this.reconciliations.lastMs = nowMs;
      this.log?.warn({ market: first.q.market, asset, lots, inventory: first.q.pnl.inventory }, "market maker inventory reconciled from the account's balances after a soft-state rebuild");
    }
    return done;
  }

  status(nowMs: number = this.clock()): RuntimeStatus {
    const base = {
      state: this.state, waitingFor: [...this.waitingFor], account: this.account, agent: this.agent, cycleMs: this.config.cycleMs,
      cycles: this.cycles, cycleErrors: this.cycleErrors, reconciliations: { ...this.reconciliations }, limits: { ...this.config.limits }, references: this.refStats.map((r) => ({ ...r, issues: { ...r.issues } })),
    };
    const mm = this.maker;
    if (mm === null) return { ...base, killed: false, kills: [], resets: [], killCancel: LEVEL_NAMES[0], killError: "", pnl: 0, markets: [] };
    const st = mm.status(nowMs);
    return {
      ...base, ...st,
      markets: st.markets.map((m) => {
        const q = mm.quoters.find((x) => x.market === m.market)!;
        const bid = m.quotes.bids[0]?.price ?? null;
        const ask = m.quotes.asks[0]?.price ?? null;
        const fair = m.fair;
        const inFlight: InFlight = { pending: 0, soft: 0, included: 0, safe: 0 };
        for (const b of q.tracker.inflight.values()) {
          if (b.level === 0) inFlight.pending++;
          else if (b.level === 1) inFlight.soft++;
          else if (b.level === 2) inFlight.included++;
          else inFlight.safe++;
        }
        return {
          ...m,
          quotesVsReference: { fair, bestBid: bid, bestAsk: ask, bidDistance: bid === null ? null : fair - bid, askDistance: ask === null ? null : ask - fair },
          book: this.exchange!.top(m.market),
          inFlight,
        };
      }),
    };
  }

  private running(): MarketMaker {
    if (this.maker === null || this.state === "stopped") throw new MakerRuntimeError("MM_NOT_RUNNING", `the market maker is ${this.state}${this.waitingFor.length > 0 ? ` (waiting for ${this.waitingFor.join(", ")})` : ""}`);
    return this.maker;
  }

  /** Markets listed and the agent approved on the soft state: build the maker and start it. */
  private checkReady(): void {
    const soft = this.o.port.softState();
    const missing: string[] = [];
    for (const m of this.config.markets) if (!soft.markets.has(m.market)) missing.push(`market ${m.market} to be listed`);
    const idx = soft.accountIndex.get(this.account);
    const acct = idx === undefined ? undefined : soft.accounts[idx];
    if (acct === undefined) missing.push(`account ${this.account} to exist (a deposit)`);
    else if (!acct.agentActive(this.agent, soft.timestamp)) missing.push(`agent ${this.agent} to be approved by ${this.account}`);
    if (missing.length > 0) {
      if (missing.join() !== this.waitingFor.join()) this.log?.info({ waitingFor: missing }, "market maker waiting");
      this.waitingFor = missing;
      return;
    }
    this.waitingFor = [];
    // tickValue is the market's tickSize (quote units per tick per lot): read from the listed market
    const config: MarketMakerConfig = {
      ...this.config,
      markets: this.config.markets.map((m) => ({ ...m, tickValue: soft.markets.get(m.market)!.params.tickSize })),
    };
    this.exchange = new SequencerExchange({ port: this.o.port, account: this.account, agentKey: this.o.agentKey });
    const mm = new MarketMaker({ config, exchange: this.exchange, clock: this.clock, registry: this.o.registry, logger: this.log ?? undefined });
    this.maker = mm;
    this.state = "starting";
    this.log?.info({ account: this.account, agent: this.agent, markets: config.markets.map((m) => m.market) }, "market maker starting");
    this.starting = mm.pullAll().then(
      () => this.begin(mm),
      (err: unknown) => {
        this.log?.error({ err }, "market maker start-up cancel-all failed; retrying");
        if (this.state === "starting") {
          this.exchange?.close();
          this.maker = null;
          this.exchange = null;
          this.state = "waiting";
        }
      },
    );
  }

  private begin(mm: MarketMaker): void {
    if (this.state !== "starting") return;
    const startMs = this.clock();
    // inventory starts at 0: the balances now are the baseline reconcile() measures from
    const soft = this.o.port.softState();
    const acct = soft.accounts[soft.accountIndex.get(this.account)!]!;
    for (const q of mm.quoters) {
      const asset = soft.markets.get(q.market)!.params.baseAsset;
      this.baseline.set(asset, acct.available(asset) + acct.locked(asset));
    }
    this.rebuildsSeen = this.exchange?.rebuilds ?? 0;
    const metrics = this.o.registry ? makerMetrics(this.o.registry) : null;
    this.inputs = this.o.inputs ?? this.config.references.map((r) => referenceInput(r, startMs, this.clock));
    this.inputs.forEach((input, ref) => {
      const st = this.refStats[ref]!;
      input.start({
        event: (e: RefEvent) => {
          st.events++;
          st.lastMs = e.recvMs;
          mm.onReference(ref, e);
        },
        issue: (i) => {
          st.issues[i.kind] = (st.issues[i.kind] ?? 0) + 1;
          metrics?.referenceIssues.inc({ reference: st.name, kind: i.kind });
          this.log?.warn({ reference: st.name, kind: i.kind, detail: i.detail }, "reference data issue");
        },
      });
    });
    this.state = "running";
    this.log?.info("market maker running");
  }
}

/** What node/app passes to a role's start function (the parts the market maker uses). */
export interface MarketMakerDeps {
  sequencer: SequencerPort;
  /** The admin listener's registry (metrics are never on the public port). */
  registry?: Registry;
  logger?: Logger;
  clock?: () => number;
  inputs?: readonly ReferenceInput[];
  manual?: boolean;
}

/** Parses a 32-byte hex private key ("0x" optional). */
export function parsePrivateKey(hex: string, key: string): Uint8Array {
  const h = hex.startsWith("0x") ? hex.slice(2) : hex;
  if (!/^[0-9a-fA-F]{64}$/.test(h)) throw new MakerRuntimeError("MM_CONFIG_INVALID", `${key}: a 32-byte hex private key`);
  return Uint8Array.from(Buffer.from(h, "hex"));
}

/**
 * The `mm` role's start function for node/app's role registry: builds the runtime from the node
 * configuration's `mm` section and starts its timer (it waits by itself for the markets to be listed and
 * the agent to be approved). Its stop() is the role's shutdown; call it before the sequencer closes, since
 * it cancels every quote through it. Mount its admin routes with mmAdminRoutes (admin-routes.ts).
 */
export function startMarketMaker(config: NodeConfig, deps: MarketMakerDeps): MakerRuntime {
  const agentKey = parsePrivateKey(config.mm.agentKey, "mm.agentKey");
  const chainId = deps.sequencer.softState().config.domain.chainId;
  if (chainId !== DEVNET_CHAIN_ID && (agentKey.every((b, i) => b === DEVNET_MAKER.agent.priv[i]) || config.mm.account.toLowerCase() === DEVNET_MAKER.account.address)) {
    throw new MakerRuntimeError("MM_DEVNET_KEY", `mm.account / mm.agentKey: the devnet's public keys on chain ${chainId}; configure the maker's own`);
  }
  const rt = new MakerRuntime({
    config: makerConfigOf(config), port: deps.sequencer, account: config.mm.account as Address, agentKey,
    registry: deps.registry, logger: deps.logger, clock: deps.clock, inputs: deps.inputs, manual: deps.manual,
  });
  rt.start();
  return rt;
}

/** What node/app's role registry passes a role's start function (the parts the market maker uses). */
export interface MmRoleContext {
  config: NodeConfig;
  logger: Logger;
  registry: Registry;
  /** Present when the node sequences: the maker submits through it. */
  sequencer: SequencerPort | undefined;
  registerAdminRoutes(plugin: FastifyPluginAsync, opts?: { prefix?: string }): void;
}

/**
 * The `mm` role for node/app's role registry (`mm: mmRole` in ROLE_STARTERS): starts the runtime on the
 * node's sequencer, registers its metrics on the node's registry and its /mm/* routes on the admin
 * listener (token: config.admin.token, CORS: config.mm.webOrigin); the handle's stop() cancels every quote.
 */
export async function mmRole(ctx: MmRoleContext): Promise<{ stop(): Promise<void>; runtime: MakerRuntime }> {
  if (ctx.sequencer === undefined) throw new MakerRuntimeError("MM_NEEDS_SEQUENCER", "roles: mm submits through this node's sequencer: add sequencer");
  const runtime = startMarketMaker(ctx.config, { sequencer: ctx.sequencer, registry: ctx.registry, logger: ctx.logger.child({ role: "mm" }) });
  const token = (ctx.config as { admin?: { token?: string } }).admin?.token ?? "";
  const routes: FastifyPluginAsync = (app) => mmAdminRoutes(app, { runtime, token, webOrigin: ctx.config.mm.webOrigin });
  ctx.registerAdminRoutes(routes);
  return { runtime, stop: () => runtime.stop() };
}
