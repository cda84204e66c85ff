// A stand-in for the prover host CLIs the sp1/zisk backends drive (node/prover/external.ts), for tests: it
// takes the same arguments, checks the same files, writes the same outputs and exits like them.
//   sp1 host:   prove --elf E --input I --proof P --public-values V --stats S
//   cargo-zisk: prove -e E -i I -o OUT -a [...]
// It cannot run a zkVM: the "proof" is 0xfa4e ‖ sha256(input file), the public values are FAKE_PV (hex, the test
// computes them with the node's code). FAKE_BEHAVIOUR: ok | fail-first (exit 1 on the first call per
// FAKE_STATE_DIR) | hang (spawns a grandchild, records both pids in FAKE_STATE_DIR, sleeps) | wrong-pv |
// no-proof | crash (SIGKILLs itself).
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const argv = process.argv.slice(2);
const flag = (...names: string[]) => {
  for (const n of names) {
    const i = argv.indexOf(n);
    if (i >= 0 && i + 1 < argv.length) return argv[i + 1];
  }
  return undefined;
};
if (argv[0] !== "prove") {
  process.stderr.write(`error: unknown subcommand ${argv[0]}\n`);
  process.exit(2);
}
const zisk = argv.includes("-e");
const elf = flag("--elf", "-e");
const input = flag("--input", "-i");
if (elf === undefined || input === undefined || (zisk && flag("-o") === undefined)) {
  process.stderr.write("error: missing required arguments\n");
  process.exit(2);
}
if (!existsSync(elf)) {
  process.stderr.write(`error: ELF ${elf} not found\n`);
  process.exit(1);
}
const bytes = readFileSync(input);
// the format-2 magic, then the frames must parse: base frame first, 84 + 4 bytes
let off = 8;
let frames = 0;
while (off < bytes.length) {
  const n = bytes.readUInt32BE(off);
  off += 4 + n;
  frames++;
}
if (bytes.subarray(0, 8).toString() !== "RBWRANG2" || off !== bytes.length || bytes.readUInt32BE(8) !== 88) {
  process.stderr.write("error: malformed input file\n");
  process.exit(1);
}
const batches = bytes.readUInt32BE(8 + 4 + 84);
if (frames !== 1 + 5 * batches) {
  process.stderr.write(`error: ${frames} frames for ${batches} batches\n`);
  process.exit(1);
}

const behaviour = process.env.FAKE_BEHAVIOUR ?? "ok";
const stateDir = process.env.FAKE_STATE_DIR ?? path.dirname(input);
if (behaviour === "fail-first" && !existsSync(path.join(stateDir, "failed-once"))) {
  writeFileSync(path.join(stateDir, "failed-once"), "1");
  process.stderr.write("error: prover network request failed: 503\n");
  process.exit(1);
}
if (behaviour === "crash") process.kill(process.pid, "SIGKILL");
if (behaviour === "hang") {
  const child = spawn("sleep", ["1000"], { stdio: "ignore" });
  writeFileSync(path.join(stateDir, "pids"), JSON.stringify([process.pid, child.pid]));
  setInterval(() => undefined, 1000);
} else {
  const out = zisk ? flag("-o")! : path.dirname(flag("--proof")!);
  const proofPath = zisk ? path.join(out, "final_snark_proof.bin") : flag("--proof")!;
  const proof = Buffer.concat([Buffer.from([0xfa, 0x4e]), createHash("sha256").update(bytes).digest()]);
  if (behaviour !== "no-proof") writeFileSync(proofPath, proof);
  let pv = Buffer.from((process.env.FAKE_PV ?? "0x").slice(2), "hex");
  if (behaviour === "wrong-pv") pv = Buffer.from(pv.map((b, i) => (i === 40 ? b ^ 1 : b)));
  if (!zisk) writeFileSync(flag("--public-values")!, pv);
  writeFileSync(zisk ? path.join(out, "stats.json") : flag("--stats")!, JSON.stringify({ cycles: bytes.length * 100, cost: "0.25" }));
  process.stdout.write(`proved ${batches} batches\n`);
}
