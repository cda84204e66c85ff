// What the sequencing node's view tests share (soft-index.test.ts, rebuild-view.test.ts): a real Sequencer,
// STF, LevelDB store and history index, and a NodeStateView fed the way startNode (node/app/node.ts) feeds
// it: indexSoftExecution for soft execution, DerivedBatchIndexer for derived batches (so a displacing batch
// is indexed between the view's rollback and the re-execution, as in production). Derivation of a landed
// batch and an L1 reorg are done here as the Deriver and node.ts's handlers do them, without L1.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { txHash } from "../../../node/clob/eip712.ts";
import type { ReceiptLog } from "../../../node/clob/receipts.ts";
import type { ClobState } from "../../../node/clob/state.ts";
import { applyBatch } from "../../../node/clob/stf.ts";
import type { Tx } from "../../../node/clob/types.ts";
import { decodeBatch } from "../../../node/codec/batch.ts";
import { HistoryIndex } from "../../../node/app/history.ts";
import { DEFAULT_CANDLE_INTERVALS } from "../../../node/app/history-records.ts";
import { DerivedBatchIndexer, indexSoftExecution, type DerivedBatch } from "../../../node/app/soft-index.ts";
import { NodeStateView } from "../../../node/app/view.ts";
import { Sequencer } from "../../../node/sequencer/index.ts";
import type { StateCommitment } from "../../../node/state/commitment.ts";
import { StateStore } from "../../../node/state/store.ts";
import { DOMAIN, makeKeys, type Key } from "../clob/stf-helpers.ts";
import { MemoryL1, ackTx, encodeSealed, fundingMessages, writeGenesis } from "../sequencer/helpers.ts";

/** A canonical batch as derivation executed it, with its receipts. */
export type DerivedRecord = DerivedBatch & { receipts: ReceiptLog };

export class SequencingViewFixture {
  readonly keys: Key[];
  readonly l1: MemoryL1;
  readonly dir: string;
  readonly history: HistoryIndex;
  readonly store: StateStore;
  readonly seq: Sequencer;
  /** The canonical state derivation reached, and its commitment. */
  canonical: { state: ClobState; sc: StateCommitment };
  /** The canonical batches derived so far (a reorg takes the undone ones off). */
  readonly derived: DerivedRecord[] = [];
  view!: NodeStateView;
  private derivedIndexer!: DerivedBatchIndexer;
  private unsubscribe: (() => void) | undefined;

  private constructor(keys: Key[], dir: string, history: HistoryIndex, store: StateStore, canonical: { state: ClobState; sc: StateCommitment }, l1: MemoryL1, seq: Sequencer) {
    this.keys = keys;
    this.dir = dir;
    this.history = history;
    this.store = store;
    this.canonical = canonical;
    this.l1 = l1;
    this.seq = seq;
  }

  /** Genesis written, `keys` funded by L1 messages (not derived yet), the sequencer and the view open. */
  static async open(tag: string, keyCount = 3): Promise<SequencingViewFixture> {
    const keys = makeKeys(keyCount, tag);
    const dir = mkdtempSync(path.join(tmpdir(), `rollbook-${tag}-`));
    const history = new HistoryIndex({ domain: DOMAIN, keepReceipts: 0, candleIntervals: DEFAULT_CANDLE_INTERVALS });
    const store = await StateStore.open(path.join(dir, "db"), { indexer: history });
    const canonical = await writeGenesis(store);
    const l1 = new MemoryL1(fundingMessages(keys));
    const seq = await Sequencer.open({ db: store.db, canonical: canonical.state, l1, seal: { maxAgeMs: 100_000 } });
    const f = new SequencingViewFixture(keys, dir, history, store, canonical, l1, seq);
    await f.openView();
    return f;
  }

  /** A view loaded from the history index and fed as startNode feeds it; called again, a restart of the view. */
  async openView(): Promise<void> {
    this.unsubscribe?.();
    this.view = new NodeStateView({ domain: DOMAIN, state: () => this.seq.softState(), sequencer: () => this.seq, history: this.history });
    await this.view.load();
    this.view.setLevels(this.derived.at(-1)?.index ?? 0, 0);
    this.derivedIndexer = new DerivedBatchIndexer(this.view);
    this.unsubscribe = indexSoftExecution(this.view, this.seq, undefined, this.derivedIndexer.beforeReexecution);
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    await this.seq.close();
    await this.store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Submits `tx`, which the sequencer must acknowledge; returns its hash. */
  ack(tx: Tx): Promise<string> {
    return ackTx(this.seq, tx);
  }

  /**
   * Derivation of the landed batch `bytes` as batch `index`: the Deriver's onBatch hook (history prepared,
   * the sequencer's WAL keys in the commit), the STF, the store write started, then node.ts's "batch"
   * handler (DerivedBatchIndexer, the levels). Returns the store write, still running.
   */
  derive(bytes: Uint8Array, index: number): Promise<void> {
    const d = decodeBatch(bytes);
    if (!d.ok) throw new Error(`batch does not decode: ${d.reasonName}`);
    const { timestamp, l1MsgStart, l1MsgEnd } = d.batch.header;
    const txs = d.batch.txs;
    const batch: DerivedBatch = { index, timestamp, l1MsgStart, l1MsgEnd, txs, messages: this.l1.queue.slice(l1MsgStart, l1MsgEnd), hashes: txs.map((tx) => txHash(DOMAIN, tx)) };
    this.history.prepare(batch);
    const mempoolDel = this.seq.commitKeys(index, batch.hashes);
    const { state, sc } = this.canonical;
    const { receipts } = applyBatch(state, { index, timestamp, txs }, batch.messages);
    const { root, derived, undo } = sc.commitBatch(state, { undo: true });
    const landed = this.store.commitBatch({ batchIndex: index, root, derived, receipts, undo, mempool: { del: mempoolDel } });
    this.derived.push({ ...batch, receipts });
    this.derivedIndexer.onDerived(batch, receipts, state, this.seq);
    this.view.setLevels(index, 0);
    return landed;
  }

  /** Another proposer's batch `index` with `txs` (and the L1 messages not yet consumed). */
  foreign(index: number, txs: Tx[]): Uint8Array {
    const l1MsgStart = this.canonical.state.l1MessagesConsumed;
    return encodeSealed({ index, timestamp: this.l1.current.timestamp, l1MsgStart, l1MsgEnd: this.l1.queue.length, txs: txs.map((tx) => ({ tx })) } as never);
  }

  /**
   * An L1 reorg back to batch `toBatch`: the store and the history index roll back in one write (the
   * Deriver), then node.ts's "reorg" handler: the view rolls back, then the sequencer rebuilds.
   * `afterViewRollBack` looks at the view between the two.
   */
  async reorg(toBatch: number, afterViewRollBack?: () => Promise<void>): Promise<void> {
    await this.store.rollback(toBatch);
    const back = (await this.store.load())!;
    this.canonical = { state: back.state, sc: back.commitment };
    while ((this.derived.at(-1)?.index ?? 0) > toBatch) this.derived.pop();
    this.view.rollBack(toBatch);
    await afterViewRollBack?.();
    this.seq.onCanonical({ state: this.canonical.state, batches: [], reorg: true });
  }
}
