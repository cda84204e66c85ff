// The narrow view of a node that the RPC serves (docs/api.md "Node view"): reads of markets, books,
// orders, balances, receipts with their confirmation levels, sync/batch/proof status, deposit progress;
// `submit` for signed transactions; one event source. A sequencer, a follower-only replica (deriving from
// L1) or the in-process SoftNode of soft-node.ts implement it, and the same API runs over any of them.
// The result shapes here are the JSON the API returns.

import type { Eip712Domain, Tx } from "../clob/types.ts";

/** soft (executed by a sequencer) -> included (batch in an L1 block) -> safe (L1 block finalized) -> proven. */
export type ConfirmationLevel = "soft" | "included" | "safe" | "proven";
export const LEVELS: readonly ConfirmationLevel[] = ["soft", "included", "safe", "proven"];

export interface MarketInfo {
  market: number;
  baseAsset: number;
  quoteAsset: number;
  lotSize: number;
  tickSize: number;
  minSize: number;
  makerFeePpm: number;
  takerFeePpm: number;
  status: "active" | "cancel-only" | "halted";
}

export interface BookLevel {
  price: number;
  size: number;
  orders: number;
}

export interface BookSnapshot {
  market: number;
  /** The book at this applied position: [batch, tx within it] (soft level). */
  batchIndex: number;
  bids: BookLevel[];
  asks: BookLevel[];
}

export type OrderState = "open" | "partially-filled" | "filled" | "cancelled" | "expired";

export interface OrderInfo {
  orderId: number;
  market: number;
  account: string;
  side: number;
  price: number;
  /** Size when placed (lots). */
  size: number;
  filled: number;
  /** Lots resting now. */
  remaining: number;
  clientId: number;
  state: OrderState;
  /** Batch and tx hash of the placing transaction. */
  batchIndex: number;
  txHash: string;
  /** Confirmation level of the order's latest change. */
  level: ConfirmationLevel;
  updatedBatch: number;
}

export interface FillInfo {
  market: number;
  price: number;
  size: number;
  notional: number;
  takerOrderId: number;
  makerOrderId: number;
  taker: string;
  maker: string;
  takerSide: number;
  takerFee: number;
  makerFee: number;
  batchIndex: number;
  txHash: string;
  level: ConfirmationLevel;
}

export interface OrderUpdateInfo {
  orderId: number;
  market: number;
  account: string;
  side: number;
  price: number;
  status: number;
  size: number;
  remaining: number;
  clientId: number;
  reason: number;
}

export interface BalanceInfo {
  asset: number;
  available: number;
  locked: number;
}

export interface Balances {
  account: string;
  nonce: number;
  balances: BalanceInfo[];
  batchIndex: number;
  level: ConfirmationLevel;
}

export interface ActionInfo {
  op: number;
  status: "accepted" | "failed";
  code: number;
  codeName: string;
  orderId: number;
}

export interface TxInfo {
  txHash: string;
  account: string;
  /** Who signed: the account or one of its agents. */
  signer: string;
  nonce: number;
  kind: number;
  status: "accepted" | "failed" | "rejected";
  code: number;
  codeName: string;
  orderId: number;
  withdrawalId: number;
  batchIndex: number;
  /** Position in its batch. */
  index: number;
  level: ConfirmationLevel;
  fills: FillInfo[];
  orders: OrderUpdateInfo[];
  /** Bulk: one receipt per action, in order (fills and orders above are their concatenation). */
  actions: ActionInfo[];
}

export interface BatchInfo {
  batchIndex: number;
  timestamp: number;
  txCount: number;
  l1Messages: number;
  level: ConfirmationLevel;
  /** True while the batch is still being built (soft txs are added to it). */
  open: boolean;
}

export interface SyncInfo {
  /** Highest batch at each level (0: none). */
  soft: number;
  included: number;
  safe: number;
  proven: number;
  /** Whether this node executes new transactions (a sequencer) or only follows L1. */
  sequencing: boolean;
}

export interface ProofInfo {
  provenBatch: number;
  safeBatch: number;
  includedBatch: number;
}

export interface Trade {
  market: number;
  price: number;
  size: number;
  takerSide: number;
  takerOrderId: number;
  makerOrderId: number;
  batchIndex: number;
  timestamp: number;
  level: ConfirmationLevel;
}

export interface Candle {
  start: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  quoteVolume: number;
  trades: number;
}

export interface DepositInfo {
  /** Position of the DEPOSIT message in the L1 queue. */
  queueIndex: number;
  account: string;
  asset: number;
  amount: number;
  /** queued (seen on L1, not yet in a batch) or credited (in a batch). */
  state: "queued" | "credited" | "refunded";
  batchIndex: number;
  level: ConfirmationLevel | null;
}

/** One proposed batch as the L1 follower saw it: size, content and data availability. */
export interface BatchDaInfo {
  batchIndex: number;
  /** L1 block of the proposing transaction. */
  l1Block: number;
  /** Posted bytes (compressed batch data). */
  bytes: number;
  txCount: number;
  /** Orders placed in it (Place transactions and Bulk place actions). */
  orders: number;
  /** EIP-4844 versioned hashes (empty when posted as calldata). */
  blobHashes: string[];
  calldata: boolean;
  /** IPFS CID of the batch data when the node pins it, else null. */
  cid: string | null;
  proposer: string;
  level: ConfirmationLevel;
}

/**
 * What the node knows of L1 and its pipeline beyond batch levels (rb_rollupStatus). A view reports what it
 * has; the RPC answers null for the parts it does not (docs/api.md "Rollup status").
 */
export interface RollupStatus {
  /** L1 blocks the follower has seen (head, safe, finalized) and the head's timestamp (s). */
  l1: { head: number; safe: number; finalized: number; headTimestamp: number } | null;
  /** Derivation: the last derived batch, the L1 block it reached and how far behind the head that is. */
  derivation: { derivedBatch: number; l1Block: number; lagBlocks: number } | null;
  /** Sequencer mempool: transactions waiting, and admissions per second (recent average). */
  mempool: { depth: number; admittedPerSec: number } | null;
  /** Most recent proposed batches, newest first. */
  batches: BatchDaInfo[] | null;
  /** L1 reorgs seen, newest first. */
  reorgs: { atMs: number; depth: number; l1Block: number }[] | null;
}

/** What `submit` returns: the receipt, or the STF's refusal with its code. */
export type SubmitResult =
  | { ok: true; tx: TxInfo }
  | { ok: false; code: number; txHash: string | null; nonceConsumed: boolean; tx: TxInfo | null };

/** Events, in the order the node applied them. */
export type NodeEvent =
  /** A transaction executed (soft): its receipt. */
  | { type: "tx"; tx: TxInfo; timestamp: number }
  /** A transaction's confirmation level changed (`reexecuted`: it was executed again after a reorg). */
  | { type: "txLevel"; txHash: string; account: string; batchIndex: number; level: ConfirmationLevel; reexecuted: boolean }
  /** Price levels whose resting size changed (a tx or an L1 message): book feeds read them again. */
  | { type: "book"; touched: { market: number; side: number; price: number }[]; batchIndex: number }
  /** A batch was sealed or its confirmation level changed. */
  | { type: "batch"; batch: BatchInfo }
  /** An L1 deposit progressed. */
  | { type: "deposit"; deposit: DepositInfo };

export interface NodeView {
  /** The EIP-712 domain transactions are signed with (L1 chain id, Inbox address). */
  domain(): Eip712Domain;
  markets(): MarketInfo[];
  book(market: number, depth: number): BookSnapshot | null;
  /** Size and order count resting at one price (for book deltas). */
  level(market: number, side: number, price: number): BookLevel;
  order(orderId: number): OrderInfo | null;
  openOrders(account: string, market: number | null): OrderInfo[];
  /** Newest first; orders the node still keeps (see receipt retention). */
  orderHistory(account: string, limit: number): OrderInfo[];
  fills(account: string, limit: number): FillInfo[];
  balances(account: string): Balances;
  nonce(account: string): number;
  trades(market: number, limit: number): Trade[];
  candles(market: number, interval: number, limit: number): Candle[];
  candleIntervals(): readonly number[];
  tx(txHash: string): TxInfo | null;
  batch(batchIndex: number): BatchInfo | null;
  sync(): SyncInfo;
  proofStatus(): ProofInfo;
  deposit(queueIndex: number): DepositInfo | null;
  /** Executes (or queues) a schema-checked signed transaction. */
  submit(tx: Tx): Promise<SubmitResult>;
  /** L1, derivation, mempool, batch DA and reorg status, when the node has them (optional). */
  rollup?(): Partial<RollupStatus>;
  /** Listens to every event; returns the function that stops it. */
  subscribe(listener: (e: NodeEvent) => void): () => void;
}
