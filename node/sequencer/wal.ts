// Write-ahead log of acknowledged transactions (docs/sequencer.md "Durable acknowledgements").
//
// The WAL lives in the node's LevelDB (the StateStore's database) under the store's mempool prefix `p:`,
// so the atomic commit of a batch can delete the entries of the transactions it includes
// (StateStore.commitBatch `mempool.del`): an entry disappears exactly when its transaction is part of the
// committed state, never earlier, never later. Keys (after `p:`):
//   t<txHash hex>      be64 seq ‖ signer (20) ‖ canonical single-tx bytes (node/codec/tx.ts)
//   b<index, 16 hex>   a sealed batch: JSON {index, timestamp, l1MsgStart, l1MsgEnd, txs: [txHash hex]}
//   d<txHash hex>      a drop answer: JSON {reason, code?, at}
// Group commit: writes requested while a write is in flight are gathered into the next LevelDB batch,
// which is written with sync (fsync) before any of its callers' promises resolve. A failed write rejects
// every caller of its group; the sequencer then stops acknowledging (SequencerError WAL_FAILED).

import type { ClassicLevel } from "classic-level";

export const WAL_PREFIX = "p:";

/** StateStore mempool key (without the `p:` prefix) of a transaction's WAL entry. */
export function txKey(hashHex: string): string {
  return "t" + hashHex.slice(2);
}
/** StateStore mempool key of a sealed batch record. */
export function batchKey(index: number): string {
  return "b" + index.toString(16).padStart(16, "0");
}
/** StateStore mempool key of a drop answer. */
export function dropKey(hashHex: string): string {
  return "d" + hashHex.slice(2);
}

export interface WalEntry {
  seq: number;
  signer: Uint8Array;
  tx: Uint8Array;
}

export function encodeEntry(seq: number, signer: Uint8Array, tx: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(28 + tx.length);
  b.writeUIntBE(Math.floor(seq / 2 ** 32), 0, 4);
  b.writeUInt32BE(seq >>> 0, 4);
  b.set(signer, 8);
  b.set(tx, 28);
  return b;
}

export function decodeEntry(v: Uint8Array): WalEntry {
  const b = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  const seq = b.readUInt32BE(0) * 2 ** 32 + b.readUInt32BE(4);
  return { seq, signer: new Uint8Array(b.subarray(8, 28)), tx: new Uint8Array(b.subarray(28)) };
}

type Op = { type: "put"; key: Buffer; value: Buffer } | { type: "del"; key: Buffer };

interface Group {
  ops: Op[];
  done: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export interface WalStats {
  groups: number;
  ops: number;
  /** Milliseconds of every group write (fsync included), for latency figures. */
  lastWriteMs: number;
}

export class Wal {
  private readonly db: ClassicLevel<Buffer, Buffer>;
  private readonly sync: boolean;
  private open: Group | null = null;
  private writing = false;
  private failed: unknown = null;
  readonly stats: WalStats = { groups: 0, ops: 0, lastWriteMs: 0 };

  /** `sync`: fsync every group (default true; false only for tests that measure something else). */
  constructor(db: ClassicLevel<Buffer, Buffer>, opts: { sync?: boolean } = {}) {
    this.db = db;
    this.sync = opts.sync ?? true;
  }

  /** The error of a failed write, or null. After a failure every later write fails too. */
  get error(): unknown {
    return this.failed;
  }

  put(key: string, value: Uint8Array): Promise<void> {
    return this.add({ type: "put", key: Buffer.from(WAL_PREFIX + key), value: Buffer.isBuffer(value) ? value : Buffer.from(value) });
  }

  del(key: string): Promise<void> {
    return this.add({ type: "del", key: Buffer.from(WAL_PREFIX + key) });
  }

  /** Resolves when everything requested so far is durable. */
  flush(): Promise<void> {
    if (this.open !== null) return this.open.done;
    return this.writing ? this.add(null) : Promise.resolve();
  }

  private add(op: Op | null): Promise<void> {
    if (this.failed !== null) return Promise.reject(this.failed);
    let g = this.open;
    if (g === null) {
      let resolve!: () => void;
      let reject!: (err: unknown) => void;
      const done = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      done.catch(() => undefined);
      g = { ops: [], done, resolve, reject };
      this.open = g;
      // Gather the callers of this turn of the event loop; a write in flight gathers the rest.
      if (!this.writing) setImmediate(() => this.write());
    }
    if (op !== null) g.ops.push(op);
    return g.done;
  }

  private write(): void {
    const g = this.open;
    if (g === null || this.writing) return;
    this.open = null;
    this.writing = true;
    const t0 = performance.now();
    this.db.batch(g.ops as never, { sync: this.sync }).then(
      () => {
        this.stats.groups++;
        this.stats.ops += g.ops.length;
        this.stats.lastWriteMs = performance.now() - t0;
        this.writing = false;
        g.resolve();
        if (this.open !== null) this.write();
      },
      (err: unknown) => {
        this.failed = err;
        this.writing = false;
        g.reject(err);
        if (this.open !== null) {
          const next = this.open;
          this.open = null;
          next.reject(err);
        }
      },
    );
  }

  /** Every WAL record: transactions (by key), sealed batch records and drop answers. */
  async load(): Promise<{ txs: Map<string, WalEntry>; batches: Map<string, Uint8Array>; drops: Map<string, Uint8Array> }> {
    const txs = new Map<string, WalEntry>();
    const batches = new Map<string, Uint8Array>();
    const drops = new Map<string, Uint8Array>();
    const lo = Buffer.from(WAL_PREFIX);
    const hi = Buffer.from("p;");
    for await (const [k, v] of this.db.iterator({ gte: lo, lt: hi })) {
      const key = k.toString("latin1").slice(WAL_PREFIX.length);
      const value = new Uint8Array(v);
      if (key[0] === "t") txs.set(key, decodeEntry(value));
      else if (key[0] === "b") batches.set(key, value);
      else if (key[0] === "d") drops.set(key, value);
    }
    return { txs, batches, drops };
  }
}
