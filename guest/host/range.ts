// The host side of the Rust guest's range prover (guest/core src/range.rs, docs/proving.md): builds the
// RBRANGE1 input from the node's data and runs the native runner `rollbook-guest prove-range` on it, returning
// the 320-byte public values (what an SP1 / ZisK proof of the same input commits). For the node's prover
// (node/prover) and the range vectors (guest/vectors-gen/ranges.ts).

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type ClobState, serializeState } from "../../node/clob/state.ts";
import type { Address } from "../../node/clob/types.ts";
import { type BatchCommitment, DataKind, type Hash, decodePublicValues, type PublicValues } from "../../node/derive/commitment.ts";
import { runWitnessRange } from "../../node/prover/native.ts";

/**
 * One batch of a range: its commitment fields, its data and its L1 messages (raw bytes). Calldata batches
 * carry `data`; blob batches (`commitment.dataKind` BLOBS) carry `blobs` (131,072 bytes each, in order)
 * with their 48-byte KZG commitments.
 */
export interface RangeBatchInput {
  commitment: BatchCommitment;
  data?: Uint8Array;
  blobs?: readonly { commitment: Uint8Array; blob: Uint8Array }[];
  messages: readonly Uint8Array[];
}

class Writer {
  private readonly parts: Uint8Array[] = [];
  bytes(b: Uint8Array): this {
    this.parts.push(b);
    return this;
  }
  hex(h: string): this {
    return this.bytes(Buffer.from(h.slice(2), "hex"));
  }
  u(n: number, len: number): this {
    const b = new Uint8Array(len);
    let v = BigInt(n);
    for (let i = len - 1; i >= 0; i--) {
      b[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    return this.bytes(b);
  }
  done(): Uint8Array {
    return Buffer.concat(this.parts);
  }
}

/**
 * The RBRANGE1 input: prover, b(first-1), the full pre-state (serializeState) and per batch the c(i) fields
 * (dataHash is recomputed by the guest), the calldata or the (commitment, blob) pairs, and the messages.
 */
export function encodeRangeInput(prover: Address, prevBatchChain: Hash, pre: ClobState, batches: readonly RangeBatchInput[]): Uint8Array {
  const state = serializeState(pre);
  const w = new Writer().bytes(new TextEncoder().encode("RBRANGE1")).hex(prover).hex(prevBatchChain).u(state.length, 4).bytes(state).u(batches.length, 4);
  for (const { commitment: c, data, blobs, messages } of batches) {
    w.u(c.index, 8).u(c.dataKind, 1).u(c.l1MsgStart, 8).hex(c.queueHashStart).u(c.l1MsgEnd, 8).hex(c.queueHash)
      .u(c.l1Timestamp, 8).u(c.l1BlockNumber, 8).hex(c.proposer);
    if (c.dataKind === DataKind.CALLDATA) {
      if (data === undefined) throw new Error(`batch ${c.index}: calldata batch without data`);
      w.u(data.length, 4).bytes(data);
    } else if (c.dataKind === DataKind.BLOBS) {
      if (blobs === undefined || blobs.length > 255) throw new Error(`batch ${c.index}: blob batch without blobs`);
      w.u(blobs.length, 1);
      for (const b of blobs) {
        if (b.commitment.length !== 48 || b.blob.length !== 131_072) throw new Error(`batch ${c.index}: bad blob or commitment size`);
        w.bytes(b.commitment).bytes(b.blob);
      }
    }
    w.u(messages.length, 4);
    for (const m of messages) w.u(m.length, 2).bytes(m);
  }
  return w.done();
}

/** Path of the release runner (build: cargo build --offline --release --manifest-path guest/Cargo.toml). */
export const RUNNER = path.join(path.dirname(new URL(import.meta.url).pathname), "../target/release/rollbook-guest");

/**
 * Runs `rollbook-guest prove-range` on an input and returns its public values and, with `roots`, every
 * batch's validity outcome and post-state root and the range's receipts digest (docs/guest.md "Range
 * vectors"). Throws with the runner's message on refused inputs.
 */
export function proveRangeNative(input: Uint8Array, opts: { runner?: string; roots?: boolean } = {}): {
  publicValues: PublicValues;
  encoded: Uint8Array;
  batches: { index: number; outcome: number; root: Hash }[];
  receiptsDigest?: Hash;
} {
  const dir = mkdtempSync(path.join(tmpdir(), "rollbook-range-"));
  try {
    const inFile = path.join(dir, "input.bin");
    const outFile = path.join(dir, "pv.bin");
    writeFileSync(inFile, input);
    const args = ["prove-range", inFile, "--out", outFile, ...(opts.roots === true ? ["--roots"] : [])];
    const text = execFileSync(opts.runner ?? RUNNER, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const encoded = new Uint8Array(readFileSync(outFile));
    const publicValues = decodePublicValues(encoded);
    if (publicValues === null) throw new Error("prove-range: not 320 canonical bytes");
    const batches = [...text.matchAll(/batch (\d+) outcome (\d+) root (0x[0-9a-f]+)/g)].map((m) => ({ index: Number(m[1]), outcome: Number(m[2]), root: m[3] as Hash }));
    const digest = /^receiptsDigest (0x[0-9a-f]{64})$/m.exec(text);
    return { publicValues, encoded, batches, ...(digest === null ? {} : { receiptsDigest: digest[1] as Hash }) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs `rollbook-guest prove-witness-range` on a prover input (node/prover/guest-input.ts: witness mode) and
 * returns its public values and every batch's validity outcome and post-state root.
 */
export function proveWitnessRangeNative(input: Uint8Array, opts: { runner?: string } = {}): {
  publicValues: PublicValues;
  encoded: Uint8Array;
  batches: { index: number; outcome: number; root: Hash }[];
} {
  const run = runWitnessRange(input, opts.runner ?? RUNNER);
  const publicValues = decodePublicValues(run.encoded);
  if (publicValues === null) throw new Error("prove-witness-range: not 320 canonical bytes");
  return { publicValues, encoded: run.encoded, batches: run.batches };
}
