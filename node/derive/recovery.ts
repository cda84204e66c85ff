// The signer recovery pipeline of derivation (docs/derivation.md "Signer recovery pipeline"): worker
// threads (recovery-worker.ts) recover the signers of batches fetched ahead while the main thread executes
// earlier ones, so a syncing follower uses the second core for secp256k1. The result feeds the STF's
// `admitted` input (node/clob/stf.ts): a hint per transaction, bound to the exact batch bytes and the
// transaction's index in them, used only when the signature in the executed transaction carries the same r
// (the STF still checks canonical signatures, the signer against the account or its agents, and the nonce).
// A worker failure only costs the hints: the STF then recovers inline, with the same result.
import { Worker } from "node:worker_threads";
import type { Admitted } from "../clob/stf.ts";
import type { Address, Tx } from "../clob/types.ts";
import type { RecoveryReply } from "./recovery-worker.ts";

/** Signers recovered from a batch's bytes, by transaction index. */
export interface RecoveredSigners {
  signers: (string | null)[];
  known: Uint8Array;
  r: Uint8Array;
}

interface Thread {
  worker: Worker;
  /** Resolves when the worker has loaded its modules (or failed). */
  ready: Promise<void>;
  jobs: Map<number, (r: RecoveredSigners | undefined) => void>;
}

export class SignerRecovery {
  private readonly threads: Thread[] = [];
  private readonly separator: Uint8Array;
  private nextId = 1;
  private closed = false;

  /** `separator`: the chain's EIP-712 domain separator (node/clob/eip712.ts domainSeparator). */
  constructor(separator: Uint8Array, threads: number) {
    this.separator = separator;
    for (let i = 0; i < threads; i++) {
      const worker = new Worker(new URL("./recovery-worker.ts", import.meta.url));
      worker.unref(); // never keeps the process alive
      let started!: () => void;
      const t: Thread = { worker, ready: new Promise((resolve) => (started = resolve)), jobs: new Map() };
      worker.on("message", (m: RecoveryReply | { ready: true }) => {
        if ("ready" in m) return started();
        const done = t.jobs.get(m.id);
        if (done === undefined) return;
        t.jobs.delete(m.id);
        done("signers" in m ? { signers: m.signers, known: m.known, r: m.r } : undefined);
      });
      const fail = () => {
        started();
        for (const done of t.jobs.values()) done(undefined);
        t.jobs.clear();
        const k = this.threads.indexOf(t);
        if (k >= 0) this.threads.splice(k, 1);
      };
      worker.on("error", fail);
      worker.on("exit", fail);
      this.threads.push(t);
    }
  }

  /** Resolves once every worker has loaded its code (a worker that failed counts as done: it gives no hints). */
  async ready(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.ready));
  }

  /**
   * Recovers the signers of every well-formed transaction in `bytes` (batch bytes), split over every worker
   * (worker k takes the transactions whose index is k modulo the number of workers), so a batch is ready as
   * soon as possible. Resolves to undefined when the bytes do not decode or a worker could not do its part;
   * never rejects.
   */
  async recover(bytes: Uint8Array): Promise<RecoveredSigners | undefined> {
    if (this.closed || this.threads.length === 0) return undefined;
    const threads = [...this.threads];
    const parts = await Promise.all(
      threads.map(
        (t, part) =>
          new Promise<RecoveredSigners | undefined>((resolve) => {
            const id = this.nextId++;
            t.jobs.set(id, resolve);
            t.worker.postMessage({ id, data: bytes, separator: this.separator, part, parts: threads.length });
          }),
      ),
    );
    if (parts.some((x) => x === undefined)) return undefined;
    const out = parts[0]!;
    for (let k = 1; k < parts.length; k++) {
      const p = parts[k]!;
      if (p.signers.length !== out.signers.length) return undefined;
      for (let i = k; i < out.signers.length; i += parts.length) {
        out.signers[i] = p.signers[i]!;
        out.known[i] = p.known[i]!;
        out.r.set(p.r.subarray(32 * i, 32 * i + 32), 32 * i);
      }
    }
    return out;
  }

  /** Stops the workers; pending requests resolve to undefined. */
  async close(): Promise<void> {
    this.closed = true;
    const ts = this.threads.splice(0);
    for (const t of ts) {
      for (const done of t.jobs.values()) done(undefined);
      t.jobs.clear();
    }
    await Promise.all(ts.map((t) => t.worker.terminate()));
  }
}

/**
 * The STF's `admitted` input for the transactions decoded from the same bytes: index i gets the recovered
 * signer when the worker computed one and transaction i's signature has the same r; undefined otherwise
 * (the STF then recovers it). Undefined altogether when the counts differ.
 */
export function admittedFrom(txs: readonly Tx[], rec: RecoveredSigners | undefined): (Admitted | undefined)[] | undefined {
  if (rec === undefined || rec.signers.length !== txs.length) return undefined;
  const out: (Admitted | undefined)[] = new Array(txs.length);
  for (let i = 0; i < txs.length; i++) {
    out[i] = undefined;
    if (rec.known[i] !== 1) continue;
    const r = txs[i]!.sig?.r;
    if (!(r instanceof Uint8Array) || r.length !== 32) continue;
    let same = true;
    for (let k = 0, o = 32 * i; k < 32; k++) {
      if (r[k] !== rec.r[o + k]) {
        same = false;
        break;
      }
    }
    if (same) out[i] = { signer: rec.signers[i] as Address | null, account: -1 };
  }
  return out;
}
