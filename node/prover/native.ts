// The Rust guest's native runner as a range executor (docs/proving.md "The attest backend"): the same
// stateless re-execution as execute.ts `executeRange`, done by `rollbook-guest prove-witness-range` (guest/core
// src/witness_range.rs, the program the zkVMs prove) on the prover input the node writes for SP1 / ZisK
// (guest-input.ts). `prover.executor: native` (role.ts `rangeExecutor`) makes it the re-execution of the
// attest backend, the sp1 / zisk drivers and the optimistic claims, so what the node signs is what the zkVM
// program computes, blob binding included (the runner recomputes each blob's KZG commitment and checks its
// versioned hash: docs/proving.md "Blob binding"). The runner is built with
// `cargo build --offline --release --manifest-path guest/Cargo.toml --bin rollbook-guest`.
import { execFileSync, spawnSync } from "node:child_process";
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Address } from "viem";
import type { Withdrawal } from "../clob/stf.ts";
import { decodePublicValues, type Hash } from "../derive/commitment.ts";
import type { RangeInput } from "./backend.ts";
import { ProverError } from "./errors.ts";
import type { RangeExecution } from "./execute.ts";
import { encodeGuestInput } from "./guest-input.ts";

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Where the release build of the runner is. */
export const GUEST_RUNNER = path.join(ROOT, "guest/target/release/rollbook-guest");

const BUILD_ARGS = ["build", "--offline", "--release", "--manifest-path", "guest/Cargo.toml", "--bin", "rollbook-guest"];

/** How to build the runner, in the repository's root (named in the CONFIG error when it is missing). */
export const GUEST_RUNNER_BUILD = `cargo ${BUILD_ARGS.join(" ")}`;

/**
 * Builds the release runner (`npm run bench -- guest`, the tests that run it): incremental, seconds when it
 * is up to date; at the lowest priority, as it shares the machine with what runs beside it. Throws when
 * cargo fails.
 */
export function buildGuestRunner(): void {
  execFileSync("nice", ["-n", "19", "cargo", ...BUILD_ARGS, "--quiet"], { cwd: ROOT, stdio: "inherit" });
}

/**
 * Checks that `runner` is an executable rollbook-guest (`help` exits 0): ProverError CONFIG naming the path
 * and the build command otherwise. Called when the prover starts with `prover.executor: native`.
 */
export function checkRunner(runner: string = GUEST_RUNNER): void {
  try {
    accessSync(runner, constants.X_OK);
  } catch {
    throw new ProverError("CONFIG", `prover.executor native: no executable guest runner at ${runner} (build it: ${GUEST_RUNNER_BUILD}, or set prover.guestRunner)`);
  }
  const r = spawnSync(runner, ["help"], { encoding: "utf8" });
  if (r.error !== undefined || r.status !== 0 || !r.stdout.includes("prove-witness-range")) {
    throw new ProverError("CONFIG", `prover.executor native: ${runner} is not a working rollbook-guest (${r.error?.message ?? `exit ${r.status ?? r.signal}`})`);
  }
}

/** Validity outcome names (docs/stf.md "Batch validity"), by the runner's outcome code. */
const OUTCOMES = ["VALID", "UNDECODABLE", "WRONG_PARENT", "WRONG_L1_RANGE", "CLOCK_BEFORE_PREVIOUS", "CLOCK_AFTER_L1", "CLOCK_TOO_OLD"];

/** What the runner printed for one range (its public values, per batch outcome and root, withdrawals). */
export interface NativeRangeRun {
  encoded: Uint8Array;
  batches: { index: number; outcome: number; root: Hash }[];
  withdrawals: Withdrawal[];
  txs: number;
}

/**
 * Runs `prove-witness-range` on a prover input (guest-input.ts bytes). Throws ProverError INPUT with the
 * runner's message (e.g. `batch 7: WITNESS_INSUFFICIENT: ...`, `batch 3: BLOB_VERSIONED_HASH_MISMATCH: ...`)
 * when it refuses the input, BACKEND when the runner cannot be run.
 */
export function runWitnessRange(input: Uint8Array, runner: string = GUEST_RUNNER): NativeRangeRun {
  const dir = mkdtempSync(path.join(tmpdir(), "rollbook-guest-"));
  try {
    const inFile = path.join(dir, "input.bin");
    const outFile = path.join(dir, "pv.bin");
    writeFileSync(inFile, input);
    const args = ["prove-witness-range", inFile, "--out", outFile, "--roots"];
    const r = spawnSync(runner, args, { encoding: "utf8", maxBuffer: 256 << 20 });
    if (r.error !== undefined) throw new ProverError("BACKEND", `guest runner ${runner}: ${r.error.message}`, { cause: r.error });
    if (r.status !== 0) throw new ProverError("INPUT", `guest runner: ${r.stderr.trim()}`);
    const text = r.stdout;
    const batches = [...text.matchAll(/^batch (\d+) outcome (\d+) root (0x[0-9a-f]{64})$/gm)].map((m) => ({ index: Number(m[1]), outcome: Number(m[2]), root: m[3] as Hash }));
    const withdrawals = [...text.matchAll(/^withdrawal (\d+) (0x[0-9a-f]{40}) (\d+) (\d+)$/gm)].map((m) => ({
      withdrawalId: Number(m[1]), recipient: m[2] as Address, asset: Number(m[3]), amount: Number(m[4]),
    }));
    const txs = /^txs (\d+)$/m.exec(text);
    return { encoded: new Uint8Array(readFileSync(outFile)), batches, withdrawals, txs: txs === null ? 0 : Number(txs[1]) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A range executor backed by the native runner (AttestOptions.execute). */
export function nativeExecutor(runner: string = GUEST_RUNNER): (range: RangeInput) => RangeExecution {
  return (range) => {
    if (range.batches.length === 0) throw new ProverError("INPUT", "empty batch range");
    const run = runWitnessRange(encodeGuestInput(range), runner);
    const values = decodePublicValues(run.encoded);
    if (values === null) throw new ProverError("BACKEND", "guest runner: public values are not 320 canonical bytes");
    const invalid = new Map<number, string>();
    for (const b of run.batches) if (b.outcome !== 0) invalid.set(b.index, OUTCOMES[b.outcome] ?? `outcome ${b.outcome}`);
    return { values, roots: run.batches.map((b) => b.root), withdrawals: run.withdrawals, invalid, txs: run.txs };
  };
}
