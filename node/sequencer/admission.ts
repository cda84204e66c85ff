// Admission's signature work on worker threads (docs/sequencer.md "Admission"): a pool of
// admission-worker.ts threads (default 2, one per core) computes tx hash and recovered signer for batches
// of submitted transactions. Submissions of one event-loop turn (every socket read of its poll phase: the
// dispatch runs in the turn's check phase, setImmediate) are split evenly across the threads in chunks, so
// signature recovery runs on every core while the main thread executes, with one message per thread and
// turn rather than one per socket read (each message costs both threads a wake-up and 6-8 us of CPU,
// docs/benchmarks.md "rpc: fewer messages, ..."). No promise per transaction: a reply fills in its jobs and
// calls `onDone` once.

import { Worker } from "node:worker_threads";
import type { Address } from "../clob/types.ts";
import { SequencerError } from "./errors.ts";
import { REPLY_BYTES, STATUS_BAD, STATUS_NO_SIGNER, type AdmissionReply } from "./admission-worker.ts";

/**
 * One transaction's admission work; the pool fills in what the worker learned (hash, signer, bad) or `err`,
 * and sets `done`.
 */
export interface AdmissionJob {
  bytes: Uint8Array;
  /** Tx hash (0x hex, node/clob/eip712.ts txHash); "" when `bad`. */
  hash: string;
  /** Recovered signer, null when recovery failed (INVALID_SIGNATURE) or `bad`. */
  signer: Address | null;
  /** Not decodable or not well formed (MALFORMED). */
  bad: boolean;
  /** An internal failure (worker error or exit, pool closed): a SequencerError. */
  err?: SequencerError;
  done: boolean;
}

type Pending = AdmissionJob;

interface Thread {
  worker: Worker;
  inflight: number;
  jobs: Map<number, Pending[]>;
}

export interface AdmissionPoolOptions {
  /** EIP-712 domain separator of the chain (node/clob/eip712.ts domainSeparator). */
  separator: Uint8Array;
  /** Worker threads (default 2). */
  threads?: number;
  /** Most transactions per message to a worker (default 256). */
  maxChunk?: number;
  /** Called after jobs became done (once per worker reply, failure or close). */
  onDone: () => void;
  /** Synthetic orders each worker admits at start, before the first request (admission-worker.ts warmAdmission; default 0). */
  warmUp?: number;
}

export class AdmissionPool {
  private readonly threads: Thread[] = [];
  private readonly maxChunk: number;
  private readonly onDone: () => void;
  private queue: Pending[] = [];
  private scheduled = false;
  private nextId = 1;
  private closed = false;
  /** Messages posted to the workers so far (each is answered by one reply). */
  posted = 0;

  constructor(opts: AdmissionPoolOptions) {
    this.maxChunk = opts.maxChunk ?? 256;
    this.onDone = opts.onDone;
    const n = opts.threads ?? 2;
    for (let i = 0; i < n; i++) {
      const worker = new Worker(new URL("./admission-worker.ts", import.meta.url), { workerData: { warmUp: opts.warmUp ?? 0, separator: opts.separator } });
      const t: Thread = { worker, inflight: 0, jobs: new Map() };
      worker.on("message", (m: AdmissionReply) => this.onReply(t, m));
      worker.on("error", (err) => this.failThread(t, new SequencerError("ADMISSION_INTERNAL", `admission worker failed: ${err.message}`, { cause: err })));
      worker.on("exit", (code) => {
        if (!this.closed) this.failThread(t, new SequencerError("ADMISSION_WORKER_EXIT", `admission worker exited with ${code}`));
      });
      this.threads.push(t);
    }
  }

  /** Queues one canonical single-tx encoding for hash and signer recovery; `onDone` tells when it is done. */
  push(job: AdmissionJob): void {
    if (this.closed) {
      this.fail([job], new SequencerError("SHUTTING_DOWN", "admission pool closed"));
      queueMicrotask(this.onDone);
      return;
    }
    this.queue.push(job);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.dispatchNow);
    }
  }

  private fail(jobs: readonly AdmissionJob[], err: SequencerError): void {
    for (const j of jobs) {
      j.err = err;
      j.done = true;
    }
  }

  /** Transactions waiting for a worker or in a worker. */
  get depth(): number {
    let n = this.queue.length;
    for (const t of this.threads) n += t.inflight;
    return n;
  }

  private readonly dispatchNow = (): void => this.dispatch();

  private dispatch(): void {
    this.scheduled = false;
    const live = this.threads.filter((t) => t.worker.threadId >= 0);
    if (live.length === 0) {
      const q = this.queue;
      this.queue = [];
      this.fail(q, new SequencerError("ADMISSION_UNAVAILABLE", "no admission worker is running"));
      this.onDone();
      return;
    }
    while (this.queue.length > 0) {
      const chunk = Math.min(this.maxChunk, Math.ceil(this.queue.length / live.length));
      let t = live[0]!;
      for (const c of live) if (c.inflight < t.inflight) t = c;
      const items = this.queue.splice(0, chunk);
      let total = 0;
      for (const p of items) total += p.bytes.length;
      const data = new Uint8Array(total);
      const offs = new Uint32Array(items.length + 1);
      let o = 0;
      for (let i = 0; i < items.length; i++) {
        data.set(items[i]!.bytes, o);
        o += items[i]!.bytes.length;
        offs[i + 1] = o;
      }
      const id = this.nextId++;
      t.jobs.set(id, items);
      t.inflight += items.length;
      t.worker.postMessage({ id, data, offs }, [data.buffer, offs.buffer]);
      this.posted++;
    }
  }

  private onReply(t: Thread, m: AdmissionReply): void {
    const items = t.jobs.get(m.id);
    if (items === undefined) return;
    t.jobs.delete(m.id);
    t.inflight -= items.length;
    if ("error" in m) {
      this.fail(items, new SequencerError("ADMISSION_INTERNAL", m.error));
    } else {
      // Signers are slices of one string for the whole reply (no string per byte pair; admission keeps the
      // state's own address string, so these die young). Hashes are kept by the pool and the view until the
      // transaction is included: each is a flat string of its own, since a slice would keep the whole
      // reply's text alive with it (docs/benchmarks.md "rpc: fewer messages, ...").
      const out = m.out;
      const buf = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
      const text = buf.toString("latin1");
      for (let i = 0, o = 0; i < items.length; i++, o += REPLY_BYTES) {
        const j = items[i]!;
        const status = out[o];
        if (status === STATUS_BAD) j.bad = true;
        else {
          j.hash = buf.toString("latin1", o + 1, o + 67);
          j.signer = status === STATUS_NO_SIGNER ? null : (text.substring(o + 67, o + 109) as Address);
        }
        j.done = true;
      }
    }
    this.onDone();
  }

  private failThread(t: Thread, err: SequencerError): void {
    if (t.jobs.size === 0) return;
    for (const items of t.jobs.values()) this.fail(items, err);
    t.jobs.clear();
    t.inflight = 0;
    this.onDone();
  }

  /** Stops the workers; transactions still waiting or in a worker are rejected (SHUTTING_DOWN). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
    const err = new SequencerError("SHUTTING_DOWN", "admission pool closed");
    for (const t of this.threads) this.failThread(t, err);
    const q = this.queue;
    this.queue = [];
    this.fail(q, err);
    this.onDone();
  }
}
