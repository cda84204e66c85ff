// Parent side of the sequencer crash test: runs crash-child.ts, collects "ACK" lines, SIGKILLs the child
// at random moments and restarts it; every restart checks that no acknowledged transaction was lost.
import { spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), "crash-child.ts");

export interface CrashRun {
  kills: number;
  acked: number;
  verified: number[];
  rejected: number;
}

function runChild(dir: string, ackedFile: string, onAck: (h: string) => void, verifyOnly = false): {
  ready: Promise<{ verified: number }>;
  kill: () => Promise<void>;
  exited: Promise<number | null>;
  rejected: () => number;
} {
  const child = spawn(process.execPath, [CHILD, dir, ackedFile, ...(verifyOnly ? ["16", "--verify-only"] : [])], { stdio: ["ignore", "pipe", "pipe"] });
  let buf = "";
  let stderr = "";
  let verified = 0;
  let rejected = 0;
  let resolveReady!: (v: { verified: number }) => void;
  let rejectReady!: (e: Error) => void;
  const ready = new Promise<{ verified: number }>((res, rej) => {
    resolveReady = res;
    rejectReady = rej;
  });
  const exited = new Promise<number | null>((res) => child.on("exit", (code) => res(code)));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdout.on("data", (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.startsWith("ACK ")) onAck(line.slice(4));
      else if (line.startsWith("verified ")) verified = Number(line.split(" ")[1]);
      else if (line === "ready") resolveReady({ verified });
      else if (line.startsWith("LOST ")) rejectReady(new Error(`acknowledged transaction lost: ${line.slice(5)}`));
      else if (line.startsWith("REJ ")) rejected++;
    }
  });
  void exited.then((code) => {
    if (verifyOnly && code === 0) resolveReady({ verified });
    else rejectReady(new Error(`child exited (${code}) before ready: ${stderr.slice(-2000)}`));
  });
  return {
    ready,
    exited,
    rejected: () => rejected,
    kill: async () => {
      child.kill("SIGKILL");
      await exited;
    },
  };
}

/** `kills` SIGKILLs at random moments in [minMs, maxMs) after the child is ready; then a final check. */
export async function crashRun(kills: number, minMs = 200, maxMs = 700, log: (s: string) => void = () => undefined): Promise<CrashRun> {
  const dir = mkdtempSync(path.join(tmpdir(), "rollbook-seq-crash-"));
  const ackedFile = path.join(dir, "acked.txt");
  let acked = 0;
  let rejected = 0;
  const verified: number[] = [];
  try {
    for (let k = 0; k < kills; k++) {
      let pending: string[] = [];
      let firstAck!: () => void;
      const acking = new Promise<void>((res) => (firstAck = res));
      const c = runChild(dir, ackedFile, (h) => {
        pending.push(h);
        acked++;
        firstAck();
      });
      const r = await c.ready;
      if (k > 0) verified.push(r.verified);
      // Kill under load: a random moment after acknowledgements have started flowing.
      await Promise.race([acking, new Promise((res) => setTimeout(res, 20_000))]);
      await new Promise((res) => setTimeout(res, minMs + Math.random() * (maxMs - minMs)));
      await c.kill();
      rejected += c.rejected();
      // Everything acknowledged before the kill must be answered after the restart.
      if (pending.length > 0) appendFileSync(ackedFile, pending.join("\n") + "\n");
      pending = [];
      log(`kill ${k + 1}: ${acked} acknowledged so far`);
    }
    const last = runChild(dir, ackedFile, () => undefined, true);
    verified.push((await last.ready).verified);
    return { kills, acked, verified, rejected };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
