// Shared setup of the RPC tests: a SoftNode (real STF) with market 1 and funded traders, an RPC server on a
// free loopback port, and raw HTTP / WebSocket helpers for the error-path tests.

import { stateDigest } from "../../../node/clob/state.ts";
import type { Tx } from "../../../node/clob/types.ts";
import { createRpcServer, type RpcServer, type RpcServerConfig } from "../../../node/rpc/server.ts";
import { SoftNode } from "../../../node/rpc/soft-node.ts";
import { toWire, type WireTx } from "../../../node/rpc/wire.ts";
import { BASE, DOMAIN, QUOTE, Trader, deposit, makeKeys, setMarket } from "../clob/stf-helpers.ts";

export { BASE, DOMAIN, QUOTE, Trader, makeKeys };

export interface Harness {
  node: SoftNode;
  server: RpcServer;
  url: string;
  wsUrl: string;
  traders: Trader[];
  close(): Promise<void>;
}

export async function startHarness(nTraders = 3, options: RpcServerConfig["options"] = {}, now = () => 1_000_000): Promise<Harness> {
  const node = new SoftNode({ domain: DOMAIN, now });
  node.enqueueL1(setMarket(1));
  const traders = makeKeys(nTraders).map((k) => new Trader(k));
  for (const t of traders) {
    node.enqueueL1(deposit(t.address, BASE, 1_000_000_000));
    node.enqueueL1(deposit(t.address, QUOTE, 1_000_000_000_000));
  }
  node.seal();
  const server = await createRpcServer({ view: node, options: { l2ChainId: 4242, ...options } });
  const url = await server.listen("127.0.0.1", 0);
  return { node, server, url, wsUrl: url.replace("http", "ws") + "/ws", traders, close: () => server.close() };
}

export const wire = (tx: Tx): WireTx => toWire(tx);

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `f` every 5 ms until it is true; throws "timeout" after `ms`. */
export async function until(f: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error("timeout");
    await sleep(5);
  }
}

export async function post(url: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text === "" ? null : JSON.parse(text) };
}

export async function call(url: string, method: string, params: unknown = []): Promise<any> {
  return (await post(url, { jsonrpc: "2.0", id: 1, method, params })).json;
}

export function digest(node: SoftNode): string {
  return stateDigest(node.state);
}
