// The `sp1` and `zisk` backends (issue 17 item 1, docs/proving.md "sp1 and zisk"): drive the real host
// tooling as external processes. Per attempt: a fresh work directory with the guest's input file
// (guest-input.ts), the CLI run with a timeout (process.ts; SIGKILL of its process group on timeout or
// abort), then the proof file read and checked. Failed attempts (non-zero exit, killed, no proof) are
// retried with a doubling delay up to `attempts`; the work directory of the last failure is kept for the
// operator. Before anything runs, the node re-executes the range itself (execute.ts): the public values are
// the node's, and a host that reports other public values is refused (its proof would not verify on L1).
//
// The two CLI contracts (what docs/proving.md tells the operator to install):
//   sp1:  <command> prove --elf <elf> --input <file> --proof <out>/proof.bin --public-values <out>/public_values.bin
//               --stats <out>/stats.json        (env SP1_PROVER=cpu|cuda|network|mock, NETWORK_PRIVATE_KEY, ...)
//         the operator's host binary built from guest/sp1/host: SP1Stdin from the frames, ProverClient::from_env(),
//         `.groth16()` (or `.plonk()`), writes `proof.bytes()` (the on-chain encoding SP1VerifierAdapter passes to
//         the gateway) and `public_values`, and `{cycles, cost}`.
//   zisk: cargo-zisk prove -e <elf> -i <file> -o <out> -a [extra args]   (ZisK's own CLI)
//         the proof is `<out>/<proofFile>` (the final SNARK proof for ZiskVerifierAdapter), the publics are
//         sha256(publicValues) (checked on L1 by the adapter); a `<out>/stats.json` is read when present.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { bytesToHex } from "viem";
import { moduleLogger, type Logger } from "../log.ts";
import { encodePublicValues } from "../derive/commitment.ts";
import type { ProofBackend, ProofResult, RangeInput } from "./backend.ts";
import { ProverError } from "./errors.ts";
import { executeRange, type RangeExecution } from "./execute.ts";
import { encodeGuestInput } from "./guest-input.ts";
import { runProcess } from "./process.ts";

export interface ExternalOptions {
  system: "sp1" | "zisk";
  /** Executable: the SP1 host binary, or `cargo-zisk`. */
  command: string;
  /** Arguments placed before the contract's own (e.g. a script path when `command` is an interpreter). */
  commandArgs?: string[];
  /** The guest program (ELF). Must exist. */
  elf: string;
  /** Where work directories go (one per attempt). */
  workDir: string;
  /** Per-attempt timeout, ms. */
  timeoutMs: number;
  /** Attempts per prove call (>= 1). */
  attempts: number;
  /** First retry delay, ms (doubles). */
  retryDelayMs?: number;
  /** Extra environment (SP1_PROVER, NETWORK_PRIVATE_KEY, ...); the node's own environment is inherited. */
  env?: Record<string, string>;
  /** ZisK: the proof file under the output directory (default final_snark_proof.bin). */
  proofFile?: string;
  /** ZisK: extra arguments after the contract's (witness library, proving key, ...). */
  extraArgs?: string[];
  /** The node's own re-execution before proving (default execute.ts `executeRange`; prover.executor). */
  execute?: (range: RangeInput) => RangeExecution;
  logger?: Logger;
}

export class ExternalBackend implements ProofBackend {
  readonly system: "sp1" | "zisk";
  private readonly o: ExternalOptions;
  private readonly log: Logger;

  constructor(o: ExternalOptions) {
    if (!existsSync(o.elf)) throw new ProverError("CONFIG", `${o.system}: program ${o.elf} not found (build it: docs/proving.md)`);
    if (o.attempts < 1) throw new ProverError("CONFIG", `${o.system}: attempts must be >= 1`);
    this.o = o;
    this.system = o.system;
    this.log = (o.logger ?? moduleLogger("prover")).child({ component: o.system });
    mkdirSync(o.workDir, { recursive: true });
  }

  private args(input: string, out: string): string[] {
    const pre = this.o.commandArgs ?? [];
    if (this.o.system === "sp1") {
      return [...pre, "prove", "--elf", this.o.elf, "--input", input, "--proof", path.join(out, "proof.bin"), "--public-values", path.join(out, "public_values.bin"), "--stats", path.join(out, "stats.json")];
    }
    return [...pre, "prove", "-e", this.o.elf, "-i", input, "-o", out, "-a", ...(this.o.extraArgs ?? [])];
  }

  async prove(range: RangeInput, signal?: AbortSignal): Promise<ProofResult> {
    const t0 = performance.now();
    const ex = (this.o.execute ?? executeRange)(range);
    const publicValues = encodePublicValues(ex.values);
    const input = encodeGuestInput(range);
    let last: ProverError | undefined;
    for (let attempt = 1; attempt <= this.o.attempts; attempt++) {
      if (signal?.aborted) throw new ProverError("ABORTED", `${this.system}: aborted`);
      const dir = mkdtempSync(path.join(this.o.workDir, `${ex.values.firstBatch}-${ex.values.lastBatch}-`));
      const inFile = path.join(dir, "input.bin");
      const out = path.join(dir, "out");
      mkdirSync(out);
      writeFileSync(inFile, input);
      let res;
      try {
        res = await runProcess({ command: this.o.command, args: this.args(inFile, out), env: { ...process.env, ...this.o.env }, cwd: dir, timeoutMs: this.o.timeoutMs, signal });
      } catch (e) {
        throw new ProverError("CONFIG", `${this.system}: cannot run ${this.o.command}: ${(e as Error).message}`, { cause: e });
      }
      const ctx = { range: `${ex.values.firstBatch}..${ex.values.lastBatch}`, attempt, exit: res.code, signal: res.signal, ms: Math.round(res.ms), dir };
      if (res.aborted) {
        rmSync(dir, { recursive: true, force: true });
        throw new ProverError("ABORTED", `${this.system}: aborted (process group killed)`);
      }
      if (res.timedOut) last = new ProverError("TIMEOUT", `${this.system}: no proof within ${this.o.timeoutMs} ms (attempt ${attempt})`);
      else if (res.code !== 0) last = new ProverError("BACKEND", `${this.system}: exit ${res.code ?? res.signal} (attempt ${attempt}): ${res.stderr.trim().split("\n").slice(-3).join(" | ")}`);
      else {
        const proofPath = this.o.system === "sp1" ? path.join(out, "proof.bin") : path.join(out, this.o.proofFile ?? "final_snark_proof.bin");
        if (!existsSync(proofPath) || readFileSync(proofPath).length === 0) last = new ProverError("BACKEND", `${this.system}: exit 0 but no proof at ${proofPath}`);
        else {
          const pvPath = path.join(out, "public_values.bin");
          if (this.o.system === "sp1" && (!existsSync(pvPath) || !readFileSync(pvPath).equals(Buffer.from(publicValues)))) {
            // A proof of other public values: the program or its input disagrees with the node. Not retried.
            throw new ProverError("STATE_MISMATCH", `${this.system}: the host committed other public values than the node computed (kept in ${dir})`);
          }
          const stats = readStats(path.join(out, "stats.json"));
          const proof = bytesToHex(readFileSync(proofPath));
          this.log.info({ ...ctx, cycles: stats.cycles, cost: stats.cost }, "proof produced");
          rmSync(dir, { recursive: true, force: true });
          return { system: this.system, publicValues, values: ex.values, proof, stats: { ms: performance.now() - t0, attempts: attempt, ...stats } };
        }
      }
      this.log.warn({ ...ctx, err: last.message }, "proof attempt failed");
      if (attempt < this.o.attempts) {
        rmSync(dir, { recursive: true, force: true });
        await delay((this.o.retryDelayMs ?? 1000) * 2 ** (attempt - 1), signal);
      }
    }
    throw last!;
  }
}

function readStats(file: string): { cycles?: number; cost?: string } {
  if (!existsSync(file)) return {};
  try {
    const j = JSON.parse(readFileSync(file, "utf8")) as { cycles?: unknown; cost?: unknown };
    return {
      ...(typeof j.cycles === "number" ? { cycles: j.cycles } : {}),
      ...(j.cost !== undefined ? { cost: String(j.cost) } : {}),
    };
  } catch {
    return {};
  }
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}
