// The maker's MakerExchange over the sequencer's in-process API (node/sequencer): the same signed path as
// any trader. Each bulk becomes one STF BULK transaction of the maker's account, signed by its AGENT key
// (approved once by the account with APPROVE_AGENT; an agent can trade, never withdraw), encoded with the
// canonical codec and submitted with Sequencer.submit, exactly the bytes rb_sendRawTransaction would
// admit. The acknowledgement is the soft receipt (one action receipt per action); own order and fill
// events come from every executed transaction's receipt (a taker's fill of our order is in the taker's
// receipt); confirmation levels (included, safe, proven) come from the sequencer's status events of our
// own transactions. docs/market-maker.md "In the node".

import { domainSeparator, signTx, txHash } from "../clob/eip712.ts";
import { ErrorCode } from "../clob/errors.ts";
import { ReceiptStatus, type TxReceipt } from "../clob/receipts.ts";
import type { ClobState } from "../clob/state.ts";
import { type Address, type BulkTx, TxKind } from "../clob/types.ts";
import { encodeTx } from "../codec/tx.ts";
import type { SequencerEvent, SubmitResult } from "../sequencer/sequencer.ts";
import {
  type ActionResult,
  type BulkAck,
  ConfirmationLevel,
  type ExchangeEvent,
  MAKER_BULK_ACTIONS,
  type MakerAction,
  type MakerExchange,
  type TopOfBook,
  toBulkAction,
} from "./actions.ts";

/** What the maker needs of the sequencer (node/sequencer's Sequencer implements it). */
export interface SequencerPort {
  submit(bytes: Uint8Array): Promise<SubmitResult>;
  subscribe(fn: (e: SequencerEvent) => void): () => void;
  softState(): ClobState;
  nextNonce(account: string): number;
}

/** A bulk the sequencer did not take (never valid, or the sequencer failed); `code` is stable. */
export class SubmitError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "SubmitError";
    this.code = code;
  }
}

const CODE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(ErrorCode).map(([k, v]) => [v, k]));
const LEVELS: Record<string, ConfirmationLevel> = { included: ConfirmationLevel.INCLUDED, safe: ConfirmationLevel.SAFE, proven: ConfirmationLevel.PROVEN };
/** Own transactions remembered for confirmation events (oldest forgotten first). */
const MAX_TRACKED = 4096;

interface Pending {
  resolve: (a: BulkAck) => void;
  reject: (e: Error) => void;
}

export interface SequencerExchangeOptions {
  port: SequencerPort;
  /** The maker's funded account. */
  account: Address;
  /** Private key of an agent the account approved (APPROVE_AGENT). */
  agentKey: Uint8Array;
}

export class SequencerExchange implements MakerExchange {
  readonly account: Address;
  private readonly port: SequencerPort;
  private readonly agentKey: Uint8Array;
  private readonly separator: Uint8Array;
  private readonly listeners = new Set<(e: ExchangeEvent) => void>();
  private readonly pending = new Map<string, Pending>();
  /** Our transactions not yet proven or dropped: hash -> highest level announced. */
  private readonly ours = new Map<string, number>();
  private nonce: number | null = null;
  private readonly unsubscribe: () => void;
  /** Soft-state rebuilds seen (a rebuild re-executes pending transactions; see docs). */
  rebuilds = 0;

  constructor(o: SequencerExchangeOptions) {
    this.port = o.port;
    this.account = o.account.toLowerCase() as Address;
    this.agentKey = o.agentKey;
    this.separator = domainSeparator(o.port.softState().config.domain);
    this.unsubscribe = o.port.subscribe((e) => this.onSequencerEvent(e));
  }

  subscribe(listener: (e: ExchangeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  top(market: number): TopOfBook {
    const m = this.port.softState().markets.get(market);
    return m ? { bestBid: m.book.bestBid(), bestAsk: m.book.bestAsk() } : { bestBid: -1, bestAsk: -1 };
  }

  /** Signs and submits one bulk; resolves with the soft receipt's per-action results. */
  submit(actions: readonly MakerAction[]): Promise<BulkAck> {
    if (actions.length === 0 || actions.length > MAKER_BULK_ACTIONS) return Promise.reject(new SubmitError("BULK_SIZE", `a bulk holds 1..${MAKER_BULK_ACTIONS} actions`));
    if (this.nonce === null) this.nonce = this.port.nextNonce(this.account);
    const tx: BulkTx = signTx(this.separator, {
      kind: TxKind.BULK, account: this.account, nonce: this.nonce++, sig: { r: new Uint8Array(32), s: new Uint8Array(32), v: 0 },
      actions: actions.map(toBulkAction),
    }, this.agentKey);
    const hash = txHash(this.separator, tx);
    return new Promise<BulkAck>((resolve, reject) => {
      // The receipt event can arrive before submit() resolves: register first.
      this.pending.set(hash, { resolve, reject });
      this.port.submit(encodeTx(tx)).then((r) => this.submitted(hash, r), (err: unknown) => this.fail(hash, new SubmitError("INTERNAL", String(err))));
    });
  }

  /** Stops listening to the sequencer; bulks still waiting are rejected. */
  close(): void {
    this.unsubscribe();
    for (const [hash] of this.pending) this.fail(hash, new SubmitError("CLOSED", "maker exchange closed"));
  }

  private submitted(hash: string, r: SubmitResult): void {
    if (r.verdict === "valid") {
      this.track(hash);
      const rc = r.level === "soft" ? r.receipt?.() : undefined;
      if (rc !== undefined) this.settle(hash, rc, r.batchIndex);
      // else queued behind a nonce gap: the receipt event settles it, or a drop rejects it
      return;
    }
    // Never valid or not taken: our nonce view may be off (an earlier bulk failed); re-read it next time.
    this.nonce = null;
    const code = r.verdict === "invalid" ? (typeof r.code === "number" ? (CODE_NAMES[r.code] ?? String(r.code)) : r.code) : r.code;
    this.fail(hash, new SubmitError(code, r.verdict === "invalid" ? r.reason : r.message));
  }

  private settle(hash: string, rc: TxReceipt, batch: number): void {
    const p = this.pending.get(hash);
    if (p === undefined) return;
    this.pending.delete(hash);
    let results: ActionResult[];
    if (rc.status !== ReceiptStatus.ACCEPTED || rc.actions.length === 0) {
      const code = CODE_NAMES[rc.code] ?? String(rc.code);
      results = Array.from({ length: Math.max(1, rc.actions.length) }, () => ({ ok: false, code, orderId: 0 }));
    } else {
      results = rc.actions.map((ar) => {
        const ok = ar.status === ReceiptStatus.ACCEPTED;
        return { ok, code: CODE_NAMES[ar.code] ?? String(ar.code), orderId: ar.op === TxKind.PLACE && ok ? ar.orderId : 0 };
      });
    }
    p.resolve({ batch, results, level: ConfirmationLevel.SOFT });
  }

  private fail(hash: string, err: Error): void {
    const p = this.pending.get(hash);
    if (p === undefined) return;
    this.pending.delete(hash);
    this.ours.delete(hash);
    p.reject(err);
  }

  private track(hash: string): void {
    if (this.ours.has(hash)) return;
    this.ours.set(hash, ConfirmationLevel.SOFT);
    if (this.ours.size > MAX_TRACKED) this.ours.delete(this.ours.keys().next().value!);
  }

  private emit(e: ExchangeEvent): void {
    for (const l of this.listeners) l(e);
  }

  private onSequencerEvent(e: SequencerEvent): void {
    switch (e.type) {
      case "receipt": {
        // A re-execution after a rebuild repeats fills the maker already counted: not announced again.
        if (!e.reexecuted) this.ownEvents(e.receipt, e.batchIndex);
        if (this.pending.has(e.hash)) {
          this.track(e.hash);
          this.settle(e.hash, e.receipt, e.batchIndex);
        }
        return;
      }
      case "status": {
        if (e.level === "dropped") {
          this.fail(e.hash, new SubmitError(e.drop?.reason ?? "DROPPED", `bulk ${e.hash} dropped`));
          this.ours.delete(e.hash);
          return;
        }
        const level = LEVELS[e.level];
        const had = this.ours.get(e.hash);
        if (level === undefined || had === undefined || level <= had) return;
        if (level >= ConfirmationLevel.PROVEN) this.ours.delete(e.hash);
        else this.ours.set(e.hash, level);
        this.emit({ kind: "confirm", batch: e.batchIndex, level });
        return;
      }
      case "rebuilt":
        this.rebuilds++;
        return;
      default:
        return;
    }
  }

  /** Our fills (we are the maker) and our order updates in one executed transaction. */
  private ownEvents(rc: TxReceipt, batch: number): void {
    const me = this.account;
    for (const f of rc.fills) {
      if (f.maker.toLowerCase() !== me) continue;
      const upd = rc.orders.find((u) => u.orderId === f.makerOrderId);
      this.emit({
        kind: "fill", market: f.market, orderId: f.makerOrderId, clientId: upd?.clientId ?? 0, side: f.takerSide === 0 ? 1 : 0,
        price: f.price, size: f.size, fee: f.makerFee, fillId: `${batch}:${rc.index}:${f.makerOrderId}:${f.takerOrderId}`, batch, level: ConfirmationLevel.SOFT,
      });
    }
    for (const u of rc.orders) {
      if (u.account.toLowerCase() !== me) continue;
      this.emit({ kind: "order", market: u.market, orderId: u.orderId, clientId: u.clientId, side: u.side as 0 | 1, price: u.price, remaining: u.remaining, level: ConfirmationLevel.SOFT });
    }
  }
}
