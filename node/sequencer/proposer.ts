// Proposing sealed batches (docs/sequencer.md "Batch building and proposing"): the oldest sealed batch
// not yet proposed is encoded (node/codec, header v2: parentBatchHash = the Inbox's b(i-1), the batch's
// clock, its L1 message range) and posted with node/da's BlobPoster, which backs the bytes up to IPFS
// first and records the CID on L1. One batch is proposed at a time, and only when the Inbox's batch count
// is the batch's index - 1: if another proposer got there first, nothing is sent; derivation reports the
// canonical batch and the sequencer rebuilds (Sequencer.onCanonical).
// The posting account must be the Sequencer's `proposer` (the reward soft execution credits).

import type { Hex } from "viem";
import type { Logger } from "../log.ts";
import { encodeBatch } from "../codec/batch.ts";
import type { BlobPoster, ProposeResult } from "../da/poster.ts";
import type { Sequencer, SoftBatch } from "./sequencer.ts";
import { SequencerError } from "./errors.ts";

/** The two Inbox reads a proposer needs (the integrator binds them to node/l1's generated Inbox ABI). */
export interface InboxReader {
  /** Number of batches the Inbox has recorded. */
  batchCount(): Promise<bigint>;
  /** b(i), the batch chain after batch i (b(0) = 0). */
  batchChainAt(i: bigint): Promise<Hex>;
}

export interface ProposerOptions {
  sequencer: Sequencer;
  poster: BlobPoster;
  inbox: InboxReader;
  /** "auto" (default): the cheaper of blobs and calldata (node/da chooseDataMode). */
  mode?: "auto" | "blob" | "calldata";
  logger?: Logger;
}

export interface Proposal {
  batch: SoftBatch;
  bytes: Uint8Array;
  result: ProposeResult;
}

const ZERO32 = `0x${"00".repeat(32)}` as Hex;

export class Proposer {
  private readonly o: ProposerOptions;
  /** Sealed batches already proposed (by identity: a rebuild replaces them with new objects). */
  private readonly proposed = new WeakMap<SoftBatch, Proposal>();
  private busy: Promise<Proposal | null> | null = null;

  constructor(opts: ProposerOptions) {
    this.o = opts;
  }

  /** The proposal of a sealed batch, if this proposer sent it. */
  proposalOf(batch: SoftBatch): Proposal | undefined {
    return this.proposed.get(batch);
  }

  /**
   * One step: seal by policy (with the current blob base fee), then propose the oldest unproposed sealed
   * batch if the Inbox is right behind it. Returns the proposal, or null when there was nothing to do.
   * Calls never overlap (a second caller waits for the first). Throws PostError / SequencerError.
   */
  step(): Promise<Proposal | null> {
    if (this.busy !== null) return this.busy;
    const run = this.stepNow().finally(() => {
      this.busy = null;
    });
    this.busy = run;
    return run;
  }

  private async stepNow(): Promise<Proposal | null> {
    const seq = this.o.sequencer;
    const fees = await this.o.poster.feeSnapshot();
    seq.sealIfDue(fees.blobBaseFee);
    const batch = seq.sealed().find((b) => !this.proposed.has(b));
    if (batch === undefined) return null;
    const count = await this.o.inbox.batchCount();
    if (count !== BigInt(batch.index - 1)) {
      this.o.logger?.info({ batch: batch.index, inboxBatches: String(count) }, "not proposing: the Inbox is not right behind this batch (waiting for derivation)");
      return null;
    }
    const parent = batch.index === 1 ? ZERO32 : await this.o.inbox.batchChainAt(BigInt(batch.index - 1));
    const bytes = encodeBatch({
      header: { parentBatchHash: parent, timestamp: batch.timestamp, l1MsgStart: batch.l1MsgStart, l1MsgEnd: batch.l1MsgEnd },
      txs: batch.txs.map((p) => p.tx),
    });
    const result = await this.o.poster.propose(bytes, { l1MsgEnd: BigInt(batch.l1MsgEnd), mode: this.o.mode });
    if (result.event !== undefined && result.event.batchIndex !== BigInt(batch.index)) {
      // Someone else's proposal was mined between our read and ours: ours is a no-op batch (wrong parent).
      throw new SequencerError("PROPOSAL_RACED", `proposed as batch ${result.event.batchIndex}, built as ${batch.index}`);
    }
    const p: Proposal = { batch, bytes, result };
    this.proposed.set(batch, p);
    this.o.logger?.info({ batch: batch.index, txs: batch.txs.length, bytes: bytes.length, mode: result.mode, l1Tx: result.txHash }, "batch proposed");
    return p;
  }
}
