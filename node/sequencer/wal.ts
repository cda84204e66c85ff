// Write-ahead log of acknowledged transactions (docs/sequencer.md "Durable acknowledgements"): append-only
// segment files in one directory (default: the node's LevelDB directory + ".wal"), never LevelDB records.
//
// Group commit: every record requested while a write is in flight is appended to the next group's buffer;
// a group is written as ONE frame with ONE `write` and ONE `fdatasync` (both on libuv's thread pool, off
// the main thread), and only then do its callers' promises resolve. With `groupIntervalMs`, a group also
// gathers the records that come until that long after the previous group's start (docs/sequencer.md "Group
// spacing"). A failed write rejects every caller of its group and every later one; the sequencer then
// stops acknowledging (SequencerError WAL_FAILED).
//
// File format: `<16-digit segment number>.wal`, a sequence of frames
//   frame  = u32le payload length ‖ u32le crc32(payload) ‖ payload (records back to back)
//   record = u8 type ‖ fields:
//     1 TX      u32le tx length ‖ f64le admission seq ‖ tx hash (66 ASCII) ‖ signer (42 ASCII) ‖ single-tx bytes
//     2 DROP    tx hash (66 ASCII) ‖ u16le length ‖ JSON {reason, code?}
//     3 SEAL    u32le length ‖ JSON sealed-batch record {index, timestamp, l1MsgStart, l1MsgEnd, origin, proposer, txs}
//     4 UNSEAL  f64le batch index (its sealed record is void: soft state was rebuilt)
//     5 CANON   f64le batch index ‖ u32le count ‖ count × tx hash (66 ASCII): the canonical batch of that
//               index, written and fsynced (synchronously) BEFORE the store commit that makes it canonical
// Replay reads every segment in order and stops at the first frame that is short or fails its CRC (a torn
// tail: no transaction in it was acknowledged). A record later in the log overrides an earlier one for the
// same tx or batch. A transaction is included when a CANON record of an index the store has committed
// (<= the canonical batch index) lists it; otherwise it is pending (or answered by its DROP record).
// Rotation: when the active segment passes `segmentBytes` (and at every open), the live state (pending
// txs, sealed batches, drop answers, CANON records not yet reported canonical) is written as the first
// frame of a new segment; once that is durable the older segments are deleted.

import { closeSync, fdatasync, fdatasyncSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, unlinkSync, write, writeSync } from "node:fs";
import path from "node:path";
import { crc32 } from "node:zlib";
import type { ClassicLevel } from "classic-level";

const TX = 1;
const DROP = 2;
const SEAL = 3;
const UNSEAL = 4;
const CANON = 5;
const HASH = 66;
const ADDR = 42;
const FRAME_HEADER = 8;

export interface WalTx {
  seq: number;
  signer: string;
  tx: Uint8Array;
}

/** Everything replay found in the segments. */
export interface WalContents {
  /** Tx hash -> its latest TX record (those with a later DROP record are in `drops` instead). */
  txs: Map<string, WalTx>;
  /** Tx hash -> drop answer JSON. */
  drops: Map<string, string>;
  /** Batch index -> sealed-batch record JSON (not voided by UNSEAL). */
  seals: Map<number, string>;
  /** Batch index -> canonical tx hashes (latest CANON record of that index). */
  canon: Map<number, string[]>;
  /** Frames read, and whether the last segment ended in a torn frame. */
  frames: number;
  torn: boolean;
}

/** Appends records to a growing buffer (one group, or a rotation's snapshot). */
export class RecordWriter {
  private buf: Buffer;
  private len = FRAME_HEADER;

  /** `size`: the initial capacity; or a buffer to write into (a finished group's, reused: see Wal.spare). */
  constructor(size: number | Buffer = 1 << 16) {
    this.buf = typeof size === "number" ? Buffer.allocUnsafe(size) : size;
  }

  /** The buffer the records are in (it may have grown). */
  get buffer(): Buffer {
    return this.buf;
  }

  get empty(): boolean {
    return this.len === FRAME_HEADER;
  }

  private room(n: number): Buffer {
    if (this.len + n > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
      this.buf.copy(next, 0, 0, this.len);
      this.buf = next;
    }
    return this.buf;
  }

  tx(seq: number, hash: string, signer: string, bytes: Uint8Array): void {
    const b = this.room(1 + 4 + 8 + HASH + ADDR + bytes.length);
    let o = this.len;
    b[o] = TX;
    b.writeUInt32LE(bytes.length, o + 1);
    b.writeDoubleLE(seq, o + 5);
    o += 13;
    b.write(hash, o, HASH, "latin1");
    b.write(signer, o + HASH, ADDR, "latin1");
    o += HASH + ADDR;
    b.set(bytes, o);
    this.len = o + bytes.length;
  }

  drop(hash: string, json: string): void {
    const body = Buffer.from(json);
    const b = this.room(1 + HASH + 2 + body.length);
    const o = this.len;
    b[o] = DROP;
    b.write(hash, o + 1, HASH, "latin1");
    b.writeUInt16LE(body.length, o + 1 + HASH);
    body.copy(b, o + 3 + HASH);
    this.len = o + 3 + HASH + body.length;
  }

  seal(json: string): void {
    const body = Buffer.from(json);
    const b = this.room(5 + body.length);
    const o = this.len;
    b[o] = SEAL;
    b.writeUInt32LE(body.length, o + 1);
    body.copy(b, o + 5);
    this.len = o + 5 + body.length;
  }

  unseal(index: number): void {
    const b = this.room(9);
    b[this.len] = UNSEAL;
    b.writeDoubleLE(index, this.len + 1);
    this.len += 9;
  }

  canon(index: number, hashes: readonly string[]): void {
    const b = this.room(13 + HASH * hashes.length);
    let o = this.len;
    b[o] = CANON;
    b.writeDoubleLE(index, o + 1);
    b.writeUInt32LE(hashes.length, o + 9);
    o += 13;
    for (const h of hashes) {
      b.write(h, o, HASH, "latin1");
      o += HASH;
    }
    this.len = o;
  }

  /** The frame (header filled in) over the records so far; the writer must not be used afterwards. */
  frame(): Buffer {
    const f = this.buf.subarray(0, this.len);
    f.writeUInt32LE(this.len - FRAME_HEADER, 0);
    f.writeUInt32LE(crc32(f.subarray(FRAME_HEADER)), 4);
    return f;
  }
}

/** Parses one segment's frames into `into`; false when it ends in a torn or corrupt frame. */
export function readSegment(data: Buffer, into: WalContents): boolean {
  let o = 0;
  while (o < data.length) {
    if (o + FRAME_HEADER > data.length) return false;
    const len = data.readUInt32LE(o);
    const end = o + FRAME_HEADER + len;
    if (end > data.length || crc32(data.subarray(o + FRAME_HEADER, end)) !== data.readUInt32LE(o + 4)) return false;
    parseRecords(data, o + FRAME_HEADER, end, into);
    into.frames++;
    o = end;
  }
  return true;
}

function parseRecords(b: Buffer, o: number, end: number, into: WalContents): void {
  while (o < end) {
    const type = b[o]!;
    if (type === TX) {
      const n = b.readUInt32LE(o + 1);
      const seq = b.readDoubleLE(o + 5);
      const hash = b.toString("latin1", o + 13, o + 13 + HASH);
      const signer = b.toString("latin1", o + 13 + HASH, o + 13 + HASH + ADDR);
      const start = o + 13 + HASH + ADDR;
      into.txs.set(hash, { seq, signer, tx: new Uint8Array(b.subarray(start, start + n)) });
      into.drops.delete(hash);
      o = start + n;
    } else if (type === DROP) {
      const hash = b.toString("latin1", o + 1, o + 1 + HASH);
      const n = b.readUInt16LE(o + 1 + HASH);
      into.drops.set(hash, b.toString("utf8", o + 3 + HASH, o + 3 + HASH + n));
      into.txs.delete(hash);
      o += 3 + HASH + n;
    } else if (type === SEAL) {
      const n = b.readUInt32LE(o + 1);
      const json = b.toString("utf8", o + 5, o + 5 + n);
      into.seals.set((JSON.parse(json) as { index: number }).index, json);
      o += 5 + n;
    } else if (type === UNSEAL) {
      into.seals.delete(b.readDoubleLE(o + 1));
      o += 9;
    } else if (type === CANON) {
      const index = b.readDoubleLE(o + 1);
      const n = b.readUInt32LE(o + 9);
      const hashes: string[] = new Array(n);
      o += 13;
      for (let i = 0; i < n; i++, o += HASH) hashes[i] = b.toString("latin1", o, o + HASH);
      into.canon.set(index, hashes);
    } else {
      // A frame passed its CRC, so this is a writer of another format: refuse rather than guess.
      throw new Error(`WAL record of unknown type ${type}`);
    }
  }
}

interface Group {
  w: RecordWriter;
  done: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export interface WalStats {
  groups: number;
  /** Frames written (groups and rotation snapshots). */
  bytes: number;
  rotations: number;
  /** Milliseconds of the last group write (write + fdatasync), for latency figures. */
  lastWriteMs: number;
  /** Sum and maximum of the group writes' milliseconds (a reader may reset `maxWriteMs` to window it). */
  writeMsTotal: number;
  maxWriteMs: number;
}

export interface WalOptions {
  /** fdatasync every group (default true; false only for tests that measure something else). */
  sync?: boolean;
  /** Rotate to a new segment (a snapshot of the live state) past this size (default 64 MiB). */
  segmentBytes?: number;
  /**
   * Least milliseconds from one group write's start to the next one's (default 0: the next group starts in
   * the next turn of the event loop, or as soon as the write in flight finished). Bounds the groups per
   * second: each costs about the same whatever its size, a libuv thread's write + fdatasync (160-200 us of
   * CPU measured here) and two main-thread completions (docs/sequencer.md "Group spacing"). Every record is
   * still acknowledged only after its own group's fdatasync.
   */
  groupIntervalMs?: number;
}

const SEGMENT = /^(\d{16})\.wal$/;

export class Wal {
  readonly dir: string;
  private readonly sync: boolean;
  private readonly segmentBytes: number;
  private readonly groupIntervalMs: number;
  private open: Group | null = null;
  private writing = false;
  /** A write of the open group is scheduled (setImmediate or the spacing's timer). */
  private scheduled = false;
  /** performance.now() at the start of the last group write. */
  private lastStart = -Infinity;
  private failed: unknown = null;
  private fd = -1;
  private segSize = 0;
  private segNo = 0;
  /** Segment numbers a rotation deletes once its snapshot is durable. */
  private older: number[] = [];
  private forceRotate = false;
  /** CANON frames written while a rotation's snapshot was in flight (copied into the new segment). */
  private canonDuringRotation: Buffer[] | null = null;
  /**
   * The buffer of the last group whose write finished, reused by the next group: a group per event-loop
   * turn would otherwise allocate 64 KiB outside the heap each time (external memory that also drives
   * V8's GC). At most one write is in flight, so a finished group's buffer is free.
   */
  private spare: Buffer | null = null;
  /** Writes the live state into a rotation's first frame (the sequencer sets it before the first write). */
  snapshot: ((w: RecordWriter) => void) | null = null;
  readonly stats: WalStats = { groups: 0, bytes: 0, rotations: 0, lastWriteMs: 0, writeMsTotal: 0, maxWriteMs: 0 };
  /** Told every finished group write: its start (performance.now()) and its milliseconds (diagnostics: bench/_rpc-server.ts). */
  onWritten: ((startMs: number, ms: number) => void) | null = null;

  constructor(dir: string, opts: WalOptions = {}) {
    this.dir = dir;
    this.sync = opts.sync ?? true;
    this.segmentBytes = opts.segmentBytes ?? 64 * 1024 * 1024;
    this.groupIntervalMs = opts.groupIntervalMs ?? 0;
    mkdirSync(dir, { recursive: true });
  }

  /** The error of a failed write, or null. After a failure every later write fails too. */
  get error(): unknown {
    return this.failed;
  }

  /** Reads every segment (oldest first); they are deleted by the first rotation. */
  load(): WalContents {
    const into: WalContents = { txs: new Map(), drops: new Map(), seals: new Map(), canon: new Map(), frames: 0, torn: false };
    const nums = readdirSync(this.dir).map((f) => SEGMENT.exec(f)).filter((m) => m !== null).map((m) => Number(m[1])).sort((a, b) => a - b);
    for (const n of nums) {
      // A torn frame can only be the tail of the segment being written at the crash; replay what precedes it.
      if (!readSegment(readFileSync(this.segPath(n)), into)) into.torn = true;
      this.older.push(n);
      this.segNo = Math.max(this.segNo, n);
    }
    return into;
  }

  private segPath(n: number): string {
    return path.join(this.dir, String(n).padStart(16, "0") + ".wal");
  }

  tx(seq: number, hash: string, signer: string, bytes: Uint8Array): Promise<void> {
    const g = this.group();
    g.w.tx(seq, hash, signer, bytes);
    return g.done;
  }
  drop(hash: string, json: string): Promise<void> {
    const g = this.group();
    g.w.drop(hash, json);
    return g.done;
  }
  seal(json: string): Promise<void> {
    const g = this.group();
    g.w.seal(json);
    return g.done;
  }
  unseal(index: number): Promise<void> {
    const g = this.group();
    g.w.unseal(index);
    return g.done;
  }

  /**
   * Records the canonical batch `index` and its tx hashes durably before returning (synchronous write and
   * fdatasync on the caller's thread): the store commit that makes the batch canonical follows it.
   */
  canonical(index: number, hashes: readonly string[]): void {
    if (this.failed !== null) throw this.failed;
    const w = new RecordWriter(16 + HASH * hashes.length);
    w.canon(index, hashes);
    const f = w.frame();
    try {
      if (this.fd < 0) this.openSegment();
      writeSync(this.fd, f);
      if (this.sync) fdatasyncSync(this.fd);
    } catch (err) {
      this.fail(err);
      throw err;
    }
    this.canonDuringRotation?.push(f);
    this.segSize += f.length;
  }

  /** Resolves when everything requested so far is durable. */
  flush(): Promise<void> {
    if (this.failed !== null) return Promise.reject(this.failed);
    if (this.open !== null) return this.open.done;
    return this.writing ? this.group().done : Promise.resolve();
  }

  /** Writes the live state to a new segment and deletes the older ones (at open; later by size). */
  rotate(): Promise<void> {
    this.forceRotate = true;
    return this.group().done;
  }

  private group(): Group {
    if (this.failed !== null) {
      const done = Promise.reject(this.failed);
      done.catch(() => undefined);
      return { w: new RecordWriter(16), done, resolve: () => undefined, reject: () => undefined };
    }
    let g = this.open;
    if (g === null) {
      let resolve!: () => void;
      let reject!: (err: unknown) => void;
      const done = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      done.catch(() => undefined);
      g = { w: new RecordWriter(this.spare ?? undefined), done, resolve, reject };
      this.spare = null;
      this.open = g;
      // Gather the callers of this turn of the event loop (and of the spacing); a write in flight gathers the rest.
      if (!this.writing) this.schedule();
    }
    return g;
  }

  /** Starts the open group's write in the next turn, or once `groupIntervalMs` has passed since the last start. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const wait = this.lastStart + this.groupIntervalMs - performance.now();
    if (wait <= 0) setImmediate(this.writeScheduled);
    else setTimeout(this.writeScheduled, Math.ceil(wait));
  }

  private readonly writeScheduled = (): void => {
    this.scheduled = false;
    this.write();
  };

  private openSegment(): void {
    this.segNo++;
    this.fd = openSync(this.segPath(this.segNo), "a");
    this.segSize = 0;
    this.syncDir();
  }

  /** Makes a created or deleted segment's directory entry durable. */
  private syncDir(): void {
    if (!this.sync) return;
    const d = openSync(this.dir, "r");
    try {
      fsyncSync(d);
    } finally {
      closeSync(d);
    }
  }

  private write(): void {
    const g = this.open;
    if (g === null || this.writing || this.failed !== null) return;
    this.open = null;
    this.writing = true;
    this.lastStart = performance.now();
    if (this.forceRotate || this.fd < 0 || this.segSize >= this.segmentBytes) {
      this.rotateNow(g);
      return;
    }
    const t0 = performance.now();
    if (g.w.empty) return this.done(g, null, t0); // a flush behind the write that just finished
    const f = g.w.frame();
    const fd = this.fd;
    write(fd, f, 0, f.length, null, (err) => {
      if (err) return this.done(g, err);
      this.segSize += f.length;
      this.stats.bytes += f.length;
      if (!this.sync) return this.done(g, null, t0);
      fdatasync(fd, (err2) => this.done(g, err2, t0));
    });
  }

  /** The group's records are superseded by the snapshot (the live state already holds their effect). */
  private rotateNow(g: Group): void {
    this.forceRotate = false;
    const t0 = performance.now();
    const w = new RecordWriter(1 << 20);
    this.snapshot?.(w);
    const f = w.frame();
    const oldFd = this.fd;
    const older = this.older;
    this.older = [];
    if (oldFd >= 0) older.push(this.segNo);
    let fd: number;
    try {
      this.openSegment();
      fd = this.fd;
    } catch (err) {
      this.done(g, err);
      return;
    }
    this.canonDuringRotation = [];
    write(fd, f, 0, f.length, null, (err) => {
      if (err) return this.done(g, err);
      const finish = (err2: Error | null): void => {
        if (err2) return this.done(g, err2);
        try {
          // CANON records written to the old segment while the snapshot was being written.
          const late = this.canonDuringRotation ?? [];
          this.canonDuringRotation = null;
          for (const c of late) writeSync(fd, c);
          if (late.length > 0 && this.sync) fdatasyncSync(fd);
          if (oldFd >= 0) closeSync(oldFd);
          for (const n of older) unlinkSync(this.segPath(n));
          // Else a power loss could bring back a deleted segment whose SEAL records the snapshot voided.
          if (older.length > 0) this.syncDir();
        } catch (err3) {
          return this.done(g, err3);
        }
        this.segSize += f.length;
        this.stats.bytes += f.length;
        this.stats.rotations++;
        this.done(g, null, t0);
      };
      if (!this.sync) finish(null);
      else fdatasync(fd, finish);
    });
  }

  private done(g: Group, err: unknown, t0 = 0): void {
    this.writing = false;
    if (err) {
      this.fail(err);
      g.reject(err);
      return;
    }
    const ms = performance.now() - t0;
    // Its buffer is free once written; one that grew past 1 MiB (a burst) is left to the GC.
    if (g.w.buffer.length <= 1 << 20) this.spare = g.w.buffer;
    this.stats.groups++;
    this.stats.lastWriteMs = ms;
    this.stats.writeMsTotal += ms;
    if (ms > this.stats.maxWriteMs) this.stats.maxWriteMs = ms;
    this.onWritten?.(t0, ms);
    g.resolve();
    if (this.open !== null) {
      if (this.lastStart + this.groupIntervalMs <= performance.now()) this.write();
      else this.schedule();
    }
  }

  private fail(err: unknown): void {
    if (this.failed !== null) return;
    this.failed = err;
    if (this.open !== null) {
      const next = this.open;
      this.open = null;
      next.reject(err);
    }
  }

  /** Closes the active segment (after a flush; the files stay for the next open). */
  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Records under the store's mempool prefix `p:`: the LevelDB WAL of earlier versions, and the transactions
// of canonical batches an L1 reorg undid, which the store's rollback writes in its own atomic write
// (undoneRecord; docs/sequencer.md "Reorgs after a restart"). Read at open (the undone transactions are
// pending again, before those of the segment files), deleted after the first rotation; a running
// sequencer deletes the undone ones once its own WAL holds them.

const LEGACY_PREFIX = "p:";

export interface LegacyContents {
  keys: Buffer[];
  txs: Map<string, WalTx>;
  drops: Map<string, string>;
  seals: string[];
  /** Transactions of canonical batches a rollback undid (undoneRecord), by hash. */
  undone: Map<string, WalTx>;
}

/**
 * The `p:` record (key without the prefix, value) of a transaction a rollback undid (loadLegacy's `undone`):
 * `u` + hash -> u64be seq ‖ signer (20 bytes) ‖ single-tx bytes, the layout of the earlier versions' `t` records.
 */
export function undoneRecord(hash: string, seq: number, signer: string, bytes: Uint8Array): [string, Uint8Array] {
  const v = Buffer.alloc(28 + bytes.length);
  v.writeUInt32BE(Math.floor(seq / 2 ** 32), 0);
  v.writeUInt32BE(seq >>> 0, 4);
  v.write(signer.slice(2), 8, 20, "hex");
  v.set(bytes, 28);
  return ["u" + hash.slice(2), v];
}

/** The store key of undoneRecord(hash, ...). */
export function undoneKey(hash: string): Buffer {
  return Buffer.from(LEGACY_PREFIX + "u" + hash.slice(2), "latin1");
}

export async function loadLegacy(db: ClassicLevel<Buffer, Buffer>): Promise<LegacyContents> {
  const out: LegacyContents = { keys: [], txs: new Map(), drops: new Map(), seals: [], undone: new Map() };
  for await (const [k, v] of db.iterator({ gte: Buffer.from(LEGACY_PREFIX), lt: Buffer.from("p;") })) {
    const key = k.toString("latin1").slice(LEGACY_PREFIX.length);
    out.keys.push(k);
    if ((key[0] === "t" || key[0] === "u") && v.length >= 28) {
      const seq = v.readUInt32BE(0) * 2 ** 32 + v.readUInt32BE(4);
      (key[0] === "t" ? out.txs : out.undone).set("0x" + key.slice(1), { seq, signer: "0x" + v.toString("hex", 8, 28), tx: new Uint8Array(v.subarray(28)) });
    } else if (key[0] === "d") out.drops.set("0x" + key.slice(1), v.toString());
    else if (key[0] === "b") out.seals.push(v.toString());
  }
  return out;
}
