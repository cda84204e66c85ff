// The composed node's proofs (docs/api.md "Proofs"): a ProofKeeper (node/rpc/proof-keeper.ts) fed from the
// Deriver, its finalized trie kept on disk so a restart serves the same proofs.
//
// - Every derived batch hands the keeper its root, leaf changes and withdrawals. The store (opened with
//   keepChanges) writes the same leaf changes with the batch's atomic commit ('k' records).
// - Finalization comes from Settlement's `Finalized(firstBatch, lastBatch, stateRoot, withdrawalRoot)`
//   events, one per range, read from L1 as the node polls: the keeper replays the range into its finalized
//   trie and builds the range's withdrawal tree; both roots are checked against the event (a node whose
//   state disagrees with L1 stops serving proofs and says why). The store then moves its copy of the
//   finalized trie ('F' leaves) and records the range, in one atomic write. Ranges are only applied once
//   their last batch is written to the store, so the disk copy never runs ahead of the state.
// - A restart rebuilds the keeper from the store: the finalized leaves, the recorded ranges with their
//   withdrawals (the store keeps every batch's withdrawals), and the leaf changes, roots and withdrawals of
//   the batches after the finalized one.
// - An L1 reorg rewinds the keeper with the store (never below the finalized batch; a reorg of a
//   finalization itself leaves the node refusing proofs until restarted with a fresh store).
import type { Address, Hex, PublicClient } from "viem";
import type { ClobState } from "../clob/state.ts";
import type { Withdrawal } from "../clob/stf.ts";
import type { DerivedBatch } from "../derive/index.ts";
import { settlementAbi } from "../l1/contracts.ts";
import type { Logger } from "../log.ts";
import { LOG_RANGE_BLOCKS, logsInRanges } from "../ops/l1.ts";
import type { ConfirmationLevel, FinalizedRange, ProofAt, ProofRefusal, StateProofInfo, WithdrawalProofInfo } from "../rpc/node-view.ts";
import { RpcError } from "../rpc/errors.ts";
import { ProofKeeper, type KeeperResume } from "../rpc/proof-keeper.ts";
import { StateCommitment, hex, stateFromLeaves } from "../state/commitment.ts";
import type { StateStore } from "../state/store.ts";

export interface NodeProofsOptions {
  store: StateStore;
  /** The genesis state (a keeper over an empty history). */
  genesis: ClobState;
  /** The derived state's commitment, at the store's head batch (the Deriver's). */
  head: () => StateCommitment;
  client: PublicClient;
  settlement: Address;
  /** First L1 block to read Settlement events from (the deployment block). */
  startBlock: number;
  logger: Logger;
}

/** Proof reads for the view; a refusal names why proofs are not served. */
export class NodeProofs {
  private readonly o: NodeProofsOptions;
  private keeper: ProofKeeper | null = null;
  private why = "the proof keeper is loading";
  private l1Block = 0;

  private constructor(o: NodeProofsOptions) {
    this.o = o;
  }

  /** Opens the keeper over the store (call after the Deriver opened it, before it derives). */
  static async open(o: NodeProofsOptions): Promise<NodeProofs> {
    const p = new NodeProofs(o);
    await p.load();
    return p;
  }

  /** The last finalized batch the keeper holds (0 when it holds none). */
  get provenBatch(): number {
    return this.keeper?.provenBatch ?? 0;
  }

  /** Why proofs are refused, or null when they are served. */
  get unavailable(): string | null {
    return this.keeper === null ? this.why : null;
  }

  private fail(why: string, err?: unknown): void {
    this.keeper = null;
    this.why = why;
    this.o.logger.error({ err: err === undefined ? undefined : (err as Error).message }, `proofs unavailable: ${why}`);
  }

  private async load(): Promise<void> {
    const { store } = this.o;
    const fh = await store.finalizedHead();
    const head = store.head();
    if (fh === undefined || head === null) {
      this.fail("this store keeps no finalized trie (it predates the proof keeper): resync the node from L1 with a fresh data directory");
      return;
    }
    if (fh.batchIndex > head.batchIndex) {
      this.fail(`the finalized trie (batch ${fh.batchIndex}) is ahead of the state (batch ${head.batchIndex})`);
      return;
    }
    const leaves: Uint8Array[] = [];
    for await (const e of store.finalizedLeaves()) leaves.push(e);
    const fin = StateCommitment.fromLeaves(leaves, stateFromLeaves(leaves));
    const ranges: KeeperResume["ranges"] = [];
    for (const range of await store.finalizedRanges()) {
      const withdrawals: { w: Withdrawal; batchIndex: number }[] = [];
      if (ranges.length > 0) {
        for await (const [b, ws] of store.withdrawalsByBatch(range.firstBatch, range.lastBatch)) for (const w of ws as Withdrawal[]) withdrawals.push({ w, batchIndex: b });
      }
      ranges.push({ range, withdrawals });
    }
    const sealed: KeeperResume["sealed"] = [];
    for (let b = fh.batchIndex + 1; b <= head.batchIndex; b++) {
      const [root, changes, ws] = await Promise.all([store.stateRoot(b), store.changes(b), store.withdrawals(b)]);
      if (root === undefined || changes === undefined) {
        this.fail(`batch ${b} has no recorded leaf changes: resync the node from L1 with a fresh data directory`);
        return;
      }
      sealed.push({ batchIndex: b, root: hex(root), changes, withdrawals: (ws ?? []) as Withdrawal[] });
    }
    try {
      this.keeper = new ProofKeeper(this.o.head(), this.o.genesis, { fin, ranges, sealed });
      this.l1Block = Math.max(fh.l1Block, this.o.startBlock - 1);
    } catch (err) {
      this.fail("the stored finalized trie is inconsistent", err);
    }
  }

  /** A batch derivation executed (the Deriver's "batch" event). */
  onBatch(b: DerivedBatch): void {
    if (this.keeper === null) return;
    try {
      this.keeper.batch(b.batchIndex, { root: Buffer.from(b.root.slice(2), "hex"), derived: b.derived }, b.withdrawals);
    } catch (err) {
      this.fail(`batch ${b.batchIndex} could not be recorded`, err);
    }
  }

  /** Derivation rolled back to `batchIndex` (an L1 reorg); `head` is the Deriver's new commitment. */
  onReorg(batchIndex: number, head: StateCommitment): void {
    if (this.keeper === null) return;
    try {
      this.keeper.rewind(batchIndex, head);
    } catch (err) {
      this.fail(`an L1 reorg reached batch ${batchIndex}, at or below the finalized batch ${this.keeper.provenBatch}`, err);
    }
  }

  /**
   * Reads Settlement's Finalized events since the last read and applies each new range whose batches are
   * written to the store (one atomic store write per range). Returns the last finalized batch.
   */
  async poll(): Promise<number> {
    const keeper = this.keeper;
    if (keeper === null) return 0;
    const { client, settlement, store } = this.o;
    // The head first, and the events up to it: a head read after the events could pass over a Finalized
    // event mined in between, and the next range would then not follow on (seen in CI: "expected a range from").
    let readTo = Number(await client.getBlockNumber({ cacheTime: 0 }));
    const events = await logsInRanges(client, this.l1Block + 1, (fromBlock, toBlock) =>
      client.getContractEvents({ address: settlement, abi: settlementAbi, eventName: "Finalized", fromBlock, toBlock, strict: true }), LOG_RANGE_BLOCKS, readTo);
    for (const e of events) {
      if (this.keeper !== keeper) break;
      const first = Number(e.args.firstBatch);
      const last = Number(e.args.lastBatch);
      if (last <= keeper.provenBatch) continue;
      const written = store.head()?.batchIndex ?? 0;
      if (last > written || last > keeper.lastSealed) {
        readTo = Number(e.blockNumber) - 1; // read this event again once the range is derived and written
        break;
      }
      if (first !== keeper.provenBatch + 1) {
        this.fail(`Settlement finalized batches ${first}..${last}, the node expected a range from ${keeper.provenBatch + 1}`);
        return 0;
      }
      let done;
      try {
        done = keeper.finalize(last);
      } catch (err) {
        this.fail(`batches ${first}..${last} could not be finalized here`, err);
        return 0;
      }
      if (done.range.stateRoot !== e.args.stateRoot.toLowerCase() || done.range.withdrawalRoot !== e.args.withdrawalRoot.toLowerCase()) {
        this.fail(`Settlement finalized batches ${first}..${last} with state root ${e.args.stateRoot} and withdrawal root ${e.args.withdrawalRoot}; this node computed ${done.range.stateRoot} and ${done.range.withdrawalRoot}`);
        return 0;
      }
      const root = done.range.stateRoot as Hex;
      await store.finalize({ batchIndex: last, root, l1Block: Number(e.blockNumber) - 1 }, [{ firstBatch: first, lastBatch: last, stateRoot: root, withdrawalRoot: done.range.withdrawalRoot as Hex }], done.changes);
      this.o.logger.info({ firstBatch: first, lastBatch: last, l1Block: Number(e.blockNumber) }, "finalized range recorded: proofs served against it");
    }
    // (the read position is persisted with the next range; a restart reads the events after it again)
    if (this.keeper === keeper && readTo > this.l1Block) this.l1Block = readTo;
    return this.provenBatch;
  }

  /** The newest `n` finalized ranges, newest first (empty while proofs are unavailable). */
  recentRanges(n: number): FinalizedRange[] {
    return this.keeper?.recentRanges(n) ?? [];
  }

  // ------------------------------------------------------------------ reads (NodeView)

  stateProof(key: Uint8Array, at: ProofAt, level: (b: number) => ConfirmationLevel): StateProofInfo | ProofRefusal {
    if (this.keeper === null) return { refused: "unavailable", reason: this.why, provenBatch: 0 };
    return this.keeper.stateProof(key, at, level);
  }

  finalized(): FinalizedRange {
    if (this.keeper === null) throw new RpcError("PROOF_UNAVAILABLE", { reason: this.why, provenBatch: 0 });
    return this.keeper.finalized();
  }

  withdrawal(withdrawalId: number, open: { batchIndex: number; nextWithdrawalId: number } | null): WithdrawalProofInfo | ProofRefusal | null {
    if (this.keeper === null) return { refused: "unavailable", reason: this.why, provenBatch: 0 };
    return this.keeper.withdrawal(withdrawalId, open);
  }
}
