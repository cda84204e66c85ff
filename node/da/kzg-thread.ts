// Blob sidecars computed off the main thread (kzg-worker.ts): one worker per process, started by the first
// BlobPoster (warmKzgThread: it loads its trusted setup, 2-3 s quiet and far more on a loaded machine, while
// the node starts rather than in its first proposal) and holding it from then on; referenced only while a
// computation is in flight, so it never keeps the process alive. If the worker cannot run (or dies), the sidecars are computed inline, with
// the same result.
import { Worker } from "node:worker_threads";
import { computeSidecars, ensureProofs, type BlobSidecars, type BlobWrapper } from "./kzg.ts";
import type { KzgReply } from "./kzg-worker.ts";

let worker: Worker | undefined;
let nextId = 1;
const jobs = new Map<number, { resolve: (s: BlobSidecars) => void; reject: (e: Error) => void; inline: () => BlobSidecars }>();

function inline(blobs: readonly Uint8Array[], wrapper: BlobWrapper, also: readonly BlobWrapper[]): BlobSidecars {
  const s = computeSidecars(blobs, wrapper);
  for (const w of also) ensureProofs(s, w);
  return s;
}

/** The jobs of a worker that failed are computed inline. */
function failed(w: Worker): void {
  if (worker !== w) return;
  worker = undefined;
  const pending = [...jobs.values()];
  jobs.clear();
  for (const j of pending) {
    try {
      j.resolve(j.inline());
    } catch (err) {
      j.reject(err as Error);
    }
  }
}

function start(): Worker {
  const w = new Worker(new URL("./kzg-worker.ts", import.meta.url));
  w.unref();
  w.on("message", (m: KzgReply) => {
    const j = jobs.get(m.id);
    if (j === undefined) return;
    jobs.delete(m.id);
    if (jobs.size === 0) w.unref();
    if ("error" in m) j.reject(new Error(m.error));
    else j.resolve(m.sidecars);
  });
  w.on("error", () => failed(w));
  w.on("exit", () => failed(w));
  return w;
}

/** Starts the worker and has it load the trusted setup now (unreferenced: it never delays an exit). */
export function warmKzgThread(): void {
  worker ??= start();
  worker.postMessage({ id: 0, blobs: [], wrappers: ["v0"] }); // id 0: no job waits for the reply
}

/**
 * `computeSidecars(blobs, wrapper)` plus the proofs of the wrappers in `also`, on the KZG worker thread.
 * Rejects as computeSidecars throws (a non-canonical blob).
 */
export function computeSidecarsOffThread(blobs: readonly Uint8Array[], wrapper: BlobWrapper, also: readonly BlobWrapper[] = []): Promise<BlobSidecars> {
  worker ??= start();
  const w = worker;
  const id = nextId++;
  return new Promise((resolve, reject) => {
    jobs.set(id, { resolve, reject, inline: () => inline(blobs, wrapper, also) });
    w.ref();
    w.postMessage({ id, blobs: [...blobs], wrappers: [wrapper, ...also] });
  });
}
