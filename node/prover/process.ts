// Running a prover host CLI as an external process (docs/proving.md "sp1 and zisk"): its own process group
// (so a kill reaches the CLI's children: cargo, the host, GPU workers), a timeout and an abort signal that
// SIGKILL the group, and the tails of stdout/stderr kept for the logs and the error message.
import { spawn } from "node:child_process";

export interface RunOptions {
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Bytes of each stream kept (the tail). Default 8 KiB. */
  keepBytes?: number;
}

export interface RunResult {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  stdout: string;
  stderr: string;
  ms: number;
  pid: number | undefined;
}

/** Runs the command to its end (never rejects for an exit status; rejects if it cannot be spawned). */
export function runProcess(o: RunOptions): Promise<RunResult> {
  const keep = o.keepBytes ?? 8192;
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(o.command, [...o.args], { cwd: o.cwd, env: o.env ?? process.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let out = "";
    let err = "";
    child.stdout.on("data", (b: Buffer) => (out = (out + b.toString()).slice(-keep)));
    child.stderr.on("data", (b: Buffer) => (err = (err + b.toString()).slice(-keep)));
    let timedOut = false;
    let aborted = false;
    const kill = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, o.timeoutMs);
    const onAbort = () => {
      aborted = true;
      kill();
    };
    if (o.signal?.aborted) onAbort();
    else o.signal?.addEventListener("abort", onAbort, { once: true });
    child.on("error", (e) => {
      clearTimeout(timer);
      o.signal?.removeEventListener("abort", onAbort);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      o.signal?.removeEventListener("abort", onAbort);
      resolve({ code, signal, timedOut, aborted, stdout: out, stderr: err, ms: performance.now() - t0, pid: child.pid });
    });
  });
}
