// Feeding the RPC's NodeStateView from the sequencer's soft execution (docs/operator.md "Running a node"):
// the transactions the WAL replay executed (sealed batches, then the open batch), then every soft receipt
// and every seal as they happen. When the sequencer rebuilds its soft state, the view first forgets what
// was soft (rollBack), then indexes the canonical batch that displaced it (`beforeReexecution`), then what
// executes again: the order a view that only ever saw the canonical history would index them in.
// DerivedBatchIndexer indexes derived batches in that order. startNode wires a node with both; the rpc
// bench's server (bench/_rpc-server.ts) composes the soft path without L1.
import type { ReceiptLog } from "../clob/receipts.ts";
import type { ClobState } from "../clob/state.ts";
import type { CanonicalBatchInput } from "../derive/index.ts";
import type { Sequencer, SoftBatch } from "../sequencer/index.ts";
import { warmFastReader } from "../rpc/dispatch.ts";
import { warmNodeView, type NodeStateView } from "./view.ts";

/**
 * Indexes `seq`'s soft execution into `view`; `onSealed` is told every sealed batch; `beforeReexecution`
 * is called when a rebuild has rolled the view back, before the re-executed transactions are indexed
 * (node.ts indexes the derived batch that caused the rebuild there). Returns the unsubscribe. When the
 * sequencer warmed up at start, the RPC's fast reader and the view's code are warmed first (scratch
 * copies, nothing submitted or indexed).
 */
export function indexSoftExecution(view: NodeStateView, seq: Sequencer, onSealed?: (b: SoftBatch) => void, beforeReexecution?: () => void): () => void {
  // The sequencer warmed its half of the order path at start; the RPC's fast reader and the view's
  // indexing warm on as many synthetic orders, on scratch copies.
  if (seq.warmUpOrders > 0) {
    warmFastReader(seq.warmUpOrders);
    warmNodeView(view.domain(), seq.warmUpOrders);
  }
  const batchOf = (index: number): SoftBatch | undefined => (seq.openBatch()?.index === index ? seq.openBatch()! : seq.sealed().find((b) => b.index === index));
  const ensureBatch = (b: SoftBatch): void => {
    if (!view.hasBatch(b.index)) view.onBatchOpened(b.index, b.timestamp, b.l1MsgStart, b.l1Messages, b.receipts.l1(), b.txs.length, !b.sealed, b.receipts.expired());
  };
  const indexPool = (b: SoftBatch): void => {
    ensureBatch(b);
    for (const p of b.txs) if (p.row >= 0 && p.receipts !== undefined) view.onTx(b.index, b.timestamp, p.hash, p.tx, p.receipts.tx(p.row), { log: p.receipts, row: p.row });
  };
  // Transactions the WAL replay executed (sealed batches and loose transactions).
  for (const b of seq.sealed()) indexPool(b);
  const open = seq.openBatch();
  if (open !== null) indexPool(open);
  return seq.subscribe((e) => {
    if (e.type === "receipt") {
      const b = batchOf(e.batchIndex);
      const p = seq.pool.byHash.get(e.hash);
      if (b !== undefined) ensureBatch(b);
      if (p !== undefined) view.onTx(e.batchIndex, b?.timestamp ?? 0, e.hash, p.tx, e.receipt, p.receipts !== undefined && p.row >= 0 ? { log: p.receipts, row: p.row } : undefined);
    } else if (e.type === "status" && e.level === "dropped" && e.drop !== undefined) {
      view.onDropped(e.hash, { reason: e.drop.reason, code: e.drop.code ?? null }, seq.pool.byHash.get(e.hash)?.tx, e.batchIndex);
    } else if (e.type === "rebuilding") {
      view.rollBack(e.batchIndex);
      beforeReexecution?.();
    } else if (e.type === "sealed") {
      ensureBatch(e.batch);
      view.onSealed(e.batch.index);
      onSealed?.(e.batch);
    }
  });
}

/** A batch as derivation executes it, with its transactions' hashes. */
export type DerivedBatch = CanonicalBatchInput & { readonly hashes: readonly string[] };

/**
 * Indexes derived batches into a view. On a sequencing node the sequencer is told each batch first: when
 * the batch displaces soft batches the sequencer rebuilds, and the batch is indexed between the view's
 * rollback and what executes again (`beforeReexecution`, indexSoftExecution's hook); otherwise after.
 */
export class DerivedBatchIndexer {
  /** While the sequencer is told of a derived batch: indexes that batch. */
  private indexing: (() => void) | undefined;
  private readonly view: NodeStateView;
  constructor(view: NodeStateView) {
    this.view = view;
  }

  /** indexSoftExecution's `beforeReexecution`. */
  readonly beforeReexecution = (): void => this.indexing?.();

  /**
   * `x` was derived with `receipts` (undefined: none kept, nothing to index); `canonical` is the state after
   * it; `sequencer` is set on a sequencing node. Indexes what the view lacks (a sequencer indexed its own).
   */
  onDerived(x: DerivedBatch, receipts: ReceiptLog | undefined, canonical: ClobState, sequencer: Sequencer | undefined): void {
    const view = this.view;
    const index = (): void => {
      if (receipts === undefined) return;
      if (!view.hasBatch(x.index)) view.onBatchOpened(x.index, x.timestamp, x.l1MsgStart, x.messages, receipts.l1(), x.txs.length, false, receipts.expired());
      for (let i = 0; i < x.txs.length; i++) if (!view.hasTx(x.hashes[i]!)) view.onTx(x.index, x.timestamp, x.hashes[i]!, x.txs[i]!, receipts.tx(i));
    };
    if (sequencer !== undefined) {
      this.indexing = index;
      try {
        sequencer.onCanonical({ state: canonical, batches: [{ index: x.index, timestamp: x.timestamp, l1MsgStart: x.l1MsgStart, l1MsgEnd: x.l1MsgEnd, txHashes: x.hashes }] });
      } finally {
        this.indexing = undefined;
      }
    }
    index();
  }
}
