// The view-heap bench's load (bench/view-heap.ts), on a worker thread: the signed order requests as message
// bytes, built in an isolate of their own (as the rpc bench's load is a process of its own), so the load's
// transaction objects never share hidden classes with the node's (a field that holds a heap number in one
// object literal of a shape is stored boxed in every object of that shape).
import { parentPort, workerData } from "node:worker_threads";
import { toWire } from "../node/rpc/wire.ts";
import { benchKeys, signedOrders } from "./_rpc-common.ts";

const { n, traders } = workerData as { n: number; traders: number };
const keys = benchKeys(traders);
const messages = signedOrders(keys, keys.map(() => 0), n, 1).map((tx, i) => Buffer.from(`{"jsonrpc":"2.0","id":${i},"method":"rb_placeOrder","params":[${JSON.stringify(toWire(tx))}]}`));
parentPort!.postMessage({ messages, addresses: keys.map((k) => k.address) });
