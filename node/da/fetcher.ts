// Retrieval of batch data committed on L1 by blob versioned hashes. Sources are tried in order (beacon API,
// archive URLs, IPFS by the CID recorded on L1); every blob is verified against its L1 versioned hash, bad
// data is rejected (logged, counted) and the next source tried. Verification uses a KZG record (commitment +
// blob proof) published beside the blob when a record source has one (one proof check, ~2 ms), and
// recomputes the commitment (~45 ms) otherwise or when the record does not verify: same outcome either way.
import { decodeFunctionData, hexToBytes, keccak256, type Hex } from "viem";
import { inboxAbi } from "../l1/contracts.ts";
import type { Registry } from "prom-client";
import type { Logger } from "../log.ts";
import { BYTES_PER_BLOB, MAX_BLOBS_PER_BATCH, packBlobs, blobsNeeded, unpackBlobs, type UnpackResult } from "./packing.ts";
import { checkBlobsWithRecords, computeVersionedHashes, decodeKzgRecord, type KzgRecord } from "./kzg.ts";
import { IpfsError, type IpfsBackup } from "./ipfs.ts";
import type { ArchiveStore } from "./archive.ts";
import { daLogger, daMetrics, type DaMetrics } from "./metrics.ts";
import { concatBytes } from "@noble/hashes/utils.js";

/** What L1 says about a blob batch (from BatchProposed and the block that holds it). */
export interface BlobRequest {
  /** Versioned hashes in order (BatchProposed.blobHashes). */
  versionedHashes: readonly Hex[];
  /** L1 block number of the proposal. */
  blockNumber: bigint;
  /** L1 block hash of the proposal. */
  blockHash?: Hex;
  /** L1 block timestamp (seconds): needed by beacon sources addressing blocks by slot. */
  timestamp?: bigint;
  /** Binary CID of the IPFS backup (BatchProposed.ipfsCid), 0x / empty when none. */
  ipfsCid?: Hex | Uint8Array;
}

/** A candidate answer of a source: blobs (to be verified one by one) or whole batch bytes (IPFS). */
export type SourceAnswer = { kind: "blobs"; blobs: Uint8Array[] } | { kind: "batch"; data: Uint8Array };

/** Thrown by sources: NOT_FOUND is an expected miss (e.g. expired blobs), the rest are failures. */
export class SourceError extends Error {
  readonly code: "NOT_FOUND" | "TIMEOUT" | "UNAVAILABLE" | "BAD_RESPONSE";
  constructor(code: SourceError["code"], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SourceError";
    this.code = code;
  }
}

/** One place blobs can come from. `fetch` is given only the hashes still missing. */
export interface BlobSource {
  readonly name: string;
  /** Per-attempt timeout in ms (the fetcher aborts `signal` after it). */
  readonly timeoutMs: number;
  fetch(request: BlobRequest, missing: readonly Hex[], signal: AbortSignal): Promise<SourceAnswer>;
}

/**
 * Where KZG records (a blob's commitment and blob proof, published by the proposer beside the data) come
 * from. A record is a hint: the fetcher verifies it against L1 and ignores it when it does not verify.
 */
export interface KzgRecordSource {
  readonly name: string;
  /** Per-request timeout in ms. */
  readonly timeoutMs: number;
  /** The records this source has among `hashes` (absent ones are left out). Throws SourceError on failure. */
  records(hashes: readonly Hex[], signal: AbortSignal): Promise<Map<Hex, KzgRecord>>;
}

/** Most blobs read from one beacon answer (a node that ignores the versioned_hashes filter returns the whole block). */
const MAX_BEACON_BLOBS = 72;
const MAX_RESPONSE_BYTES = (2 * BYTES_PER_BLOB + 4) * MAX_BEACON_BLOBS + 64 * 1024; // hex blobs + slack

async function readCapped(res: Response, maxBytes: number): Promise<Uint8Array> {
  const len = Number(res.headers.get("content-length") ?? "-1");
  if (len > maxBytes) throw new SourceError("BAD_RESPONSE", `response of ${len} bytes exceeds ${maxBytes}`);
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new SourceError("BAD_RESPONSE", `response exceeds ${maxBytes} bytes`);
    }
    parts.push(value);
  }
  return concatBytes(...parts);
}

function httpError(err: unknown, signal: AbortSignal, what: string): SourceError {
  if (err instanceof SourceError) return err;
  if (signal.aborted) return new SourceError("TIMEOUT", `${what}: timed out`, { cause: err });
  return new SourceError("UNAVAILABLE", `${what}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}

export interface BeaconSourceOptions {
  /** Beacon API base URL (anvil serves it on its RPC port). */
  url: string;
  timeoutMs?: number;
  /**
   * How to name the block: "number" (EL block number; what anvil accepts), "hash" (EL block hash; anvil),
   * or "slot" (beacon slot computed from the block timestamp and the beacon genesis time: real beacon
   * nodes, which index by slot or beacon block root).
   */
  blockId?: "number" | "hash" | "slot";
  /** Seconds per slot for blockId "slot" (default 12). */
  secondsPerSlot?: number;
  name?: string;
}

/**
 * The beacon API blobs route: `GET <url>/eth/v1/beacon/blobs/{block_id}?versioned_hashes=h1,h2` returning
 * `{ data: ["0x<blob>", ...] }`. 404 (unknown block) and an empty answer mean NOT_FOUND (pruned blobs).
 */
export class BeaconBlobSource implements BlobSource {
  readonly name: string;
  readonly timeoutMs: number;
  private readonly base: string;
  private readonly blockId: "number" | "hash" | "slot";
  private readonly secondsPerSlot: number;
  private genesisTime?: bigint;

  constructor(options: BeaconSourceOptions) {
    this.base = options.url.replace(/\/+$/, "");
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.blockId = options.blockId ?? "number";
    this.secondsPerSlot = options.secondsPerSlot ?? 12;
    this.name = options.name ?? "beacon";
  }

  private async blockIdFor(req: BlobRequest, signal: AbortSignal): Promise<string> {
    if (this.blockId === "number") return req.blockNumber.toString();
    if (this.blockId === "hash") {
      if (!req.blockHash) throw new SourceError("NOT_FOUND", "beacon: block hash required");
      return req.blockHash;
    }
    if (req.timestamp === undefined) throw new SourceError("NOT_FOUND", "beacon: block timestamp required for slot addressing");
    if (this.genesisTime === undefined) {
      const res = await fetch(`${this.base}/eth/v1/beacon/genesis`, { signal });
      if (!res.ok) throw new SourceError("UNAVAILABLE", `beacon genesis: HTTP ${res.status}`);
      const body = JSON.parse(new TextDecoder().decode(await readCapped(res, 64 * 1024))) as { data?: { genesis_time?: string } };
      this.genesisTime = BigInt(body.data?.genesis_time ?? "x");
    }
    return ((req.timestamp - this.genesisTime) / BigInt(this.secondsPerSlot)).toString();
  }

  async fetch(req: BlobRequest, missing: readonly Hex[], signal: AbortSignal): Promise<SourceAnswer> {
    try {
      const id = await this.blockIdFor(req, signal);
      const url = `${this.base}/eth/v1/beacon/blobs/${id}?versioned_hashes=${missing.join(",")}`;
      const res = await fetch(url, { signal, headers: { accept: "application/json" } });
      if (res.status === 404) throw new SourceError("NOT_FOUND", `beacon: block ${id} not found`);
      if (!res.ok) throw new SourceError("UNAVAILABLE", `beacon: HTTP ${res.status}`);
      const text = new TextDecoder().decode(await readCapped(res, MAX_RESPONSE_BYTES));
      let body: { data?: unknown };
      try {
        body = JSON.parse(text) as { data?: unknown };
      } catch {
        throw new SourceError("BAD_RESPONSE", "beacon: response is not JSON");
      }
      if (!Array.isArray(body.data)) throw new SourceError("BAD_RESPONSE", "beacon: response has no data array");
      if (body.data.length === 0) throw new SourceError("NOT_FOUND", `beacon: no blobs for block ${id}`);
      const blobs: Uint8Array[] = [];
      for (const item of body.data.slice(0, MAX_BEACON_BLOBS)) {
        if (typeof item !== "string" || !/^0x[0-9a-fA-F]*$/.test(item)) throw new SourceError("BAD_RESPONSE", "beacon: blob is not hex");
        blobs.push(hexToBytes(item as Hex));
      }
      return { kind: "blobs", blobs };
    } catch (err) {
      throw httpError(err, signal, "beacon");
    }
  }
}

export interface ArchiveSourceOptions {
  /** Base URL: blobs are at `<url>/<versionedHash>`. */
  url: string;
  timeoutMs?: number;
  name?: string;
}

/** An archive endpoint: its base URL (without a trailing slash), timeout and name (`<kind>:<url>` by default). */
abstract class ArchiveEndpoint {
  readonly name: string;
  readonly timeoutMs: number;
  protected readonly base: string;

  constructor(options: ArchiveSourceOptions, kind: string) {
    this.base = options.url.replace(/\/+$/, "");
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.name = options.name ?? `${kind}:${this.base}`;
  }
}

/** An archive (see archive.ts): `GET <url>/<versionedHash>` returns the raw 131072 blob bytes. */
export class ArchiveBlobSource extends ArchiveEndpoint implements BlobSource {
  constructor(options: ArchiveSourceOptions) {
    super(options, "archive");
  }

  async fetch(_req: BlobRequest, missing: readonly Hex[], signal: AbortSignal): Promise<SourceAnswer> {
    const blobs: Uint8Array[] = [];
    let lastMiss: SourceError | undefined;
    for (const hash of missing) {
      try {
        const res = await fetch(`${this.base}/${hash}`, { signal });
        if (res.status === 404) {
          lastMiss = new SourceError("NOT_FOUND", `archive: ${hash} not found`);
          continue;
        }
        if (!res.ok) throw new SourceError("UNAVAILABLE", `archive: HTTP ${res.status}`);
        blobs.push(await readCapped(res, BYTES_PER_BLOB));
      } catch (err) {
        throw httpError(err, signal, "archive");
      }
    }
    if (blobs.length === 0) throw lastMiss ?? new SourceError("NOT_FOUND", "archive: nothing found");
    return { kind: "blobs", blobs };
  }
}

/** KZG records from an archive (archive.ts): `GET <url>/<versionedHash>/kzg` returns commitment ‖ proof (96 bytes). */
export class ArchiveKzgSource extends ArchiveEndpoint implements KzgRecordSource {
  constructor(options: ArchiveSourceOptions) {
    super(options, "archive-kzg");
  }

  async records(hashes: readonly Hex[], signal: AbortSignal): Promise<Map<Hex, KzgRecord>> {
    const out = new Map<Hex, KzgRecord>();
    await Promise.all(
      hashes.map(async (hash) => {
        try {
          const res = await fetch(`${this.base}/${hash}/kzg`, { signal });
          if (res.status === 404) {
            await res.body?.cancel();
            return;
          }
          if (!res.ok) throw new SourceError("UNAVAILABLE", `archive kzg: HTTP ${res.status}`);
          const record = decodeKzgRecord(await readCapped(res, 96));
          if (record === undefined) throw new SourceError("BAD_RESPONSE", `archive kzg: record of ${hash} is not 96 bytes`);
          out.set(hash, record);
        } catch (err) {
          throw httpError(err, signal, "archive kzg");
        }
      }),
    );
    return out;
  }
}

/** The IPFS backup: batch bytes by the CID recorded on L1; the fetcher re-packs and checks the hashes. */
export class IpfsBlobSource implements BlobSource {
  readonly name: string;
  readonly timeoutMs: number;
  private readonly ipfs: IpfsBackup;

  constructor(ipfs: IpfsBackup, options: { timeoutMs?: number; name?: string } = {}) {
    this.ipfs = ipfs;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.name = options.name ?? `ipfs:${ipfs.kind}`;
  }

  async fetch(req: BlobRequest, _missing: readonly Hex[], signal: AbortSignal): Promise<SourceAnswer> {
    const cid = typeof req.ipfsCid === "string" ? hexToBytes(req.ipfsCid) : req.ipfsCid;
    if (!cid || cid.length === 0) throw new SourceError("NOT_FOUND", "ipfs: no CID recorded for this batch");
    try {
      return { kind: "batch", data: await this.ipfs.get(cid, { signal }) };
    } catch (err) {
      if (err instanceof IpfsError) {
        const code = err.code === "NOT_FOUND" ? "NOT_FOUND" : err.code === "TIMEOUT" ? "TIMEOUT" : err.code === "UNREACHABLE" ? "UNAVAILABLE" : "BAD_RESPONSE";
        throw new SourceError(code, err.message, { cause: err });
      }
      throw httpError(err, signal, "ipfs");
    }
  }
}

/** A batch's blobs, verified against L1, and their unpacked content. */
export interface FetchedBatch {
  /** Blobs in L1 order, each verified against its versioned hash. */
  blobs: Uint8Array[];
  /** Which source delivered each blob. */
  sources: string[];
  /** Unpacked batch bytes, or the deterministic packing error (the batch is then invalid: a no-op). */
  unpacked: UnpackResult;
}

/** Every source failed (or returned only rejected data) for some hashes. */
export class DataUnavailableError extends Error {
  readonly missing: Hex[];
  readonly attempts: { source: string; result: string; detail: string }[];
  constructor(missing: Hex[], attempts: { source: string; result: string; detail: string }[]) {
    super(`blob data unavailable for ${missing.length} hash(es) after ${attempts.length} attempt(s): ${attempts.map((a) => `${a.source}=${a.result}`).join(", ")}`);
    this.name = "DataUnavailableError";
    this.missing = missing;
    this.attempts = attempts;
  }
}

export interface BlobFetcherOptions {
  /** Tried in this order. Build the standard order with `standardSources`. */
  sources: BlobSource[];
  /** Store every verified blob here (an operator's archiver keeps what its node derived). */
  archive?: ArchiveStore;
  /** KZG record sources (asked in order, in parallel with the first blob source); none: always recompute. */
  kzgSources?: KzgRecordSource[];
  logger?: Logger;
  registry?: Registry;
}

/**
 * Retrieves and verifies blob batches. For each source in order it asks for the hashes still missing,
 * verifies every returned blob (KZG commitment -> versioned hash), keeps the ones that match, rejects the
 * rest (warn log + `rollbook_da_rejected_total`), and moves on until all hashes are covered.
 */
export class BlobFetcher {
  private readonly sources: BlobSource[];
  private readonly kzgSources: KzgRecordSource[];
  private readonly archive?: ArchiveStore;
  private readonly log: Logger;
  private readonly metrics: DaMetrics;

  constructor(options: BlobFetcherOptions) {
    this.sources = options.sources;
    this.kzgSources = options.kzgSources ?? [];
    this.archive = options.archive;
    this.log = (options.logger ?? daLogger()).child({ component: "fetcher" });
    this.metrics = daMetrics(options.registry);
  }

  /** Fetches, verifies and unpacks the blobs of one batch. Throws DataUnavailableError if no source has them. */
  async fetchBatch(request: BlobRequest): Promise<FetchedBatch> {
    const wanted = request.versionedHashes.map((h) => h.toLowerCase() as Hex);
    if (wanted.length === 0 || wanted.length > MAX_BLOBS_PER_BATCH) {
      throw new DataUnavailableError([...wanted], [{ source: "-", result: "invalid", detail: `expected 1..${MAX_BLOBS_PER_BATCH} versioned hashes` }]);
    }
    const found = new Map<Hex, { blob: Uint8Array; source: string }>();
    const attempts: { source: string; result: string; detail: string }[] = [];
    // Records are fetched beside the first blob source's request; they never fail the fetch.
    const recordsP = this.kzgSources.length === 0 ? undefined : this.fetchRecords(wanted);
    let records: Map<Hex, KzgRecord> | undefined;
    for (const source of this.sources) {
      const missing = wanted.filter((h) => !found.has(h));
      if (missing.length === 0) break;
      const endTimer = this.metrics.fetchSeconds.startTimer({ source: source.name });
      const signal = AbortSignal.timeout(source.timeoutMs);
      let answer: SourceAnswer;
      try {
        answer = await source.fetch(request, missing, signal);
      } catch (err) {
        endTimer();
        const code = err instanceof SourceError ? err.code : "UNAVAILABLE";
        const result = code === "NOT_FOUND" ? "not_found" : code === "TIMEOUT" ? "timeout" : "error";
        this.metrics.fetchTotal.inc({ source: source.name, result });
        attempts.push({ source: source.name, result, detail: (err as Error).message });
        (code === "NOT_FOUND" ? this.log.debug.bind(this.log) : this.log.warn.bind(this.log))({ source: source.name, block: String(request.blockNumber), err: (err as Error).message }, "blob source failed");
        continue;
      }
      endTimer();
      records ??= await recordsP;
      const got = this.verify(source.name, answer, wanted, missing, records);
      for (const [hash, blob] of got.accepted) found.set(hash, { blob, source: source.name });
      const result = got.rejected > 0 ? "rejected" : got.accepted.size > 0 ? "ok" : "not_found";
      this.metrics.fetchTotal.inc({ source: source.name, result });
      attempts.push({ source: source.name, result, detail: `${got.accepted.size} accepted, ${got.rejected} rejected` });
    }
    const stillMissing = wanted.filter((h) => !found.has(h));
    if (stillMissing.length > 0) throw new DataUnavailableError(stillMissing, attempts);
    const blobs = wanted.map((h) => found.get(h)!.blob);
    if (this.archive) {
      for (let i = 0; i < wanted.length; i++) {
        if (found.get(wanted[i]!)!.source.startsWith("archive")) continue;
        await this.archive.put(wanted[i]!, blobs[i]!).catch((err) => this.log.warn({ err: (err as Error).message }, "archive write failed"));
      }
    }
    return { blobs, sources: wanted.map((h) => found.get(h)!.source), unpacked: unpackBlobs(blobs) };
  }

  private reject(source: string, reason: string, detail: string): void {
    this.metrics.rejectedTotal.inc({ source, reason });
    this.log.warn({ source, reason, detail }, "rejected data that does not match its L1 commitment");
  }

  /** The KZG records the record sources have for `hashes` (first source first). Never rejects. */
  private async fetchRecords(hashes: readonly Hex[]): Promise<Map<Hex, KzgRecord>> {
    const out = new Map<Hex, KzgRecord>();
    for (const s of this.kzgSources) {
      const missing = hashes.filter((h) => !out.has(h));
      if (missing.length === 0) break;
      try {
        for (const [h, r] of await s.records(missing, AbortSignal.timeout(s.timeoutMs))) if (missing.includes(h)) out.set(h, r);
      } catch (err) {
        this.log.debug({ source: s.name, err: (err as Error).message }, "KZG record source failed (commitments are recomputed)");
      }
    }
    return out;
  }

  /**
   * Which of `blobs` the supplied records show to be the blobs committed as `expected` (position by
   * position); the rest are checked by recomputing their commitment, as without records.
   */
  private viaRecords(blobs: readonly Uint8Array[], expected: readonly Hex[], records: Map<Hex, KzgRecord> | undefined): boolean[] {
    if (records === undefined || records.size === 0) return blobs.map(() => false);
    const ok = checkBlobsWithRecords(blobs, expected, blobs.map((_, i) => (expected[i] === undefined ? undefined : records.get(expected[i]!))));
    const n = ok.filter((x) => x).length;
    if (n > 0) this.metrics.kzgChecksTotal.inc({ method: "proof" }, n);
    return ok;
  }

  private recompute(blobs: readonly Uint8Array[]): Hex[] {
    this.metrics.kzgChecksTotal.inc({ method: "recompute" }, blobs.length);
    return computeVersionedHashes(blobs);
  }

  private verify(source: string, answer: SourceAnswer, wanted: Hex[], missing: Hex[], records: Map<Hex, KzgRecord> | undefined): { accepted: Map<Hex, Uint8Array>; rejected: number } {
    const accepted = new Map<Hex, Uint8Array>();
    let rejected = 0;
    if (answer.kind === "batch") {
      // IPFS holds the batch bytes: re-pack (canonical) and compare the whole list of versioned hashes.
      if (blobsNeeded(answer.data.length) !== wanted.length) {
        this.reject(source, "BLOB_COUNT", `batch of ${answer.data.length} bytes packs into ${blobsNeeded(answer.data.length)} blob(s), L1 has ${wanted.length}`);
        return { accepted, rejected: 1 };
      }
      const blobs = packBlobs(answer.data);
      const shown = this.viaRecords(blobs, wanted, records);
      const hashes = blobs.map((b, i) => (shown[i] ? wanted[i]! : this.recompute([b])[0]!));
      for (let i = 0; i < wanted.length; i++) {
        if (hashes[i] !== wanted[i]) {
          this.reject(source, "HASH_MISMATCH", `blob ${i}: computed ${hashes[i]}, L1 has ${wanted[i]}`);
          return { accepted: new Map(), rejected: 1 };
        }
      }
      for (let i = 0; i < wanted.length; i++) if (missing.includes(wanted[i]!)) accepted.set(wanted[i]!, blobs[i]!);
      return { accepted, rejected };
    }
    const open = new Set(missing);
    // More blobs than asked for: the source ignored the filter and sent the whole block. Blobs that are not
    // ours are then expected and only skipped; otherwise every non-matching blob counts as a rejection.
    const wholeBlock = answer.blobs.length > missing.length;
    // Sources answer in the order asked: blob i is checked against missing[i]'s record first.
    const shown = wholeBlock ? answer.blobs.map(() => false) : this.viaRecords(answer.blobs, missing, records);
    let skipped = 0;
    for (let i = 0; i < answer.blobs.length; i++) {
      const blob = answer.blobs[i]!;
      if (shown[i] && open.has(missing[i]!)) {
        open.delete(missing[i]!);
        accepted.set(missing[i]!, blob);
        continue;
      }
      // One KZG commitment per blob; the source may answer in any order, so match by the computed hash.
      let computed: Hex;
      try {
        if (blob.length !== BYTES_PER_BLOB) throw new Error(`blob ${i} is ${blob.length} bytes, expected ${BYTES_PER_BLOB}`);
        computed = this.recompute([blob])[0]!;
      } catch (err) {
        rejected++;
        this.reject(source, "BAD_BLOB", (err as Error).message);
        continue;
      }
      if (!open.has(computed)) {
        if (wholeBlock) {
          skipped++;
          continue;
        }
        rejected++;
        this.reject(source, "HASH_MISMATCH", `blob ${i}: computed ${computed}, not among requested ${missing.join(",")}`);
        continue;
      }
      open.delete(computed);
      accepted.set(computed, blob);
    }
    if (skipped > 0) this.log.debug({ source, skipped }, "skipped blobs of other transactions in the block");
    return { accepted, rejected };
  }
}

/**
 * The standard source order from the node config: beacon API (if a URL is set), each archive URL, then the
 * IPFS backup (if any).
 */
export function standardSources(config: {
  beaconUrl?: string;
  archiveUrls?: readonly string[];
  ipfs?: IpfsBackup;
  beaconBlockId?: BeaconSourceOptions["blockId"];
  timeoutMs?: { beacon?: number; archive?: number; ipfs?: number };
}): BlobSource[] {
  const out: BlobSource[] = [];
  if (config.beaconUrl) out.push(new BeaconBlobSource({ url: config.beaconUrl, blockId: config.beaconBlockId, timeoutMs: config.timeoutMs?.beacon }));
  for (const url of config.archiveUrls ?? []) out.push(new ArchiveBlobSource({ url, timeoutMs: config.timeoutMs?.archive }));
  if (config.ipfs) out.push(new IpfsBlobSource(config.ipfs, { timeoutMs: config.timeoutMs?.ipfs }));
  return out;
}


/**
 * Batch bytes of a calldata proposal: decodes `proposeCalldata(l1MsgEnd, batchData, ipfsCid)` from the
 * proposing transaction's input and checks keccak256(batchData) against BatchProposed.calldataHash.
 * Returns undefined if the input is not such a call or the hash differs (the proposal then came through a
 * contract: derivation falls back to the IPFS backup, see docs/da.md). Never throws.
 */
export function calldataBatchFromInput(input: Hex, calldataHash: Hex): Uint8Array | undefined {
  try {
    const { functionName, args } = decodeFunctionData({ abi: inboxAbi, data: input });
    if (functionName !== "proposeCalldata") return undefined;
    const data = args[1] as Hex;
    if (keccak256(data).toLowerCase() !== calldataHash.toLowerCase()) return undefined;
    return hexToBytes(data);
  } catch {
    return undefined;
  }
}
