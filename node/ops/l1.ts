// What the operator commands need from L1: a viem client for `l1.rpcUrl` and the suite's deployment record
// (scripts/deploy.ts `Deployment`, deployments/<chainId>.json).
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createPublicClient, createWalletClient, defineChain, http, type Chain, type Hex, type PublicClient, type WalletClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { NodeConfig } from "../config.ts";
import type { Deployment } from "../../scripts/deploy.ts";
import { OpsError } from "./errors.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export interface L1 {
  chain: Chain;
  client: PublicClient;
  rpcUrl: string;
}

export async function connectL1(rpcUrl: string): Promise<L1> {
  const probe = createPublicClient({ transport: http(rpcUrl) });
  const id = await probe.getChainId().catch((err: unknown) => {
    throw new OpsError("L1_UNREACHABLE", `L1 RPC ${rpcUrl} does not answer (${(err as Error).message.split("\n")[0]}); set l1.rpcUrl or ROLLBOOK_L1_RPC_URL`);
  });
  const chain = defineChain({ id, name: `chain-${id}`, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [rpcUrl] } } });
  return { chain, client: createPublicClient({ chain, transport: http(rpcUrl, { timeout: 60_000 }) }) as PublicClient, rpcUrl };
}

/**
 * The deployment of chain `chainId`: `file` when given, else `<dataDir>/deployments/<chainId>.json` (the
 * devnet's), else the repository's `deployments/<chainId>.json`. Refuses a record of another chain.
 */
export function loadDeployment(config: Pick<NodeConfig, "dataDir">, chainId: number, file?: string): Deployment {
  const candidates = file !== undefined ? [file] : [path.resolve(config.dataDir, "deployments", `${chainId}.json`), path.join(ROOT, "deployments", `${chainId}.json`)];
  const found = candidates.find((f) => existsSync(f));
  if (found === undefined) throw new OpsError("NO_DEPLOYMENT", `no deployment record for chain ${chainId} (looked at ${candidates.join(", ")}; pass --deployment file)`);
  let d: Deployment;
  try {
    d = JSON.parse(readFileSync(found, "utf8")) as Deployment;
  } catch (err) {
    throw new OpsError("NO_DEPLOYMENT", `${found}: not a deployment record (${(err as Error).message})`);
  }
  if (d.chainId !== chainId) throw new OpsError("WRONG_CHAIN", `${found} is for chain ${d.chainId}, L1 is chain ${chainId}`);
  return d;
}

/** A wallet for the private key in environment variable `name` (keys never come from the command line). */
export function walletFromEnv(l1: L1, name: string, env: NodeJS.ProcessEnv = process.env): WalletClient {
  const key = env[name];
  if (key === undefined || !/^0x[0-9a-fA-F]{64}$/.test(key.trim())) throw new OpsError("NO_KEY", `environment variable ${name} must hold a 0x-prefixed 32-byte private key`);
  return createWalletClient({ account: privateKeyToAccount(key.trim() as Hex), chain: l1.chain, transport: http(l1.rpcUrl) });
}

/** Block ranges per log request: public RPC providers refuse eth_getLogs over much more than this. */
export const LOG_RANGE_BLOCKS = 10_000;

/**
 * Runs `query(from, to)` over [fromBlock, toBlock] in ranges of `step` blocks and concatenates the results
 * in block order. `toBlock` defaults to the latest block when called; a caller that records how far it has
 * read passes the block it read first, so an event mined during the queries is not skipped.
 */
export async function logsInRanges<T>(client: Pick<PublicClient, "getBlockNumber">, fromBlock: number, query: (from: bigint, to: bigint) => Promise<T[]>, step = LOG_RANGE_BLOCKS, toBlock?: number): Promise<T[]> {
  const latest = toBlock ?? Number(await client.getBlockNumber({ cacheTime: 0 })); // viem caches the block number otherwise
  const out: T[] = [];
  for (let a = fromBlock; a <= latest; a += step) out.push(...(await query(BigInt(a), BigInt(Math.min(latest, a + step - 1)))));
  return out;
}
