// `npm run fuzz:rpc [-- <requests> [seed]]`: the RPC fuzzer (test/node/rpc/fuzz.ts), default 120,000
// malformed requests split over HTTP and WebSocket. Exit code 1 on any failure.

import { fuzzRpc } from "./fuzz.ts";

const total = Number(process.argv[2] ?? 120_000);
const seed = Number(process.argv[3] ?? 1);
const t0 = performance.now();
const rep = await fuzzRpc(total, seed, (s) => console.log(s));
const secs = (performance.now() - t0) / 1000;
console.log(`answered ${rep.answered} of ${rep.http + rep.ws} malformed requests (http ${rep.http}, ws ${rep.ws}) in ${secs.toFixed(1)} s`);
console.log(`error codes: ${JSON.stringify(rep.byCode)}`);
console.log(`state digest unchanged: ${rep.digestUnchanged}`);
for (const f of rep.failures) console.log(`FAIL ${f}`);
const ok = rep.failures.length === 0 && rep.digestUnchanged && rep.answered === rep.http + rep.ws;
console.log(JSON.stringify({ fuzz: "rpc", requests: rep.http + rep.ws, answered: rep.answered, failures: rep.failures.length, digestUnchanged: rep.digestUnchanged }));
process.exit(ok ? 0 : 1);
