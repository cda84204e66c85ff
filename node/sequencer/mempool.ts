// The transaction pool (docs/sequencer.md "Mempool"): per-account nonce queues with parked nonce gaps,
// size limits, and the records of every acknowledged transaction until it is included or dropped.
//
// Ordering rule: first come, first executed. A transaction whose nonce is its account's next nonce (in the
// soft state) executes the moment admission finishes, in submission order; so a batch holds its
// transactions in the order they became executable. A transaction with a higher nonce is parked (at most
// `maxNonceGap` ahead, at most `maxParkedPerAccount` per account and `maxParked` in all) and executes right
// after the transaction that fills its gap; one that waits longer than `parkTimeoutMs` is dropped
// (GAP_TIMEOUT). There are no fees on L2, so there is no price priority.

import type { ReceiptLog } from "../clob/receipts.ts";
import type { Address, Tx } from "../clob/types.ts";
import { PoolCode, type DropReason } from "./errors.ts";

/** Confirmation levels (ARCHITECTURE.md): queued (parked in a nonce gap) and dropped are the pool's own. */
export type Level = "queued" | "soft" | "included" | "safe" | "proven" | "dropped";

/** One acknowledged transaction. */
export interface PoolTx {
  hash: string;
  tx: Tx;
  /** Canonical single-tx bytes (node/codec/tx.ts). */
  bytes: Uint8Array;
  signer: Address;
  account: Address;
  /** Admission sequence number (WAL order). */
  seq: number;
  level: Level;
  /** Batch that executed it (soft) or includes it (included and later); 0 while queued. */
  batchIndex: number;
  /** Its row in `receipts` (soft execution), -1 if none. */
  row: number;
  receipts?: ReceiptLog;
  /** When it was parked (ms, the pool's clock). */
  parkedAt: number;
  drop?: { reason: DropReason; code?: number };
  /** Its WAL entry is written (a canonical commit that includes it before then must not be undone by the late write). */
  durable?: boolean;
}

export interface MempoolLimits {
  /** Most transactions in the pool (parked + executed but not yet included). Default 100 000. */
  maxTxs: number;
  /** Most pool transactions of one account. Default 10 000. */
  maxPerAccount: number;
  /** Most parked transactions in all. Default 10 000. */
  maxParked: number;
  /** Most parked transactions of one account. Default 64. */
  maxParkedPerAccount: number;
  /** Highest nonce distance from the account's next nonce that is parked. Default 64. */
  maxNonceGap: number;
  /** A parked transaction is dropped (GAP_TIMEOUT) after this many ms. Default 120 000. */
  parkTimeoutMs: number;
}

export const DEFAULT_LIMITS: MempoolLimits = {
  maxTxs: 100_000,
  maxPerAccount: 10_000,
  maxParked: 10_000,
  maxParkedPerAccount: 64,
  maxNonceGap: 64,
  parkTimeoutMs: 120_000,
};

interface AccountQueue {
  /** Executed, not yet included. */
  soft: number;
  /** nonce -> parked tx. */
  parked: Map<number, PoolTx>;
}

export class Mempool {
  readonly limits: MempoolLimits;
  /** Every transaction the pool answers for (queued, soft, and recently included or dropped). */
  readonly byHash = new Map<string, PoolTx>();
  private readonly accounts = new Map<Address, AccountQueue>();
  private size = 0;
  private parkedCount = 0;

  constructor(limits: Partial<MempoolLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** Transactions in the pool (queued + soft). */
  get count(): number {
    return this.size;
  }
  get parked(): number {
    return this.parkedCount;
  }

  /**
   * Where a new tx of `account` with `nonce` goes, given the account's next nonce: "ready" (execute now),
   * "park", or the pool limit it breaks. Nonces below `next` are the STF's NONCE_TOO_LOW (checked by the caller).
   */
  place(account: Address, nonce: number, next: number): "ready" | "park" | PoolCode {
    if (this.size >= this.limits.maxTxs) return PoolCode.POOL_FULL;
    const q = this.accounts.get(account);
    if (q !== undefined && q.soft + q.parked.size >= this.limits.maxPerAccount) return PoolCode.ACCOUNT_LIMIT;
    if (nonce === next) return "ready";
    if (nonce - next > this.limits.maxNonceGap) return PoolCode.GAP_TOO_LARGE;
    if (this.parkedCount >= this.limits.maxParked) return PoolCode.PARKED_LIMIT;
    if (q !== undefined && q.parked.size >= this.limits.maxParkedPerAccount) return PoolCode.PARKED_LIMIT;
    return "park";
  }

  private queue(account: Address): AccountQueue {
    let q = this.accounts.get(account);
    if (q === undefined) {
      q = { soft: 0, parked: new Map() };
      this.accounts.set(account, q);
    }
    return q;
  }

  /** Records an executed tx (level soft). */
  addSoft(p: PoolTx): void {
    this.queue(p.account).soft++;
    this.size++;
    this.byHash.set(p.hash, p);
  }

  /** Parks a tx in its account's nonce gap; false if that nonce is already parked (the caller rejects it). */
  park(p: PoolTx, now: number): boolean {
    const q = this.queue(p.account);
    if (q.parked.has(p.tx.nonce)) return false;
    p.level = "queued";
    p.parkedAt = now;
    q.parked.set(p.tx.nonce, p);
    this.parkedCount++;
    this.size++;
    this.byHash.set(p.hash, p);
    return true;
  }

  /** Parked tx of `account` with `nonce` (removed from the gap; the caller executes it), if any. */
  unpark(account: Address, nonce: number): PoolTx | undefined {
    const q = this.accounts.get(account);
    const p = q?.parked.get(nonce);
    if (p === undefined) return undefined;
    q!.parked.delete(nonce);
    this.parkedCount--;
    this.size--;
    return p;
  }

  /** Parked txs older than parkTimeoutMs at `now`, removed from their gaps. */
  expire(now: number): PoolTx[] {
    const out: PoolTx[] = [];
    if (this.parkedCount === 0) return out;
    for (const q of this.accounts.values()) {
      for (const [nonce, p] of q.parked) {
        if (now - p.parkedAt >= this.limits.parkTimeoutMs) {
          q.parked.delete(nonce);
          this.parkedCount--;
          this.size--;
          out.push(p);
        }
      }
    }
    return out.sort((a, b) => a.seq - b.seq);
  }

  /** Every parked tx, removed from the gaps, in admission order (rebuilds re-admit them). */
  takeParked(): PoolTx[] {
    const out: PoolTx[] = [];
    for (const q of this.accounts.values()) {
      for (const p of q.parked.values()) out.push(p);
      this.size -= q.parked.size;
      this.parkedCount -= q.parked.size;
      q.parked.clear();
    }
    return out.sort((a, b) => a.seq - b.seq);
  }

  /** A soft tx left the pool (included, or taken out for re-execution). */
  releaseSoft(p: PoolTx): void {
    const q = this.accounts.get(p.account);
    if (q === undefined) return;
    q.soft--;
    this.size--;
    if (q.soft === 0 && q.parked.size === 0) this.accounts.delete(p.account);
  }

  /** Forget a finished (included or dropped) tx record. */
  forget(hash: string): void {
    this.byHash.delete(hash);
  }
}
