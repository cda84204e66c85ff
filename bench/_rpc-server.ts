// The rpc bench's server process: a SoftNode (real STF) with funded bench traders behind the RPC server on
// a loopback port. Prints "READY <url>" and runs until its stdin closes.

import { createRpcServer } from "../node/rpc/server.ts";
import { SoftNode } from "../node/rpc/soft-node.ts";
import { DOMAIN, benchKeys, setupMessages } from "./_rpc-common.ts";

const traders = Number(process.argv[2] ?? 1000);
// no state proofs: this bench measures the order path (as before proofs existed); a 10,000-tx seal
// commits 60-90 ms of trie work (docs/api.md "Proofs")
const node = new SoftNode({ domain: DOMAIN, now: () => 1_000_000, maxBatchTxs: 10_000, stateProofs: false });
for (const m of setupMessages(benchKeys(traders).map((k) => k.address))) node.enqueueL1(m);
node.seal();
const server = await createRpcServer({
  view: node,
  options: { limits: { connRate: 1e9, connBurst: 1e9, accountRate: 1e9, accountBurst: 1e9, maxConnections: 5000, maxBatch: 1000, maxBodyBytes: 8 << 20 } },
  logger: (await import("pino")).pino({ level: "warn" }),
});
const url = await server.listen("127.0.0.1", 0);
// batches are sealed by size; a timer seals the rest like a sequencer's interval
setInterval(() => node.seal(), 1000).unref();
console.log(`READY ${url}`);
process.stdin.resume();
process.stdin.on("end", () => void server.close().then(() => process.exit(0)));
