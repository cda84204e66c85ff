// Fee estimation, fee bumping and the blob-vs-calldata decision.
import { blobsNeeded, BYTES_PER_BLOB } from "./packing.ts";

/** Gas per blob (EIP-4844 GAS_PER_BLOB = 2^17). */
export const GAS_PER_BLOB = BigInt(BYTES_PER_BLOB);
/** Intrinsic gas of any transaction. */
export const TX_BASE_GAS = 21_000n;

/** Current L1 prices as read from the node (all in wei). */
export interface L1FeeSnapshot {
  /** Base fee of the latest block. */
  baseFee: bigint;
  /** Priority fee (tip) to offer. */
  priorityFee: bigint;
  /** Blob base fee (eth_blobBaseFee). */
  blobBaseFee: bigint;
}

/** Fee fields of a type-2 / type-3 transaction. */
export interface TxFees {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  /** Only for blob transactions. */
  maxFeePerBlobGas?: bigint;
}

/** How fees are set and bumped. All multipliers are in percent. */
export interface FeePolicy {
  /** maxFeePerGas = baseFee * baseFeeHeadroomPct/100 + tip. Default 200 (survives ~6 full blocks of +12.5%). */
  baseFeeHeadroomPct: number;
  /** maxFeePerBlobGas = blobBaseFee * blobFeeHeadroomPct/100. Default 200. */
  blobFeeHeadroomPct: number;
  /** Tip floor in wei, used when the node suggests less (or cannot suggest). Default 1 gwei. */
  minPriorityFee: bigint;
  /** Blob fee cap floor in wei. Default 1 gwei (tiny in absolute terms, avoids 1-wei caps stalling on a fee spike). */
  minBlobFee: bigint;
  /** Replacement bump of maxFeePerGas / maxPriorityFeePerGas for a blob tx. Default 100 (geth blobpool requires +100% on all three fee fields). */
  blobTxExecBumpPct: number;
  /** Replacement bump of maxFeePerBlobGas. Default 100 (geth blobpool). */
  blobFeeBumpPct: number;
  /** Replacement bump of both fee fields of a calldata (type-2) tx. Default 10 (geth legacy pool's minimum). */
  calldataTxBumpPct: number;
  /** Never offer more than this maxFeePerGas (wei); bumping stops there. Default 500 gwei. */
  maxFeePerGasCap: bigint;
  /** Never offer more than this maxFeePerBlobGas (wei). Default 500 gwei. */
  maxFeePerBlobGasCap: bigint;
}

export const DEFAULT_FEE_POLICY: FeePolicy = {
  baseFeeHeadroomPct: 200,
  blobFeeHeadroomPct: 200,
  minPriorityFee: 1_000_000_000n,
  minBlobFee: 1_000_000_000n,
  blobTxExecBumpPct: 100,
  blobFeeBumpPct: 100,
  calldataTxBumpPct: 10,
  maxFeePerGasCap: 500_000_000_000n,
  maxFeePerBlobGasCap: 500_000_000_000n,
};

const pct = (v: bigint, p: number): bigint => (v * BigInt(Math.round(p * 100)) + 9_999n) / 10_000n; // ceil(v * p / 100)
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/** Initial fees for a transaction from a fee snapshot. */
export function initialFees(snap: L1FeeSnapshot, blob: boolean, policy: FeePolicy = DEFAULT_FEE_POLICY): TxFees {
  const tip = max(snap.priorityFee, policy.minPriorityFee);
  const maxFeePerGas = min(pct(snap.baseFee, policy.baseFeeHeadroomPct) + tip, policy.maxFeePerGasCap);
  const fees: TxFees = { maxFeePerGas, maxPriorityFeePerGas: min(tip, maxFeePerGas) };
  if (blob) fees.maxFeePerBlobGas = min(max(pct(snap.blobBaseFee, policy.blobFeeHeadroomPct), policy.minBlobFee), policy.maxFeePerBlobGasCap);
  return fees;
}

/**
 * Fees for a replacement of a stuck transaction: every field at least `old * (100 + bump)%` (rounded up,
 * and +1 wei so a 0-wei field still grows), and at least what a fresh estimate would pay. Capped by the
 * policy; `capped` says the cap was hit (the replacement may then be refused by the pool, and the poster
 * keeps waiting instead).
 */
export function bumpFees(old: TxFees, fresh: TxFees, blob: boolean, policy: FeePolicy = DEFAULT_FEE_POLICY): TxFees & { capped: boolean } {
  const execPct = 100 + (blob ? policy.blobTxExecBumpPct : policy.calldataTxBumpPct);
  const bump = (v: bigint, p: number): bigint => max(pct(v, p), v + 1n);
  let maxPriorityFeePerGas = max(bump(old.maxPriorityFeePerGas, execPct), fresh.maxPriorityFeePerGas);
  let maxFeePerGas = max(bump(old.maxFeePerGas, execPct), fresh.maxFeePerGas);
  let capped = false;
  if (maxFeePerGas > policy.maxFeePerGasCap) {
    maxFeePerGas = policy.maxFeePerGasCap;
    capped = true;
  }
  if (maxPriorityFeePerGas > maxFeePerGas) maxPriorityFeePerGas = maxFeePerGas;
  const out: TxFees & { capped: boolean } = { maxFeePerGas, maxPriorityFeePerGas, capped };
  if (blob) {
    let blobFee = max(bump(old.maxFeePerBlobGas ?? 0n, 100 + policy.blobFeeBumpPct), fresh.maxFeePerBlobGas ?? 0n);
    if (blobFee > policy.maxFeePerBlobGasCap) {
      blobFee = policy.maxFeePerBlobGasCap;
      capped = true;
    }
    out.maxFeePerBlobGas = blobFee;
    out.capped = capped;
  }
  return out;
}

/** Calldata gas of a byte string: EIP-2028 (4 / 16 per zero / nonzero byte) and the EIP-7623 floor. */
export function calldataGas(data: Uint8Array): { standard: bigint; floor: bigint; tokens: bigint } {
  let zeros = 0;
  for (let i = 0; i < data.length; i++) if (data[i] === 0) zeros++;
  const tokens = BigInt(zeros + 4 * (data.length - zeros));
  return { standard: 4n * tokens, floor: 10n * tokens, tokens };
}

/** Gas assumptions for the decision; defaults measured against the Inbox on anvil (docs/da.md). */
export interface DataModeGasModel {
  /** Execution gas of `propose` in a blob tx (intrinsic included). */
  blobTxGas: bigint;
  /** Execution gas of `proposeCalldata` beyond intrinsic and calldata (storage, event, hashing base). */
  calldataTxExecGas: bigint;
  /** Execution gas per 32-byte word of batch data in `proposeCalldata` (keccak 6 + copy/memory ~6). */
  calldataExecGasPerWord: bigint;
  /** Largest calldata batch the poster will send (geth's txpool rejects transactions over 128 KiB). */
  maxCalldataBytes: number;
  /** Apply the EIP-7623 calldata floor (Prague and later). */
  eip7623: boolean;
}

// Measured on anvil against contracts/Inbox.sol: propose() with 1..6 blobs uses 64.4k-66.8k gas in total;
// proposeCalldata() uses 21000 + calldata + ~42k (and hits the EIP-7623 floor from a few KB of batch up).
export const DEFAULT_GAS_MODEL: DataModeGasModel = {
  blobTxGas: 70_000n,
  calldataTxExecGas: 45_000n,
  calldataExecGasPerWord: 12n,
  maxCalldataBytes: 120_000,
  eip7623: true,
};

export interface DataModeDecision {
  mode: "blob" | "calldata";
  /** Why: "cheaper", "too-large-for-calldata", "too-large" (fits neither: caller must split), "forced". */
  reason: "cheaper" | "too-large-for-calldata" | "too-large" | "forced";
  blobCount: number;
  /** Estimated total cost in wei at base fee + tip (and blob base fee) of each option. */
  blobCostWei: bigint;
  calldataCostWei: bigint;
  blobTxGas: bigint;
  calldataTxGas: bigint;
}

/**
 * Decides whether a batch goes into blobs or calldata: compares
 *   blob:     blobTxGas * (baseFee + tip) + blobCount * 131072 * blobBaseFee
 *   calldata: max(21000 + 4*tokens + exec, 21000 + 10*tokens) * (baseFee + tip)
 * where tokens = zeroBytes + 4 * nonzeroBytes of the transaction's calldata (pass the exact ABI-encoded
 * calldata as `calldata` when known; otherwise the batch bytes plus ~400 tokens of ABI overhead are assumed).
 * Ties go to blobs (they keep L1 calldata lean).
 */
export function chooseDataMode(
  batch: Uint8Array,
  snap: L1FeeSnapshot,
  opts: { calldata?: Uint8Array; gas?: Partial<DataModeGasModel>; force?: "blob" | "calldata" } = {},
): DataModeDecision {
  const gas = { ...DEFAULT_GAS_MODEL, ...opts.gas };
  const blobCount = blobsNeeded(batch.length);
  const price = snap.baseFee + snap.priorityFee;
  const cd = calldataGas(opts.calldata ?? batch);
  // Without the exact calldata: selector, offsets, lengths and a 36-byte CID are ~300 bytes, ~400 tokens.
  const abiTokens = opts.calldata ? 0n : 400n;
  const words = BigInt(Math.ceil(batch.length / 32));
  const exec = gas.calldataTxExecGas + gas.calldataExecGasPerWord * words;
  const standard = TX_BASE_GAS + cd.standard + abiTokens * 4n + exec;
  const floor = TX_BASE_GAS + cd.floor + abiTokens * 10n;
  const calldataTxGas = gas.eip7623 && floor > standard ? floor : standard;
  const calldataCostWei = calldataTxGas * price;
  const blobCostWei = blobCount > 0 ? gas.blobTxGas * price + BigInt(blobCount) * GAS_PER_BLOB * snap.blobBaseFee : 0n;
  const base = { blobCount: Math.max(blobCount, 0), blobCostWei, calldataCostWei, blobTxGas: gas.blobTxGas, calldataTxGas };
  const fitsCalldata = batch.length <= gas.maxCalldataBytes;
  if (opts.force) return { ...base, mode: opts.force, reason: "forced" };
  if (blobCount < 0) return { ...base, mode: fitsCalldata ? "calldata" : "blob", reason: "too-large" };
  if (!fitsCalldata) return { ...base, mode: "blob", reason: "too-large-for-calldata" };
  return { ...base, mode: calldataCostWei < blobCostWei ? "calldata" : "blob", reason: "cheaper" };
}
