// Shared harness of the composed-node tests (node/app startNode on a real anvil): the chain (suite deployed,
// devnet assets, markets and deposits through node/app/devnet.ts), node configs, polling and JSON-RPC
// helpers, L1 mining control, signed orders, and an independent proposer that posts batches to the Inbox
// with node/da's BlobPoster (another account than the node's: a competing or hostile proposer).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pino } from "pino";
import { Registry } from "prom-client";
import { createPublicClient, defineChain, http, type Address, type Hex, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { setUpDevnetChain, type DevnetRecord } from "../../../node/app/devnet.ts";
import { startNode, type RunningNode, type StartNodeOptions } from "../../../node/app/node.ts";
import { addressOfPrivateKey, hexToBytes, signTx, txHash } from "../../../node/clob/eip712.ts";
import { SelfTradePrevention, TimeInForce, TxKind, type Eip712Domain, type PlaceOrderTx, type Tx } from "../../../node/clob/types.ts";
import { encodeBatch, type BatchHeader } from "../../../node/codec/index.ts";
import { DEFAULT_CONFIG, validateConfig, type NodeConfig, type Role } from "../../../node/config.ts";
import { BlobPoster, DEFAULT_FEE_POLICY, loadKzg, type ProposeResult } from "../../../node/da/index.ts";
import { ANVIL_DEV_KEYS, freePorts, startAnvil, type Anvil } from "../../../node/l1/anvil.ts";
import { inboxAbi } from "../../../node/l1/contracts.ts";
import { deploySuite, type Deployment } from "../../../scripts/deploy.ts";

export const silent = pino({ level: "silent" });
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `f` every 100 ms until it returns a value other than undefined/false. */
export async function until<T>(what: string, f: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** One JSON-RPC call; throws on an error answer. */
export async function rpcCall<T>(url: string, method: string, params: unknown): Promise<T> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
  const body = (await res.json()) as { result?: T; error?: unknown };
  if (body.error !== undefined) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
  return body.result as T;
}

/** The traders the devnet funds (anvil keys 1-3, every asset deposited); key 0 deploys and runs node-1. */
export const TRADER_KEYS = ANVIL_DEV_KEYS.slice(1, 4) as Hex[];
/** The node's proposer key (anvil key 0) and an independent proposer's (anvil key 4). */
export const NODE_KEY = ANVIL_DEV_KEYS[0];
export const OTHER_PROPOSER_KEY = ANVIL_DEV_KEYS[4];

export interface Chain {
  anvil: Anvil;
  deployment: Deployment;
  record: DevnetRecord;
  dir: string;
  pub: PublicClient;
  /** A raw anvil JSON-RPC call. */
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  /** Mines a block every `seconds` (0: no mining until `mine`). */
  intervalMining(seconds: number): Promise<void>;
  mine(blocks?: number): Promise<void>;
  stop(): Promise<void>;
}

/** anvil, the suite, devnet assets/markets/deposits, a block a second. */
export async function startChain(prefix: string, anvilPort?: number): Promise<Chain> {
  const dir = mkdtempSync(path.join(tmpdir(), `rollbook-${prefix}-`));
  const anvil = await startAnvil(anvilPort === undefined ? {} : { port: anvilPort });
  const { deployment } = await deploySuite({ rpcUrl: anvil.rpcUrl, privateKey: ANVIL_DEV_KEYS[0], write: false, log: () => {} });
  const record = await setUpDevnetChain({ rpcUrl: anvil.rpcUrl, deployment, governor: ANVIL_DEV_KEYS[0], accounts: TRADER_KEYS });
  const chain = defineChain({ id: deployment.chainId, name: "anvil", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [anvil.rpcUrl] } } });
  const pub = createPublicClient({ chain, transport: http(anvil.rpcUrl, { timeout: 60_000 }) }) as PublicClient;
  const rpc = <T>(method: string, params: unknown[] = []) => rpcCall<T>(anvil.rpcUrl, method, params);
  const c: Chain = {
    anvil, deployment, record, dir, pub, rpc,
    intervalMining: async (s) => void (await rpc("evm_setIntervalMining", [s])),
    mine: async (n = 1) => void (await rpc("anvil_mine", [`0x${n.toString(16)}`])),
    stop: async () => {
      await anvil.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await c.intervalMining(1);
  return c;
}

/** The RPC and admin settings of one node on two distinct free ports. */
export async function freeNodePorts(): Promise<Pick<NodeConfig, "rpc" | "admin">> {
  const [rpc, admin] = (await freePorts(2)) as [number, number];
  return { rpc: { ...DEFAULT_CONFIG.rpc, port: rpc }, admin: { ...DEFAULT_CONFIG.admin, port: admin } };
}

/** A validated node config on `chain`: own data dir and free ports, IPFS off, short batch age. */
export async function nodeConfig(chain: Chain, name: string, roles: Role[], sequencer: Partial<NodeConfig["sequencer"]> = {}): Promise<NodeConfig> {
  return validateConfig({
    ...structuredClone(DEFAULT_CONFIG),
    dataDir: path.join(chain.dir, name),
    roles,
    l1: { ...DEFAULT_CONFIG.l1, rpcUrl: chain.anvil.rpcUrl, beaconUrl: chain.anvil.rpcUrl },
    ipfs: { ...DEFAULT_CONFIG.ipfs, mode: "off" },
    ...(await freeNodePorts()),
    sequencer: { ...DEFAULT_CONFIG.sequencer, maxBatchAgeMs: 500, admissionThreads: 1, ...sequencer },
  } as unknown as Record<string, unknown>);
}

/** The sequencing node (follower, sequencer, proposer with anvil key 0), blob proposals, fast ticks. */
export function startSequencerNode(chain: Chain, config: NodeConfig, o: Partial<StartNodeOptions> = {}): Promise<RunningNode> {
  return startNode({ config, name: "node-1", account: privateKeyToAccount(NODE_KEY), deployment: chain.deployment, logger: silent, proposeMode: "blob", tickMs: 100, pollIntervalMs: 200, ...o });
}

/** A follower-only node deriving from L1 alone. */
export function startFollowerNode(chain: Chain, config: NodeConfig, name = "node-2"): Promise<RunningNode> {
  return startNode({ config, name, deployment: chain.deployment, logger: silent, pollIntervalMs: 200 });
}

/** The EIP-712 domain of `chain`. */
export function domainOf(chain: Chain): Eip712Domain {
  return { chainId: chain.deployment.chainId, verifyingContract: chain.deployment.contracts.inbox.toLowerCase() as Address };
}

/** A signed GTC limit order (side 0 buy, 1 sell) of `key`'s account with an explicit nonce. */
export function signedOrder(domain: Eip712Domain, key: Hex, nonce: number, o: { market: number; side: 0 | 1; price: number; size: number; clientId?: number }, signWith?: Hex): PlaceOrderTx {
  const tx: PlaceOrderTx = {
    kind: TxKind.PLACE, account: addressOfPrivateKey(hexToBytes(key)), nonce, market: o.market, side: o.side, tif: TimeInForce.GTC, price: o.price, size: o.size,
    expiry: 0, clientId: o.clientId ?? 0, stp: SelfTradePrevention.EXPIRE_MAKER, sig: { r: new Uint8Array(32), s: new Uint8Array(32), v: 0 },
  };
  return signTx(domain, tx, hexToBytes(signWith ?? key));
}

export const hashOf = (domain: Eip712Domain, tx: Tx): string => txHash(domain, tx);

/**
 * An independent proposer on the Inbox (node/da BlobPoster with its own account and a high tip, so in a
 * block shared with the node's proposal it is ordered first). `post` builds a header that extends the
 * Inbox's chain with the canonical L1 message range unless told otherwise; `tamper` breaks it, `raw`
 * replaces the encoded batch.
 */
export class OtherProposer {
  private readonly chain: Chain;
  private readonly key: Hex;
  private poster: BlobPoster;
  constructor(chain: Chain, key: Hex = OTHER_PROPOSER_KEY) {
    this.chain = chain;
    this.key = key;
    loadKzg();
    this.poster = this.newPoster();
  }

  private newPoster(): BlobPoster {
    return new BlobPoster({
      client: this.chain.pub, account: privateKeyToAccount(this.key), inbox: this.chain.deployment.contracts.inbox, logger: silent, registry: new Registry(),
      // Its tip is above node-1's fee cap (the default policy's), so anvil always orders its proposal first in a block it shares
      // with node-1's: anvil suggests tips like recent blocks', and once node-1's tip equalled this one's the
      // order was arbitrary (a hostile batch then extended a stale parent: WRONG_PARENT, its txs on no chain).
      pollIntervalMs: 50, timeoutMs: 60_000, fees: { minPriorityFee: 2n * DEFAULT_FEE_POLICY.maxFeePerGasCap, maxFeePerGasCap: 4n * DEFAULT_FEE_POLICY.maxFeePerGasCap },
    });
  }

  /** After an L1 revert the poster's cached account nonce is stale: start over. */
  reset(): void {
    this.poster = this.newPoster();
  }

  /**
   * Proposes `txs` as the next batch. `consumed`: the canonical state's l1MessagesConsumed (the batch takes
   * the queue from there up to the Inbox's message count). With `mineWhenSent` (mining paused), mines one
   * block as soon as the proposal is in the pool.
   */
  async post(txs: Tx[], consumed: number, opts: { tamper?: (h: BatchHeader) => void; raw?: Uint8Array; mineWhenSent?: boolean } = {}): Promise<ProposeResult> {
    const { pub, deployment } = this.chain;
    const inbox = deployment.contracts.inbox;
    const count = await pub.readContract({ address: inbox, abi: inboxAbi, functionName: "batchCount" });
    const parent = await pub.readContract({ address: inbox, abi: inboxAbi, functionName: "batchChainAt", args: [BigInt(count)] });
    const end = Number(await pub.readContract({ address: inbox, abi: inboxAbi, functionName: "messageCount" }));
    const block = await pub.getBlock();
    const header: BatchHeader = { parentBatchHash: parent, timestamp: Number(block.timestamp), l1MsgStart: consumed, l1MsgEnd: end };
    opts.tamper?.(header);
    const bytes = opts.raw ?? encodeBatch({ header, txs });
    const address = privateKeyToAccount(this.key).address;
    const latest = await pub.getTransactionCount({ address, blockTag: "latest" });
    // The L1 commitment carries the honest range (a tampered header then breaks V3).
    const posting = this.poster.propose(bytes, { l1MsgEnd: BigInt(end), mode: "blob", ipfsCid: new Uint8Array(0) });
    if (opts.mineWhenSent === true) {
      posting.catch(() => undefined); // awaited below; not unhandled while the pool is watched
      await until("the other proposer's transaction in the pool", async () => (await pub.getTransactionCount({ address, blockTag: "pending" })) > latest, 30_000);
      await this.chain.mine(1);
    }
    return posting;
  }
}

/** Waits until node-1 has nothing pending and node-2 derived what node-1 did; returns the common root. */
export async function converged(node1: RunningNode, node2: RunningNode, timeoutMs = 90_000): Promise<Hex> {
  return until("both nodes at the same batch with nothing pending", () => {
    const s = node1.sequencer!;
    if (s.sealed().length > 0 || s.openBatch() !== null || s.pool.count > 0) return undefined;
    const d1 = node1.status().derivedBatch;
    if (d1 !== s.softState().batchIndex || node2.status().derivedBatch !== d1) return undefined;
    return node2.status().stateRoot === node1.softRoot() && node1.status().stateRoot === node1.softRoot() ? node1.softRoot() : undefined;
  }, timeoutMs);
}
