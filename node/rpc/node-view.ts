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
  /** "dropped": acknowledged by the sequencer, then never to be included (`drop` says why). */
  status: "accepted" | "failed" | "rejected" | "dropped";
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
  /** Present when the sequencer dropped the acknowledged transaction (docs/sequencer.md "Drop reasons"). */
  drop?: TxDrop;
}

/** Why an acknowledged transaction will never be included: a stable reason and the STF code if one applies. */
export interface TxDrop {
  reason: string;
  code: number | null;
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
  /** The prover role's status when this node runs it (results.ts ProverStatus; node/prover ProverStatusInfo). */
  prover?: object;
  /** The challenger role's status when this node runs it (results.ts ChallengerStatus). */
  challenger?: object;
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
  /** The L1 transaction that made it (null when the node was not told). */
  l1TxHash: string | null;
  account: string;
  asset: number;
  amount: number;
  /** queued (seen on L1, not yet in a batch) or credited (in a batch). */
  state: "queued" | "credited" | "refunded";
  batchIndex: number;
  level: ConfirmationLevel | null;
}

/** Which state a proof is against: the last finalized root, the latest sealed batch, a sealed batch, or a state root. */
export type ProofAt = { finalized: true } | { latest: true } | { batchIndex: number } | { root: string };

/** A trie proof of one leaf key (node/state/proofs.ts StateProof) with the batch and level of its root. */
export interface StateProofInfo {
  /** The batch whose post-state root `root` is. */
  batchIndex: number;
  /** 0x hex state root (docs/stf.md "State commitment"). */
  root: string;
  /** proven: `root` is finalized on L1 (Settlement.lastStateRoot or an earlier finalized root). */
  level: ConfirmationLevel;
  /** Leaf key: tag byte and key fields. */
  key: string;
  /** Three sibling hashes per level from the root down, in child order. */
  siblings: string[];
  /** The leaf at the end of the key's path: the key's own leaf proves inclusion, another key's or null absence. */
  leaf: string | null;
}

/** Why a proof could not be served: no such state kept, or the requested state is not finalized. */
export interface ProofRefusal {
  refused: "unavailable" | "not-finalized";
  reason: string;
  /** The last finalized batch. */
  provenBatch: number;
  /** The batch the request is about (a withdrawal's batch), when there is one. */
  batchIndex?: number;
}

/** A range of batches finalized on L1 with its roots (a proof, attestation or resolved claim covered it). */
export interface FinalizedRange {
  firstBatch: number;
  lastBatch: number;
  /** Null when the node keeps no state commitment. */
  stateRoot: string | null;
  /** StandardMerkleTree root over the range's withdrawals (0x00..00 when it has none). */
  withdrawalRoot: string;
}

/** A withdrawal's leaf, and once its batch is finalized the proof Vault.claim needs. */
export interface WithdrawalProofInfo {
  withdrawalId: number;
  recipient: string;
  asset: number;
  /** L2 units. */
  amount: number;
  batchIndex: number;
  /** The finalized range whose withdrawal root holds the leaf. */
  range: FinalizedRange;
  /** StandardMerkleTree proof (bottom-up sibling hashes) against `range.withdrawalRoot`. */
  proof: string[];
}

// ---- results of the proof methods (methods.ts builds them from the view's proofs)

/** rb_getBalanceProof: a balance and the proof of the account's leaf (an absent account: zeros, proof of absence). */
export interface BalanceProof {
  account: string;
  asset: number;
  exists: boolean;
  nonce: number;
  available: number;
  locked: number;
  proof: StateProofInfo;
}

/** rb_getOrderProof: the ORDER leaf (null: not resting in that state) and its proof. */
export interface OrderProof {
  orderId: number;
  order: { id: number; market: number; owner: number; side: number; price: number; size: number; expiry: number; clientId: number; priority: number; prev: number } | null;
  proof: StateProofInfo;
}

/** rb_getWithdrawalProof: the arguments of Vault.claim, with the finalized range. */
export interface WithdrawalProof {
  withdrawalId: number;
  recipient: string;
  asset: number;
  amount: number;
  batchIndex: number;
  withdrawalRoot: string;
  proof: string[];
  firstBatch: number;
  lastBatch: number;
  /** Null when the node keeps no state commitment. */
  stateRoot: string | null;
}

/** rb_getExitProof: the arguments of Vault.exit(account, asset, leaf, siblings) and what it pays. */
export interface ExitProof {
  account: string;
  asset: number;
  amount: number;
  available: number;
  locked: number;
  batchIndex: number;
  stateRoot: string;
  leaf: string;
  siblings: string[];
}

/** One proposed batch as the L1 follower saw it: size, content and data availability. */
export interface BatchDaInfo {
  batchIndex: number;
  /** L1 block of the proposing transaction. */
  l1Block: number;
  /** The proposing L1 transaction's hash. */
  l1Tx: string;
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
  /** Proving: ranges finalized on L1 (newest first) and, when this node runs the prover role, its proof jobs (newest first). */
  proofs?: {
    finalized: { firstBatch: number; lastBatch: number; stateRoot: string | null; withdrawalRoot: string }[];
    jobs: { id: string; firstBatch: number; lastBatch: number; systems: string[]; state: string; updatedAt: number; l1Tx: string | null; error: string | null }[] | null;
  } | null;
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
  /** An acknowledged transaction was dropped (soft state rebuilt after a reorg or another proposer's batch). */
  | { type: "txDropped"; txHash: string; account: string; drop: TxDrop }
  /** Price levels whose resting size changed (a tx or an L1 message): book feeds read them again. */
  | { type: "book"; touched: { market: number; side: number; price: number }[]; batchIndex: number }
  /** A batch was sealed or its confirmation level changed. */
  | { type: "batch"; batch: BatchInfo }
  /** An L1 deposit progressed. */
  | { type: "deposit"; deposit: DepositInfo }
  /**
   * What was answered for batches above `batchIndex` is void (an L1 reorg, or soft state rebuilt on another
   * proposer's batch): these trades and fills are undone, orders placed above it are gone (`voidedOrders`),
   * orders placed at or below it are back to their state at that batch (`restoredOrders`), and each market's
   * candles of an interval from start `from` on were recomputed. Books changed anywhere. What executes again
   * follows as ordinary events.
   */
  | { type: "rollback"; batchIndex: number; trades: Trade[]; fills: FillInfo[]; voidedOrders: OrderInfo[]; restoredOrders: OrderInfo[]; candles: { market: number; interval: number; from: number }[] };

/** A value, or a promise of it: history reads may come from disk (node/app/history.ts). */
export type Awaitable<T> = T | Promise<T>;

export interface NodeView {
  /** The EIP-712 domain transactions are signed with (L1 chain id, Inbox address). */
  domain(): Eip712Domain;
  markets(): MarketInfo[];
  book(market: number, depth: number): BookSnapshot | null;
  /** Size and order count resting at one price (for book deltas). */
  level(market: number, side: number, price: number): BookLevel;
  order(orderId: number): Awaitable<OrderInfo | null>;
  openOrders(account: string, market: number | null): OrderInfo[];
  /** Newest first; orders the node still keeps (see receipt retention). */
  orderHistory(account: string, limit: number): Awaitable<OrderInfo[]>;
  fills(account: string, limit: number): Awaitable<FillInfo[]>;
  balances(account: string): Balances;
  nonce(account: string): number;
  trades(market: number, limit: number): Trade[];
  candles(market: number, interval: number, limit: number): Candle[];
  candleIntervals(): readonly number[];
  tx(txHash: string): Awaitable<TxInfo | null>;
  batch(batchIndex: number): Awaitable<BatchInfo | null>;
  sync(): SyncInfo;
  proofStatus(): ProofInfo;
  deposit(queueIndex: number): DepositInfo | null;
  /** The deposits an L1 transaction made, ascending queue index (empty: none seen). */
  depositsByL1Tx(l1TxHash: string): DepositInfo[];
  /** A proof of leaf `key` (node/state/leaves.ts keys) against the state `at`, or why it cannot be served. */
  stateProof(key: Uint8Array, at: ProofAt): StateProofInfo | ProofRefusal;
  /** The last finalized range (batch 0 with the genesis root before any finalization). */
  finalized(): FinalizedRange;
  /**
   * A withdrawal by id with its claim proof; a refusal "not-finalized" while its batch is not finalized;
   * null when no such withdrawal was recorded.
   */
  withdrawal(withdrawalId: number): WithdrawalProofInfo | ProofRefusal | null;
  /**
   * Executes (or queues) a schema-checked signed transaction; `bytes`, when given, are its canonical
   * encoding (node/codec/tx.ts) and `tx` is what decodeTx gives for them, so a view that admits bytes
   * need not encode it again, nor its sequencer decode them again.
   */
  submit(tx: Tx, bytes?: Uint8Array): Promise<SubmitResult>;
  /** L1, derivation, mempool, batch DA and reorg status, when the node has them (optional). */
  rollup?(): Partial<RollupStatus>;
  /** Listens to every event; returns the function that stops it. */
  subscribe(listener: (e: NodeEvent) => void): () => void;
}
