// Shared helpers of the sequencer tests: an in-memory L1 view (fixed message queue, movable head), a
// genesis state, and the canonical side of inclusion (what derivation does with a batch that landed:
// decode, STF, one atomic store commit deleting the batch's WAL entries).

import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createGenesisState, type ClobState } from "../../../node/clob/state.ts";
import { applyBatch } from "../../../node/clob/stf.ts";
import type { Address, L1Message, Tx } from "../../../node/clob/types.ts";
import { decodeBatch, encodeBatch } from "../../../node/codec/batch.ts";
import { encodeTx } from "../../../node/codec/tx.ts";
import { txHash } from "../../../node/clob/eip712.ts";
import { StateCommitment } from "../../../node/state/commitment.ts";
import { StateStore } from "../../../node/state/store.ts";
import { Sequencer, type L1Head, type SequencerL1, type SoftBatch } from "../../../node/sequencer/index.ts";
import { DOMAIN, FEE_ACCOUNT, deposit, setMarket, type Key } from "../clob/stf-helpers.ts";

export class MemoryL1 implements SequencerL1 {
  readonly queue: L1Message[];
  current: L1Head;
  constructor(queue: L1Message[] = [], timestamp = 1_700_000_000) {
    this.queue = queue;
    this.current = { number: 100, hash: `0x${"ab".repeat(32)}`, timestamp };
  }
  head(): L1Head {
    return this.current;
  }
  messages(from: number): readonly L1Message[] {
    return this.queue.slice(from);
  }
  advance(seconds = 12): void {
    this.current = { number: this.current.number + 1, hash: this.current.hash, timestamp: this.current.timestamp + seconds };
  }
}

/** Market 1 (assets 1/2) and deposits of both assets for each key. */
export function fundingMessages(keys: readonly Key[], amount = 1_000_000_000): L1Message[] {
  const out: L1Message[] = [setMarket(1)];
  for (const k of keys) out.push(deposit(k.address, 1, amount), deposit(k.address, 2, amount));
  return out;
}

export function genesis(): ClobState {
  return createGenesisState({ domain: DOMAIN, feeAccount: FEE_ACCOUNT });
}

/** The canonical side at genesis: the state and its commitment, written to `store` as batch 0. */
export async function writeGenesis(store: StateStore): Promise<{ state: ClobState; sc: StateCommitment }> {
  const state = genesis();
  const sc = StateCommitment.fromState(state);
  await store.writeFullState(sc, 0);
  return { state, sc };
}

/** Submits `tx` to `seq`, which must acknowledge it (verdict valid); returns its hash. */
export async function ackTx(seq: Sequencer, tx: Tx): Promise<string> {
  const r = await seq.submit(encodeTx(tx));
  expect(r.verdict, JSON.stringify(r)).to.equal("valid");
  return txHash(DOMAIN, tx);
}

/** The bytes a proposer would post for a sealed batch (header fields the STF reads come from the batch). */
export function encodeSealed(b: SoftBatch): Uint8Array {
  return encodeBatch({
    header: { parentBatchHash: `0x${"00".repeat(32)}`, timestamp: b.timestamp, l1MsgStart: b.l1MsgStart, l1MsgEnd: b.l1MsgEnd },
    txs: b.txs.map((p) => p.tx),
  });
}

/**
 * Derivation of a landed batch: decode the posted bytes, apply the STF to the canonical state, commit to
 * the store in one write that deletes the batch's WAL entries, and tell the sequencer.
 */
export async function landBatch(
  seq: Sequencer, store: StateStore, canonical: { state: ClobState; sc: StateCommitment }, l1: MemoryL1, bytes: Uint8Array, index: number,
  proposer?: Address,
): Promise<string[]> {
  const d = decodeBatch(bytes);
  if (!d.ok) throw new Error(`batch does not decode: ${d.reasonName}`);
  const h = d.batch.header;
  const msgs = l1.queue.slice(h.l1MsgStart, h.l1MsgEnd);
  const res = applyBatch(canonical.state, { index, timestamp: h.timestamp, proposer, txs: d.batch.txs }, msgs);
  const { root, derived } = canonical.sc.commitBatch(canonical.state);
  const hashes = d.batch.txs.map((tx) => txHash(DOMAIN, tx));
  await store.commitBatch({ batchIndex: index, root, derived, receipts: res.receipts, batchData: bytes, mempool: { del: seq.commitKeys(index, hashes) } });
  seq.onCanonical({ state: canonical.state, batches: [{ index, timestamp: h.timestamp, l1MsgStart: h.l1MsgStart, l1MsgEnd: h.l1MsgEnd, txHashes: hashes }] });
  return hashes;
}

/**
 * A sequencer test's LevelDB store in a fresh temporary directory, an L1 that funds `keys`, and the
 * sequencer the test opens on them; close() closes what is open and removes the directory.
 */
export class SequencerHarness {
  readonly dir: string;
  readonly store: StateStore;
  readonly l1: MemoryL1;
  private seq: Sequencer | undefined;

  private constructor(dir: string, store: StateStore, l1: MemoryL1) {
    this.dir = dir;
    this.store = store;
    this.l1 = l1;
  }

  static async open(tag: string, keys: readonly Key[]): Promise<SequencerHarness> {
    const dir = mkdtempSync(path.join(tmpdir(), `rollbook-${tag}-`));
    return new SequencerHarness(dir, await StateStore.open(path.join(dir, "db")), new MemoryL1(fundingMessages(keys)));
  }

  /** Opens the sequencer on `canonical` (seals by age only far away, unless `opts` says otherwise). */
  async start(canonical = genesis(), opts: Partial<Parameters<typeof Sequencer.open>[0]> = {}): Promise<Sequencer> {
    this.seq = await Sequencer.open({ db: this.store.db, canonical, l1: this.l1, seal: { maxAgeMs: 100_000 }, ...opts });
    return this.seq;
  }

  /** Closes the open sequencer (a clean stop). */
  async stop(): Promise<void> {
    await this.seq?.close();
    this.seq = undefined;
  }

  /** A clean restart of the sequencer. */
  async restart(canonical = genesis(), opts: Partial<Parameters<typeof Sequencer.open>[0]> = {}): Promise<Sequencer> {
    await this.stop();
    return this.start(canonical, opts);
  }

  async close(): Promise<void> {
    await this.stop();
    await this.store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
