// Worker of `npm run bench -- node`: native secp256k1 recovery (recoverAddress: ecdsaRecover + keccak of
// the public key) in a tight loop over pre-computed digests for `ms` milliseconds; replies the count.
import { parentPort } from "node:worker_threads";
import { recoverAddress } from "../node/clob/eip712.ts";

parentPort!.on("message", (m: { digests: Uint8Array; sigs: Uint8Array; vs: Uint8Array; ms: number }) => {
  const n = m.vs.length;
  let count = 0;
  const end = performance.now() + m.ms;
  const t0 = performance.now();
  while (performance.now() < end) {
    for (let j = 0; j < 64; j++, count++) {
      const i = count % n;
      recoverAddress(m.digests.subarray(32 * i, 32 * i + 32), { r: m.sigs.subarray(64 * i, 64 * i + 32), s: m.sigs.subarray(64 * i + 32, 64 * i + 64), v: m.vs[i] as 0 | 1 });
    }
  }
  parentPort!.postMessage({ count, ms: performance.now() - t0 });
});
