// Crash test harness shared by the short version (crash.test.ts, in `npm test`) and the long version
// (crash-long.ts, `npm run test:crash`): SIGKILL a writer child at random moments, restart it, and check
// that every acknowledged batch survived and the final root equals an uninterrupted run.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createGenesisState } from "../../../node/clob/state.ts";
import { applyBatch } from "../../../node/clob/stf.ts";
import { StateCommitment, hex } from "../../../node/state/commitment.ts";
import { Workload } from "../../../bench/workload.ts";

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), "crash-worker.ts");

export interface CrashResult {
  kills: number;
  restarts: number;
  finalRoot: string;
  referenceRoot: string;
  ackedChecked: number;
}

/** Roots of an uninterrupted in-process run, index = batch. */
export function referenceRoots(target: number, seed: number, accounts: number, batchSize: number): string[] {
  const wl = new Workload({ seed, accounts, depth: 1500, batchSize, extras: true });
  const state = createGenesisState({ domain: { chainId: 31337, verifyingContract: "0x5fbdb2315678afecb367f032d93f642f64180aa3" } });
  const sc = StateCommitment.fromState(state);
  const roots = [hex(sc.root())];
  while (state.batchIndex < target) {
    const { batch, l1 } = wl.next(state);
    applyBatch(state, batch, l1, { signerCache: wl.signers });
    roots.push(hex(sc.commitBatch(state).root));
  }
  return roots;
}

/**
 * One worker run. With `kill` = [n, ms], the worker is SIGKILLed `ms` milliseconds after its n-th output
 * line (line 1 = loaded, then one per committed batch), so kills land at random points of batch
 * application and of LevelDB writes whatever the machine's speed.
 */
function runOnce(dir: string, target: number, seed: number, accounts: number, batchSize: number, kill: [number, number] | null) {
  return new Promise<{ lines: string[]; killed: boolean; code: number | null }>((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER, dir, String(target), String(seed), String(accounts), String(batchSize)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: string[] = [];
    let buf = "";
    let err = "";
    let killed = false;
    let timer: NodeJS.Timeout | null = null;
    child.stdout.on("data", (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        lines.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
        if (kill !== null && lines.length === kill[0] && timer === null) {
          timer = setTimeout(() => {
            killed = true;
            child.kill("SIGKILL");
          }, kill[1]);
        }
      }
    });
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (timer !== null) clearTimeout(timer);
      if (!killed && code !== 0) reject(new Error(`worker exited ${code}: ${err}`));
      else resolve({ lines, killed, code });
    });
  });
}

export async function crashTest(opts: { kills: number; target: number; seed: number; accounts?: number; batchSize?: number; maxKillMs?: number; log?: (s: string) => void }): Promise<CrashResult> {
  const accounts = opts.accounts ?? 200;
  const batchSize = opts.batchSize ?? 150;
  const ref = referenceRoots(opts.target, opts.seed, accounts, batchSize);
  const dir = mkdtempSync(path.join(tmpdir(), "rollbook-crash-"));
  let rnd = opts.seed * 7919 + 1;
  const rand = () => ((rnd = (Math.imul(rnd, 1103515245) + 12345) >>> 0), rnd / 2 ** 32);
  let kills = 0;
  let restarts = 0;
  let acked = 0; // highest acknowledged batch
  let ackedChecked = 0;
  let finalRoot = "";
  try {
    for (;;) {
      const kill: [number, number] | null = kills < opts.kills ? [1 + Math.floor(rand() * 8), Math.floor(rand() * (opts.maxKillMs ?? 15))] : null;
      const r = await runOnce(dir, opts.target, opts.seed, accounts, batchSize, kill);
      restarts++;
      const first = r.lines[0]?.split(" ");
      if (first === undefined || first[0] !== "loaded") {
        if (r.killed) {
          kills++;
          continue; // killed before it finished loading
        }
        throw new Error(`worker printed ${r.lines[0]}`);
      }
      const loadedAt = Number(first[1]);
      if (loadedAt < acked) throw new Error(`acknowledged batch ${acked} lost: store resumed at ${loadedAt}`);
      if (first[2] !== ref[loadedAt]) throw new Error(`root at batch ${loadedAt} after restart differs from the reference`);
      ackedChecked++;
      for (const l of r.lines.slice(1)) {
        const [kind, idx, root] = l.split(" ");
        if (kind !== "committed" && kind !== "done") continue;
        const n = Number(idx);
        if (root !== ref[n]) throw new Error(`batch ${n}: root ${root} differs from the reference ${ref[n]}`);
        if (kind === "committed") acked = Math.max(acked, n);
        if (kind === "done") finalRoot = root;
      }
      if (r.killed) {
        kills++;
        opts.log?.(`kill ${kills}: acked ${acked}`);
        continue;
      }
      if (finalRoot !== "") break;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { kills, restarts, finalRoot, referenceRoot: ref[opts.target], ackedChecked };
}
