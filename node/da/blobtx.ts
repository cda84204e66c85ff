// Network encodings of blob (type-3) transactions, as sent with eth_sendRawTransaction:
//
//   v0 (EIP-4844):            0x03 ‖ rlp([tx_payload_body, blobs, commitments, blob_proofs])
//   v1 (EIP-7594, Osaka on):  0x03 ‖ rlp([tx_payload_body, wrapper_version = 1, blobs, commitments, cell_proofs])
//
// tx_payload_body is the signed transaction's RLP list [chain_id, nonce, max_priority_fee_per_gas,
// max_fee_per_gas, gas_limit, to, value, data, access_list, max_fee_per_blob_gas, blob_versioned_hashes,
// y_parity, r, s]; cell_proofs is flat, CELLS_PER_EXT_BLOB (128) proofs per blob in blob order then cell order
// (geth BlobTxSidecar.CellProofsAt, alloy BlobTransactionSidecarEip7594). The transaction hash is
// keccak256(0x03 ‖ rlp(tx_payload_body)) for both wrappers: the wrapper never changes the hash or the signature.
//
// Also: which wrapper an L1 node wants (eth_config, EIP-7910; a table of known chains), and recognising a node's
// "wrong wrapper version" rejection so the poster can switch (see BlobPoster, docs/da.md).
import { bytesToHex, fromRlp, hexToBytes, keccak256, type Hex } from "viem";
import { CELLS_PER_EXT_BLOB, ensureProofs, verifyBlobProofs, verifyCellProofs, versionedHash, type BlobSidecars, type BlobWrapper, type ProofCheck } from "./kzg.ts";

export const BLOB_TX_TYPE = 0x03;
/** EIP-7594 network wrapper version byte. (v0 has no version element at all.) */
export const WRAPPER_VERSION_CELL_PROOFS = 1;

// ---------------------------------------------------------------------------------------------------- RLP
// A minimal RLP writer over byte chunks (blobs are large: no intermediate hex strings, one final copy).

interface Enc {
  parts: Uint8Array[];
  len: number;
}

function beLength(n: number): Uint8Array {
  const out: number[] = [];
  for (let v = n; v > 0; v = (v - (v % 256)) / 256) out.unshift(v % 256);
  return Uint8Array.from(out);
}

function header(len: number, base: 0x80 | 0xc0): Uint8Array {
  if (len <= 55) return Uint8Array.of(base + len);
  const be = beLength(len);
  const h = new Uint8Array(1 + be.length);
  h[0] = base + 55 + be.length;
  h.set(be, 1);
  return h;
}

function encBytes(b: Uint8Array): Enc {
  if (b.length === 1 && b[0]! < 0x80) return { parts: [b], len: 1 };
  const h = header(b.length, 0x80);
  return { parts: [h, b], len: h.length + b.length };
}

function encList(items: readonly Enc[]): Enc {
  let len = 0;
  for (const i of items) len += i.len;
  const h = header(len, 0xc0);
  const parts: Uint8Array[] = [h];
  for (const i of items) parts.push(...i.parts);
  return { parts, len: h.length + len };
}

function flatten(e: Enc, prefix?: number): Uint8Array {
  const out = new Uint8Array(e.len + (prefix === undefined ? 0 : 1));
  let at = 0;
  if (prefix !== undefined) out[at++] = prefix;
  for (const p of e.parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** One RLP item located in a byte string: [start, end) is the whole item, [dataStart, end) its payload. */
interface Item {
  list: boolean;
  start: number;
  dataStart: number;
  end: number;
}

/** Reads the RLP item at `at` within [.., limit). Strict: canonical lengths only. Throws RlpError. */
function readItem(b: Uint8Array, at: number, limit: number): Item {
  if (at >= limit) throw new RlpError("unexpected end of input");
  const p = b[at]!;
  const long = (base: number, lenOfLen: number): Item => {
    if (at + 1 + lenOfLen > limit) throw new RlpError("truncated length");
    if (b[at + 1] === 0) throw new RlpError("length with leading zero");
    let len = 0;
    for (let i = 0; i < lenOfLen; i++) len = len * 256 + b[at + 1 + i]!;
    if (len <= 55) throw new RlpError("long form for a short length");
    const dataStart = at + 1 + lenOfLen;
    if (dataStart + len > limit) throw new RlpError("item runs past its container");
    return { list: base === 0xc0, start: at, dataStart, end: dataStart + len };
  };
  if (p < 0x80) return { list: false, start: at, dataStart: at, end: at + 1 };
  if (p <= 0xb7) {
    const len = p - 0x80;
    if (at + 1 + len > limit) throw new RlpError("item runs past its container");
    if (len === 1 && b[at + 1]! < 0x80) throw new RlpError("single byte not encoded as itself");
    return { list: false, start: at, dataStart: at + 1, end: at + 1 + len };
  }
  if (p <= 0xbf) return long(0x80, p - 0xb7);
  if (p <= 0xf7) {
    const len = p - 0xc0;
    if (at + 1 + len > limit) throw new RlpError("item runs past its container");
    return { list: true, start: at, dataStart: at + 1, end: at + 1 + len };
  }
  return long(0xc0, p - 0xf7);
}

function listItems(b: Uint8Array, list: Item): Item[] {
  if (!list.list) throw new RlpError("expected a list");
  const out: Item[] = [];
  for (let at = list.dataStart; at < list.end; ) {
    const it = readItem(b, at, list.end);
    out.push(it);
    at = it.end;
  }
  return out;
}

export class RlpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RlpError";
  }
}

// ------------------------------------------------------------------------------------------------ encode

const asBytes = (x: Uint8Array | Hex): Uint8Array => (typeof x === "string" ? hexToBytes(x) : x);

/**
 * Wraps a signed type-3 transaction (canonical form `0x03 ‖ rlp(tx_payload_body)`, e.g. viem's
 * `signTransaction` of an eip4844 transaction without sidecars) into the network form of `wrapper` with the
 * blobs of `sidecars` (computing the proofs the wrapper needs if they are missing). Checks that the
 * transaction's blob_versioned_hashes are exactly the sidecars' versioned hashes. Returns the bytes for
 * eth_sendRawTransaction.
 */
export function wrapBlobTx(signed: Uint8Array | Hex, sidecars: BlobSidecars, wrapper: BlobWrapper): Uint8Array {
  const tx = asBytes(signed);
  if (tx[0] !== BLOB_TX_TYPE) throw new Error(`not a type-3 transaction (type byte 0x${(tx[0] ?? 0).toString(16)})`);
  const body = readItem(tx, 1, tx.length);
  if (!body.list || body.end !== tx.length) throw new Error("signed blob transaction is not a single RLP list after the type byte");
  const fields = listItems(tx, body);
  if (fields.length !== 14 || fields[0]!.list) throw new Error(`expected the 14-field signed tx_payload_body, got ${fields.length} fields${fields[0]?.list ? " (already a network wrapper?)" : ""}`);
  const hashes = listItems(tx, fields[10]!).map((h) => bytesToHex(tx.subarray(h.dataStart, h.end)).toLowerCase());
  const expected = sidecars.versionedHashes.map((h) => h.toLowerCase());
  if (hashes.length !== expected.length || hashes.some((h, i) => h !== expected[i])) {
    throw new Error(`blob_versioned_hashes of the transaction (${hashes.length}) do not match the sidecars (${expected.length})`);
  }
  ensureProofs(sidecars, wrapper);
  const payload: Enc = { parts: [tx.subarray(1)], len: tx.length - 1 };
  const blobs = encList(sidecars.blobs.map(encBytes));
  const commitments = encList(sidecars.commitments.map(encBytes));
  const outer =
    wrapper === "v0"
      ? encList([payload, blobs, commitments, encList(sidecars.proofs.map(encBytes))])
      : encList([payload, encBytes(Uint8Array.of(WRAPPER_VERSION_CELL_PROOFS)), blobs, commitments, encList(sidecars.cellProofs!.flat().map(encBytes))]);
  return flatten(outer, BLOB_TX_TYPE);
}

// ------------------------------------------------------------------------------------------------ decode

export interface DecodedBlobTx {
  wrapper: BlobWrapper;
  /** keccak256 of `signed`: the transaction hash. */
  txHash: Hex;
  /** The signed canonical transaction `0x03 ‖ rlp(tx_payload_body)`, byte-exact from the input. */
  signed: Uint8Array;
  chainId: bigint;
  nonce: bigint;
  maxPriorityFeePerGas: bigint;
  maxFeePerGas: bigint;
  gas: bigint;
  to: Hex;
  value: bigint;
  data: Hex;
  maxFeePerBlobGas: bigint;
  blobVersionedHashes: Hex[];
  yParity: number;
  r: Hex;
  s: Hex;
  blobs: Uint8Array[];
  commitments: Uint8Array[];
  /** v0: one blob proof per blob; v1: CELLS_PER_EXT_BLOB cell proofs per blob, flat. */
  proofs: Uint8Array[];
}

export type DecodeBlobTxError = { ok: false; code: "NOT_BLOB_TX" | "RLP" | "NO_SIDECAR" | "WRAPPER_VERSION" | "SHAPE"; detail: string };

const big = (b: Uint8Array): bigint => (b.length === 0 ? 0n : BigInt(bytesToHex(b)));

/**
 * Decodes a blob transaction in network form (either wrapper) and checks its shape: counts of blobs,
 * commitments and versioned hashes agree, proof count fits the wrapper, element sizes (131072 / 48 / 48 / 32).
 * Total: never throws. Proofs are not verified here (verifyBlobTx).
 */
export function decodeBlobTx(raw: Uint8Array | Hex): ({ ok: true } & DecodedBlobTx) | DecodeBlobTxError {
  let b: Uint8Array;
  try {
    b = asBytes(raw);
  } catch (err) {
    return { ok: false, code: "RLP", detail: (err as Error).message };
  }
  if (b[0] !== BLOB_TX_TYPE) return { ok: false, code: "NOT_BLOB_TX", detail: `type byte 0x${(b[0] ?? 0).toString(16)}` };
  try {
    const outer = readItem(b, 1, b.length);
    if (!outer.list || outer.end !== b.length) return { ok: false, code: "RLP", detail: "not a single RLP list after the type byte" };
    const items = listItems(b, outer);
    if (items.length === 0 || !items[0]!.list) return { ok: false, code: "NO_SIDECAR", detail: "canonical transaction without blobs (first element is not a list)" };
    let wrapper: BlobWrapper;
    let rest: Item[];
    if (items[1]?.list) {
      wrapper = "v0";
      if (items.length !== 4) return { ok: false, code: "SHAPE", detail: `v0 wrapper has ${items.length} elements, expected 4` };
      rest = items.slice(1);
    } else {
      const v = items[1];
      const version = v ? b.subarray(v.dataStart, v.end) : new Uint8Array(0);
      if (!v || version.length !== 1 || version[0] !== WRAPPER_VERSION_CELL_PROOFS) return { ok: false, code: "WRAPPER_VERSION", detail: `wrapper version ${v ? bytesToHex(version) : "missing"}, expected 0x01` };
      if (items.length !== 5) return { ok: false, code: "SHAPE", detail: `v1 wrapper has ${items.length} elements, expected 5` };
      wrapper = "v1";
      rest = items.slice(2);
    }
    const elems = (list: Item, size: number, what: string): Uint8Array[] =>
      listItems(b, list).map((it, i) => {
        if (it.list || it.end - it.dataStart !== size) throw new ShapeError(`${what} ${i} is not ${size} bytes`);
        return b.subarray(it.dataStart, it.end);
      });
    const blobs = elems(rest[0]!, 131072, "blob");
    const commitments = elems(rest[1]!, 48, "commitment");
    const proofs = elems(rest[2]!, 48, "proof");
    const signed = new Uint8Array(1 + items[0]!.end - items[0]!.start);
    signed[0] = BLOB_TX_TYPE;
    signed.set(b.subarray(items[0]!.start, items[0]!.end), 1);
    const f = fromRlp(signed.subarray(1), "bytes") as unknown as (Uint8Array | Uint8Array[])[];
    if (f.length !== 14) return { ok: false, code: "SHAPE", detail: `tx_payload_body has ${f.length} fields, expected 14` };
    const field = (i: number): Uint8Array => {
      const x = f[i];
      if (!(x instanceof Uint8Array)) throw new ShapeError(`field ${i} is a list`);
      return x;
    };
    const hashesRaw = f[10];
    if (!Array.isArray(hashesRaw)) return { ok: false, code: "SHAPE", detail: "blob_versioned_hashes is not a list" };
    const blobVersionedHashes = hashesRaw.map((h, i) => {
      if (!(h instanceof Uint8Array) || h.length !== 32) throw new ShapeError(`versioned hash ${i} is not 32 bytes`);
      return bytesToHex(h);
    });
    if (blobs.length === 0 || blobs.length !== commitments.length || blobs.length !== blobVersionedHashes.length) {
      return { ok: false, code: "SHAPE", detail: `${blobs.length} blobs, ${commitments.length} commitments, ${blobVersionedHashes.length} versioned hashes` };
    }
    const wantProofs = wrapper === "v0" ? blobs.length : blobs.length * CELLS_PER_EXT_BLOB;
    if (proofs.length !== wantProofs) return { ok: false, code: "SHAPE", detail: `${proofs.length} proofs, expected ${wantProofs} for ${blobs.length} blobs (${wrapper})` };
    return {
      ok: true,
      wrapper,
      txHash: keccak256(signed),
      signed,
      chainId: big(field(0)),
      nonce: big(field(1)),
      maxPriorityFeePerGas: big(field(2)),
      maxFeePerGas: big(field(3)),
      gas: big(field(4)),
      to: bytesToHex(field(5)),
      value: big(field(6)),
      data: bytesToHex(field(7)),
      maxFeePerBlobGas: big(field(9)),
      blobVersionedHashes,
      yParity: Number(big(field(11))),
      r: bytesToHex(field(12)),
      s: bytesToHex(field(13)),
      blobs,
      commitments,
      proofs,
    };
  } catch (err) {
    if (err instanceof ShapeError) return { ok: false, code: "SHAPE", detail: err.message };
    return { ok: false, code: "RLP", detail: (err as Error).message };
  }
}

class ShapeError extends Error {}

export type BlobTxCheck = { ok: true; wrapper: BlobWrapper; txHash: Hex } | { ok: false; code: DecodeBlobTxError["code"] | "HASH_MISMATCH" | ProofCheckFailure["reason"]; detail: string };

type ProofCheckFailure = Extract<ProofCheck, { ok: false }>;

/**
 * Decodes a network-form blob transaction and verifies it the way an L1 node's pool does: every versioned hash
 * is the hash of its commitment, and the proofs verify (v0: verifyBlobKzgProofBatch; v1:
 * verifyCellKzgProofBatch over all cells of all blobs). Never throws.
 */
export function verifyBlobTx(raw: Uint8Array | Hex): BlobTxCheck {
  const d = decodeBlobTx(raw);
  if (!d.ok) return d;
  for (let i = 0; i < d.commitments.length; i++) {
    const h = versionedHash(d.commitments[i]!);
    if (h.toLowerCase() !== d.blobVersionedHashes[i]!.toLowerCase()) return { ok: false, code: "HASH_MISMATCH", detail: `blob ${i}: commitment hashes to ${h}, transaction says ${d.blobVersionedHashes[i]}` };
  }
  const check = d.wrapper === "v0" ? verifyBlobProofs(d.blobs, d.commitments, d.proofs) : verifyCellProofs(d.blobs, d.commitments, d.proofs);
  if (!check.ok) return { ok: false, code: check.reason, detail: check.detail };
  return { ok: true, wrapper: d.wrapper, txHash: d.txHash };
}

// ------------------------------------------------------------------------------------- wrapper selection

/**
 * Osaka (Fusaka) activation times of known chains, from go-ethereum's params/config.go. Used by `auto` only
 * when the node does not answer eth_config.
 */
export const OSAKA_TIMES: Readonly<Record<number, number>> = {
  1: 1764798551, // mainnet, 2025-12-03 21:49:11 UTC
  11155111: 1760427360, // sepolia
  17000: 1759308480, // holesky
  560048: 1761677592, // hoodi
};

/** EIP-7951's P256VERIFY precompile: introduced by Osaka, so its presence in eth_config marks an Osaka+ fork. */
export const P256VERIFY_ADDRESS = "0x0000000000000000000000000000000000000100";

export interface WrapperDecision {
  wrapper: BlobWrapper;
  /** eth_config (EIP-7910), the known-chain table, or the post-Fusaka default. */
  source: "eth_config" | "chain" | "default";
  /** L1 timestamp from which the decision is stale (a scheduled Osaka activation); undefined = never. */
  validUntil?: number;
  detail: string;
}

interface ForkConfig {
  activationTime?: number;
  precompiles?: Record<string, string>;
}

const hasOsakaPrecompile = (f: ForkConfig | null | undefined): boolean =>
  Boolean(f?.precompiles && Object.values(f.precompiles).some((a) => typeof a === "string" && a.toLowerCase() === P256VERIFY_ADDRESS));

/**
 * Which wrapper the L1 node wants now. 1) eth_config (EIP-7910, answered by geth, reth, Nethermind, Besu,
 * Erigon and anvil since their Fusaka releases): Osaka or later iff the current fork's precompiles include
 * P256VERIFY (0x…0100, EIP-7951, new in Osaka); a scheduled Osaka in `next` bounds the decision's validity.
 * 2) Without eth_config: the known chains' Osaka times against the latest block timestamp. 3) Otherwise v1 (every
 * public Ethereum network is past Osaka); the poster still falls back on a wrapper rejection.
 */
export async function detectBlobWrapper(rpc: (method: string, params: unknown[]) => Promise<unknown>, chainId: number, latestTimestamp: number): Promise<WrapperDecision> {
  const cfg = (await rpc("eth_config", []).catch(() => undefined)) as { current?: ForkConfig; next?: ForkConfig | null } | undefined;
  if (cfg?.current && typeof cfg.current === "object" && cfg.current.precompiles) {
    if (hasOsakaPrecompile(cfg.current)) return { wrapper: "v1", source: "eth_config", detail: "current fork has P256VERIFY (Osaka or later)" };
    if (hasOsakaPrecompile(cfg.next) && typeof cfg.next?.activationTime === "number") {
      return { wrapper: "v0", source: "eth_config", validUntil: cfg.next.activationTime, detail: `pre-Osaka; Osaka scheduled at ${cfg.next.activationTime}` };
    }
    return { wrapper: "v0", source: "eth_config", detail: "current fork is before Osaka (no P256VERIFY precompile)" };
  }
  const osaka = OSAKA_TIMES[chainId];
  if (osaka !== undefined) {
    return latestTimestamp >= osaka
      ? { wrapper: "v1", source: "chain", detail: `chain ${chainId}: Osaka since ${osaka}` }
      : { wrapper: "v0", source: "chain", validUntil: osaka, detail: `chain ${chainId}: Osaka at ${osaka}` };
  }
  return { wrapper: "v1", source: "default", detail: "no eth_config and unknown chain: assuming Osaka or later" };
}

/**
 * True if `message` (a node's answer to eth_sendRawTransaction) says the wrapper version is wrong for its fork:
 * go-ethereum "invalid sidecar version pre-osaka: 1" / "post-osaka: 0" (core/txpool/validation.go), reth's
 * UnexpectedEip7594SidecarBeforeOsaka / UnexpectedEip4844SidecarAfterOsaka ("... sidecar before/after osaka"),
 * and, for a v1 wrapper, a node that cannot decode it at all (pre-Fusaka software: "rlp: …", "Failed to decode
 * transaction").
 */
export function isWrapperRejection(message: string, sent: BlobWrapper): boolean {
  if (/sidecar version|(?:eip-?4844|eip-?7594|blob)[ _-]?sidecar.{0,20}(?:before|after)[ _-]?osaka|sidecar (?:before|after) osaka|7594 sidecars? (?:are )?(?:not allowed|disallowed)|unexpected .{0,20}sidecar/i.test(message)) return true;
  return sent === "v1" && /failed to decode|rlp:|rlp error|invalid rlp|decode.{0,20}transaction/i.test(message);
}
