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
const P_L1BLOCK = "l"; // l + be64(L1 block number) -> L1BlockRecord (JSON)
const P_MESSAGE = "q"; // q + be64(message index) -> L1 message bytes
const P_PROVER = "v"; // v + be64(batch) -> the prover's input of the batch (node/derive/prover-input.ts)

/** Coded store errors: a driver tells "reset and retry" from "stop" by the code. */
export class StoreError extends Error {
  readonly code: "NOT_SEQUENTIAL" | "ROOT_MISMATCH" | "NO_UNDO" | "BAD_TARGET" | "CORRUPT";
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
  parentHash: `0x${string}`;
  timestamp: number;
  batchIndex: number;
  messageCount: number;
  batchChain: `0x${string}`;
  /** q(l1MessagesConsumed): the queue hash where the next batch's messages chain from. */
  queueHash: `0x${string}`;
}

export interface StoreOptions {
  /** Keep receipts of the last N batches (each commit deletes every older one); 0 = all. */
  keepReceipts?: number;
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
function leafKeyOf(enc: Bytes): Bytes {
  return enc.subarray(0, keyLen(enc[0]));
}

export class StateStore {
  readonly db: ClassicLevel<Buffer, Buffer>;
  private readonly opts: Required<StoreOptions>;
  private headCache: Head | null = null;

  private constructor(path: string, opts: StoreOptions) {
    this.db = new ClassicLevel<Buffer, Buffer>(path, { keyEncoding: "buffer", valueEncoding: "buffer" });
    this.opts = { keepReceipts: opts.keepReceipts ?? 0, sync: opts.sync ?? true };
  }

  static async open(path: string, opts: StoreOptions = {}): Promise<StateStore> {
    const s = new StateStore(path, opts);
    await s.db.open();
    const h = await s.db.get(K_HEAD);
    s.headCache = h === undefined ? null : (JSON.parse(h.toString()) as Head);
    return s;
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  /** The last committed batch, or null for an empty store. */
  head(): Head | null {
    return this.headCache;
  }

  /** Write a complete state (genesis or imported snapshot) as batch `batchIndex`. */
  async writeFullState(sc: StateCommitment, batchIndex: number): Promise<void> {
    const ops = this.db.batch();
    // Start from a clean state keyspace.
    for await (const k of this.db.keys({ gte: Buffer.from([P_STATE]), lt: Buffer.from([P_STATE + 1]) })) ops.del(k);
    for (const e of sc.trie.entries()) ops.put(stateKey(leafKeyOf(e)), Buffer.from(e));
    const head: Head = { batchIndex, root: hex(sc.root()) };
    ops.put(pk(P_ROOT, batchIndex), Buffer.from(sc.root()));
    ops.put(K_HEAD, Buffer.from(JSON.stringify(head)));
    await ops.write({ sync: this.opts.sync });
    this.headCache = head;
  }

  /** Commit one batch: a single atomic LevelDB write. */
  async commitBatch(c: BatchCommit): Promise<void> {
    await this.begin().batch(c).write();
  }

  /**
   * Starts one atomic write that may hold several batches, L1 block records and L1 messages (derivation
   * syncing history commits many batches at once). Nothing is visible until `write()`.
   */
  begin(): StoreWrite {
    return new StoreWrite(this, this.db.batch(), this.headCache);
  }

  /** @internal called by StoreWrite.write */
  async finishWrite(ops: ReturnType<ClassicLevel<Buffer, Buffer>["batch"]>, head: Head | null, last: number | null): Promise<void> {
    const keep = this.opts.keepReceipts;
    if (last !== null && keep > 0 && last > keep) {
      // Everything older than the window, not only the batch this commit pushes out: a lowered setting or
      // an earlier run without pruning leaves older receipts behind. Usually zero or one key.
      for await (const k of this.db.keys({ gte: pk(P_RECEIPTS, 0), lt: pk(P_RECEIPTS, last - keep + 1) })) ops.del(k);
    }
    if (head !== null && head !== this.headCache) ops.put(K_HEAD, Buffer.from(JSON.stringify(head)));
    await ops.write({ sync: this.opts.sync });
    this.headCache = head;
  }

  /**
   * Steps back to batch `batchIndex` (its state, root and records stay; everything after it goes) in one
   * atomic write: the undo records of the later batches applied newest first. With `l1`, also forgets the
   * L1 blocks after `l1.number` and the L1 messages from `l1.messageCount` on, and makes `l1` the L1 cursor.
   * Throws StoreError NO_UNDO (nothing written) if a batch in between was committed without its undo record.
   * The in-memory state must then be rebuilt (load()).
   */
  async rollback(batchIndex: number, l1?: L1BlockRecord): Promise<void> {
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
      for (const p of [P_UNDO, P_RECEIPTS, P_WITHDRAWALS, P_BATCH, P_ROOT, P_PROVER]) ops.del(pk(p, i));
    }
    if (l1 !== undefined) {
      for await (const k of this.db.keys({ gt: pk(P_L1BLOCK, l1.number), lt: prefixEnd(P_L1BLOCK) })) ops.del(k);
      for await (const k of this.db.keys({ gte: pk(P_MESSAGE, l1.messageCount), lt: prefixEnd(P_MESSAGE) })) ops.del(k);
      ops.put(pk(P_L1BLOCK, l1.number), Buffer.from(JSON.stringify(l1)));
      ops.put(K_L1, Buffer.from(JSON.stringify(l1)));
    }
    const newHead: Head = { batchIndex, root: hex(root) };
    ops.put(K_HEAD, Buffer.from(JSON.stringify(newHead)));
    await ops.write({ sync: this.opts.sync });
    this.headCache = newHead;
  }

  /**
   * Forgets what can no longer be undone once L1 block `l1Number` is final: L1 block records below it and
   * undo records of batches up to `batchIndex` (derived from blocks at or below it). One write.
   */
  async pruneFinal(l1Number: number, batchIndex: number): Promise<void> {
    const ops = this.db.batch();
    for await (const k of this.db.keys({ gte: pk(P_L1BLOCK, 0), lt: pk(P_L1BLOCK, l1Number) })) ops.del(k);
    for await (const k of this.db.keys({ gte: pk(P_UNDO, 0), lte: pk(P_UNDO, batchIndex) })) ops.del(k);
    if (ops.length === 0) {
      void ops.close();
      return;
    }
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

  /** Whether batch `i` has an undo record. */
  async hasUndo(i: number): Promise<boolean> {
    return (await this.db.get(pk(P_UNDO, i))) !== undefined;
  }

  /** Every stored leaf (the state at the head batch), in key order of the database. */
  async *leaves(): AsyncGenerator<Bytes> {
    for await (const v of this.db.values({ gte: Buffer.from([P_STATE]), lt: Buffer.from([P_STATE + 1]) })) yield new Uint8Array(v);
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

/** One atomic write being assembled (StateStore.begin). */
export class StoreWrite {
  private readonly store: StateStore;
  private readonly ops: ReturnType<ClassicLevel<Buffer, Buffer>["batch"]>;
  private head: Head | null;
  private last: number | null = null;
  private done = false;

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
    for (const k of c.derived.dels) ops.del(stateKey(k));
    for (const e of allPuts(c.derived as Derived)) ops.put(stateKey(leafKeyOf(e)), Buffer.from(e.buffer, e.byteOffset, e.byteLength));
    if (c.receipts !== undefined) ops.put(pk(P_RECEIPTS, c.batchIndex), c.receipts.encode());
    if (c.withdrawals !== undefined) ops.put(pk(P_WITHDRAWALS, c.batchIndex), Buffer.from(JSON.stringify(c.withdrawals)));
    if (c.batchData !== undefined) ops.put(pk(P_BATCH, c.batchIndex), Buffer.from(c.batchData));
    if (c.l1Cursor !== undefined) ops.put(K_L1, Buffer.from(JSON.stringify(c.l1Cursor)));
    if (c.undo !== undefined) ops.put(pk(P_UNDO, c.batchIndex), Buffer.from(c.undo));
    if (c.proverInput !== undefined) ops.put(pk(P_PROVER, c.batchIndex), Buffer.from(c.proverInput));
    for (const [k, v] of c.mempool?.put ?? []) ops.put(Buffer.from(P_MEMPOOL + k), Buffer.from(v));
    for (const k of c.mempool?.del ?? []) ops.del(Buffer.from(P_MEMPOOL + k));
    ops.put(pk(P_ROOT, c.batchIndex), Buffer.from(c.root));
    this.head = { batchIndex: c.batchIndex, root: hex(c.root) };
    this.batches++;
    this.last = c.batchIndex;
    return this;
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

  /** Writes everything atomically (fsync per the store's `sync` option). */
  async write(): Promise<void> {
    if (this.done) throw new Error("store: write already finished");
    this.done = true;
    await this.store.finishWrite(this.ops, this.head, this.last);
  }
}

// ---- snapshots ----

const MAGIC = Buffer.from("RBSNAP01");

/**
 * Snapshot file: "RBSNAP01" | be64(batchIndex) | root(32) | be64(leafCount) | leafCount x (be16 len | leaf),
 * leaves in key-path order (the trie's canonical order).
 */
export async function exportSnapshot(sc: StateCommitment, batchIndex: number, file: string): Promise<void> {
  const out = createWriteStream(file);
  const hdr = Buffer.alloc(8 + 8 + 32 + 8);
  MAGIC.copy(hdr, 0);
  hdr.writeBigUInt64BE(BigInt(batchIndex), 8);
  Buffer.from(sc.root()).copy(hdr, 16);
  hdr.writeBigUInt64BE(BigInt(sc.trie.size), 48);
  out.write(hdr);
  let chunk: Buffer[] = [];
  let size = 0;
  for (const e of sc.trie.entries()) {
    const b = Buffer.alloc(2 + e.length);
    b.writeUInt16BE(e.length, 0);
    b.set(e, 2);
    chunk.push(b);
    size += b.length;
    if (size > 1 << 20) {
      if (!out.write(Buffer.concat(chunk))) await once(out, "drain");
      chunk = [];
      size = 0;
    }
  }
  out.write(Buffer.concat(chunk));
  out.end();
  await once(out, "finish");
}

/**
 * Read and verify a snapshot: the leaves must hash to `expectedRoot` (a finalized root from L1) and
 * describe batch `batchIndex` when given. Returns the rebuilt state and commitment (nothing is written).
 */
export async function readSnapshot(
  file: string,
  expectedRoot: Bytes,
): Promise<{ batchIndex: number; state: ClobState; commitment: StateCommitment }> {
  const chunks: Buffer[] = [];
  for await (const c of createReadStream(file)) chunks.push(c as Buffer);
  const buf = Buffer.concat(chunks);
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

/** Import a verified snapshot into an (empty or stale) store; the node then continues from it. */
export async function importSnapshot(store: StateStore, file: string, expectedRoot: Bytes) {
  const snap = await readSnapshot(file, expectedRoot);
  await store.writeFullState(snap.commitment, snap.batchIndex);
  return snap;
}
