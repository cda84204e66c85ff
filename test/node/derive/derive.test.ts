// Derivation end to end against anvil with the real contract suite (scripts/deploy.ts): a market listed
// through the Timelock (SET_MARKET), USDC deposits through the Vault, batches of signed orders encoded by
// node/codec and posted as blobs by node/da's BlobPoster; two independent Derivers (own LevelDB stores,
// deriving from L1 only) reach the same state root. Then an L1 reorg (evm_snapshot / evm_revert) drops a
// block holding a batch: both roll back to the common ancestor and converge with a fresh third deriver on
// the new chain. Hostile proposers: garbage blob data, a forged signature, batches breaking validity rules:
// skipped identically by every node (no-op batches whose L1 messages still apply).
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pino } from "pino";
import { Registry } from "prom-client";
import { createPublicClient, createWalletClient, defineChain, encodeFunctionData, http, keccak256, toHex, zeroHash, type Address, type Hex, type PublicClient } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { addressOfPrivateKey, signTx } from "../../../node/clob/eip712.ts";
import { ErrorCode } from "../../../node/clob/errors.ts";
import { SelfTradePrevention, Side, TimeInForce, TxKind, type PlaceOrderTx, type Tx } from "../../../node/clob/types.ts";
import { encodeBatch, type BatchHeader } from "../../../node/codec/index.ts";
import { BeaconBlobSource, BlobFetcher, BlobPoster, loadKzg } from "../../../node/da/index.ts";
import { Deriver, type DerivedBatch } from "../../../node/derive/index.ts";
import type { DeriverOptions } from "../../../node/derive/deriver.ts";
import { devTokenAbi, inboxAbi, timelockAbi, vaultAbi } from "../../../node/l1/contracts.ts";
import { ANVIL_DEV_KEYS, startAnvil, type Anvil } from "../../../node/l1/anvil.ts";
import { StateStore } from "../../../node/state/store.ts";
import { deploySuite, type Deployment } from "../../../scripts/deploy.ts";
import { setMarketMessage } from "../../contracts/helpers.ts";

const USDC = 1;
const MARKET = 1;
const silent = pino({ level: "silent" });

describe("derive: L1 -> blobs -> two derivers, reorgs, hostile proposers (anvil)", function () {
  this.timeout(240_000);
  let anvil: Anvil;
  let pub: PublicClient;
  let d: Deployment;
  let dir: string;
  let walletOf: (a: PrivateKeyAccount) => ReturnType<typeof createWalletClient>;
  let poster: BlobPoster;
  const deployer = privateKeyToAccount(ANVIL_DEV_KEYS[0]);
  const alice = privateKeyToAccount(ANVIL_DEV_KEYS[1]);
  const bob = privateKeyToAccount(ANVIL_DEV_KEYS[2]);
  const keyOf = (k: Hex) => Buffer.from(k.slice(2), "hex");
  const nonces = new Map<string, number>();
  /** Proposer's view of the Inbox: b(i) of the last batch and the messages consumed. */
  let chainValue: Hex = zeroHash;
  let consumed = 0;
  const derivers: Deriver[] = [];
  const stores: StateStore[] = [];

  const rpc = async (method: string, params: unknown[] = []): Promise<unknown> => {
    const res = await fetch(anvil.rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
    const body = (await res.json()) as { result?: unknown; error?: { message: string } };
    if (body.error) throw new Error(`${method}: ${body.error.message}`);
    return body.result;
  };

  async function send(account: PrivateKeyAccount, to: Address, data: Hex): Promise<void> {
    const hash = await walletOf(account).sendTransaction({ account, to, data, chain: null } as never);
    const rc = await pub.waitForTransactionReceipt({ hash });
    expect(rc.status).to.equal("success");
  }

  async function deposit(who: PrivateKeyAccount, units: bigint): Promise<void> {
    const [, quantum] = (await pub.readContract({ address: d.contracts.vault, abi: vaultAbi, functionName: "assets", args: [USDC] })) as readonly [Address, bigint, ...unknown[]];
    const amount = units * quantum;
    await send(who, d.contracts.devToken!, encodeFunctionData({ abi: devTokenAbi, functionName: "mint", args: [who.address, amount] }));
    await send(who, d.contracts.devToken!, encodeFunctionData({ abi: devTokenAbi, functionName: "approve", args: [d.contracts.vault, amount] }));
    await send(who, d.contracts.vault, encodeFunctionData({ abi: vaultAbi, functionName: "deposit", args: [USDC, who.address, amount] }));
  }

  function place(key: Hex, price: number, size: number, forgedBy?: Hex): PlaceOrderTx {
    const account = addressOfPrivateKey(keyOf(key));
    const nonce = nonces.get(account) ?? 0;
    if (forgedBy === undefined) nonces.set(account, nonce + 1);
    const tx: PlaceOrderTx = {
      kind: TxKind.PLACE, account, nonce, market: MARKET, side: Side.BUY, tif: TimeInForce.GTC, price, size, expiry: 0, clientId: 0,
      stp: SelfTradePrevention.EXPIRE_MAKER, sig: { r: new Uint8Array(32), s: new Uint8Array(32), v: 0 },
    };
    return signTx({ chainId: d.chainId, verifyingContract: d.contracts.inbox.toLowerCase() as Address }, tx, keyOf(forgedBy ?? key));
  }

  /** Posts a batch of `txs` as blobs; `tamper` breaks the header; returns the proposing block. */
  async function post(txs: Tx[], opts: { consume?: boolean; tamper?: (h: BatchHeader) => void; raw?: Uint8Array } = {}): Promise<bigint> {
    const count = Number(await pub.readContract({ address: d.contracts.inbox, abi: inboxAbi, functionName: "messageCount" }));
    const end = opts.consume === false ? consumed : count;
    const block = await pub.getBlock();
    const header: BatchHeader = { parentBatchHash: chainValue, timestamp: Number(block.timestamp), l1MsgStart: consumed, l1MsgEnd: end };
    opts.tamper?.(header);
    const bytes = opts.raw ?? encodeBatch({ header, txs });
    const r = await poster.propose(bytes, { l1MsgEnd: BigInt(end), mode: "blob", ipfsCid: new Uint8Array(0) });
    expect(r.receipt.status).to.equal("success");
    chainValue = r.event!.batchChain;
    consumed = end;
    return r.receipt.blockNumber;
  }

  async function newDeriver(name: string, extra: Partial<DeriverOptions> = {}): Promise<{ deriver: Deriver; batches: DerivedBatch[] }> {
    const store = await StateStore.open(path.join(dir, name), { sync: false });
    stores.push(store);
    const registry = new Registry();
    const deriver = await Deriver.open({
      client: pub, inbox: d.contracts.inbox, startBlock: d.startBlock,
      genesis: { domain: { chainId: d.chainId, verifyingContract: d.contracts.inbox.toLowerCase() as Address }, feeAccount: deployer.address.toLowerCase() as Address },
      store, fetcher: new BlobFetcher({ sources: [new BeaconBlobSource({ url: anvil.rpcUrl })], logger: silent, registry }),
      logger: silent, registry, pollIntervalMs: 50, ...extra,
    });
    derivers.push(deriver);
    const batches: DerivedBatch[] = [];
    deriver.on("batch", (b) => batches.push(b));
    return { deriver, batches };
  }

  before(async () => {
    loadKzg();
    dir = mkdtempSync(path.join(tmpdir(), "rollbook-derive-"));
    anvil = await startAnvil();
    const probe = createPublicClient({ transport: http(anvil.rpcUrl) });
    const chain = defineChain({ id: await probe.getChainId(), name: "anvil", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [anvil.rpcUrl] } } });
    pub = createPublicClient({ chain, transport: http(anvil.rpcUrl, { timeout: 60_000 }) }) as PublicClient;
    walletOf = (account) => createWalletClient({ account, chain, transport: http(anvil.rpcUrl) });
    // Timelock delay 0: the deployer lists a market directly through the Timelock in this test.
    d = (await deploySuite({ rpcUrl: anvil.rpcUrl, privateKey: ANVIL_DEV_KEYS[0], write: false, timelockDelay: 0n, log: () => {} })).deployment;
    const enqueue = encodeFunctionData({
      abi: inboxAbi, functionName: "enqueue",
      args: [setMarketMessage({ market: MARKET, baseAsset: 2, quoteAsset: USDC, lotSize: 1n, tickSize: 1n, minSize: 1n, makerFeePpm: 0, takerFeePpm: 0, status: 0 })],
    });
    const salt = keccak256(toHex("list market 1"));
    await send(deployer, d.contracts.timelock, encodeFunctionData({ abi: timelockAbi, functionName: "schedule", args: [d.contracts.inbox, 0n, enqueue, zeroHash, salt, 0n] }));
    await send(deployer, d.contracts.timelock, encodeFunctionData({ abi: timelockAbi, functionName: "execute", args: [d.contracts.inbox, 0n, enqueue, zeroHash, salt] }));
    poster = newPoster();
  });

  /** A poster (it caches its account's nonce: after an L1 revert the test makes a new one). */
  const newPoster = () => new BlobPoster({ client: pub, account: privateKeyToAccount(ANVIL_DEV_KEYS[3]), inbox: d.contracts.inbox, logger: silent, registry: new Registry(), pollIntervalMs: 50, timeoutMs: 60_000 });

  after(async () => {
    for (const x of derivers) await x.stop().catch(() => undefined);
    for (const s of stores) await s.close().catch(() => undefined);
    await anvil?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("deposits and blob batches of signed orders: two derivers reach the same state root", async () => {
    await deposit(alice, 1_000_000n);
    await deposit(bob, 500_000n);
    await post([place(ANVIL_DEV_KEYS[1], 100, 10), place(ANVIL_DEV_KEYS[2], 99, 20), place(ANVIL_DEV_KEYS[1], 98, 5)]);
    await deposit(bob, 1_000n); // in flight: queued, consumed by the next batch
    await post([place(ANVIL_DEV_KEYS[2], 97, 1), place(ANVIL_DEV_KEYS[1], 101, 2)]);

    const a = await newDeriver("a");
    const b = await newDeriver("b");
    // c: signers recovered on worker threads for batches fetched ahead (the recovery pipeline)
    const c = await newDeriver("pipelined", { recoveryThreads: 2, prefetchBatches: 2 });
    const sa = await a.deriver.syncToHead();
    const sb = await b.deriver.syncToHead();
    const sc = await c.deriver.syncToHead();
    expect(sa.batchIndex).to.equal(2);
    expect(sb.stateRoot).to.equal(sa.stateRoot);
    expect(sc.stateRoot).to.equal(sa.stateRoot);
    expect(c.batches.map((x) => x.root)).to.deep.equal(a.batches.map((x) => x.root));
    expect(a.batches.map((x) => x.valid)).to.deep.equal([true, true]);
    expect(a.batches.map((x) => x.txCount)).to.deep.equal([3, 2]);
    expect(a.batches.map((x) => x.l1MessageCount)).to.deep.equal([3, 1]); // SET_MARKET + 2 deposits, then 1
    const st = a.deriver.current().state;
    const alicesAccount = st.account(alice.address.toLowerCase() as Address)!;
    expect(alicesAccount.nonce).to.equal(3);
    expect(st.markets.get(MARKET)!.book.bestBid()).to.equal(101);
    // receipts: every order accepted
    for (const x of a.batches) for (let i = 0; i < x.receipts!.txCount; i++) expect(x.receipts!.tx(i).code).to.equal(ErrorCode.OK);
    // a restart resumes from the store with the same root
    expect((await a.deriver.store.load())!.head.root).to.equal(sa.stateRoot);
  });

  it("hostile proposers: garbage data, a forged signature, broken validity rules: the same no-ops on every node", async () => {
    const a = derivers[0]!;
    const b = derivers[1]!;
    const c = derivers[2]!; // with the recovery pipeline
    const seen: DerivedBatch[] = [];
    const seenC: DerivedBatch[] = [];
    a.on("batch", (x) => seen.push(x));
    c.on("batch", (x) => seenC.push(x));
    await deposit(alice, 7n);
    await post([], { raw: Uint8Array.from(Buffer.from("not a batch at all".repeat(100))) }); // garbage: decode fails, the deposit still applies
    await post([place(ANVIL_DEV_KEYS[1], 50, 1), place(ANVIL_DEV_KEYS[2], 51, 1, ANVIL_DEV_KEYS[4])]); // second signed by the wrong key
    await post([place(ANVIL_DEV_KEYS[1], 52, 1)], { tamper: (h) => (h.parentBatchHash = keccak256("0x01")) });
    nonces.set(alice.address.toLowerCase(), nonces.get(alice.address.toLowerCase())! - 1);
    await post([place(ANVIL_DEV_KEYS[1], 53, 1)], { tamper: (h) => (h.timestamp += 3600) });
    nonces.set(alice.address.toLowerCase(), nonces.get(alice.address.toLowerCase())! - 1);
    await post([place(ANVIL_DEV_KEYS[1], 54, 1)], { tamper: (h) => (h.timestamp = 1) });
    nonces.set(alice.address.toLowerCase(), nonces.get(alice.address.toLowerCase())! - 1);
    await deposit(bob, 3n);
    await post([place(ANVIL_DEV_KEYS[1], 55, 1)], { tamper: (h) => (h.l1MsgEnd -= 1) });
    nonces.set(alice.address.toLowerCase(), nonces.get(alice.address.toLowerCase())! - 1);
    const sa = await a.syncToHead();
    const sb = await b.syncToHead();
    const sc = await c.syncToHead();
    expect(sb.stateRoot).to.equal(sa.stateRoot);
    expect(sc.stateRoot).to.equal(sa.stateRoot);
    expect(seenC.map((x) => [x.root, x.invalidReason])).to.deep.equal(seen.map((x) => [x.root, x.invalidReason]));
    expect(seenC[1]!.receipts!.tx(1).code, "the forged signature is rejected with the pipeline too").to.equal(ErrorCode.WRONG_SIGNER);
    expect(seen.map((x) => x.invalidReason)).to.deep.equal([
      "UNDECODABLE_BAD_VERSION", undefined, "WRONG_PARENT", "CLOCK_AFTER_L1", "CLOCK_BEFORE_PREVIOUS", "WRONG_L1_RANGE",
    ]);
    expect(seen[5]!.l1MessageCount, "the invalid batch still consumed the deposit").to.equal(1);
    expect(seen[0]!.l1MessageCount, "the garbage batch still consumed the deposit").to.equal(1);
    expect(seen[1]!.receipts!.tx(0).code).to.equal(ErrorCode.OK);
    expect(seen[1]!.receipts!.tx(1).code).to.equal(ErrorCode.WRONG_SIGNER);
    const st = a.current().state;
    expect([...st.markets.get(MARKET)!.book.orders()].some((o) => o.price >= 51 && o.price <= 55)).to.equal(false);
  });

  it("a reorg drops a block holding a batch: both derivers roll back and converge with a fresh one", async () => {
    const [a, b, p] = derivers as [Deriver, Deriver, Deriver];
    const snap = await rpc("evm_snapshot");
    const before = a.status();
    await post([place(ANVIL_DEV_KEYS[2], 60, 3)]);
    await a.syncToHead();
    await b.syncToHead();
    await p.syncToHead();
    expect(a.status().batchIndex).to.equal(before.batchIndex + 1);
    const orphanRoot = a.status().stateRoot;
    // L1 reorg: the batch's block disappears; another batch (from another history) lands instead
    await rpc("evm_revert", [snap]);
    poster = newPoster();
    chainValue = (await pub.readContract({ address: d.contracts.inbox, abi: inboxAbi, functionName: "batchChainAt", args: [BigInt(before.batchIndex)] })) as Hex;
    nonces.set(bob.address.toLowerCase(), nonces.get(bob.address.toLowerCase())! - 1);
    await rpc("anvil_mine", ["0x3"]);
    await post([place(ANVIL_DEV_KEYS[2], 61, 4), place(ANVIL_DEV_KEYS[1], 62, 1)]);
    const reorgs: unknown[] = [];
    a.on("reorg", (r) => reorgs.push(r));
    const sa = await a.syncToHead();
    const sb = await b.syncToHead();
    const sp = await p.syncToHead();
    expect(sp.stateRoot, "the pipelined deriver rolls back and converges too").to.equal(sa.stateRoot);
    expect(reorgs.length).to.be.greaterThan(0);
    const c = await newDeriver("c");
    const sc = await c.deriver.syncToHead();
    expect(sa.batchIndex).to.equal(before.batchIndex + 1);
    expect(sa.stateRoot).to.not.equal(orphanRoot);
    expect(sb.stateRoot).to.equal(sa.stateRoot);
    expect(sc.stateRoot).to.equal(sa.stateRoot);
    expect([...a.current().state.markets.get(MARKET)!.book.orders()].some((o) => o.price === 60)).to.equal(false);
  });

  it("the background loop follows new blocks and reports sync status", async () => {
    const a = derivers[0]!;
    a.start();
    const target = a.status().batchIndex + 1;
    const got = new Promise<DerivedBatch>((resolve) => a.once("batch", resolve));
    await post([place(ANVIL_DEV_KEYS[1], 70, 1)]);
    const batch = await got;
    expect(batch.batchIndex).to.equal(target);
    await a.stop();
    const s = a.status();
    expect(s.running).to.equal(false);
    expect(s.batchIndex).to.equal(target);
    expect(s.lag).to.be.a("number");
    expect(s.pendingBatches).to.equal(0);
  });

  it("finalized history: blocks known from their logs, staged group writes, the leaf log; the same roots with and without log timestamps and the leaf log", async () => {
    await rpc("anvil_mine", ["0x50"]); // everything so far below the finalized block (anvil: head - 64)
    const a = derivers[0]!;
    const sa = await a.syncToHead();
    const headers: number[] = [];
    const counting = { getBlock: (args: Parameters<PublicClient["getBlock"]>[0]) => (headers.push(1), pub.getBlock(args)) } as unknown as PublicClient;
    // groups closed after every staged leaf: one write per batch, each written while the next one executes
    const h = await newDeriver("history", { followerClient: counting, historyCommitLeaves: 1, recoveryThreads: 1 });
    const sh = await h.deriver.syncToHead();
    expect(sh.batchIndex).to.equal(sa.batchIndex);
    expect(sh.stateRoot).to.equal(sa.stateRoot);
    // headers: the tips, the finalized range's end and the 64 unfinalized blocks (linked by parent hash), not the finalized ones
    expect(headers.length, `${headers.length} headers for ${sh.l1Derived - d.startBlock} blocks`).to.be.lessThan(64 + 16).and.lessThan(sh.l1Derived - d.startBlock - 40);
    // an L1 client whose logs carry no blockTimestamp: the headers of blocks with events are read instead
    const noTimestamps = { ...pub, getContractEvents: async (args: Parameters<PublicClient["getContractEvents"]>[0]) => (await pub.getContractEvents(args)).map((l) => ({ ...l, blockTimestamp: undefined })) } as unknown as PublicClient;
    // ... and with every leaf written as its own key (no leaf log)
    const n = await newDeriver("history-no-ts", { client: noTimestamps, historyCommitBatches: 2, logLeaves: false });
    const sn = await n.deriver.syncToHead();
    expect(sn.stateRoot).to.equal(sa.stateRoot);
    expect(n.batches.map((b) => [b.root, b.invalidReason])).to.deep.equal(h.batches.map((b) => [b.root, b.invalidReason]));
    expect(n.deriver.store.loggedBatches).to.equal(0);
    // ... and with the log folded at every group (foldBytes reached by any record)
    const f = await newDeriver("history-fold", { foldBytes: 1, historyCommitBatches: 2 });
    const sf = await f.deriver.syncToHead();
    expect(sf.stateRoot).to.equal(sa.stateRoot);
    expect(f.deriver.store.loggedBatches).to.equal(0);
    expect(f.deriver.stats.foldMs).to.be.greaterThan(0);
    expect((await f.deriver.store.load())!.head.root).to.equal(sa.stateRoot);
    // the final batches' leaves are in the leaf log; the store loads to the same root with it and after stop() folded it
    expect(h.deriver.store.loggedBatches).to.be.greaterThan(0);
    expect((await h.deriver.store.load())!.head.root).to.equal(sa.stateRoot);
    await h.deriver.stop();
    expect(h.deriver.store.loggedBatches).to.equal(0);
    expect(h.deriver.stats.foldMs).to.be.greaterThan(0);
    // restart: the store resumes at the same root
    expect((await h.deriver.store.load())!.head.root).to.equal(sa.stateRoot);
    // a batch near the head after logged history: the log is folded first, then the batch commits with its undo record
    const f2 = await newDeriver("history-then-head", {});
    await f2.deriver.syncToHead();
    expect(f2.deriver.store.loggedBatches).to.be.greaterThan(0);
    await post([]);
    const near = await f2.deriver.syncToHead();
    expect(near.batchIndex).to.equal(sa.batchIndex + 1);
    expect(f2.deriver.store.loggedBatches).to.equal(0);
    expect(await f2.deriver.store.hasUndo(near.batchIndex)).to.equal(true);
    expect((await f2.deriver.store.load())!.head.root).to.equal(near.stateRoot);
    expect((await a.syncToHead()).stateRoot).to.equal(near.stateRoot);
  });
});
