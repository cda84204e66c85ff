// Test helpers for node/da: anvil + viem clients + the real Inbox from Hardhat artifacts.
import { readFileSync } from "node:fs";
import { createPublicClient, http, type Address, type Hex, type PublicClient } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { startAnvil, ANVIL_DEV_KEYS, type Anvil, type AnvilOptions } from "../../../node/l1/anvil.ts";

export interface L1 {
  anvil: Anvil;
  client: PublicClient;
  account: PrivateKeyAccount;
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
}

export async function startL1(options: AnvilOptions = {}, keyIndex = 0): Promise<L1> {
  const anvil = await startAnvil(options);
  // generous timeout: anvil verifies its first blob transaction slowly (lazy KZG setup), more so on a busy machine
  const client = createPublicClient({ transport: http(anvil.rpcUrl, { timeout: 60_000 }) }) as PublicClient;
  const account = privateKeyToAccount(ANVIL_DEV_KEYS[keyIndex]!);
  const rpc = async <T>(method: string, params: unknown[] = []): Promise<T> => {
    const res = await fetch(anvil.rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
    const body = (await res.json()) as { result?: T; error?: { message: string } };
    if (body.error) throw new Error(`${method}: ${body.error.message}`);
    return body.result as T;
  };
  return { anvil, client, account, rpc };
}

/** Deploys contracts/Inbox.sol from the Hardhat artifact (run `npx hardhat build` first). */
export async function deployInbox(l1: L1): Promise<Address> {
  const artifact = JSON.parse(readFileSync(new URL("../../../artifacts/contracts/Inbox.sol/Inbox.json", import.meta.url), "utf8")) as { abi: unknown[]; bytecode: Hex };
  const { createWalletClient } = await import("viem");
  const wallet = createWalletClient({ account: l1.account, transport: http(l1.anvil.rpcUrl), chain: { id: await l1.client.getChainId(), name: "anvil", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [l1.anvil.rpcUrl] } } } });
  // governance = deployer, rings of 64, 1 h message deadline, 10 min forced-cancel deadline, no forced fee
  const hash = await wallet.deployContract({ abi: artifact.abi, bytecode: artifact.bytecode, args: [l1.account.address, 64n, 64n, 3600, 600, 0n] });
  const receipt = await l1.client.waitForTransactionReceipt({ hash });
  if (!receipt.contractAddress) throw new Error("Inbox deployment failed");
  return receipt.contractAddress;
}

/** Deterministic pseudo-random bytes (xorshift), compressible like nothing: worst case for packing. */
export function testBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
