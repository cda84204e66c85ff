// A devnet for the prover's tests and `npm run bench -- settle`: anvil (startAnvil), the real contract suite
// (scripts/deploy.ts deploySuite, Timelock delay 0 so the test lists a market and a second asset through the
// Timelock), two DevTokens (asset 1 USDC, asset 2 BASE), market 1 = BASE/USDC, and a proposer that posts
// batches of signed transactions as calldata or blobs to the Inbox. Derivation is the real Deriver with
// `proverInputs`, on its own LevelDB store.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pino } from "pino";
import { Registry } from "prom-client";
import {
  createPublicClient, createWalletClient, defineChain, encodeFunctionData, http, keccak256, toHex, zeroHash,
  type Address, type Hex, type PublicClient, type WalletClient,
} from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { addressOfPrivateKey, signTx } from "../../../node/clob/eip712.ts";
import { SelfTradePrevention, Side, TimeInForce, TxKind, type PlaceOrderTx, type Tx, type WithdrawTx } from "../../../node/clob/types.ts";
import { encodeBatch } from "../../../node/codec/index.ts";
import { BeaconBlobSource, BlobFetcher, BlobPoster, type ProposeResult } from "../../../node/da/index.ts";
import { loadKzg } from "../../../node/da/kzg.ts";
import { Deriver } from "../../../node/derive/index.ts";
import { devTokenAbi, inboxAbi, timelockAbi, vaultAbi } from "../../../node/l1/contracts.ts";
import { ANVIL_DEV_KEYS, startAnvil, type Anvil } from "../../../node/l1/anvil.ts";
import { buildGuestRunner } from "../../../node/prover/native.ts";
import { StateStore } from "../../../node/state/store.ts";
import { deploySuite, loadArtifact, type DeployOptions, type Deployment } from "../../../scripts/deploy.ts";
import { setMarketMessage } from "../../contracts/helpers.ts";

export const USDC = 1;
export const BASE = 2;
export const MARKET = 1;
export const silent = pino({ level: "silent" });

/**
 * A suite's devnet (Devnet.start) and the node's Deriver and store on it (deriver("node")). With
 * `guestRunner`, first the Rust guest's release runner is built and c-kzg's trusted setup loaded (what the
 * runner's blob binding is compared with), so neither counts against a test's time.
 */
export async function startNodeDevnet(opts: DevnetOptions & { guestRunner?: boolean } = {}): Promise<{ net: Devnet; deriver: Deriver; store: StateStore }> {
  if (opts.guestRunner === true) {
    buildGuestRunner();
    loadKzg();
  }
  const net = await Devnet.start(opts);
  return { net, ...(await net.deriver("node")) };
}

export interface DevnetOptions {
  blockTime?: number;
  deploy?: Pick<DeployOptions, "challengeWindow" | "proofWindow">;
}

export class Devnet {
  anvil!: Anvil;
  pub!: PublicClient;
  d!: Deployment;
  dir!: string;
  base!: Address;
  chain!: ReturnType<typeof defineChain>;
  private poster: BlobPoster | undefined;
  readonly deployer = privateKeyToAccount(ANVIL_DEV_KEYS[0]);
  /** Proposer of the batches (its own nonce line). */
  readonly proposer = privateKeyToAccount(ANVIL_DEV_KEYS[3]);
  private readonly nonces = new Map<string, number>();
  private chainValue: Hex = zeroHash;
  /** The derivers deriver() opened, with their stores. */
  private readonly derivers: { deriver: Deriver; store: StateStore }[] = [];
  private consumed = 0;

  static async start(opts: DevnetOptions = {}): Promise<Devnet> {
    const n = new Devnet();
    n.dir = mkdtempSync(path.join(tmpdir(), "rollbook-prover-"));
    n.anvil = await startAnvil(opts.blockTime === undefined ? {} : { blockTime: opts.blockTime });
    const probe = createPublicClient({ transport: http(n.anvil.rpcUrl) });
    n.chain = defineChain({ id: await probe.getChainId(), name: "anvil", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [n.anvil.rpcUrl] } } });
    n.pub = createPublicClient({ chain: n.chain, transport: http(n.anvil.rpcUrl, { timeout: 60_000 }) }) as PublicClient;
    n.d = (await deploySuite({ rpcUrl: n.anvil.rpcUrl, privateKey: ANVIL_DEV_KEYS[0], write: false, timelockDelay: 0n, log: () => {}, ...opts.deploy })).deployment;
    // asset 2 (BASE) through the Timelock, then market 1 = BASE/USDC
    const art = loadArtifact("DevToken");
    const hash = await n.wallet(n.deployer).deployContract({ abi: art.abi, bytecode: art.bytecode as Hex, args: ["Base", "BASE", 18], account: n.deployer, chain: n.chain });
    n.base = (await n.pub.waitForTransactionReceipt({ hash })).contractAddress!;
    await n.governance(n.d.contracts.vault, encodeFunctionData({ abi: vaultAbi, functionName: "registerAsset", args: [BASE, n.base, 10n ** 12n] }), "asset 2");
    await n.governance(n.d.contracts.inbox, encodeFunctionData({
      abi: inboxAbi, functionName: "enqueue",
      args: [setMarketMessage({ market: MARKET, baseAsset: BASE, quoteAsset: USDC, lotSize: 1n, tickSize: 1n, minSize: 1n, makerFeePpm: 0, takerFeePpm: 0, status: 0 })],
    }), "market 1");
    return n;
  }

  wallet(account: PrivateKeyAccount): WalletClient {
    return createWalletClient({ account, chain: this.chain, transport: http(this.anvil.rpcUrl) });
  }

  async send(account: PrivateKeyAccount, to: Address, data: Hex): Promise<void> {
    const hash = await this.wallet(account).sendTransaction({ account, to, data, chain: this.chain });
    const rc = await this.pub.waitForTransactionReceipt({ hash });
    if (rc.status !== "success") throw new Error(`tx to ${to} reverted`);
  }

  private async governance(target: Address, data: Hex, what: string): Promise<void> {
    const salt = keccak256(toHex(what));
    const tl = this.d.contracts.timelock;
    await this.send(this.deployer, tl, encodeFunctionData({ abi: timelockAbi, functionName: "schedule", args: [target, 0n, data, zeroHash, salt, 0n] }));
    await this.send(this.deployer, tl, encodeFunctionData({ abi: timelockAbi, functionName: "execute", args: [target, 0n, data, zeroHash, salt] }));
  }

  /** Mints and deposits `units` L2 units of `asset` for `who`. */
  async deposit(who: PrivateKeyAccount, asset: number, units: bigint): Promise<void> {
    const token = asset === USDC ? this.d.contracts.devToken! : this.base;
    const [, quantum] = (await this.pub.readContract({ address: this.d.contracts.vault, abi: vaultAbi, functionName: "assets", args: [asset] })) as readonly [Address, bigint, ...unknown[]];
    const amount = units * quantum;
    await this.send(who, token, encodeFunctionData({ abi: devTokenAbi, functionName: "mint", args: [who.address, amount] }));
    await this.send(who, token, encodeFunctionData({ abi: devTokenAbi, functionName: "approve", args: [this.d.contracts.vault, amount] }));
    await this.send(who, this.d.contracts.vault, encodeFunctionData({ abi: vaultAbi, functionName: "deposit", args: [asset, who.address, amount] }));
  }

  private nextNonce(key: Hex): { account: Address; nonce: number } {
    const account = addressOfPrivateKey(Buffer.from(key.slice(2), "hex"));
    const nonce = this.nonces.get(account) ?? 0;
    this.nonces.set(account, nonce + 1);
    return { account, nonce };
  }

  private get domain() {
    return { chainId: this.d.chainId, verifyingContract: this.d.contracts.inbox.toLowerCase() as Address };
  }

  place(key: Hex, side: Side, price: number, size: number, tif: TimeInForce = TimeInForce.GTC): PlaceOrderTx {
    const tx: PlaceOrderTx = {
      kind: TxKind.PLACE, ...this.nextNonce(key), market: MARKET, side, tif, price, size, expiry: 0, clientId: 0,
      stp: SelfTradePrevention.EXPIRE_MAKER, sig: { r: new Uint8Array(32), s: new Uint8Array(32), v: 0 },
    };
    return signTx(this.domain, tx, Buffer.from(key.slice(2), "hex"));
  }

  withdraw(key: Hex, asset: number, amount: number, recipient: Address): WithdrawTx {
    const tx: WithdrawTx = {
      kind: TxKind.WITHDRAW, ...this.nextNonce(key), asset, amount, recipient: recipient.toLowerCase() as Address,
      sig: { r: new Uint8Array(32), s: new Uint8Array(32), v: 0 },
    };
    return signTx(this.domain, tx, Buffer.from(key.slice(2), "hex"));
  }

  /** Posts a batch of `txs` consuming every queued L1 message; returns its batch index and the proposal. */
  async post(txs: Tx[], mode: "calldata" | "blob" = "calldata"): Promise<{ index: number; result: ProposeResult; bytes: number }> {
    const end = Number(await this.pub.readContract({ address: this.d.contracts.inbox, abi: inboxAbi, functionName: "messageCount" }));
    const block = await this.pub.getBlock();
    const bytes = encodeBatch({ header: { parentBatchHash: this.chainValue, timestamp: Number(block.timestamp), l1MsgStart: this.consumed, l1MsgEnd: end }, txs });
    this.poster ??= new BlobPoster({ client: this.pub, account: this.proposer, inbox: this.d.contracts.inbox, logger: silent, registry: new Registry(), pollIntervalMs: 50, timeoutMs: 60_000 });
    const r = await this.poster.propose(bytes, { l1MsgEnd: BigInt(end), mode, ipfsCid: new Uint8Array(0) });
    if (r.receipt.status !== "success") throw new Error("propose reverted");
    this.chainValue = r.event!.batchChain;
    this.consumed = end;
    return { index: Number(r.event!.batchIndex), result: r, bytes: bytes.length };
  }

  /** A Deriver recording prover inputs, on store `name` under the devnet's directory (stop() stops both). */
  async deriver(name: string): Promise<{ deriver: Deriver; store: StateStore }> {
    const store = await StateStore.open(path.join(this.dir, name), { sync: false });
    const registry = new Registry();
    const deriver = await Deriver.open({
      client: this.pub, inbox: this.d.contracts.inbox, startBlock: this.d.startBlock,
      genesis: { domain: this.domain, feeAccount: this.deployer.address.toLowerCase() as Address },
      store, fetcher: new BlobFetcher({ sources: [new BeaconBlobSource({ url: this.anvil.rpcUrl })], logger: silent, registry }),
      logger: silent, registry, pollIntervalMs: 50, proverInputs: true,
    });
    this.derivers.push({ deriver, store });
    return { deriver, store };
  }

  /** A raw JSON-RPC call to anvil (evm_increaseTime, anvil_setBalance, ...). */
  async rpc(method: string, params: unknown[] = []): Promise<unknown> {
    const res = await fetch(this.anvil.rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
    const body = (await res.json()) as { result?: unknown; error?: { message: string } };
    if (body.error) throw new Error(`${method}: ${body.error.message}`);
    return body.result;
  }

  /** Advances L1 time by `seconds` and mines a block. */
  async warp(seconds: number): Promise<void> {
    await this.rpc("evm_increaseTime", [seconds]);
    await this.rpc("evm_mine");
  }

  async stop(): Promise<void> {
    // Stopping one a test or bench stopped already fails; that is ignored.
    for (const { deriver, store } of this.derivers) {
      await deriver.stop().catch(() => undefined);
      await store.close().catch(() => undefined);
    }
    await this.anvil?.stop();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}
