// `npm run bench -- guest [seconds]`: the native Rust guest (guest/runner `rollbook-guest bench`), built
// in release mode. It authenticates every signed transaction of test/vectors/guest/eip712.json (EIP-712
// digest + secp256k1 recovery, every kind incl. bulks), applies the witness updates of the STF vectors'
// batches (witness parse + root, leaf deletes and puts, post-state root) and proves every range of
// test/vectors/guest/ranges (batch validity, decoding, authentication, the STF, c(i)/b(i), withdrawal root,
// full-state roots; 13.6k transactions), with operation counters on: keccak-f[1600] permutations and
// recoveries per transaction are the proxy for zkVM cost. tx_per_s = range execution per transaction plus
// its share of the witness update (scope "stf+witness-update"). It also times the guest's KZG commitment
// (blob binding option A) on random full blobs, with Fp multiplications and G1 additions / doublings counted
// (kzg_ms_per_blob, kzg_cpu_ms_per_blob, kzg_*_per_blob), and option B's evaluation (kzg_eval_*). Last line:
// {"bench":"guest","tx_per_s":N,"keccak_per_tx":x,"ecrecover_per_tx":x,"witness_bytes_per_tx":x,...}

import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { GUEST_RUNNER, buildGuestRunner } from "../node/prover/native.ts";

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");

export function main(args: string[]): void {
  const seconds = Number(args[0] ?? 2);
  if (!(seconds > 0)) throw new Error("usage: npm run bench -- guest [seconds > 0]");
  buildGuestRunner();
  const out = execFileSync(GUEST_RUNNER, ["bench", "--root", ROOT, "--seconds", String(seconds)], { encoding: "utf8" });
  process.stdout.write(out);
}
