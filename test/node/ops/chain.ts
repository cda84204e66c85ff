// Shared setup of the operator-command tests: a real anvil with the real contract suite (deployment file
// written under a temporary data directory, as `npm start` does), batches of signed orders posted by
// node/da's BlobPoster, Derivers over their own LevelDB stores, and the CLI run as a child process.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { pino } from "pino";
import { Registry } from "prom-client";
import { createPublicClient, createWalletClient, defineChain, encodeFunctionData, http, type Address, type Hex, type PublicClient } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { addressOfPrivateKey, signTx } from "../../../node/clob/eip712.ts";
import { SelfTradePrevention, Side, TimeInForce, TxKind, type PlaceOrderTx, type Tx } from "../../../node/clob/types.ts";
import { encodeBatch } from "../../../node/codec/index.ts";
import { BeaconBlobSource, BlobFetcher, BlobPoster } from "../../../node/da/index.ts";
import { Deriver } from "../../../node/derive/index.ts";
import { devTokenAbi, inboxAbi, vaultAbi } from "../../../node/l1/contracts.ts";
import { ANVIL_DEV_KEYS, startAnvil, type Anvil } from "../../../node/l1/anvil.ts";
import { StateStore } from "../../../node/state/store.ts";
import { deploySuite, type Deployment } from "../../../scripts/deploy.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const silent = pino({ level: "silent" });
export const deployer = privateKeyToAccount(ANVIL_DEV_KEYS[0]);

export class Chain {
  anvil!: Anvil;
  pub!: PublicClient;
  d!: Deployment;
  /** Data directory: deployments/<chainId>.json and the stores. */
  dir!: string;
  walletOf!: (a: PrivateKeyAccount) => ReturnType<typeof createWalletClient>;
  poster!: BlobPoster;
  /** The poster's metrics. */
  readonly posterRegistry = new Registry();
  private nonces = new Map<string, number>();
  private chainValue: Hex = `0x${"00".repeat(32)}`;
  private consumed = 0;
  private stores: StateStore[] = [];
  private derivers: Deriver[] = [];

  static async start(timelockDelay: bigint): Promise<Chain> {
    const c = new Chain();
    c.dir = mkdtempSync(path.join(tmpdir(), "rollbook-ops-"));
    c.anvil = await startAnvil();
    const probe = createPublicClient({ transport: http(c.anvil.rpcUrl) });
    const chain = defineChain({ id: await probe.getChainId(), name: "anvil", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [c.anvil.rpcUrl] } } });
    c.pub = createPublicClient({ chain, transport: http(c.anvil.rpcUrl, { timeout: 60_000 }) }) as PublicClient;
    c.walletOf = (account) => createWalletClient({ account, chain, transport: http(c.anvil.rpcUrl) });
    c.d = (await deploySuite({ rpcUrl: c.anvil.rpcUrl, privateKey: ANVIL_DEV_KEYS[0], outDir: path.join(c.dir, "deployments"), timelockDelay, log: () => {} })).deployment;
    c.poster = new BlobPoster({ client: c.pub, account: privateKeyToAccount(ANVIL_DEV_KEYS[3]), inbox: c.d.contracts.inbox, logger: silent, registry: c.posterRegistry, pollIntervalMs: 50, timeoutMs: 60_000 });
    return c;
  }

  async stop(): Promise<void> {
    for (const x of this.derivers) await x.stop().catch(() => undefined);
    for (const s of this.stores) await s.close().catch(() => undefined);
    await this.anvil?.stop();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  async rpc(method: string, params: unknown[] = []): Promise<unknown> {
    const res = await fetch(this.anvil.rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
    const body = (await res.json()) as { result?: unknown; error?: { message: string } };
    if (body.error) throw new Error(`${method}: ${body.error.message}`);
    return body.result;
  }

  async send(account: PrivateKeyAccount, to: Address, data: Hex): Promise<bigint> {
    const hash = await this.walletOf(account).sendTransaction({ account, to, data, chain: null } as never);
    const rc = await this.pub.waitForTransactionReceipt({ hash });
    expect(rc.status).to.equal("success");
    return rc.blockNumber;
  }

  /** Mints `units` L2 units of `asset`'s token (a DevToken) and deposits them through the Vault. */
  async deposit(who: PrivateKeyAccount, asset: number, units: bigint): Promise<void> {
    const [token, quantum] = await this.pub.readContract({ address: this.d.contracts.vault, abi: vaultAbi, functionName: "assets", args: [asset] });
    const amount = units * quantum;
    await this.send(who, token, encodeFunctionData({ abi: devTokenAbi, functionName: "mint", args: [who.address, amount] }));
    await this.send(who, token, encodeFunctionData({ abi: devTokenAbi, functionName: "approve", args: [this.d.contracts.vault, amount] }));
    await this.send(who, this.d.contracts.vault, encodeFunctionData({ abi: vaultAbi, functionName: "deposit", args: [asset, who.address, amount] }));
  }

  /** A signed GTC order of the account of `key`. */
  place(key: Hex, market: number, side: number, price: number, size: number): PlaceOrderTx {
    const account = addressOfPrivateKey(Buffer.from(key.slice(2), "hex"));
    const nonce = this.nonces.get(account) ?? 0;
    this.nonces.set(account, nonce + 1);
    const tx: PlaceOrderTx = {
      kind: TxKind.PLACE, account, nonce, market, side: side as PlaceOrderTx["side"], tif: TimeInForce.GTC, price, size, expiry: 0, clientId: 0,
      stp: SelfTradePrevention.EXPIRE_MAKER, sig: { r: new Uint8Array(32), s: new Uint8Array(32), v: 0 },
    };
    return signTx({ chainId: this.d.chainId, verifyingContract: this.d.contracts.inbox.toLowerCase() as Address }, tx, Buffer.from(key.slice(2), "hex"));
  }

  /** Posts a batch of `txs` consuming every queued L1 message (calldata); returns the L1 block. */
  async post(txs: Tx[]): Promise<bigint> {
    const end = Number(await this.pub.readContract({ address: this.d.contracts.inbox, abi: inboxAbi, functionName: "messageCount" }));
    const block = await this.pub.getBlock();
    const bytes = encodeBatch({ header: { parentBatchHash: this.chainValue, timestamp: Number(block.timestamp), l1MsgStart: this.consumed, l1MsgEnd: end }, txs });
    const r = await this.poster.propose(bytes, { l1MsgEnd: BigInt(end), mode: "calldata", ipfsCid: new Uint8Array(0) });
    expect(r.receipt.status).to.equal("success");
    this.chainValue = r.event!.batchChain;
    this.consumed = end;
    return r.receipt.blockNumber;
  }

  async openStore(name: string): Promise<StateStore> {
    const s = await StateStore.open(path.join(this.dir, name), { sync: false });
    this.stores.push(s);
    return s;
  }

  async closeStore(s: StateStore): Promise<void> {
    this.stores = this.stores.filter((x) => x !== s);
    await s.close();
  }

  async deriver(store: StateStore): Promise<Deriver> {
    const registry = new Registry();
    const deriver = await Deriver.open({
      client: this.pub, inbox: this.d.contracts.inbox, startBlock: this.d.startBlock,
      genesis: { domain: { chainId: this.d.chainId, verifyingContract: this.d.contracts.inbox.toLowerCase() as Address }, feeAccount: deployer.address.toLowerCase() as Address },
      store, fetcher: new BlobFetcher({ sources: [new BeaconBlobSource({ url: this.anvil.rpcUrl })], logger: silent, registry }),
      logger: silent, registry, pollIntervalMs: 50,
    });
    this.derivers.push(deriver);
    return deriver;
  }

  /** Runs `rollup-node <args>` against this chain (ROLLBOOK_L1_RPC_URL, ROLLBOOK_DATA_DIR); parses --json output. */
  cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string; json: any }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(ROOT, "node/cli.ts"), ...args], {
        env: { ...process.env, ROLLBOOK_L1_RPC_URL: this.anvil.rpcUrl, ROLLBOOK_DATA_DIR: this.dir, ROLLBOOK_LOG_LEVEL: "warn", ...env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
      child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
      child.on("error", reject);
      child.on("close", (code) => {
        let json: any;
        try {
          json = JSON.parse(stdout.trim().split("\n").at(-1) ?? "");
        } catch {
          json = undefined;
        }
        resolve({ code: code ?? -1, stdout, stderr, json });
      });
    });
  }
}

export { Side };
