// IPFS backup of batch bytes: embedded helia (LevelDB block/datastore, fully offline) or an external kubo
// daemon through kubo-rpc-client. The backup is one raw block (CIDv1, codec raw 0x55, sha2-256) holding the
// batch bytes, so the CID is simply sha256(batch bytes) and any IPFS implementation or gateway can serve it.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { MAX_PACKED_DATA_BYTES } from "./packing.ts";
import { concatBytes } from "@noble/hashes/utils.js";

/** Pin metadata kept with every backup (helia stores it; kubo keeps only the pin name). */
export type PinMetadata = Record<string, string | number | boolean>;

export interface PinInfo {
  cid: CID;
  metadata: PinMetadata;
}

export interface IpfsGetOptions {
  signal?: AbortSignal;
  /** Refuse content larger than this (default: the largest batch that fits in 6 blobs). */
  maxBytes?: number;
}

/** Backup store for batch bytes. Every implementation stores raw blocks and pins what it stores. */
export interface IpfsBackup {
  readonly kind: "helia" | "kubo";
  /** Stores `data`, pins it (with `metadata` where supported) and returns its CID (CIDv1 raw sha2-256). */
  put(data: Uint8Array, metadata?: PinMetadata): Promise<CID>;
  /** Reads the content of `cid` (raw block or UnixFS file), at most `maxBytes`. Throws IpfsError. */
  get(cid: CID | Uint8Array | string, options?: IpfsGetOptions): Promise<Uint8Array>;
  /** Pins `cid` (already stored) with `metadata` merged into any existing pin metadata. */
  pin(cid: CID, metadata?: PinMetadata): Promise<void>;
  /** Whether `cid` is pinned. */
  isPinned(cid: CID): Promise<boolean>;
  /** Removes the pin of `cid` (the blocks go at the next gc). */
  unpin(cid: CID): Promise<void>;
  /** Lists pins with their metadata. */
  pins(): AsyncIterable<PinInfo>;
  /** Unpins every pin `shouldUnpin` selects, then garbage-collects unpinned blocks. Returns the unpinned CIDs. */
  prune(shouldUnpin: (pin: PinInfo) => boolean): Promise<CID[]>;
  /** Deletes blocks that no pin references. */
  gc(): Promise<void>;
  stop(): Promise<void>;
}

export type IpfsErrorCode = "BAD_CID" | "NOT_FOUND" | "TOO_LARGE" | "UNREACHABLE" | "TIMEOUT" | "FAILED";

export class IpfsError extends Error {
  readonly code: IpfsErrorCode;
  constructor(code: IpfsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "IpfsError";
    this.code = code;
  }
}

/** The CID `put` returns for `data`: CIDv1, raw codec, sha2-256 multihash. */
export async function rawCid(data: Uint8Array): Promise<CID> {
  return CID.createV1(raw.code, await sha256.digest(data));
}

/** Parses a CID given as binary (as recorded on L1), string, or CID. Throws IpfsError("BAD_CID"). */
export function parseCid(cid: CID | Uint8Array | string): CID {
  try {
    if (typeof cid === "string") return CID.parse(cid);
    if (cid instanceof Uint8Array) return CID.decode(cid);
    const parsed = CID.asCID(cid);
    if (parsed) return parsed;
  } catch (err) {
    throw new IpfsError("BAD_CID", `not a CID: ${(err as Error).message}`, { cause: err });
  }
  throw new IpfsError("BAD_CID", "not a CID");
}

async function collect(chunks: AsyncIterable<Uint8Array>, maxBytes: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of chunks) {
    size += chunk.length;
    if (size > maxBytes) throw new IpfsError("TOO_LARGE", `content exceeds ${maxBytes} bytes`);
    parts.push(chunk);
  }
  return concatBytes(...parts);
}

function classify(err: unknown, signal?: AbortSignal): IpfsError {
  if (err instanceof IpfsError) return err;
  const e = err as Error & { code?: string; cause?: { code?: string } };
  const text = `${e?.name ?? ""} ${e?.message ?? String(err)} ${e?.code ?? ""} ${e?.cause?.code ?? ""}`;
  if (signal?.aborted || /TimeoutError|AbortError|aborted|timed? ?out/i.test(text)) return new IpfsError("TIMEOUT", `ipfs: ${e?.message ?? text}`, { cause: err });
  if (/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ECONNRESET|fetch failed/i.test(text)) return new IpfsError("UNREACHABLE", `ipfs: ${e?.message ?? text}`, { cause: err });
  if (/NotFound|not found|block was not found/i.test(text)) return new IpfsError("NOT_FOUND", `ipfs: ${e?.message ?? text}`, { cause: err });
  return new IpfsError("FAILED", `ipfs: ${e?.message ?? text}`, { cause: err });
}

// ---------------------------------------------------------------------------------------------------------
// helia (embedded)

export interface HeliaBackupOptions {
  /** Directory for the LevelDB blockstore (`<dir>/blocks`) and datastore (`<dir>/data`). */
  dir: string;
}

/**
 * Embedded IPFS node: helia without libp2p (createHeliaLight), a LevelDB blockstore and datastore. It never
 * opens a socket; content is read with `offline: true`, so a missing CID fails at once with NOT_FOUND
 * instead of waiting for peers. Operators who want the backups reachable from the IPFS network run kubo.
 */
export class HeliaBackup implements IpfsBackup {
  readonly kind = "helia" as const;
  // helia's types are large; keep them out of the public surface.
  private readonly helia: any;
  private readonly fs: any;
  private constructor(helia: any, fs: any) {
    this.helia = helia;
    this.fs = fs;
  }

  /** Opens (creating if needed) the store in `options.dir` and starts helia. */
  static async create(options: HeliaBackupOptions): Promise<HeliaBackup> {
    const [{ createHeliaLight }, { unixfs }, { LevelBlockstore }, { LevelDatastore }] = await Promise.all([
      import("helia"),
      import("@helia/unixfs"),
      import("blockstore-level"),
      import("datastore-level"),
    ]);
    mkdirSync(options.dir, { recursive: true });
    const blockstore = new LevelBlockstore(path.join(options.dir, "blocks"));
    const datastore = new LevelDatastore(path.join(options.dir, "data"));
    const helia = createHeliaLight({ blockstore, datastore });
    await helia.start();
    return new HeliaBackup(helia, unixfs(helia));
  }

  async put(data: Uint8Array, metadata: PinMetadata = {}): Promise<CID> {
    const cid = await rawCid(data);
    await this.helia.blockstore.put(cid, data);
    if (!(await this.helia.pins.isPinned(cid))) {
      for await (const _ of this.helia.pins.add(cid, { metadata: { pinnedAt: Date.now(), ...metadata } })) void _;
    }
    return cid;
  }

  async get(cidLike: CID | Uint8Array | string, options: IpfsGetOptions = {}): Promise<Uint8Array> {
    const cid = parseCid(cidLike);
    const maxBytes = options.maxBytes ?? MAX_PACKED_DATA_BYTES;
    try {
      if (!(await this.helia.blockstore.has(cid))) throw new IpfsError("NOT_FOUND", `ipfs: ${cid} not in the local store`);
      return await collect(this.fs.cat(cid, { offline: true, signal: options.signal }), maxBytes);
    } catch (err) {
      throw classify(err, options.signal);
    }
  }

  async pin(cid: CID, metadata: PinMetadata = {}): Promise<void> {
    let merged: PinMetadata = { pinnedAt: Date.now() };
    if (await this.helia.pins.isPinned(cid)) {
      merged = { ...merged, ...((await this.helia.pins.get(cid)).metadata ?? {}) };
      for await (const _ of this.helia.pins.rm(cid)) void _;
    }
    for await (const _ of this.helia.pins.add(cid, { metadata: { ...merged, ...metadata } })) void _;
  }

  async isPinned(cid: CID): Promise<boolean> {
    return this.helia.pins.isPinned(cid);
  }

  async unpin(cid: CID): Promise<void> {
    if (!(await this.helia.pins.isPinned(cid))) return;
    for await (const _ of this.helia.pins.rm(cid)) void _;
  }

  async *pins(): AsyncIterable<PinInfo> {
    for await (const pin of this.helia.pins.ls()) yield { cid: pin.cid, metadata: pin.metadata ?? {} };
  }

  async prune(shouldUnpin: (pin: PinInfo) => boolean): Promise<CID[]> {
    const drop: CID[] = [];
    for await (const pin of this.pins()) if (shouldUnpin(pin)) drop.push(pin.cid);
    for (const cid of drop) await this.unpin(cid);
    await this.gc();
    return drop;
  }

  async gc(): Promise<void> {
    await this.helia.gc();
  }

  async stop(): Promise<void> {
    await this.helia.stop();
  }
}

// ---------------------------------------------------------------------------------------------------------
// kubo (external daemon)

export interface KuboBackupOptions {
  /** Kubo RPC API base, e.g. http://127.0.0.1:5001 (the RPC port, not the gateway). */
  url: string;
  /** Per-request timeout in ms (default 10 s). */
  timeoutMs?: number;
  /** Pin name given to backups (kubo >= 0.26 shows it in `ipfs pin ls --names`). Default "rollbook-batch". */
  pinName?: string;
}

/**
 * Backup in an external kubo daemon through kubo-rpc-client: `block/put` (raw, sha2-256, pinned),
 * `cat`, `pin/rm`, `pin/ls`, `repo/gc`. Kubo publishes the blocks to the IPFS network, so other nodes can
 * fetch them by CID. Kubo keeps no pin metadata beyond the name, so `prune` sees empty metadata.
 */
export class KuboBackup implements IpfsBackup {
  readonly kind = "kubo" as const;
  private readonly client: any;
  private readonly timeoutMs: number;
  private readonly pinName: string;
  private constructor(client: any, timeoutMs: number, pinName: string) {
    this.client = client;
    this.timeoutMs = timeoutMs;
    this.pinName = pinName;
  }

  static async create(options: KuboBackupOptions): Promise<KuboBackup> {
    const { create } = await import("kubo-rpc-client");
    const timeoutMs = options.timeoutMs ?? 10_000;
    return new KuboBackup(create({ url: options.url, timeout: timeoutMs }), timeoutMs, options.pinName ?? "rollbook-batch");
  }

  private signal(outer?: AbortSignal): AbortSignal {
    const t = AbortSignal.timeout(this.timeoutMs);
    return outer ? AbortSignal.any([outer, t]) : t;
  }

  async put(data: Uint8Array): Promise<CID> {
    const signal = this.signal();
    try {
      const cid = await this.client.block.put(data, { format: "raw", mhtype: "sha2-256", version: 1, pin: false, signal });
      await this.client.pin.add(cid, { recursive: true, name: this.pinName, signal });
      const expected = await rawCid(data);
      if (!expected.equals(cid)) throw new IpfsError("FAILED", `kubo returned ${cid}, expected ${expected}`);
      return expected;
    } catch (err) {
      throw classify(err, signal);
    }
  }

  async get(cidLike: CID | Uint8Array | string, options: IpfsGetOptions = {}): Promise<Uint8Array> {
    const cid = parseCid(cidLike);
    const maxBytes = options.maxBytes ?? MAX_PACKED_DATA_BYTES;
    const signal = this.signal(options.signal);
    try {
      return await collect(this.client.cat(cid, { signal, length: maxBytes + 1 }), maxBytes);
    } catch (err) {
      throw classify(err, signal);
    }
  }

  async pin(cid: CID, metadata: PinMetadata = {}): Promise<void> {
    const name = metadata.batchIndex !== undefined ? `${this.pinName}-${metadata.batchIndex}` : this.pinName;
    try {
      await this.client.pin.add(cid, { recursive: true, name, signal: this.signal() });
    } catch (err) {
      throw classify(err);
    }
  }

  async isPinned(cid: CID): Promise<boolean> {
    try {
      for await (const p of this.client.pin.ls({ paths: [cid], signal: this.signal() })) if (p.cid.equals(cid)) return true;
      return false;
    } catch (err) {
      if (/not pinned/i.test((err as Error).message)) return false;
      throw classify(err);
    }
  }

  async unpin(cid: CID): Promise<void> {
    try {
      await this.client.pin.rm(cid, { signal: this.signal() });
    } catch (err) {
      if (/not pinned/i.test((err as Error).message)) return;
      throw classify(err);
    }
  }

  async *pins(): AsyncIterable<PinInfo> {
    try {
      for await (const p of this.client.pin.ls({ type: "recursive", signal: this.signal() })) {
        yield { cid: p.cid, metadata: p.name ? { name: p.name } : {} };
      }
    } catch (err) {
      throw classify(err);
    }
  }

  async prune(shouldUnpin: (pin: PinInfo) => boolean): Promise<CID[]> {
    const drop: CID[] = [];
    for await (const pin of this.pins()) {
      const name = String(pin.metadata.name ?? "");
      if (!name.startsWith(this.pinName)) continue; // not ours
      const m = /-(\d+)$/.exec(name.slice(this.pinName.length));
      if (shouldUnpin({ cid: pin.cid, metadata: m ? { ...pin.metadata, batchIndex: Number(m[1]) } : pin.metadata })) drop.push(pin.cid);
    }
    for (const cid of drop) await this.unpin(cid);
    await this.gc();
    return drop;
  }

  async gc(): Promise<void> {
    try {
      for await (const _ of this.client.repo.gc({ signal: this.signal() })) void _;
    } catch (err) {
      throw classify(err);
    }
  }

  async stop(): Promise<void> {
    // stateless HTTP client: nothing to close
  }
}

/**
 * The retention policy of docs/da.md as a `prune` predicate. A pin is dropped when
 *   - it records a batch (`batchIndex`, set by the poster once the proposal is mined) that is finalized
 *     (`batchIndex <= finalizedBatch`) and was pinned more than `retentionMs` ago; retentionMs = Infinity
 *     (the default) keeps every included batch forever (archive nodes); or
 *   - it records no batch and is older than `orphanAfterMs` (a backup whose proposal never made it to L1).
 * Kubo pins carry no timestamp: only the batch rule applies to them (with pinnedAt taken as 0).
 */
export function retentionPolicy(opts: { finalizedBatch: bigint | number; retentionMs?: number; orphanAfterMs?: number; now?: number }): (pin: PinInfo) => boolean {
  const now = opts.now ?? Date.now();
  const retention = opts.retentionMs ?? Number.POSITIVE_INFINITY;
  const orphanAfter = opts.orphanAfterMs ?? 24 * 3600_000;
  const finalized = BigInt(opts.finalizedBatch);
  return (pin) => {
    const pinnedAt = typeof pin.metadata.pinnedAt === "number" ? pin.metadata.pinnedAt : 0;
    const age = now - pinnedAt;
    const b = pin.metadata.batchIndex;
    if (b === undefined) return typeof pin.metadata.pinnedAt === "number" && age > orphanAfter;
    return BigInt(b as number | string) <= finalized && age > retention;
  };
}

/** Builds the backup from the node config's `ipfs` section (mode helia|kubo|off). */
export async function createIpfsBackup(config: { mode: "helia" | "kubo" | "off"; kuboUrl: string }, dataDir: string): Promise<IpfsBackup | undefined> {
  if (config.mode === "off") return undefined;
  if (config.mode === "kubo") return KuboBackup.create({ url: config.kuboUrl });
  return HeliaBackup.create({ dir: path.join(dataDir, "ipfs") });
}
