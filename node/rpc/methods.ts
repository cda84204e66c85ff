// The method table (docs/api.md "Methods"): one row per method with its params schema, result schema and
// handler. The server validates params with these schemas and rpc.discover / docs/openrpc.json are
// generated from the same rows, so the document cannot drift from what the server accepts.

import { ErrorCode } from "../clob/errors.ts";
import type { Tx } from "../clob/types.ts";
import { decodeTx, encodeTx, isLowS } from "../codec/tx.ts";
import { accountKey, orderKey } from "../state/leaves.ts";
import { verifyAccountProof, verifyOrderProof } from "../state/proofs.ts";
import { RpcError, stfError } from "./errors.ts";
import type { BalanceProof, ExitProof, NodeView, OrderProof, ProofAt, ProofRefusal, StateProofInfo, SubmitResult, TxInfo, WithdrawalProof } from "./node-view.ts";
import type { RpcOptions } from "./options.ts";
import { address, hash32, limitParam, type Schema, u32, u64 } from "./schema.ts";
import { fromWire, PRIMARY_TYPES, type PrimaryType, type WireTx } from "./wire.ts";

export interface ParamSpec {
  name: string;
  schema: Schema;
  required: boolean;
  description?: string;
}

/** What a handler may use: the node view, options and its connection (WebSocket features). */
export interface CallContext {
  view: NodeView;
  options: RpcOptions;
  conn: ConnectionApi;
  /** Per-account transaction rate check; throws RATE_LIMITED. */
  chargeAccount(account: string): void;
  /** The book feed's current sequence number of a market (its last delta). */
  bookSeq(market: number): number;
  discover(): unknown;
}

/** Connection-scoped operations (subscriptions and authentication exist on WebSockets only). */
export interface ConnectionApi {
  readonly transport: "http" | "ws";
  challenge(): string;
  authenticate(account: string, signature: string): string;
  subscribe(channel: string, params: Record<string, unknown>): string;
  unsubscribe(id: string): boolean;
}

export interface MethodSpec {
  name: string;
  summary: string;
  params: ParamSpec[];
  result: { name: string; schema: Schema };
  /**
   * "tx": submits its one param `tx`, a signed transaction (per-account rate limit; the fast path of
   * fast-tx.ts reads these requests and submits without calling `handler`); "ws": WebSocket only.
   */
  tag?: "tx" | "ws" | "read" | "meta";
  handler(ctx: CallContext, p: Record<string, unknown>): unknown;
}

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const arrayOf = (name: string): Schema => ({ type: "array", items: ref(name) });
const P = (name: string, schema: Schema, required = true): ParamSpec => ({ name, schema, required });

/** A schema-checked WireTx: its Tx and canonical bytes, submitted (the full path of every "tx" method). */
function submit(ctx: CallContext, w: WireTx): Promise<TxInfo> {
  const tx: Tx = fromWire(w);
  // A high-s signature is not encodable (node/codec/tx.ts) and never valid (docs/stf.md).
  if (!isLowS(tx.sig.s)) throw stfError(ErrorCode.INVALID_SIGNATURE, { nonceConsumed: false, reason: "signature s above n/2 (high-s)" });
  // The view takes a tx with its bytes as decodeTx gives it for them (NodeView.submit).
  const bytes = encodeTx(tx);
  const d = decodeTx(bytes);
  return submitSigned(ctx, d.ok ? d.tx : tx, bytes);
}

/**
 * Submits a signed transaction with its canonical bytes (`tx` decoded from them), after the account's rate
 * check: the receipt, or the STF's refusal as an RpcError. The fast path (fast-tx.ts) calls it with the
 * bytes it read.
 */
export function submitSigned(ctx: CallContext, tx: Tx, bytes: Uint8Array): Promise<TxInfo> {
  // A promise chain, not an async function: one frame and two promises less per order (docs/benchmarks.md
  // "rpc: fewer messages, ...").
  try {
    ctx.chargeAccount(tx.account);
    return ctx.view.submit(tx, bytes).then(receiptOf);
  } catch (err) {
    return Promise.reject(err);
  }
}

/** The receipt of an accepted transaction; the STF's refusal as an RpcError. */
function receiptOf(r: SubmitResult): TxInfo {
  if (r.ok) return r.tx;
  throw stfError(r.code, {
    nonceConsumed: r.nonceConsumed,
    ...(r.txHash === null ? {} : { txHash: r.txHash }),
    ...(r.tx === null ? {} : { receipt: r.tx }),
  });
}

function txMethod(name: string, kind: PrimaryType, summary: string): MethodSpec {
  return {
    name, summary, tag: "tx",
    params: [P("tx", ref(kind))],
    result: { name: "receipt", schema: ref("TxInfo") },
    handler: (ctx, p) => submit(ctx, p.tx as WireTx),
  };
}

const MAX_DEPTH = 5000;
/** Which state a proof is against: "finalized" (default), "latest" (the latest sealed batch), a batch index or a state root. */
const PROOF_AT: Schema = {
  oneOf: [{ type: "string", enum: ["finalized", "latest"] }, u64("batch index"), hash32("state root")],
  description: "\"finalized\" (default), \"latest\" sealed batch, a batch index or a state root",
};
const CHANNELS = ["book", "trades", "candles", "orders", "fills", "txs", "batches"] as const;

function notFound(what: string): never {
  throw new RpcError("NOT_FOUND", { reason: what });
}

export const METHODS: readonly MethodSpec[] = [
  // ----- identification
  {
    name: "eth_chainId", summary: "The L2's own chain id (hex), so Ethereum tooling identifies the chain. Transactions are signed with the L1 domain (rb_domain).",
    tag: "meta", params: [], result: { name: "chainId", schema: { type: "string", pattern: "^0x[0-9a-f]+$" } },
    handler: (ctx) => "0x" + ctx.options.l2ChainId.toString(16),
  },
  {
    name: "net_version", summary: "The L2 chain id as a decimal string.",
    tag: "meta", params: [], result: { name: "version", schema: { type: "string" } },
    handler: (ctx) => String(ctx.options.l2ChainId),
  },
  {
    name: "rpc.discover", summary: "This API's OpenRPC document.",
    tag: "meta", params: [], result: { name: "openrpc", schema: { type: "object", properties: {} , additionalProperties: { type: "string" } } },
    handler: (ctx) => ctx.discover(),
  },
  {
    name: "rb_domain", summary: "The EIP-712 domain transactions are signed with (L1 chain id, Inbox address) and the L2 chain id.",
    tag: "meta", params: [], result: { name: "domain", schema: ref("Domain") },
    handler: (ctx) => {
      const d = ctx.view.domain();
      return { name: "Rollbook", version: "1", chainId: d.chainId, verifyingContract: d.verifyingContract, l2ChainId: ctx.options.l2ChainId };
    },
  },
  // ----- transactions
  {
    name: "rb_sendTx", summary: "Submit any signed transaction; answers with its soft receipt.", tag: "tx",
    params: [P("tx", { oneOf: PRIMARY_TYPES.map((k) => ref(k)) })],
    result: { name: "receipt", schema: ref("TxInfo") },
    handler: (ctx, p) => submit(ctx, p.tx as WireTx),
  },
  txMethod("rb_placeOrder", "Place", "Place an order (signed Place)."),
  txMethod("rb_cancelOrder", "Cancel", "Cancel an order by id (signed Cancel)."),
  txMethod("rb_cancelByClientId", "CancelByClientId", "Cancel an order by its client id (signed CancelByClientId)."),
  txMethod("rb_cancelAll", "CancelAll", "Cancel all of the account's orders in a market (signed CancelAll)."),
  txMethod("rb_amendOrder", "Amend", "Change an order's price and/or size (signed Amend)."),
  txMethod("rb_withdraw", "Withdraw", "Withdraw to L1 (signed Withdraw); claim on L1 once its batch is proven."),
  txMethod("rb_bulk", "Bulk", "Up to 64 place / cancel / amend / cancel-all actions under one signature, each with its own receipt (signed Bulk)."),
  txMethod("rb_approveAgent", "ApproveAgent", "Let an agent key sign trading transactions for the account until expiry (signed ApproveAgent, by the account)."),
  txMethod("rb_revokeAgent", "RevokeAgent", "Revoke an agent key (signed RevokeAgent, by the account)."),
  // ----- reads
  {
    name: "rb_getNonce", summary: "The account's next nonce (soft).", tag: "read",
    params: [P("account", address("account"))], result: { name: "nonce", schema: u64("next nonce") },
    handler: (ctx, p) => ctx.view.nonce(p.account as string),
  },
  {
    name: "rb_getBalances", summary: "The account's balances with their confirmation level.", tag: "read",
    params: [P("account", address("account"))], result: { name: "balances", schema: ref("Balances") },
    handler: (ctx, p) => ctx.view.balances(p.account as string),
  },
  {
    name: "rb_getMarkets", summary: "Every market and its parameters.", tag: "read",
    params: [], result: { name: "markets", schema: arrayOf("MarketInfo") },
    handler: (ctx) => ctx.view.markets(),
  },
  {
    name: "rb_getBook", summary: "Order book snapshot (depth levels per side) with the book feed's sequence number.", tag: "read",
    params: [P("market", u32("market")), P("depth", limitParam(MAX_DEPTH, "levels per side, default 100"), false)],
    result: { name: "book", schema: ref("BookSnapshot") },
    handler: (ctx, p) => bookSnapshot(ctx, p.market as number, (p.depth as number | undefined) ?? 100),
  },
  {
    name: "rb_getOrder", summary: "An order by id.", tag: "read",
    params: [P("orderId", u64("order id"))], result: { name: "order", schema: ref("OrderInfo") },
    handler: async (ctx, p) => (await ctx.view.order(p.orderId as number)) ?? notFound("order"),
  },
  {
    name: "rb_getOpenOrders", summary: "The account's resting orders (optionally one market).", tag: "read",
    params: [P("account", address("account")), P("market", u32("market"), false)],
    result: { name: "orders", schema: arrayOf("OrderInfo") },
    handler: (ctx, p) => ctx.view.openOrders(p.account as string, (p.market as number | undefined) ?? null),
  },
  {
    name: "rb_getOrderHistory", summary: "The account's orders, newest first, as far back as the node keeps receipts.", tag: "read",
    params: [P("account", address("account")), P("limit", limitParam(1000, "default 100"), false)],
    result: { name: "orders", schema: arrayOf("OrderInfo") },
    handler: (ctx, p) => ctx.view.orderHistory(p.account as string, (p.limit as number | undefined) ?? 100),
  },
  {
    name: "rb_getFills", summary: "The account's fills, newest first, each with its confirmation level.", tag: "read",
    params: [P("account", address("account")), P("limit", limitParam(1000, "default 100"), false)],
    result: { name: "fills", schema: arrayOf("Fill") },
    handler: (ctx, p) => ctx.view.fills(p.account as string, (p.limit as number | undefined) ?? 100),
  },
  {
    name: "rb_getTrades", summary: "Recent public trades of a market, oldest first.", tag: "read",
    params: [P("market", u32("market")), P("limit", limitParam(1000, "default 100"), false)],
    result: { name: "trades", schema: arrayOf("Trade") },
    handler: (ctx, p) => ctx.view.trades(p.market as number, (p.limit as number | undefined) ?? 100),
  },
  {
    name: "rb_getCandles", summary: "OHLCV candles of a market (interval in seconds: one of the node's intervals), oldest first.", tag: "read",
    params: [P("market", u32("market")), P("interval", u32("seconds: 60, 300, 3600 or 86400 by default")), P("limit", limitParam(1000, "default 100"), false)],
    result: { name: "candles", schema: arrayOf("Candle") },
    handler: (ctx, p) => {
      if (!ctx.view.candleIntervals().includes(p.interval as number)) throw new RpcError("INVALID_PARAMS", { reason: `params.interval: one of ${ctx.view.candleIntervals().join(",")}` });
      return ctx.view.candles(p.market as number, p.interval as number, (p.limit as number | undefined) ?? 100);
    },
  },
  {
    name: "rb_getTx", summary: "A transaction by hash: status, receipt, confirmation level.", tag: "read",
    params: [P("txHash", hash32("transaction hash"))], result: { name: "tx", schema: ref("TxInfo") },
    handler: async (ctx, p) => (await ctx.view.tx(p.txHash as string)) ?? notFound("transaction"),
  },
  {
    name: "rb_getBatch", summary: "A batch's status (default: the latest).", tag: "read",
    params: [P("batchIndex", u64("batch index"), false)], result: { name: "batch", schema: ref("BatchInfo") },
    handler: async (ctx, p) => (await ctx.view.batch((p.batchIndex as number | undefined) ?? ctx.view.sync().soft)) ?? notFound("batch"),
  },
  {
    name: "rb_proofStatus", summary: "Highest proven, safe and included batch.", tag: "read",
    params: [], result: { name: "proof", schema: ref("ProofInfo") },
    handler: (ctx) => ctx.view.proofStatus(),
  },
  {
    name: "rb_syncStatus", summary: "Highest batch at each confirmation level.", tag: "read",
    params: [], result: { name: "sync", schema: ref("SyncInfo") },
    handler: (ctx) => ctx.view.sync(),
  },
  {
    name: "rb_getDeposit", summary: "A deposit's progress from its L1 queue entry to credited.", tag: "read",
    params: [P("queueIndex", u64("L1 message queue index (the Vault's Deposited event)"))], result: { name: "deposit", schema: ref("DepositInfo") },
    handler: (ctx, p) => ctx.view.deposit(p.queueIndex as number) ?? notFound("deposit"),
  },
  {
    name: "rb_getDepositsByTx", summary: "The deposits an L1 transaction made (ascending queue index), each with its progress; NOT_FOUND when the node saw none.", tag: "read",
    params: [P("l1TxHash", hash32("hash of the L1 transaction that called Vault.deposit"))], result: { name: "deposits", schema: arrayOf("DepositInfo") },
    handler: async (ctx, p) => {
      const hash = (p.l1TxHash as string).toLowerCase();
      let l = ctx.view.depositsByL1Tx(hash);
      if (l.length === 0 && ctx.options.depositIndexesOfL1Tx !== undefined) {
        const indexes = await ctx.options.depositIndexesOfL1Tx(hash);
        if (indexes === null) throw new RpcError("RATE_LIMITED", { reason: "L1 receipt lookups in flight" });
        l = indexes.flatMap((i) => {
          const d = ctx.view.deposit(i);
          return d === null ? [] : [{ ...d, l1TxHash: hash }];
        });
      }
      return l.length > 0 ? l : notFound("deposit of that L1 transaction");
    },
  },
  // ----- proofs (docs/api.md "Proofs")
  {
    name: "rb_getFinalized", summary: "The last range of batches finalized on L1: its state root and withdrawal root.", tag: "read",
    params: [], result: { name: "range", schema: ref("FinalizedRange") },
    handler: (ctx) => ctx.view.finalized(),
  },
  {
    name: "rb_getBalanceProof", summary: "An account's balance of an asset with the Merkle proof of its ACCOUNT leaf against a state root (default: the last finalized one).", tag: "read",
    params: [P("account", address("account")), P("asset", u32("asset id")), P("at", PROOF_AT, false)],
    result: { name: "proof", schema: ref("BalanceProof") },
    handler: (ctx, p): BalanceProof => {
      const account = (p.account as string).toLowerCase();
      const asset = p.asset as number;
      const proof = served(ctx.view.stateProof(accountKey(account), proofAt(p.at)));
      const a = verifyAccountProof(proof, proof.root);
      const b = a?.balances.find((x) => x[0] === asset);
      return { account, asset, exists: a !== null, nonce: a?.nonce ?? 0, available: b?.[1] ?? 0, locked: b?.[2] ?? 0, proof };
    },
  },
  {
    name: "rb_getOrderProof", summary: "A resting order with the Merkle proof of its ORDER leaf (or of its absence) against a state root (default: the last finalized one).", tag: "read",
    params: [P("orderId", u64("order id")), P("at", PROOF_AT, false)],
    result: { name: "proof", schema: ref("OrderProof") },
    handler: (ctx, p): OrderProof => {
      const orderId = p.orderId as number;
      const proof = served(ctx.view.stateProof(orderKey(orderId), proofAt(p.at)));
      return { orderId, order: verifyOrderProof(proof, proof.root), proof };
    },
  },
  {
    name: "rb_getWithdrawalProof", summary: "A withdrawal (by id or by its transaction's hash) with the proof Vault.claim takes against its finalized withdrawal root.", tag: "read",
    params: [P("withdrawal", { oneOf: [u64("withdrawal id"), hash32("hash of the Withdraw transaction")] })],
    result: { name: "claim", schema: ref("WithdrawalProof") },
    handler: async (ctx, p): Promise<WithdrawalProof> => {
      let id = p.withdrawal;
      if (typeof id === "string") {
        const t = (await ctx.view.tx(id)) ?? notFound("transaction");
        if (t.withdrawalId < 0) throw new RpcError("NOT_FOUND", { reason: "the transaction made no withdrawal", txHash: t.txHash });
        id = t.withdrawalId;
      }
      const w = ctx.view.withdrawal(id as number) ?? notFound("withdrawal");
      if ("refused" in w) refuse(w);
      return {
        withdrawalId: w.withdrawalId, recipient: w.recipient, asset: w.asset, amount: w.amount, batchIndex: w.batchIndex,
        withdrawalRoot: w.range.withdrawalRoot, proof: w.proof, firstBatch: w.range.firstBatch, lastBatch: w.range.lastBatch, stateRoot: w.range.stateRoot,
      };
    },
  },
  {
    name: "rb_rollupStatus",
    summary: "L1 head, safe and finalized blocks, derivation lag, mempool depth and admission rate, recent batches with their DA, reorgs seen, finalized ranges and proof jobs (null where this node does not report it), and the L1 contract addresses.",
    tag: "read", params: [], result: { name: "rollup", schema: ref("RollupStatus") },
    handler: (ctx) => {
      const r = ctx.view.rollup?.() ?? {};
      return {
        l1: r.l1 ?? null, derivation: r.derivation ?? null, mempool: r.mempool ?? null, batches: r.batches ?? null, reorgs: r.reorgs ?? null,
        proofs: r.proofs ?? null, contracts: ctx.options.l1Contracts ?? null,
      };
    },
  },
  {
    name: "rb_getExitProof", summary: "Desert mode: the account's ACCOUNT leaf and trie proof against the last finalized state root, the arguments of Vault.exit, and the amount it pays.", tag: "read",
    params: [P("account", address("account")), P("asset", u32("asset id"))],
    result: { name: "exit", schema: ref("ExitProof") },
    handler: (ctx, p): ExitProof => {
      const account = (p.account as string).toLowerCase();
      const asset = p.asset as number;
      const proof = served(ctx.view.stateProof(accountKey(account), { finalized: true }));
      const a = verifyAccountProof(proof, proof.root) ?? notFound("account in the finalized state");
      const b = a.balances.find((x) => x[0] === asset);
      const amount = (b?.[1] ?? 0) + (b?.[2] ?? 0);
      if (amount === 0) throw new RpcError("NOT_FOUND", { reason: `no balance of asset ${asset} in the finalized state (batch ${proof.batchIndex})` });
      return {
        account, asset, amount, available: b![1], locked: b![2], batchIndex: proof.batchIndex, stateRoot: proof.root, leaf: proof.leaf!, siblings: proof.siblings,
      };
    },
  },
  {
    name: "rb_devnetAccounts", summary: "Devnet only: the funded accounts with their (public, well-known) private keys. Elsewhere METHOD_NOT_FOUND.",
    tag: "meta", params: [], result: { name: "accounts", schema: arrayOf("DevnetAccount") },
    handler: (ctx) => {
      if (ctx.options.devnetAccounts === undefined) throw new RpcError("METHOD_NOT_FOUND", { reason: "this node is not a devnet" });
      return ctx.options.devnetAccounts;
    },
  },
  // ----- WebSocket only
  {
    name: "rb_challenge", summary: "A one-time challenge to sign (EIP-191 personal message) for rb_auth. WebSocket only.", tag: "ws",
    params: [], result: { name: "message", schema: { type: "string" } },
    handler: (ctx) => ctx.conn.challenge(),
  },
  {
    name: "rb_auth", summary: "Authenticate this WebSocket as `account` with a personal_sign signature of the rb_challenge message.", tag: "ws",
    params: [P("account", address("account")), P("signature", { type: "string", pattern: "^0x[0-9a-fA-F]{130}$" })],
    result: { name: "account", schema: address("authenticated account") },
    handler: (ctx, p) => ctx.conn.authenticate(p.account as string, p.signature as string),
  },
  {
    name: "rb_subscribe",
    summary: "Subscribe: book {market, depth?} (snapshot then deltas with seq), trades {market}, candles {market, interval}, orders / fills / txs (authenticated account), batches. Notifications: rb_subscription.",
    tag: "ws",
    params: [
      P("channel", { type: "string", enum: CHANNELS }),
      P("params", {
        type: "object", additionalProperties: false, required: [],
        properties: { market: u32("market"), depth: limitParam(MAX_DEPTH, "book snapshot levels, default 1000"), interval: u32("candle interval, seconds") },
      }, false),
    ],
    result: { name: "subscription", schema: { type: "string" } },
    handler: (ctx, p) => ctx.conn.subscribe(p.channel as string, (p.params as Record<string, unknown> | undefined) ?? {}),
  },
  {
    name: "rb_unsubscribe", summary: "Stop a subscription.", tag: "ws",
    params: [P("subscription", { type: "string", maxLength: 64, pattern: "^[a-z]+(:[0-9]+){0,2}$", description: "the id rb_subscribe returned" })], result: { name: "removed", schema: { type: "boolean" } },
    handler: (ctx, p) => ctx.conn.unsubscribe(p.subscription as string),
  },
];

function proofAt(at: unknown): ProofAt {
  if (at === undefined || at === "finalized") return { finalized: true };
  if (at === "latest") return { latest: true };
  if (typeof at === "number") return { batchIndex: at };
  return { root: at as string };
}

function refuse(r: ProofRefusal): never {
  const data = { reason: r.reason, provenBatch: r.provenBatch, ...(r.batchIndex === undefined ? {} : { batchIndex: r.batchIndex }) };
  throw new RpcError(r.refused === "not-finalized" ? "NOT_FINALIZED" : "PROOF_UNAVAILABLE", data);
}

function served(r: StateProofInfo | ProofRefusal): StateProofInfo {
  if ("refused" in r) refuse(r);
  return r;
}

/** A book snapshot with the book feed's sequence number it matches. */
function bookSnapshot(ctx: CallContext, market: number, depth: number): unknown {
  const b = ctx.view.book(market, depth);
  if (b === null) notFound("market");
  return { market: b.market, batchIndex: b.batchIndex, seq: ctx.bookSeq(market), bids: b.bids, asks: b.asks };
}

export const METHOD_BY_NAME: ReadonlyMap<string, MethodSpec> = new Map(METHODS.map((m) => [m.name, m]));
