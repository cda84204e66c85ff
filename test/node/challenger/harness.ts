// Test harness of the challenger and desert-mode tests (not a test file: mocha's spec is *.test.ts): a real
// anvil with the real contract suite (scripts/deploy.ts), USDC deposits through the Vault, calldata batches
// of signed transactions posted by node/da's BlobPoster, and Derivers (own LevelDB stores, L1 only).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pino } from "pino";
import { Registry } from "prom-client";
import { createPublicClient, createWalletClient, defineChain, encodeFunctionData, http, zeroHash, type Address, type Chain, type Hex, type PublicClient } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { addressOfPrivateKey, signTx } from "../../../node/clob/eip712.ts";
import { TxKind, type Tx, type WithdrawTx } from "../../../node/clob/types.ts";
import { encodeBatch } from "../../../node/codec/index.ts";
import { BeaconBlobSource, BlobFetcher, BlobPoster } from "../../../node/da/index.ts";
import { Deriver } from "../../../node/derive/index.ts";
import { devTokenAbi, inboxAbi, vaultAbi } from "../../../node/l1/contracts.ts";
import { ANVIL_DEV_KEYS, startAnvil, type Anvil } from "../../../node/l1/anvil.ts";
import { StateStore } from "../../../node/state/store.ts";
import type { Wallet } from "../../../node/challenger/actions.ts";
import { deploySuite, type DeployOptions, type Deployment } from "../../../scripts/deploy.ts";

export const USDC = 1;
export const silent = pino({ level: "silent" });

export interface Harness {
  anvil: Anvil;
  pub: PublicClient;
  chain: Chain;
  d: Deployment;
  dir: string;
  walletOf(a: PrivateKeyAccount): Wallet;
  rpc(method: string, params?: unknown[]): Promise<unknown>;
  /** Mints, approves and deposits `units` L2 units of USDC for `who`. */
  deposit(who: PrivateKeyAccount, units: bigint): Promise<void>;
  /** Posts a calldata batch of `txs` consuming every queued message; returns its batch index. */
  post(txs: Tx[]): Promise<number>;
  /** A signed WITHDRAW of `key`'s account. */
  withdraw(key: Hex, amount: number, recipient: Address): WithdrawTx;
  /** A Deriver over its own store in the harness's temp dir, synced to the L1 head. */
  deriver(name: string, o?: { proverInputs?: boolean }): Promise<Deriver>;
  /** Advances L1 time by `seconds` and mines a block. */
  warp(seconds: number): Promise<void>;
  close(): Promise<void>;
}

export async function startHarness(deploy: Omit<DeployOptions, "rpcUrl" | "privateKey" | "write" | "log"> = {}): Promise<Harness> {
  const dir = mkdtempSync(path.join(tmpdir(), "rollbook-challenger-"));
  const anvil = await startAnvil();
  const probe = createPublicClient({ transport: http(anvil.rpcUrl) });
  const chain = defineChain({ id: await probe.getChainId(), name: "anvil", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [anvil.rpcUrl] } } });
  const pub = createPublicClient({ chain, transport: http(anvil.rpcUrl, { timeout: 60_000 }) }) as PublicClient;
  const walletOf = (account: PrivateKeyAccount): Wallet => createWalletClient({ account, chain, transport: http(anvil.rpcUrl) }) as Wallet;
  const d = (await deploySuite({ rpcUrl: anvil.rpcUrl, privateKey: ANVIL_DEV_KEYS[0], write: false, log: () => {}, ...deploy })).deployment;
  const deployer = privateKeyToAccount(ANVIL_DEV_KEYS[0]);
  const poster = new BlobPoster({ client: pub, account: privateKeyToAccount(ANVIL_DEV_KEYS[3]), inbox: d.contracts.inbox, logger: silent, registry: new Registry(), pollIntervalMs: 50, timeoutMs: 60_000 });
  const domain = { chainId: d.chainId, verifyingContract: d.contracts.inbox.toLowerCase() as Address };
  const nonces = new Map<string, number>();
  const stores: StateStore[] = [];
  const derivers: Deriver[] = [];
  let chainValue: Hex = zeroHash;
  let consumed = 0;
  let batches = 0;

  const rpc = async (method: string, params: unknown[] = []): Promise<unknown> => {
    const res = await fetch(anvil.rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
    const body = (await res.json()) as { result?: unknown; error?: { message: string } };
    if (body.error) throw new Error(`${method}: ${body.error.message}`);
    return body.result;
  };
  const send = async (account: PrivateKeyAccount, to: Address, data: Hex): Promise<void> => {
    const hash = await walletOf(account).sendTransaction({ account, to, data, chain });
    const rc = await pub.waitForTransactionReceipt({ hash });
    if (rc.status !== "success") throw new Error(`harness: tx to ${to} reverted`);
  };

  return {
    anvil, pub, chain, d, dir, walletOf, rpc,
    async deposit(who, units) {
      const [, quantum] = (await pub.readContract({ address: d.contracts.vault, abi: vaultAbi, functionName: "assets", args: [USDC] })) as readonly [Address, bigint, ...unknown[]];
      const amount = units * quantum;
      await send(who, d.contracts.devToken!, encodeFunctionData({ abi: devTokenAbi, functionName: "mint", args: [who.address, amount] }));
      await send(who, d.contracts.devToken!, encodeFunctionData({ abi: devTokenAbi, functionName: "approve", args: [d.contracts.vault, amount] }));
      await send(who, d.contracts.vault, encodeFunctionData({ abi: vaultAbi, functionName: "deposit", args: [USDC, who.address, amount] }));
    },
    async post(txs) {
      const count = Number(await pub.readContract({ address: d.contracts.inbox, abi: inboxAbi, functionName: "messageCount" }));
      const block = await pub.getBlock();
      const bytes = encodeBatch({ header: { parentBatchHash: chainValue, timestamp: Number(block.timestamp), l1MsgStart: consumed, l1MsgEnd: count }, txs });
      const r = await poster.propose(bytes, { l1MsgEnd: BigInt(count), mode: "calldata", ipfsCid: new Uint8Array(0) });
      if (r.receipt.status !== "success" || r.event === undefined) throw new Error("harness: proposal failed");
      chainValue = r.event.batchChain;
      consumed = count;
      return ++batches;
    },
    withdraw(key, amount, recipient) {
      const account = addressOfPrivateKey(Buffer.from(key.slice(2), "hex"));
      const nonce = nonces.get(account) ?? 0;
      nonces.set(account, nonce + 1);
      const tx: WithdrawTx = { kind: TxKind.WITHDRAW, account, nonce, asset: USDC, amount, recipient: recipient.toLowerCase() as Address, sig: { r: new Uint8Array(32), s: new Uint8Array(32), v: 0 } };
      return signTx(domain, tx, Buffer.from(key.slice(2), "hex"));
    },
    async deriver(name, o = {}) {
      const store = await StateStore.open(path.join(dir, name), { sync: false });
      stores.push(store);
      const registry = new Registry();
      const deriver = await Deriver.open({
        client: pub, inbox: d.contracts.inbox, startBlock: d.startBlock,
        genesis: { domain, feeAccount: deployer.address.toLowerCase() as Address },
        store, fetcher: new BlobFetcher({ sources: [new BeaconBlobSource({ url: anvil.rpcUrl })], logger: silent, registry }),
        logger: silent, registry, pollIntervalMs: 50, proverInputs: o.proverInputs,
      });
      derivers.push(deriver);
      await deriver.syncToHead();
      return deriver;
    },
    async warp(seconds) {
      await rpc("evm_increaseTime", [seconds]);
      await rpc("evm_mine");
    },
    async close() {
      for (const x of derivers) await x.stop().catch(() => undefined);
      for (const s of stores) await s.close().catch(() => undefined);
      await anvil.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
