// The market maker's chain in the tests that quote through the real sequencer (runtime, reconcile,
// runtime-config): a LevelDB store in a fresh temporary directory and a sequencer (one thread) at genesis,
// over an L1 queue that lists MARKETS and funds the given accounts; close() removes it all.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ClobState } from "../../../../node/clob/state.ts";
import type { Address } from "../../../../node/clob/types.ts";
import { Sequencer } from "../../../../node/sequencer/index.ts";
import type { StateCommitment } from "../../../../node/state/commitment.ts";
import { StateStore } from "../../../../node/state/store.ts";
import { MemoryL1, writeGenesis } from "../../sequencer/helpers.ts";
import { START_S, marketsQueue } from "./setup.ts";

export class MarketsChain {
  readonly dir: string;
  readonly store: StateStore;
  readonly l1: MemoryL1;
  /** Genesis as written to the store; landBatch moves it on. */
  readonly canonical: { state: ClobState; sc: StateCommitment };
  readonly seq: Sequencer;

  private constructor(dir: string, store: StateStore, l1: MemoryL1, canonical: { state: ClobState; sc: StateCommitment }, seq: Sequencer) {
    this.dir = dir;
    this.store = store;
    this.l1 = l1;
    this.canonical = canonical;
    this.seq = seq;
  }

  /** The chain with `accounts` funded; the sequencer's first batch is open on the queued messages. */
  static async open(tag: string, accounts: readonly Address[]): Promise<MarketsChain> {
    const dir = mkdtempSync(path.join(tmpdir(), `rollbook-${tag}-`));
    const store = await StateStore.open(path.join(dir, "db"));
    const l1 = new MemoryL1(marketsQueue(accounts), START_S);
    const canonical = await writeGenesis(store);
    const seq = await Sequencer.open({ db: store.db, canonical: canonical.state, l1, seal: { maxAgeMs: 100_000 }, threads: 1 });
    seq.sealIfDue();
    return new MarketsChain(dir, store, l1, canonical, seq);
  }

  async close(): Promise<void> {
    await this.seq.close();
    await this.store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
