// LevelDB storage of the node (classic-level). docs/stf.md "Storage" describes it; in short:
//
// - The in-memory state (ClobState + StateCommitment) is the working copy. The database holds the state
//   as its trie leaves (`s` + leaf key -> leaf encoding), which are exactly the state, plus per-batch
//   records. Each batch is committed with ONE LevelDB write batch holding the batch's leaf puts/deletes,
//   its receipts, its withdrawals, its batch data, the L1 cursor, mempool changes, receipt pruning and
//   the head record. A crash at any point leaves the previous or the new batch, never a mix.
// - Startup reads every leaf, rebuilds ClobState (stateFromLeaves) and the trie, and checks the rebuilt
//   root against the head record, then resumes after the head batch.
// - Snapshots are the leaves of one batch in key-path order plus a header; import verifies the root
//   against a caller-supplied (finalized) root before anything is written.
// - The way back (docs/derivation.md "Reorgs"): a batch may be committed with its undo record (undo.ts),
//   and derivation records the L1 blocks it walked and the L1 messages it saw in the same atomic writes
//   (StoreWrite). rollback() steps back to an earlier batch and L1 block in one atomic write: undo records
//   applied newest first, every per-batch record, L1 block record and message past the target deleted.
// - Indexes derived from the batches (StoreOptions.indexer, node/app/history.ts: receipts, orders, fills by
//   account and hash) are staged in each batch's write, pruned with the receipts, undone by rollback(), all in
//   the same atomic writes; the store only calls the hook and owns none of its keys.

import { createReadStream, createWriteStream } from "node:fs";
import { once } from "node:events";
import { ClassicLevel } from "classic-level";
import { ReceiptLog } from "../clob/receipts.ts";
import type { ClobState } from "../clob/state.ts";
import { StateCommitment, hex, stateFromLeaves } from "./commitment.ts";
import { type Derived, allPuts } from "./derive.ts";
import { keyLen } from "./leaves.ts";
import { decodeUndo } from "./undo.ts";

type Bytes = Uint8Array;

const P_STATE = 0x73; // 's' + leaf key
const K_HEAD = Buffer.from("h");
const P_RECEIPTS = "r"; // r + be64(batch)
const P_BATCH = "b";
const P_WITHDRAWALS = "w";
const P_ROOT = "x";
const K_L1 = Buffer.from("c:l1");
const P_MEMPOOL = "p:";
const P_UNDO = "u"; // u + be64(batch) -> undo record
const P_UNDONE = "t"; // t + be64(batch) -> the data of a valid batch committed with its undo record (BatchCommit.undoData)
const P_L1BLOCK = "l"; // l + be64(L1 block number) -> L1BlockRecord (JSON)
const P_MESSAGE = "q"; // q + be64(message index) -> L1 message bytes
const P_PROVER = "v"; // v + be64(batch) -> the prover's input of the batch (node/derive/prover-input.ts)
const P_CHANGES = "k"; // k + be64(batch) -> the batch's leaf changes (encodeChanges), until finalized
const P_LEAFLOG = "j"; // j + be64(batch) -> a logged batch's leaf changes (encodeChanges), until StateStore.fold
const P_FINLEAF = 0x46; // 'F' + leaf key -> leaf of the state at the last finalized batch
const P_RANGE = "n"; // n + be64(lastBatch) -> a finalized range (JSON FinalizedRecord)
const K_FIN = Buffer.from("f:fin"); // the finalized trie's position (JSON FinalizedHead)

/** Coded store errors: a driver tells "reset and retry" from "stop" by the code. */
export class StoreError extends Error {
  readonly code: "NOT_SEQUENTIAL" | "ROOT_MISMATCH" | "NO_UNDO" | "BAD_TARGET" | "CORRUPT" | "NOT_FOLDED";
  constructor(code: StoreError["code"], message: string) {
    super(`store: ${message}`);
    this.name = "StoreError";
    this.code = code;
  }
}

/**
 * An L1 block as derivation recorded it, with the derivation position after it: the last batch derived
 * (from this block or earlier), the number of L1 messages seen, the Inbox batch chain value b(batchIndex)
 * and the queue hash at the consumed position.
 */
export interface L1BlockRecord {
  number: number;
  hash: `0x${string}`;
  /** Absent for a finalized block derived from its logs alone (node/l1/follower.ts L1BlockRef). */
  parentHash?: `0x${string}`;
  timestamp: number;
  batchIndex: number;
  messageCount: number;
  batchChain: `0x${string}`;
  /** q(l1MessagesConsumed): the queue hash where the next batch's messages chain from. */
  queueHash: `0x${string}`;
}

/** A range of batches Settlement finalized, as the node recorded it. */
export interface FinalizedRecord {
  firstBatch: number;
  lastBatch: number;
  stateRoot: `0x${string}`;
  withdrawalRoot: `0x${string}`;
}

/** Where the finalized trie ('F' leaves) stands: its batch and root, and the L1 block its Settlement events were read to. */
export interface FinalizedHead {
  batchIndex: number;
  root: `0x${string}`;
  l1Block: number;
}

/** One batch's leaf changes in commit order: deletes, then puts (full leaf encodings). */
export interface LeafChanges {
  dels: Bytes[];
  puts: Bytes[];
}

/** One atomic LevelDB write being assembled (a chained batch). */
export type WriteOps = ReturnType<ClassicLevel<Buffer, Buffer>["batch"]>;

/**
 * Records derived from each batch and kept in its atomic commit (node/app/history.ts). The store calls it at
 * each step; every method adds to the write it is given and nothing is visible before that write lands.
 */
export interface StoreIndexer {
  /** The store opened (read what the indexer keeps in memory). */
  open(store: StateStore): Promise<void>;
  /** Stages the records of batch `c` (called once per batch, in order, as the batch is staged). */
  batch(ops: WriteOps, c: BatchCommit): void;
  /** Receipt retention: removes the records of batches below `floor`. */
  prune(ops: WriteOps, floor: number): Promise<void>;
  /** Rollback: removes what batch `i` added and restores what it changed (called newest first). */
  undo(ops: WriteOps, i: number): Promise<void>;
  /** Batches up to `batchIndex` are final (no rollback will pass them). */
  final(ops: WriteOps, batchIndex: number): Promise<void>;
  /** A full state replaces everything (genesis, snapshot import): every record goes. */
  reset(ops: WriteOps): Promise<void>;
  /** A write landed: the new head (`rolledBack`: after a rollback, so re-read what is kept in memory). */
  written(head: number | null, rolledBack: boolean): Promise<void>;
}

export interface StoreOptions {
  /** Derived indexes kept in the batch commits (node/app/history.ts HistoryIndex). */
  indexer?: StoreIndexer;
  /** Keep receipts (and batch data) of the last N batches (each commit deletes every older one); 0 = all. */
  keepReceipts?: number;
  /**
   * Keep each batch's leaf changes until the batch is finalized (finalize()), so a trie at the last
   * finalized batch can be kept on disk and rebuilt after a restart (node/app/proofs.ts). Default false.
   */
  keepChanges?: boolean;
  /** fsync every commit (default true: an acknowledged batch survives power loss too). */
  sync?: boolean;
}

export interface Head {
  batchIndex: number;
  root: `0x${string}`;
}

/** Everything one batch commit writes (atomically). */
export interface BatchCommit {
  batchIndex: number;
  root: Bytes;
  /** Leaf changes (StateCommitment.commitBatch / applyDerived). */
  derived: Pick<Derived, "puts" | "dels" | "putBatch">;
  /** The batch's receipts, stored as their binary encoding (ReceiptLog.encode). */
  receipts?: ReceiptLog;
  withdrawals?: unknown[];
  /** Encoded batch as derived from L1 (opaque here). */
  batchData?: Bytes;
  /** L1 follower position (opaque JSON). */
  l1Cursor?: unknown;
  mempool?: { put?: [string, Bytes][]; del?: string[] };
  /** The batch's undo record (StateCommitment.commitBatch with `undo`); without it rollback cannot pass this batch. */
  undo?: Bytes;
  /**
   * With `undo`: the batch's data as derived (opaque here), kept until the batch is final (pruneFinal) so that
   * a rollback can hand back the transactions it undoes (undoneData, read before rollback).
   */
  undoData?: Bytes;
  /**
   * A final batch (no undo record) whose leaf changes are written as ONE record (the leaf log, 'j' + batch)
   * instead of one LevelDB key per leaf: a follower syncing history writes one value per batch. load() applies
   * the log over the stored leaves; StateStore.fold() turns it into leaves (each key once). A batch with its
   * leaves written directly cannot follow a logged one before fold() (StoreError NOT_FOLDED).
   */
  logged?: boolean;
  /** The prover's input of the batch (opaque here; node/derive/prover-input.ts), until pruneProverInputs. */
  proverInput?: Bytes;
}

function be64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}
function pk(prefix: string, n: number): Buffer {
  return Buffer.concat([Buffer.from(prefix), be64(n)]);
}
/** The first key after every key starting with the one-byte `prefix`. */
function prefixEnd(prefix: string): Buffer {
  return Buffer.from([prefix.charCodeAt(0) + 1]);
}
function stateKey(leafKey: Bytes): Buffer {
  const b = Buffer.alloc(1 + leafKey.length);
  b[0] = P_STATE;
  b.set(leafKey, 1);
  return b;
}
function finKey(leafKey: Bytes): Buffer {
  const b = Buffer.alloc(1 + leafKey.length);
  b[0] = P_FINLEAF;
  b.set(leafKey, 1);
  return b;
}
/** be32(dels) | dels x (be16 len | key) | be32(puts) | puts x (be16 len | leaf). */
function encodeChanges(dels: readonly Bytes[], puts: readonly Bytes[]): Buffer {
  let size = 8;
  for (const x of dels) size += 2 + x.length;
  for (const x of puts) size += 2 + x.length;
  const out = Buffer.allocUnsafe(size);
  let p = 0;
  for (const list of [dels, puts]) {
    out.writeUInt32BE(list.length, p);
    p += 4;
    for (const x of list) {
      out[p] = x.length >>> 8;
      out[p + 1] = x.length & 255;
      out.set(x, p + 2);
      p += 2 + x.length;
    }
  }
  return out;
}
/** encodeChanges of a batch's derived changes (the fast path's puts are one buffer: copied leaf by leaf without views). */
function encodeDerived(d: Pick<Derived, "puts" | "dels" | "putBatch">): Buffer {
  const b = d.putBatch;
  if (b === undefined) return encodeChanges(d.dels, d.puts);
  const head = encodeChanges(d.dels, d.puts);
  const n = d.puts.length + b.count;
  const out = Buffer.allocUnsafe(head.length + 2 * b.count + b.bytes);
  head.copy(out);
  // patch the put count, then append the batch's leaves
  let p = head.length;
  out.writeUInt32BE(n, p - 4 - putsBytes(d.puts));
  const data = b.data;
  const offs = b.offs;
  for (let i = 0; i < b.count; i++) {
    const s = offs[i]!;
    const len = offs[i + 1]! - s;
    out[p] = len >>> 8;
    out[p + 1] = len & 255;
    out.set(data.subarray(s, s + len), p + 2);
    p += 2 + len;
  }
  return out;
}
function putsBytes(puts: readonly Bytes[]): number {
  let n = 0;
  for (const x of puts) n += 2 + x.length;
  return n;
}
function decodeChanges(b: Buffer): LeafChanges {
  let p = 0;
  const list = (): Bytes[] => {
    const n = b.readUInt32BE(p);
    p += 4;
    const out: Bytes[] = [];
    for (let i = 0; i < n; i++) {
      const len = b.readUInt16BE(p);
      out.push(new Uint8Array(b.subarray(p + 2, p + 2 + len)));
      p += 2 + len;
    }
    return out;
  };
  const dels = list();
  return { dels, puts: list() };
}
/**
 * Applies one encodeChanges record to `net` (leaf key as a latin1 string -> leaf, or null: deleted): the
 * net effect of records applied in batch order. Leaves are views of `rec`.
 */
function applyChanges(net: Map<string, Buffer | null>, rec: Buffer): void {
  let p = 0;
  for (let list = 0; list < 2; list++) {
    const n = rec.readUInt32BE(p);
    p += 4;
    for (let i = 0; i < n; i++) {
      const len = (rec[p]! << 8) | rec[p + 1]!;
      const x = rec.subarray(p + 2, p + 2 + len);
      p += 2 + len;
      if (list === 0) net.set(x.toString("latin1"), null);
      else net.set(x.toString("latin1", 0, keyLen(x[0]!)), x);
    }
  }
  if (p !== rec.length) throw new StoreError("CORRUPT", "leaf log record has trailing bytes");
}
/** The bytes as a latin1 string (one char per byte): a Map key for a binary key. */
function latin1(b: Bytes): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1");
}
function leafKeyOf(enc: Bytes): Bytes {
  return enc.subarray(0, keyLen(enc[0]));
}

export class StateStore {
  readonly db: ClassicLevel<Buffer, Buffer>;
  private readonly opts: Required<Omit<StoreOptions, "indexer">>;
  private readonly indexer: StoreIndexer | undefined;
  private headCache: Head | null = null;
  /** The last StoreWrite submitted: the next one runs after it (and fails if it failed). */
  private tail: Promise<void> = Promise.resolve();
  /** The leaf log (BatchCommit.logged): records submitted and not folded, and their bytes. */
  private readonly log = { batches: 0, bytes: 0 };

  private constructor(path: string, opts: StoreOptions) {
    this.db = new ClassicLevel<Buffer, Buffer>(path, { keyEncoding: "buffer", valueEncoding: "buffer" });
    this.opts = { keepReceipts: opts.keepReceipts ?? 0, keepChanges: opts.keepChanges ?? false, sync: opts.sync ?? true };
    this.indexer = opts.indexer;
  }

  /** The indexer StoreWrite.batch stages records with. @internal */
  get batchIndexer(): StoreIndexer | undefined {
    return this.indexer;
  }

  static async open(path: string, opts: StoreOptions = {}): Promise<StateStore> {
    const s = new StateStore(path, opts);
    await s.db.open();
    const h = await s.db.get(K_HEAD);
    s.headCache = h === undefined ? null : (JSON.parse(h.toString()) as Head);
    for await (const v of s.db.values({ gte: pk(P_LEAFLOG, 0), lt: prefixEnd(P_LEAFLOG) })) {
      s.log.batches++;
      s.log.bytes += v.length;
    }
    await s.indexer?.open(s);
    return s;
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  /** The last committed batch, or null for an empty store. */
  head(): Head | null {
    return this.headCache;
  }

  /**
   * Write a complete state (genesis or imported snapshot) as batch `batchIndex`. `more` adds records to the
   * same atomic write (an imported snapshot's L1 cursor and pending L1 messages).
   */
  async writeFullState(sc: StateCommitment, batchIndex: number, more?: (w: StoreWrite) => void): Promise<void> {
    await this.tail;
    const ops = this.db.batch();
    // Start from a clean state keyspace.
    for await (const k of this.db.keys({ gte: Buffer.from([P_STATE]), lt: Buffer.from([P_STATE + 1]) })) ops.del(k);
    for await (const k of this.db.keys({ gte: pk(P_LEAFLOG, 0), lt: prefixEnd(P_LEAFLOG) })) ops.del(k);
    for (const e of sc.trie.entries()) ops.put(stateKey(leafKeyOf(e)), Buffer.from(e));
    const head: Head = { batchIndex, root: hex(sc.root()) };
    ops.put(pk(P_ROOT, batchIndex), Buffer.from(sc.root()));
    if (this.opts.keepChanges) {
      // A full state (genesis, or a snapshot checked against a finalized root) is also the finalized trie's start.
      for await (const k of this.db.keys({ gte: Buffer.from([P_FINLEAF]), lt: Buffer.from([P_FINLEAF + 1]) })) ops.del(k);
      for (const e of sc.trie.entries()) ops.put(finKey(leafKeyOf(e)), Buffer.from(e));
      for await (const k of this.db.keys({ gte: pk(P_RANGE, 0), lt: prefixEnd(P_RANGE) })) ops.del(k);
      for await (const k of this.db.keys({ gte: pk(P_CHANGES, 0), lt: prefixEnd(P_CHANGES) })) ops.del(k);
      const fin: FinalizedHead = { batchIndex, root: head.root, l1Block: 0 };
      ops.put(K_FIN, Buffer.from(JSON.stringify(fin)));
      // the base range: where the finalized trie starts (no withdrawals)
      const base: FinalizedRecord = { firstBatch: batchIndex, lastBatch: batchIndex, stateRoot: head.root, withdrawalRoot: `0x${"00".repeat(32)}` };
      ops.put(pk(P_RANGE, batchIndex), Buffer.from(JSON.stringify(base)));
    }
    await this.indexer?.reset(ops);
    const w = new StoreWrite(this, ops, head);
    more?.(w);
    await w.write();
    this.log.batches = 0;
    this.log.bytes = 0;
  }

  /** Logged batches (BatchCommit.logged) submitted and not folded yet, and their records' bytes. */
  get loggedBatches(): number {
    return this.log.batches;
  }
  get loggedBytes(): number {
    return this.log.bytes;
  }

  /**
   * Writes the leaf log as leaves: after every write submitted so far, one atomic write puts (or deletes)
   * each key the logged batches changed, once, with its last value, and deletes their records. Nothing
   * changes in what load() returns. Returns the number of leaf operations written (0: no log).
   */
  fold(): Promise<number> {
    const prev = this.tail;
    const p = (async () => {
      await prev;
      const keys: Buffer[] = [];
      const net = new Map<string, Buffer | null>();
      let bytes = 0;
      for await (const [k, v] of this.db.iterator({ gte: pk(P_LEAFLOG, 0), lt: prefixEnd(P_LEAFLOG) })) {
        keys.push(k);
        bytes += v.length;
        applyChanges(net, v);
      }
      if (keys.length === 0) return 0;
      const ops = this.db.batch();
      for (const [k, v] of net) {
        const key = Buffer.allocUnsafe(1 + k.length);
        key[0] = P_STATE;
        key.write(k, 1, "latin1");
        if (v === null) ops.del(key);
        else ops.put(key, v);
      }
      for (const k of keys) ops.del(k);
      await ops.write({ sync: this.opts.sync });
      this.log.batches -= keys.length;
      this.log.bytes -= bytes;
      return net.size;
    })();
    this.tail = p.then(() => undefined);
    this.tail.catch(() => undefined);
    return p;
  }

  /** Whether each batch's leaf changes are kept until finalized (StoreOptions.keepChanges). */
  get keepsChanges(): boolean {
    return this.opts.keepChanges;
  }

  /** Whether the store holds nothing at all (no state, records or cursor). */
  async isEmpty(): Promise<boolean> {
    for await (const _ of this.db.keys({ limit: 1 })) return false;
    return true;
  }

  /** Commit one batch: a single atomic LevelDB write. */
  async commitBatch(c: BatchCommit): Promise<void> {
    await this.begin().batch(c).write();
  }

  /**
   * Starts one atomic write that may hold several batches, L1 block records and L1 messages (derivation
   * syncing history commits many batches at once). Nothing is visible until `write()`. To stage more while
   * a write is still running, start the next one with `StoreWrite.next()` (this one starts at the durable head).
   */
  begin(): StoreWrite {
    return new StoreWrite(this, this.db.batch(), this.headCache);
  }

  /** Resolves when every write submitted so far has finished (rejects if one failed). */
  async settled(): Promise<void> {
    await this.tail;
  }

  /**
   * @internal called by StoreWrite.write: runs after the previously submitted write (writes land in
   * submission order, each atomic; a failed write fails every later one, so no write lands past a gap).
   */
  finishWrite(ops: ReturnType<ClassicLevel<Buffer, Buffer>["batch"]>, head: Head | null, last: number | null, logged?: { batches: number; bytes: number }): Promise<void> {
    if (logged !== undefined) {
      this.log.batches += logged.batches;
      this.log.bytes += logged.bytes;
    }
    const prev = this.tail;
    const p = (async () => {
      await prev;
      await this.writeNow(ops, head, last);
    })();
    this.tail = p;
    p.catch(() => undefined); // the caller of write() gets the error; this only marks the chain as observed
    return p;
  }

  private async writeNow(ops: ReturnType<ClassicLevel<Buffer, Buffer>["batch"]>, head: Head | null, last: number | null): Promise<void> {
    const keep = this.opts.keepReceipts;
    if (last !== null && keep > 0 && last > keep) {
      // Everything older than the window, not only the batch this commit pushes out: a lowered setting or
      // an earlier run without pruning leaves older receipts behind. Usually zero or one key.
      for await (const k of this.db.keys({ gte: pk(P_RECEIPTS, 0), lt: pk(P_RECEIPTS, last - keep + 1) })) ops.del(k);
      for await (const k of this.db.keys({ gte: pk(P_BATCH, 0), lt: pk(P_BATCH, last - keep + 1) })) ops.del(k);
      await this.indexer?.prune(ops, last - keep + 1);
    }
    if (head !== null && head !== this.headCache) ops.put(K_HEAD, Buffer.from(JSON.stringify(head)));
    await ops.write({ sync: this.opts.sync });
    this.headCache = head;
    await this.indexer?.written(head?.batchIndex ?? null, false);
  }

  /**
   * Steps back to batch `batchIndex` (its state, root and records stay; everything after it goes) in one
   * atomic write: the undo records of the later batches applied newest first. With `l1`, also forgets the
   * L1 blocks after `l1.number` and the L1 messages from `l1.messageCount` on, and makes `l1` the L1 cursor.
   * Throws StoreError NO_UNDO (nothing written) if a batch in between was committed without its undo record.
   * `mempool`: records put under the mempool prefix in the same write (the undone transactions a sequencer
   * keeps, node/sequencer/wal.ts). The in-memory state must then be rebuilt (load()).
   */
  async rollback(batchIndex: number, l1?: L1BlockRecord, mempool: readonly [string, Bytes][] = []): Promise<void> {
    await this.tail;
    const head = this.headCache;
    if (head === null || batchIndex > head.batchIndex || batchIndex < 0) throw new StoreError("BAD_TARGET", `cannot roll back to batch ${batchIndex} from ${head?.batchIndex ?? "empty"}`);
    const root = await this.stateRoot(batchIndex);
    if (root === undefined) throw new StoreError("BAD_TARGET", `no state root recorded for batch ${batchIndex}`);
    const ops = this.db.batch();
    for (let i = head.batchIndex; i > batchIndex; i--) {
      const rec = await this.db.get(pk(P_UNDO, i));
      if (rec === undefined) {
        void ops.close();
        throw new StoreError("NO_UNDO", `batch ${i} has no undo record (committed as final)`);
      }
      for (const e of decodeUndo(new Uint8Array(rec))) {
        if (e.leaf === undefined) ops.del(stateKey(e.key));
        else ops.put(stateKey(e.key), Buffer.from(e.leaf));
      }
      for (const p of [P_UNDO, P_UNDONE, P_RECEIPTS, P_WITHDRAWALS, P_BATCH, P_ROOT, P_PROVER, P_CHANGES]) ops.del(pk(p, i));
      await this.indexer?.undo(ops, i);
    }
    if (l1 !== undefined) {
      for await (const k of this.db.keys({ gt: pk(P_L1BLOCK, l1.number), lt: prefixEnd(P_L1BLOCK) })) ops.del(k);
      for await (const k of this.db.keys({ gte: pk(P_MESSAGE, l1.messageCount), lt: prefixEnd(P_MESSAGE) })) ops.del(k);
      ops.put(pk(P_L1BLOCK, l1.number), Buffer.from(JSON.stringify(l1)));
      ops.put(K_L1, Buffer.from(JSON.stringify(l1)));
    }
    for (const [k, v] of mempool) ops.put(Buffer.from(P_MEMPOOL + k), Buffer.from(v));
    const newHead: Head = { batchIndex, root: hex(root) };
    ops.put(K_HEAD, Buffer.from(JSON.stringify(newHead)));
    await ops.write({ sync: this.opts.sync });
    this.headCache = newHead;
    await this.indexer?.written(batchIndex, true);
  }

  /**
   * Forgets what can no longer be undone once L1 block `l1Number` is final: L1 block records below it and
   * undo records of batches up to `batchIndex` (derived from blocks at or below it). One write.
   */
  async pruneFinal(l1Number: number, batchIndex: number): Promise<void> {
    await this.tail;
    const ops = this.db.batch();
    for await (const k of this.db.keys({ gte: pk(P_L1BLOCK, 0), lt: pk(P_L1BLOCK, l1Number) })) ops.del(k);
    for await (const k of this.db.keys({ gte: pk(P_UNDO, 0), lte: pk(P_UNDO, batchIndex) })) ops.del(k);
    for await (const k of this.db.keys({ gte: pk(P_UNDONE, 0), lte: pk(P_UNDONE, batchIndex) })) ops.del(k);
    await this.indexer?.final(ops, batchIndex);
    if (ops.length === 0) {
      void ops.close();
      return;
    }
    await ops.write({ sync: this.opts.sync });
  }

  /** Leaf changes of batch `i` (kept with StoreOptions.keepChanges until finalized). */
  async changes(i: number): Promise<LeafChanges | undefined> {
    const v = await this.db.get(pk(P_CHANGES, i));
    return v === undefined ? undefined : decodeChanges(v);
  }

  /** The finalized trie's position; undefined when the store never kept one (keepChanges off, or an older store). */
  async finalizedHead(): Promise<FinalizedHead | undefined> {
    const v = await this.db.get(K_FIN);
    return v === undefined ? undefined : (JSON.parse(v.toString()) as FinalizedHead);
  }

  /** Every leaf of the state at the finalized batch. */
  async *finalizedLeaves(): AsyncGenerator<Bytes> {
    for await (const v of this.db.values({ gte: Buffer.from([P_FINLEAF]), lt: Buffer.from([P_FINLEAF + 1]) })) yield new Uint8Array(v);
  }

  /** The finalized ranges recorded by finalize(), ascending; the first is the base the trie started from (writeFullState). */
  async finalizedRanges(): Promise<FinalizedRecord[]> {
    const out: FinalizedRecord[] = [];
    for await (const v of this.db.values({ gte: pk(P_RANGE, 0), lt: prefixEnd(P_RANGE) })) out.push(JSON.parse(v.toString()) as FinalizedRecord);
    return out;
  }

  /**
   * Moves the finalized trie forward in one atomic write: its leaf changes (`dels`, `puts`: the net effect
   * of the finalized batches), the new ranges, the new position; the leaf changes of batches up to the new
   * finalized batch are forgotten. `head.l1Block` alone may advance with no ranges (events read, none new).
   */
  async finalize(head: FinalizedHead, ranges: readonly FinalizedRecord[], change: LeafChanges): Promise<void> {
    const prev = await this.finalizedHead();
    const ops = this.db.batch();
    for (const k of change.dels) ops.del(finKey(k));
    for (const e of change.puts) ops.put(finKey(leafKeyOf(e)), Buffer.from(e));
    for (const r of ranges) ops.put(pk(P_RANGE, r.lastBatch), Buffer.from(JSON.stringify(r)));
    if (prev === undefined || head.batchIndex > prev.batchIndex) {
      for await (const k of this.db.keys({ gte: pk(P_CHANGES, 0), lte: pk(P_CHANGES, head.batchIndex) })) ops.del(k);
    }
    ops.put(K_FIN, Buffer.from(JSON.stringify(head)));
    await ops.write({ sync: this.opts.sync });
  }

  /** The prover's input of batch `i`, if derivation recorded it and it was not pruned. */
  async proverInput(i: number): Promise<Bytes | undefined> {
    const v = await this.db.get(pk(P_PROVER, i));
    return v === undefined ? undefined : new Uint8Array(v);
  }

  /** Forgets the prover inputs of batches up to `batchIndex` (finalized: no proof will need them). */
  async pruneProverInputs(batchIndex: number): Promise<void> {
    const ops = this.db.batch();
    for await (const k of this.db.keys({ gte: pk(P_PROVER, 0), lte: pk(P_PROVER, batchIndex) })) ops.del(k);
    if (ops.length === 0) {
      void ops.close();
      return;
    }
    await ops.write({ sync: this.opts.sync });
  }

  /** The recorded L1 block `n`, if derivation recorded it (and it was not pruned). */
  async l1Block(n: number): Promise<L1BlockRecord | undefined> {
    const v = await this.db.get(pk(P_L1BLOCK, n));
    return v === undefined ? undefined : (JSON.parse(v.toString()) as L1BlockRecord);
  }

  /** The oldest recorded L1 block number (undefined: none). */
  async firstL1Block(): Promise<number | undefined> {
    for await (const k of this.db.keys({ gte: pk(P_L1BLOCK, 0), lt: prefixEnd(P_L1BLOCK), limit: 1 })) return Number(k.readBigUInt64BE(1));
    return undefined;
  }

  /** L1 messages with index >= `from`, in queue order. */
  async l1Messages(from: number): Promise<[number, Bytes][]> {
    const out: [number, Bytes][] = [];
    for await (const [k, v] of this.db.iterator({ gte: pk(P_MESSAGE, from), lt: prefixEnd(P_MESSAGE) })) {
      out.push([Number(k.readBigUInt64BE(1)), new Uint8Array(v)]);
    }
    return out;
  }

  /**
   * The data kept with the undo records of the batches after `batchIndex` (BatchCommit.undoData), in batch
   * order: what rollback(batchIndex) would undo. Batches committed without it (invalid ones) are absent.
   */
  async undoneData(batchIndex: number): Promise<[number, Bytes][]> {
    await this.tail.catch(() => undefined);
    const out: [number, Bytes][] = [];
    for await (const [k, v] of this.db.iterator({ gt: pk(P_UNDONE, batchIndex), lt: prefixEnd(P_UNDONE) })) {
      out.push([Number(k.readBigUInt64BE(1)), new Uint8Array(v)]);
    }
    return out;
  }

  /** Whether batch `i` has an undo record. */
  async hasUndo(i: number): Promise<boolean> {
    return (await this.db.get(pk(P_UNDO, i))) !== undefined;
  }

  /**
   * Every stored leaf (the state at the head batch): in key order of the database, or, while there is a
   * leaf log (BatchCommit.logged), the stored leaves the log does not change followed by the log's leaves.
   */
  async *leaves(): AsyncGenerator<Bytes> {
    await this.tail.catch(() => undefined); // the log and the leaves as of the last landed write
    const net = new Map<string, Buffer | null>();
    for await (const v of this.db.values({ gte: pk(P_LEAFLOG, 0), lt: prefixEnd(P_LEAFLOG) })) applyChanges(net, v);
    if (net.size === 0) {
      for await (const v of this.db.values({ gte: Buffer.from([P_STATE]), lt: Buffer.from([P_STATE + 1]) })) yield new Uint8Array(v);
      return;
    }
    for await (const [k, v] of this.db.iterator({ gte: Buffer.from([P_STATE]), lt: Buffer.from([P_STATE + 1]) })) {
      if (!net.has(k.toString("latin1", 1))) yield new Uint8Array(v);
    }
    for (const v of net.values()) if (v !== null) yield new Uint8Array(v);
  }

  /**
   * Rebuild the in-memory state at the head batch. Throws if the rebuilt root differs from the head's
   * (a corrupted or inconsistent store). Returns null for an empty store.
   */
  async load(): Promise<{ state: ClobState; commitment: StateCommitment; head: Head } | null> {
    const head = this.headCache;
    if (head === null) return null;
    const leaves: Bytes[] = [];
    for await (const e of this.leaves()) leaves.push(e);
    const state = stateFromLeaves(leaves);
    const commitment = StateCommitment.fromLeaves(leaves, state);
    if (hex(commitment.root()) !== head.root) throw new Error(`store: state root ${hex(commitment.root())} != head ${head.root}`);
    if (state.batchIndex !== head.batchIndex) throw new Error("store: state batch index differs from head");
    return { state, commitment, head };
  }

  /** The receipts of a batch; undefined if never stored or pruned. */
  async receipts(batchIndex: number): Promise<ReceiptLog | undefined> {
    const v = await this.db.get(pk(P_RECEIPTS, batchIndex));
    return v === undefined ? undefined : ReceiptLog.decode(v);
  }
  async withdrawals(batchIndex: number): Promise<unknown[] | undefined> {
    const v = await this.db.get(pk(P_WITHDRAWALS, batchIndex));
    return v === undefined ? undefined : JSON.parse(v.toString());
  }
  /**
   * Withdrawal records of batches [first, last] in batch order: the leaves of that range's withdrawal
   * tree (node/state/withdrawals.ts WithdrawalTree).
   */
  async withdrawalsInRange(first: number, last: number): Promise<unknown[]> {
    const out: unknown[] = [];
    for await (const v of this.db.values({ gte: pk(P_WITHDRAWALS, first), lte: pk(P_WITHDRAWALS, last) })) {
      out.push(...(JSON.parse(v.toString()) as unknown[]));
    }
    return out;
  }
  /** Withdrawal records of batches [first, last], per batch (batches without a record are skipped). */
  async *withdrawalsByBatch(first: number, last: number): AsyncGenerator<[number, unknown[]]> {
    for await (const [k, v] of this.db.iterator({ gte: pk(P_WITHDRAWALS, first), lte: pk(P_WITHDRAWALS, last) })) {
      yield [Number(k.readBigUInt64BE(1)), JSON.parse(v.toString()) as unknown[]];
    }
  }
  async batchData(batchIndex: number): Promise<Bytes | undefined> {
    const v = await this.db.get(pk(P_BATCH, batchIndex));
    return v === undefined ? undefined : new Uint8Array(v);
  }
  async stateRoot(batchIndex: number): Promise<Bytes | undefined> {
    const v = await this.db.get(pk(P_ROOT, batchIndex));
    return v === undefined ? undefined : new Uint8Array(v);
  }
  async l1Cursor(): Promise<unknown | undefined> {
    const v = await this.db.get(K_L1);
    return v === undefined ? undefined : JSON.parse(v.toString());
  }
  async mempool(): Promise<[string, Bytes][]> {
    const out: [string, Bytes][] = [];
    const lo = Buffer.from(P_MEMPOOL);
    const hi = Buffer.from("p;");
    for await (const [k, v] of this.db.iterator({ gte: lo, lt: hi })) out.push([k.toString().slice(P_MEMPOOL.length), new Uint8Array(v)]);
    return out;
  }
}

/**
 * One atomic write being assembled (StateStore.begin). The first batch's state leaves go into the LevelDB
 * batch as they come (LevelDB copies them); those of later batches are staged by key, so each key they
 * touch is written once, with its value after the last of them. LevelDB applies a write in order, so the
 * result is the same as writing every batch's changes in turn, with fewer operations when a group of
 * batches rewrites the same leaves (accounts, price levels, orders placed and cancelled within the group).
 */
export class StoreWrite {
  private readonly store: StateStore;
  private readonly ops: WriteOps;
  private head: Head | null;
  private last: number | null = null;
  private done = false;
  /** State leaves of the second and later batches: leaf key (latin1 string of its bytes) -> leaf (a copy), or null: deleted. */
  private readonly leaves = new Map<string, Buffer | null>();
  private firstLeaves = 0;
  /** Logged batches in this write, their records' bytes and leaf operations. */
  private logged = 0;
  private loggedBytes = 0;
  private loggedLeaves = 0;

  constructor(store: StateStore, ops: ReturnType<ClassicLevel<Buffer, Buffer>["batch"]>, head: Head | null) {
    this.store = store;
    this.ops = ops;
    this.head = head;
  }

  /** Number of batches added so far. */
  batches = 0;

  /** Adds one batch (it must follow the previous one). Leaf bytes are copied now. */
  batch(c: BatchCommit): this {
    const prev = this.head;
    if (prev !== null && c.batchIndex !== prev.batchIndex + 1) {
      throw new StoreError("NOT_SEQUENTIAL", `batch ${c.batchIndex} does not follow ${prev.batchIndex}`);
    }
    const ops = this.ops;
    if (c.logged === true) {
      if (c.undo !== undefined) throw new StoreError("BAD_TARGET", `batch ${c.batchIndex}: a logged batch is final (no undo record)`);
      const rec = encodeDerived(c.derived);
      ops.put(pk(P_LEAFLOG, c.batchIndex), rec);
      this.logged++;
      this.loggedBytes += rec.length;
      this.loggedLeaves += c.derived.dels.length + c.derived.puts.length + (c.derived.putBatch?.count ?? 0);
    } else if (this.logged > 0 || this.store.loggedBatches > 0) {
      throw new StoreError("NOT_FOLDED", `batch ${c.batchIndex}: leaves written directly after logged batches (fold() first)`);
    } else if (this.batches === 0) {
      const before = ops.length;
      for (const k of c.derived.dels) ops.del(stateKey(k));
      for (const e of allPuts(c.derived as Derived)) ops.put(stateKey(leafKeyOf(e)), Buffer.from(e.buffer, e.byteOffset, e.byteLength));
      this.firstLeaves = ops.length - before;
    } else {
      const leaves = this.leaves;
      for (const k of c.derived.dels) leaves.set(latin1(k), null);
      for (const e of allPuts(c.derived as Derived)) leaves.set(latin1(leafKeyOf(e)), Buffer.from(e)); // a copy: derived buffers are reused
    }
    if (c.receipts !== undefined) ops.put(pk(P_RECEIPTS, c.batchIndex), c.receipts.encode());
    if (c.withdrawals !== undefined) ops.put(pk(P_WITHDRAWALS, c.batchIndex), Buffer.from(JSON.stringify(c.withdrawals)));
    if (c.batchData !== undefined) ops.put(pk(P_BATCH, c.batchIndex), Buffer.from(c.batchData));
    if (c.l1Cursor !== undefined) ops.put(K_L1, Buffer.from(JSON.stringify(c.l1Cursor)));
    if (c.undo !== undefined) ops.put(pk(P_UNDO, c.batchIndex), Buffer.from(c.undo));
    if (c.undo !== undefined && c.undoData !== undefined) ops.put(pk(P_UNDONE, c.batchIndex), Buffer.from(c.undoData));
    if (c.proverInput !== undefined) ops.put(pk(P_PROVER, c.batchIndex), Buffer.from(c.proverInput));
    if (this.store.keepsChanges) ops.put(pk(P_CHANGES, c.batchIndex), encodeDerived(c.derived));
    for (const [k, v] of c.mempool?.put ?? []) ops.put(Buffer.from(P_MEMPOOL + k), Buffer.from(v));
    for (const k of c.mempool?.del ?? []) ops.del(Buffer.from(P_MEMPOOL + k));
    ops.put(pk(P_ROOT, c.batchIndex), Buffer.from(c.root));
    this.store.batchIndexer?.batch(ops, c);
    this.head = { batchIndex: c.batchIndex, root: hex(c.root) };
    this.batches++;
    this.last = c.batchIndex;
    return this;
  }

  /** State leaf operations staged so far (the first batch's, then the distinct keys of the later ones; those of logged batches). */
  get stagedLeaves(): number {
    return this.firstLeaves + this.leaves.size + this.loggedLeaves;
  }

  /** Batches of this write whose leaves are logged (BatchCommit.logged). */
  get loggedBatches(): number {
    return this.logged;
  }

  /** A new write that starts where this one ends (its batches follow this one's), for staging while this one is written. */
  next(): StoreWrite {
    return new StoreWrite(this.store, this.store.db.batch(), this.head);
  }

  /** Records an L1 block derivation has passed; the newest one is also the L1 cursor. */
  l1Block(r: L1BlockRecord): this {
    const v = Buffer.from(JSON.stringify(r));
    this.ops.put(pk(P_L1BLOCK, r.number), v);
    this.ops.put(K_L1, v);
    return this;
  }

  /** Records L1 message `index` (its bytes as queued on L1). */
  message(index: number, bytes: Bytes): this {
    this.ops.put(pk(P_MESSAGE, index), Buffer.from(bytes));
    return this;
  }

  /**
   * Writes everything atomically (fsync per the store's `sync` option), after every write submitted
   * before it. The staged leaves are handed to LevelDB now (synchronously), the write itself runs in the
   * background until the returned promise settles.
   */
  write(): Promise<void> {
    if (this.done) return Promise.reject(new Error("store: write already finished"));
    this.done = true;
    const ops = this.ops;
    for (const [k, v] of this.leaves) {
      const key = Buffer.allocUnsafe(1 + k.length);
      key[0] = P_STATE;
      key.write(k, 1, "latin1");
      if (v === null) ops.del(key);
      else ops.put(key, v);
    }
    this.leaves.clear();
    return this.store.finishWrite(ops, this.head, this.last, { batches: this.logged, bytes: this.loggedBytes });
  }
}

// ---- snapshots ----

const MAGIC = Buffer.from("RBSNAP01");

/**
 * Snapshot body: "RBSNAP01" | be64(batchIndex) | root(32) | be64(leafCount) | leafCount x (be16 len | leaf),
 * leaves in key-path order (the trie's canonical order). Yields it in chunks of about 1 MiB, each with the
 * number of leaves written so far (progress of large exports).
 */
export function* snapshotChunks(sc: StateCommitment, batchIndex: number): Generator<{ bytes: Buffer; leaves: number }> {
  const hdr = Buffer.alloc(8 + 8 + 32 + 8);
  MAGIC.copy(hdr, 0);
  hdr.writeBigUInt64BE(BigInt(batchIndex), 8);
  Buffer.from(sc.root()).copy(hdr, 16);
  hdr.writeBigUInt64BE(BigInt(sc.trie.size), 48);
  let chunk: Buffer[] = [hdr];
  let size = hdr.length;
  let leaves = 0;
  for (const e of sc.trie.entries()) {
    const b = Buffer.alloc(2 + e.length);
    b.writeUInt16BE(e.length, 0);
    b.set(e, 2);
    chunk.push(b);
    size += b.length;
    leaves++;
    if (size > 1 << 20) {
      yield { bytes: Buffer.concat(chunk), leaves };
      chunk = [];
      size = 0;
    }
  }
  yield { bytes: Buffer.concat(chunk), leaves };
}

/** Byte length of the snapshot body of `sc` (what snapshotChunks yields). */
export function snapshotBodySize(sc: StateCommitment): number {
  let n = 56;
  for (const e of sc.trie.entries()) n += 2 + e.length;
  return n;
}

/** Writes the snapshot body of `sc` at `batchIndex` to `file`. */
export async function exportSnapshot(sc: StateCommitment, batchIndex: number, file: string): Promise<void> {
  const out = createWriteStream(file);
  for (const { bytes } of snapshotChunks(sc, batchIndex)) if (!out.write(bytes)) await once(out, "drain");
  out.end();
  await once(out, "finish");
}

/**
 * Parses and verifies a snapshot body: the leaves must hash to `expectedRoot` (a finalized root from L1).
 * Returns the rebuilt state and commitment (nothing is written).
 */
export function decodeSnapshot(buf: Buffer, expectedRoot: Bytes): { batchIndex: number; state: ClobState; commitment: StateCommitment } {
  if (buf.length < 56 || !buf.subarray(0, 8).equals(MAGIC)) throw new Error("snapshot: bad header");
  const batchIndex = Number(buf.readBigUInt64BE(8));
  const root = buf.subarray(16, 48);
  const count = Number(buf.readBigUInt64BE(48));
  if (!root.equals(Buffer.from(expectedRoot))) throw new Error("snapshot: root differs from the expected root");
  const leaves: Bytes[] = [];
  let p = 56;
  for (let i = 0; i < count; i++) {
    if (p + 2 > buf.length) throw new Error("snapshot: truncated");
    const len = buf.readUInt16BE(p);
    p += 2;
    if (p + len > buf.length) throw new Error("snapshot: truncated");
    leaves.push(new Uint8Array(buf.subarray(p, p + len)));
    p += len;
  }
  if (p !== buf.length) throw new Error("snapshot: trailing bytes");
  const state = stateFromLeaves(leaves);
  const commitment = StateCommitment.fromLeaves(leaves, state);
  if (hex(commitment.root()) !== hex(expectedRoot)) throw new Error("snapshot: leaves do not hash to the expected root");
  if (state.batchIndex !== batchIndex) throw new Error("snapshot: batch index mismatch");
  return { batchIndex, state, commitment };
}

/** Reads and verifies a snapshot body file (decodeSnapshot). */
export async function readSnapshot(
  file: string,
  expectedRoot: Bytes,
): Promise<{ batchIndex: number; state: ClobState; commitment: StateCommitment }> {
  const chunks: Buffer[] = [];
  for await (const c of createReadStream(file)) chunks.push(c as Buffer);
  return decodeSnapshot(Buffer.concat(chunks), expectedRoot);
}

/** Import a verified snapshot into an (empty or stale) store; the node then continues from it. */
export async function importSnapshot(store: StateStore, file: string, expectedRoot: Bytes) {
  const snap = await readSnapshot(file, expectedRoot);
  await store.writeFullState(snap.commitment, snap.batchIndex);
  return snap;
}
