// Posting batches to the Inbox: a type-3 (blob) transaction calling propose(l1MsgEnd, ipfsCid), or a type-2
// transaction calling proposeCalldata(l1MsgEnd, batch, ipfsCid). Fees come from the node, a stuck
// transaction is replaced with bumped fees (same nonce), and the receipt's BatchProposed event is parsed.
// Blob transactions are signed locally and wrapped here (node/da/blobtx.ts) in the network wrapper the L1 wants:
// v0 (EIP-4844 blob proofs) or v1 (EIP-7594 cell proofs, required by Osaka/Fusaka nodes), see `blobWrapper`.
import {
  bytesToHex,
  decodeEventLog,
  keccak256,
  encodeFunctionData,
  type Address,
  type Hex,
  type LocalAccount,
  type PublicClient,
  type TransactionReceipt,
} from "viem";
import type { Registry } from "prom-client";
import type { Logger } from "../log.ts";
import { packBlobs, blobsNeeded, MAX_PACKED_DATA_BYTES } from "./packing.ts";
import type { BlobSidecars, BlobWrapper } from "./kzg.ts";
import { computeSidecarsOffThread, warmKzgThread } from "./kzg-thread.ts";
import { detectBlobWrapper, isWrapperRejection, wrapBlobTx, type WrapperDecision } from "./blobtx.ts";
import {
  bumpFees,
  chooseDataMode,
  DEFAULT_FEE_POLICY,
  initialFees,
  type DataModeDecision,
  type DataModeGasModel,
  type FeePolicy,
  type L1FeeSnapshot,
  type TxFees,
} from "./fees.ts";
import { inboxAbi, type BatchProposedEvent } from "../l1/contracts.ts";
import { recordL1Balance } from "../l1/balance.ts";
import { CID } from "multiformats/cid";
import { rawCid, type IpfsBackup } from "./ipfs.ts";
import type { ArchiveStore } from "./archive.ts";
import { daLogger, daMetrics, type DaMetrics } from "./metrics.ts";

export type { BatchProposedEvent };

export interface BlobPosterOptions {
  /** Reads chain state, estimates gas, sends raw transactions, polls receipts. */
  client: PublicClient;
  /** Local signing account (e.g. privateKeyToAccount): transactions are signed here and sent raw. */
  account: LocalAccount;
  /** Inbox address. For development an EOA works too (no BatchProposed event is then found). */
  inbox: Address;
  fees?: Partial<FeePolicy>;
  gasModel?: Partial<DataModeGasModel>;
  /** Replace a transaction that is not mined within this many ms (default 36 000: three mainnet slots). */
  replaceAfterMs?: number;
  /** Give up after this many replacements (default 8); the last transaction is still awaited until `timeoutMs`. */
  maxReplacements?: number;
  /** Receipt polling period in ms (default 1000). */
  pollIntervalMs?: number;
  /** Overall deadline for one proposal in ms (default 15 min). */
  timeoutMs?: number;
  /** Gas limit = estimate * (100 + gasHeadroomPct)% (default 25). */
  gasHeadroomPct?: number;
  /** Back the batch up to IPFS first and record the CID in the proposal. */
  ipfs?: IpfsBackup;
  /** Also keep the posted blobs in the local archive (what an operator's archiver serves). */
  archive?: ArchiveStore;
  /**
   * Network wrapper of blob transactions: "v0" (EIP-4844, one blob proof per blob), "v1" (EIP-7594, 128 cell
   * proofs per blob: what Osaka/Fusaka nodes require), or "auto" (default): ask the node (eth_config, then
   * known chains, see detectBlobWrapper) and switch once per send when the node rejects the wrapper version.
   */
  blobWrapper?: BlobWrapper | "auto";
  logger?: Logger;
  registry?: Registry;
}

export interface ProposeOptions {
  /** One past the last L1 message the batch consumes. */
  l1MsgEnd: bigint;
  /** "auto" (default) picks the cheaper of blob and calldata (chooseDataMode). */
  mode?: "auto" | "blob" | "calldata";
  /** Use this CID instead of backing up through `ipfs` (binary CID bytes; empty = no backup). */
  ipfsCid?: Uint8Array;
}

export interface ProposeResult {
  mode: "blob" | "calldata";
  txHash: Hex;
  receipt: TransactionReceipt;
  /** Versioned hashes of the blobs (empty for calldata). */
  versionedHashes: Hex[];
  ipfsCid: Uint8Array;
  /** Decoded BatchProposed event; undefined if the target emitted none (e.g. an EOA in development). */
  event?: BatchProposedEvent;
  /** Number of replacement transactions sent. */
  replacements: number;
  /** Fees of the transaction that was mined. */
  fees: TxFees;
  /** Network wrapper the mined blob transaction was last sent with (undefined for calldata). */
  blobWrapper?: BlobWrapper;
  decision: DataModeDecision;
}

/**
 * TOO_LARGE: over 6 blobs. WOULD_REVERT: gas estimation reverted (nothing sent; e.g. InvalidL1MsgEnd).
 * REVERTED: mined but reverted. TIMEOUT: not mined by the deadline (a pending tx may still be mined).
 * NONCE_TAKEN: another transaction used the nonce. SEND_FAILED: the node refused the transaction.
 */
export type PostErrorCode = "TOO_LARGE" | "WOULD_REVERT" | "REVERTED" | "TIMEOUT" | "NONCE_TAKEN" | "SEND_FAILED";

export class PostError extends Error {
  readonly code: PostErrorCode;
  readonly txHashes: Hex[];
  constructor(code: PostErrorCode, message: string, txHashes: Hex[] = [], options?: { cause?: unknown }) {
    super(message, options);
    this.name = "PostError";
    this.code = code;
    this.txHashes = txHashes;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Decodes BatchProposed from receipt logs emitted by `inbox`. */
export function parseBatchProposed(receipt: TransactionReceipt, inbox: Address): BatchProposedEvent | undefined {
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== inbox.toLowerCase()) continue;
    try {
      const ev = decodeEventLog({ abi: inboxAbi, data: log.data, topics: log.topics });
      if (ev.eventName === "BatchProposed") return ev.args;
    } catch {
      // another event of the Inbox
    }
  }
  return undefined;
}

/**
 * Posts batches to the Inbox. One instance per proposer account: it owns the account's nonce (proposals
 * are serialized), so do not send other transactions from the same account concurrently.
 */
export class BlobPoster {
  private readonly client: PublicClient;
  private readonly account: LocalAccount;
  readonly inbox: Address;
  private readonly policy: FeePolicy;
  private readonly gasModel: Partial<DataModeGasModel>;
  private readonly replaceAfterMs: number;
  private readonly maxReplacements: number;
  private readonly pollIntervalMs: number;
  private readonly timeoutMs: number;
  private readonly gasHeadroomPct: number;
  private readonly ipfs?: IpfsBackup;
  private readonly archive?: ArchiveStore;
  private readonly blobWrapper: BlobWrapper | "auto";
  /** auto: the last detection (re-run when its validity ends) and a wrapper forced by a node's rejection. */
  private wrapperDecision?: WrapperDecision;
  private wrapperOverride?: BlobWrapper;
  private readonly log: Logger;
  private readonly metrics: DaMetrics;
  private queue: Promise<unknown> = Promise.resolve();
  private nextNonce?: number;
  private chainId?: number;
  private readonly registry?: Registry;

  constructor(options: BlobPosterOptions) {
    this.registry = options.registry;
    this.client = options.client;
    this.account = options.account;
    this.inbox = options.inbox;
    this.policy = { ...DEFAULT_FEE_POLICY, ...options.fees };
    this.gasModel = options.gasModel ?? {};
    this.replaceAfterMs = options.replaceAfterMs ?? 36_000;
    this.maxReplacements = options.maxReplacements ?? 8;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.timeoutMs = options.timeoutMs ?? 15 * 60_000;
    this.gasHeadroomPct = options.gasHeadroomPct ?? 25;
    this.ipfs = options.ipfs;
    this.archive = options.archive;
    this.blobWrapper = options.blobWrapper ?? "auto";
    if (!["auto", "v0", "v1"].includes(this.blobWrapper)) throw new Error(`blobWrapper: expected auto|v0|v1, got ${JSON.stringify(options.blobWrapper)}`);
    this.log = (options.logger ?? daLogger()).child({ component: "poster" });
    this.metrics = daMetrics(options.registry);
    warmKzgThread(); // the KZG worker loads its trusted setup now, not in the first proposal
  }

  /** Current base fee, suggested tip and blob base fee from the node. */
  async feeSnapshot(): Promise<L1FeeSnapshot> {
    const [block, blobBaseFee, tip] = await Promise.all([
      this.client.getBlock({ blockTag: "latest" }),
      this.client.getBlobBaseFee().catch(() => 1n),
      this.client.estimateMaxPriorityFeePerGas().catch(() => this.policy.minPriorityFee),
    ]);
    return { baseFee: block.baseFeePerGas ?? 0n, priorityFee: tip, blobBaseFee };
  }

  /**
   * The network wrapper the next blob transaction uses: the configured one, or for "auto" a wrapper forced by
   * an earlier rejection, else the (cached) detection from the node.
   */
  async wrapperFor(): Promise<{ wrapper: BlobWrapper; source: string }> {
    if (this.blobWrapper !== "auto") return { wrapper: this.blobWrapper, source: "config" };
    if (this.wrapperOverride) return { wrapper: this.wrapperOverride, source: "rejection" };
    let d = this.wrapperDecision;
    if (d && d.validUntil !== undefined) {
      const latest = await this.client.getBlock({ blockTag: "latest" });
      if (Number(latest.timestamp) >= d.validUntil) d = undefined;
    }
    if (!d) {
      this.chainId ??= await this.client.getChainId();
      const latest = await this.client.getBlock({ blockTag: "latest" });
      const rpc = (method: string, params: unknown[]) => this.client.request({ method, params } as never) as Promise<unknown>;
      d = await detectBlobWrapper(rpc, this.chainId, Number(latest.timestamp));
      this.wrapperDecision = d;
      this.log.info({ wrapper: d.wrapper, source: d.source, detail: d.detail }, "blob transaction wrapper detected");
    }
    return { wrapper: d.wrapper, source: d.source };
  }

  /** Which mode `propose` would use for `batch` now, with the cost estimates behind it. */
  async decide(batch: Uint8Array, l1MsgEnd = 0n, cid: Uint8Array = new Uint8Array(36)): Promise<DataModeDecision> {
    const calldata = encodeFunctionData({ abi: inboxAbi, functionName: "proposeCalldata", args: [l1MsgEnd, bytesToHex(batch), bytesToHex(cid)] });
    return chooseDataMode(batch, await this.feeSnapshot(), { calldata: hexBytes(calldata), gas: this.gasModel });
  }

  /**
   * Backs the batch up (if an IPFS backup is configured), then proposes it to the Inbox in blobs or
   * calldata, replacing the transaction with higher fees while it is not mined, and returns the receipt
   * and the decoded BatchProposed event. Throws PostError.
   */
  propose(batch: Uint8Array, options: ProposeOptions): Promise<ProposeResult> {
    const run = this.queue.then(() => this.proposeNow(batch, options));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async proposeNow(batch: Uint8Array, options: ProposeOptions): Promise<ProposeResult> {
    if (blobsNeeded(batch.length) < 0) throw new PostError("TOO_LARGE", `batch of ${batch.length} bytes exceeds ${MAX_PACKED_DATA_BYTES}`);
    let cid = options.ipfsCid;
    let ownPin: CID | undefined; // a pin this call created: dropped again if the proposal fails for good
    if (cid === undefined && this.ipfs) {
      const expected = await rawCid(batch);
      const had = await this.ipfs.isPinned(expected).catch(() => true);
      const stored = await this.ipfs.put(batch, { size: batch.length });
      if (!had) ownPin = stored;
      cid = stored.bytes;
    }
    cid ??= new Uint8Array(0);
    try {
      const result = await this.proposeWithCid(batch, options, cid);
      if (this.ipfs && cid.length > 0 && result.event) {
        await this.ipfs
          .pin(CID.decode(cid), { batchIndex: Number(result.event.batchIndex), l1Block: Number(result.receipt.blockNumber) })
          .catch((err) => this.log.warn({ err: (err as Error).message }, "could not record the batch index on the IPFS pin"));
      }
      return result;
    } catch (err) {
      if (ownPin && this.ipfs && err instanceof PostError && err.code !== "TIMEOUT") {
        await this.ipfs.unpin(ownPin).catch(() => undefined);
      }
      throw err;
    }
  }

  private async proposeWithCid(batch: Uint8Array, options: ProposeOptions, cid: Uint8Array): Promise<ProposeResult> {
    const cidHex = bytesToHex(cid);

    const [snap] = await Promise.all([this.feeSnapshot(), recordL1Balance(this.client, this.account.address, "proposer", this.registry)]);
    const calldataData = encodeFunctionData({ abi: inboxAbi, functionName: "proposeCalldata", args: [options.l1MsgEnd, bytesToHex(batch), cidHex] });
    const force = options.mode === "blob" || options.mode === "calldata" ? options.mode : undefined;
    const decision = chooseDataMode(batch, snap, { calldata: hexBytes(calldataData), gas: this.gasModel, force });
    this.log.info({ bytes: batch.length, mode: decision.mode, reason: decision.reason, blobs: decision.blobCount, blobCostWei: String(decision.blobCostWei), calldataCostWei: String(decision.calldataCostWei) }, "proposing batch");

    if (decision.mode === "calldata") {
      return this.send({ mode: "calldata", data: calldataData, snap, decision, cid });
    }
    const blobs = packBlobs(batch);
    // On the KZG worker thread: the main thread keeps acknowledging while the proofs are computed. With an
    // archive, also the blob proofs of the KZG records (a v1 wrapper carries cell proofs only): followers
    // verify a record instead of recomputing each commitment (docs/da.md "KZG records").
    const sidecars = await computeSidecarsOffThread(blobs, (await this.wrapperFor()).wrapper, this.archive ? ["v0"] : []);
    if (this.archive) {
      for (let i = 0; i < blobs.length; i++) {
        await this.archive.put(sidecars.versionedHashes[i]!, blobs[i]!);
        await this.archive.putKzg(sidecars.versionedHashes[i]!, { commitment: sidecars.commitments[i]!, proof: sidecars.proofs[i]! });
      }
    }
    const data = encodeFunctionData({ abi: inboxAbi, functionName: "propose", args: [options.l1MsgEnd, cidHex] });
    return this.send({ mode: "blob", data, snap, decision, cid, sidecars });
  }

  /**
   * Sends a blob transaction carrying `blobs` (already packed) with arbitrary calldata to `to` (default:
   * the Inbox). Low-level: for tools and tests that post blobs without going through `propose`.
   */
  sendBlobs(blobs: Uint8Array[], data: Hex = "0x", to?: Address): Promise<ProposeResult> {
    const run = this.queue.then(async () => {
      const snap = await this.feeSnapshot();
      const decision = chooseDataMode(new Uint8Array(0), snap, { force: "blob" });
      const sidecars = await computeSidecarsOffThread(blobs, (await this.wrapperFor()).wrapper);
      return this.send({ mode: "blob", data, snap, decision, cid: new Uint8Array(0), sidecars, to });
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async nonceFor(): Promise<number> {
    const pending = await this.client.getTransactionCount({ address: this.account.address, blockTag: "pending" });
    if (this.nextNonce !== undefined && pending < this.nextNonce) {
      // The chain forgot a proposal this poster saw mined (an L1 reorg dropped it): the node's count is right,
      // a remembered higher nonce would leave every later proposal waiting behind a gap.
      this.log.warn({ remembered: this.nextNonce, pending }, "account nonce went back (L1 reorg): using the node's pending count");
      this.nextNonce = pending;
    }
    return pending;
  }

  private async send(p: {
    mode: "blob" | "calldata";
    data: Hex;
    snap: L1FeeSnapshot;
    decision: DataModeDecision;
    cid: Uint8Array;
    sidecars?: BlobSidecars;
    to?: Address;
  }): Promise<ProposeResult> {
    const isBlob = p.mode === "blob";
    const to = p.to ?? this.inbox;
    this.chainId ??= await this.client.getChainId();
    const nonce = await this.nonceFor();
    let fees = initialFees(p.snap, isBlob, this.policy);
    const versionedHashes = p.sidecars?.versionedHashes ?? [];
    let wrapper: BlobWrapper | undefined = isBlob ? (await this.wrapperFor()).wrapper : undefined;

    const estimate = await this.client.estimateGas({
      account: this.account.address,
      to,
      data: p.data,
      nonce,
      ...(isBlob ? { blobVersionedHashes: versionedHashes, maxFeePerBlobGas: fees.maxFeePerBlobGas } : {}),
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    } as Parameters<PublicClient["estimateGas"]>[0]).catch((err: unknown) => {
      this.metrics.postTotal.inc({ mode: p.mode, result: "failed" });
      const e = err as { shortMessage?: string; message?: string; details?: string };
      throw new PostError("WOULD_REVERT", `${p.mode} proposal would revert: ${e.shortMessage ?? e.message}${e.details ? ` (${e.details})` : ""}`.slice(0, 500), [], { cause: err });
    });
    const gas = (estimate * BigInt(100 + this.gasHeadroomPct)) / 100n;

    // Signed canonical transaction (type 3 without sidecars, or type 2): its keccak256 is the transaction hash,
    // whatever network wrapper carries it, so a send whose answer is lost can be tracked by that hash.
    const sign = async (f: TxFees): Promise<Hex> => {
      const base = { chainId: this.chainId!, nonce, gas, to, data: p.data, maxFeePerGas: f.maxFeePerGas, maxPriorityFeePerGas: f.maxPriorityFeePerGas };
      const tx = isBlob ? { ...base, type: "eip4844" as const, maxFeePerBlobGas: f.maxFeePerBlobGas!, blobVersionedHashes: versionedHashes } : { ...base, type: "eip1559" as const };
      return this.account.signTransaction!(tx as never);
    };

    const hashes: Hex[] = [];
    const started = performance.now();
    const deadline = Date.now() + this.timeoutMs;
    let replacements = 0;
    let lastSentAt = 0;
    const feesByHash = new Map<Hex, TxFees>();
    const wrapperByHash = new Map<Hex, BlobWrapper>();
    let nonceTakenSince: number | undefined;

    const track = (hash: Hex, f: TxFees): void => {
      if (!hashes.includes(hash)) hashes.push(hash);
      feesByHash.set(hash, f);
      if (wrapper) wrapperByHash.set(hash, wrapper);
      lastSentAt = Date.now();
    };

    const trySend = async (f: TxFees): Promise<void> => {
      const signed = await sign(f);
      const hash = keccak256(signed);
      const feeLog = { maxFeePerGas: String(f.maxFeePerGas), maxPriorityFeePerGas: String(f.maxPriorityFeePerGas), maxFeePerBlobGas: f.maxFeePerBlobGas === undefined ? undefined : String(f.maxFeePerBlobGas) };
      for (let attempt = 0; ; attempt++) {
        const raw = isBlob ? bytesToHex(wrapBlobTx(signed, p.sidecars!, wrapper!)) : signed;
        try {
          const sent = await this.client.sendRawTransaction({ serializedTransaction: raw });
          if (sent.toLowerCase() !== hash.toLowerCase()) this.log.warn({ sent, hash }, "node returned an unexpected transaction hash");
          track(sent, f);
          this.log.info({ hash: sent, nonce, mode: p.mode, wrapper, ...feeLog, replacement: hashes.length > 1 }, "sent proposal transaction");
          return;
        } catch (err) {
          const e = err as Error & { shortMessage?: string; details?: string; walk?: (fn: (e: unknown) => boolean) => unknown };
          const msg = `${e.shortMessage ?? e.message ?? String(err)}${e.details ? ` (${e.details})` : ""}`.slice(0, 500);
          const transport = Boolean(e.walk?.((x) => ["TimeoutError", "HttpRequestError"].includes((x as Error)?.name))) || /took too long|timed out|fetch failed|ECONNRESET/i.test(msg);
          if (isBlob && !transport && this.blobWrapper === "auto" && attempt === 0 && isWrapperRejection(msg, wrapper!)) {
            // the node wants the other network wrapper (fork boundary, or detection was wrong): switch, remember, resend
            const other: BlobWrapper = wrapper === "v0" ? "v1" : "v0";
            this.log.warn({ nonce, rejected: wrapper, now: other, err: msg }, "node rejected the blob wrapper version; switching");
            this.metrics.wrapperSwitchesTotal.inc({ from: wrapper!, to: other });
            this.wrapperOverride = other;
            wrapper = other;
            continue;
          }
          sendFailure(msg, transport, hash, f, err);
          return;
        }
      }
    };
    // A send the node refused (other than a wrapper-version rejection handled in trySend).
    const sendFailure = (msg: string, transport: boolean, hash: Hex, f: TxFees, err: unknown): void => {
      if (/already known|known transaction|AlreadyKnown/i.test(msg) || transport) {
        // the node has it (or may have it: the answer was lost): track it by its hash
        track(hash, f);
        this.log.warn({ hash, nonce, err: msg }, transport ? "send answer lost; tracking the transaction by hash" : "transaction already known to the node");
        return;
      }
      if (/nonce too low|NonceTooLow/i.test(msg)) {
        // an earlier version (or another tx with this nonce) is mined: keep polling receipts
        nonceTakenSince ??= Date.now();
        lastSentAt = Date.now();
        this.log.warn({ nonce, err: msg }, "nonce already used, waiting for receipts");
        return;
      }
      if (hashes.length > 0) {
        // a replacement refused (underpriced, pool full, ...): the earlier version is still pending
        lastSentAt = Date.now();
        this.log.warn({ nonce, err: msg }, "replacement refused; keeping the earlier transaction, will bump again");
        return;
      }
      throw new PostError("SEND_FAILED", `sending ${p.mode} proposal failed: ${msg}`, hashes, { cause: err });
    };

    await trySend(fees);
    try {
      for (;;) {
        for (const hash of hashes) {
          const receipt = await this.client.getTransactionReceipt({ hash }).catch(() => undefined);
          if (!receipt) continue;
          this.nextNonce = nonce + 1;
          const seconds = (performance.now() - started) / 1000;
          this.metrics.postSeconds.observe({ mode: p.mode }, seconds);
          if (receipt.status !== "success") {
            this.metrics.postTotal.inc({ mode: p.mode, result: "reverted" });
            throw new PostError("REVERTED", `proposal transaction ${hash} reverted in block ${receipt.blockNumber}`, hashes);
          }
          this.metrics.postTotal.inc({ mode: p.mode, result: "included" });
          void recordL1Balance(this.client, this.account.address, "proposer", this.registry);
          const event = parseBatchProposed(receipt, to);
          this.log.info({ hash, block: String(receipt.blockNumber), batchIndex: event ? String(event.batchIndex) : undefined, replacements, seconds }, "proposal included");
          return { mode: p.mode, txHash: hash, receipt, versionedHashes, ipfsCid: p.cid, event, replacements, fees: feesByHash.get(hash) ?? fees, blobWrapper: wrapperByHash.get(hash), decision: p.decision };
        }
        if (Date.now() > deadline) throw new PostError("TIMEOUT", `proposal not mined within ${this.timeoutMs} ms`, hashes);
        if (nonceTakenSince !== undefined && Date.now() - nonceTakenSince > Math.max(this.replaceAfterMs, 4 * this.pollIntervalMs) && hashes.length === 0) {
          throw new PostError("NONCE_TAKEN", `nonce ${nonce} was used by another transaction`, hashes);
        }
        if (Date.now() - lastSentAt >= this.replaceAfterMs && replacements < this.maxReplacements) {
          const fresh = initialFees(await this.feeSnapshot(), isBlob, this.policy);
          const bumped = bumpFees(fees, fresh, isBlob, this.policy);
          if (bumped.capped && bumped.maxFeePerGas === fees.maxFeePerGas && bumped.maxFeePerBlobGas === fees.maxFeePerBlobGas) {
            lastSentAt = Date.now(); // at the caps: nothing left to bump, keep waiting
          } else {
            fees = { maxFeePerGas: bumped.maxFeePerGas, maxPriorityFeePerGas: bumped.maxPriorityFeePerGas, maxFeePerBlobGas: bumped.maxFeePerBlobGas };
            replacements++;
            this.metrics.replacementsTotal.inc({ mode: p.mode });
            await trySend(fees);
          }
        }
        await sleep(this.pollIntervalMs);
      }
    } catch (err) {
      if (!(err instanceof PostError && err.code === "REVERTED")) this.metrics.postTotal.inc({ mode: p.mode, result: "failed" });
      throw err;
    }
  }
}

function hexBytes(hex: Hex): Uint8Array {
  return Buffer.from(hex.slice(2), "hex");
}
