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
  inflight: number;
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
      const t: Thread = { worker, ready: new Promise((resolve) => (started = resolve)), inflight: 0, jobs: new Map() };
      worker.on("message", (m: RecoveryReply | { ready: true }) => {
        if ("ready" in m) return started();
        const done = t.jobs.get(m.id);
        if (done === undefined) return;
        t.jobs.delete(m.id);
        t.inflight--;
        done("signers" in m ? { signers: m.signers, known: m.known, r: m.r } : undefined);
      });
      const fail = () => {
        started();
        for (const done of t.jobs.values()) done(undefined);
        t.jobs.clear();
        t.inflight = 0;
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
   * Recovers the signers of every well-formed transaction in `bytes` (batch bytes) on the least busy
   * worker. Resolves to undefined when the bytes do not decode or no worker could do it; never rejects.
   */
  recover(bytes: Uint8Array): Promise<RecoveredSigners | undefined> {
    if (this.closed || this.threads.length === 0) return Promise.resolve(undefined);
    let t = this.threads[0]!;
    for (const c of this.threads) if (c.inflight < t.inflight) t = c;
    const id = this.nextId++;
    return new Promise((resolve) => {
      t.jobs.set(id, resolve);
      t.inflight++;
      t.worker.postMessage({ id, data: bytes, separator: this.separator });
    });
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
