// ProofKeeper: what a NodeView needs to serve proofs (docs/api.md "Proofs"), fed by whoever executes
// batches. Per sealed batch it takes the commitment's result (StateCommitment.commitBatch: root and leaf
// changes) and the STF's withdrawals; per L1 finalization it replays the range's leaf changes into a second
// trie that stays at the last finalized root (checked against the batch's root) and builds the range's
// withdrawal tree (node/state/withdrawals.ts). Proofs are served against that finalized trie or the head
// trie (the latest sealed batch), which the owner keeps committed. The SoftNode uses it; a follower's view
// feeds it from its Deriver the same way.

import type { ClobState } from "../clob/state.ts";
import type { Withdrawal } from "../clob/stf.ts";
import { StateCommitment, hex } from "../state/commitment.ts";
import { type Derived, allPuts } from "../state/derive.ts";
import { keyLen } from "../state/leaves.ts";
import { getProof } from "../state/proofs.ts";
import { WithdrawalTree } from "../state/withdrawals.ts";
import type { FinalizedRange, ProofAt, ProofRefusal, StateProofInfo, WithdrawalProofInfo } from "./node-view.ts";

/**
 * Where a keeper resumes (a restart: node/app/proofs.ts reads it from the store): the trie at the last
 * finalized batch, every finalized range (the first is the base the trie started from) with its
 * withdrawals, and the sealed batches after it with their roots, leaf changes and withdrawals.
 */
export interface KeeperResume {
  fin: StateCommitment;
  ranges: { range: FinalizedRange; withdrawals: { w: Withdrawal; batchIndex: number }[] }[];
  sealed: { batchIndex: number; root: string; changes: { dels: Uint8Array[]; puts: Uint8Array[] }; withdrawals: Withdrawal[] }[];
}

export class ProofKeeper {
  /** The owner's trie, at the latest sealed batch (null: no state proofs). */
  private head: StateCommitment | null;
  /** A trie at the last finalized batch. */
  private readonly fin: StateCommitment | null;
  /** Leaf changes of sealed batches not yet finalized (replayed into `fin` when they are). */
  private readonly changes = new Map<number, { dels: Uint8Array[]; puts: Uint8Array[] }>();
  /** State root after each sealed batch (0: genesis). */
  private readonly roots = new Map<number, string>();
  private readonly withdrawals = new Map<number, { w: Withdrawal; batchIndex: number }>();
  private readonly batchWithdrawals = new Map<number, Withdrawal[]>();
  /** Finalized ranges, ascending (the first is the genesis "range" [0, 0]). */
  private readonly ranges: FinalizedRange[] = [];
  private readonly trees = new Map<number, WithdrawalTree>();
  private sealedBatch = 0;

  /**
   * `head`: the owner's commitment, at `genesis` now and committed by the owner after every batch; null
   * keeps no state proofs (withdrawal proofs still work). The finalized trie starts as a copy of genesis,
   * or, with `resume` (head: the commitment at the last sealed batch), where a previous run left it.
   */
  constructor(head: StateCommitment | null, genesis: ClobState, resume?: KeeperResume) {
    this.head = head;
    if (resume !== undefined) {
      if (head === null) throw new Error("proof keeper: resuming needs the head commitment");
      this.fin = resume.fin;
      const base = resume.ranges[0]?.range;
      if (base === undefined) throw new Error("proof keeper: resuming needs the base range");
      for (const { range, withdrawals } of resume.ranges) {
        const tree = new WithdrawalTree(withdrawals.map((x) => x.w));
        if (range !== base && hex(tree.root) !== range.withdrawalRoot) throw new Error(`proof keeper: range ${range.firstBatch}..${range.lastBatch} withdrawal root ${hex(tree.root)} != recorded ${range.withdrawalRoot}`);
        for (const x of withdrawals) this.withdrawals.set(x.w.withdrawalId, { w: { ...x.w }, batchIndex: x.batchIndex });
        this.trees.set(range.lastBatch, tree);
        this.ranges.push({ ...range });
      }
      const last = this.ranges.at(-1)!;
      if (hex(this.fin.root()) !== last.stateRoot) throw new Error(`proof keeper: finalized trie root ${hex(this.fin.root())} != batch ${last.lastBatch}'s ${last.stateRoot}`);
      this.roots.set(last.lastBatch, last.stateRoot!);
      this.sealedBatch = last.lastBatch;
      for (const s of resume.sealed) {
        if (s.batchIndex !== this.sealedBatch + 1) throw new Error(`proof keeper: sealed batch ${s.batchIndex} does not follow ${this.sealedBatch}`);
        this.sealedBatch = s.batchIndex;
        this.roots.set(s.batchIndex, s.root);
        this.changes.set(s.batchIndex, s.changes);
        for (const w of s.withdrawals) this.withdrawals.set(w.withdrawalId, { w: { ...w }, batchIndex: s.batchIndex });
        if (s.withdrawals.length > 0) this.batchWithdrawals.set(s.batchIndex, s.withdrawals.map((w) => ({ ...w })));
      }
      if (hex(head.root()) !== this.roots.get(this.sealedBatch)) throw new Error(`proof keeper: the head commitment is not at batch ${this.sealedBatch}'s root`);
      return;
    }
    this.fin = head === null ? null : StateCommitment.fromState(genesis);
    const root = this.fin === null ? null : hex(this.fin.root());
    if (head !== null && root !== hex(head.root())) throw new Error("proof keeper: the head commitment is not at genesis");
    if (root !== null) this.roots.set(0, root);
    this.ranges.push({ firstBatch: 0, lastBatch: 0, stateRoot: root, withdrawalRoot: hex(new Uint8Array(32)) });
  }

  /** The last sealed batch. */
  get lastSealed(): number {
    return this.sealedBatch;
  }

  /** Batch `b` was sealed: `commit` is what the head's commitBatch returned (null without state proofs). */
  batch(b: number, commit: { root: Uint8Array; derived: Derived } | null, withdrawals: readonly Withdrawal[]): void {
    if (b !== this.sealedBatch + 1) throw new Error(`proof keeper: batch ${b} does not follow ${this.sealedBatch}`);
    this.sealedBatch = b;
    for (const w of withdrawals) this.withdrawals.set(w.withdrawalId, { w: { ...w }, batchIndex: b });
    if (withdrawals.length > 0) this.batchWithdrawals.set(b, withdrawals.map((w) => ({ ...w })));
    if (this.head !== null && commit !== null) {
      this.roots.set(b, hex(commit.root));
      this.changes.set(b, { dels: commit.derived.dels.map((k) => k.slice()), puts: [...allPuts(commit.derived)].map((e) => e.slice()) });
    }
  }

  /**
   * The owner rolled back to sealed batch `to` (an L1 reorg; not below the last finalized batch): later
   * batches are forgotten and `head` (the owner's commitment, now at batch `to`) is used from now on.
   */
  rewind(to: number, head: StateCommitment | null): void {
    if (to < this.provenBatch || to > this.sealedBatch) throw new Error(`proof keeper: cannot rewind to batch ${to} (finalized ${this.provenBatch}, sealed ${this.sealedBatch})`);
    for (let b = to + 1; b <= this.sealedBatch; b++) {
      this.changes.delete(b);
      this.roots.delete(b);
      for (const w of this.batchWithdrawals.get(b) ?? []) this.withdrawals.delete(w.withdrawalId);
      this.batchWithdrawals.delete(b);
    }
    this.sealedBatch = to;
    if (this.head !== null && head !== null && hex(head.root()) !== this.roots.get(to)) throw new Error(`proof keeper: the head commitment is not at batch ${to}'s root`);
    this.head = head;
  }

  /** The last finalized batch. */
  get provenBatch(): number {
    return this.ranges.at(-1)!.lastBatch;
  }

  /**
   * Settlement finalized the sealed batches up to `last` (one call per finalization: its range). Returns
   * the range and the net leaf changes applied to the finalized trie (what a persistent copy applies).
   */
  finalize(last: number): { range: FinalizedRange; changes: { dels: Uint8Array[]; puts: Uint8Array[] } } {
    const first = this.provenBatch + 1;
    if (last < first || last > this.sealedBatch) throw new Error(`proof keeper: cannot finalize ${first}..${last} (sealed up to ${this.sealedBatch})`);
    const ws: Withdrawal[] = [];
    const fin = this.fin;
    // net effect per leaf key (hex): the leaf, or null when deleted
    const net = new Map<string, Uint8Array | null>();
    for (let b = first; b <= last; b++) {
      const c = this.changes.get(b);
      if (fin !== null && c !== undefined) {
        for (const k of c.dels) {
          fin.trie.delete(k);
          net.set(hex(k), null);
        }
        for (const e of c.puts) {
          fin.trie.put(e);
          net.set(hex(e.subarray(0, keyLen(e[0]!))), e);
        }
      }
      this.changes.delete(b);
      ws.push(...(this.batchWithdrawals.get(b) ?? []));
      this.batchWithdrawals.delete(b);
    }
    const root = fin === null ? null : hex(fin.trie.commit());
    if (root !== (this.roots.get(last) ?? null)) throw new Error(`proof keeper: finalized trie root ${root} differs from batch ${last}'s root ${this.roots.get(last)}`);
    const tree = new WithdrawalTree(ws);
    this.trees.set(last, tree);
    const range = { firstBatch: first, lastBatch: last, stateRoot: root, withdrawalRoot: hex(tree.root) };
    this.ranges.push(range);
    const changes = { dels: [] as Uint8Array[], puts: [] as Uint8Array[] };
    for (const [k, v] of net) {
      if (v === null) changes.dels.push(Buffer.from(k.slice(2), "hex"));
      else changes.puts.push(v);
    }
    return { range: { ...range }, changes };
  }

  /** The post-state root of sealed batch `b` (0: genesis), or null when `b` is not sealed (or no state proofs). */
  stateRoot(b: number): string | null {
    return this.roots.get(b) ?? null;
  }

  /** The withdrawal root batches first..last (sealed, not finalized) would be finalized with: a prover's public value. */
  withdrawalRoot(first: number, last: number): string {
    if (first <= this.provenBatch || last > this.sealedBatch || first > last) throw new Error(`proof keeper: batches ${first}..${last} are not all sealed and unfinalized`);
    const ws: Withdrawal[] = [];
    for (let b = first; b <= last; b++) ws.push(...(this.batchWithdrawals.get(b) ?? []));
    return hex(new WithdrawalTree(ws).root);
  }

  finalized(): FinalizedRange {
    return { ...this.ranges.at(-1)! };
  }

  /** The newest `n` finalized ranges (the base range included), newest first. */
  recentRanges(n: number): FinalizedRange[] {
    return this.ranges.slice(-n).reverse().map((r) => ({ ...r }));
  }

  stateProof(key: Uint8Array, at: ProofAt, level: (b: number) => StateProofInfo["level"]): StateProofInfo | ProofRefusal {
    const fin = this.ranges.at(-1)!;
    const sealed = this.sealedBatch;
    const provenBatch = fin.lastBatch;
    if (this.head === null || this.fin === null) return { refused: "unavailable", reason: "this node keeps no state proofs", provenBatch };
    let b: number;
    if ("finalized" in at) b = fin.lastBatch;
    else if ("latest" in at) b = sealed;
    else if ("batchIndex" in at) b = at.batchIndex;
    else {
      const root = at.root.toLowerCase();
      b = root === fin.stateRoot ? fin.lastBatch : root === this.roots.get(sealed) ? sealed : -1;
      if (b < 0) return { refused: "unavailable", reason: `state root ${root} is not the finalized root (batch ${fin.lastBatch}) nor the latest sealed batch's (${sealed})`, provenBatch };
    }
    const sc = b === fin.lastBatch ? this.fin : b === sealed ? this.head : null;
    if (sc === null) {
      return { refused: "unavailable", reason: `proofs are served at the finalized batch ${fin.lastBatch} and the latest sealed batch ${sealed}, not batch ${b}`, provenBatch };
    }
    const p = getProof(sc, key);
    return { batchIndex: b, root: p.root, level: level(b), key: p.key, siblings: p.siblings, leaf: p.leaf };
  }

  /**
   * A withdrawal with its claim proof; "not-finalized" while its batch is not finalized (`openBatch`: the
   * batch being built, whose withdrawals below `nextWithdrawalId` are not recorded yet); null: unknown.
   */
  withdrawal(withdrawalId: number, open: { batchIndex: number; nextWithdrawalId: number } | null): WithdrawalProofInfo | ProofRefusal | null {
    const provenBatch = this.provenBatch;
    const rec = this.withdrawals.get(withdrawalId);
    if (rec === undefined) {
      if (open === null || withdrawalId >= open.nextWithdrawalId) return null;
      return { refused: "not-finalized", reason: `withdrawal ${withdrawalId} is in the open batch ${open.batchIndex}; the last finalized batch is ${provenBatch}`, provenBatch, batchIndex: open.batchIndex };
    }
    if (rec.batchIndex > provenBatch) {
      return { refused: "not-finalized", reason: `withdrawal ${withdrawalId} is in batch ${rec.batchIndex}; the last finalized batch is ${provenBatch}`, provenBatch, batchIndex: rec.batchIndex };
    }
    // ranges ascend by lastBatch: the first one ending at or after the withdrawal's batch holds it
    let lo = 0, hi = this.ranges.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ranges[mid].lastBatch < rec.batchIndex) lo = mid + 1;
      else hi = mid;
    }
    const range = this.ranges[lo];
    const proof = this.trees.get(range.lastBatch)!.proof(withdrawalId).map(hex);
    return { ...rec.w, batchIndex: rec.batchIndex, range: { ...range }, proof };
  }
}
