// The composed node serves proofs from its own derived state (node/app/proofs.ts), on a real anvil: one
// node with every L1 role (follower, sequencer, proposer, prover with the attest backend).
//   deposits -> a trade -> a withdrawal -> batches posted -> the node's own prover finalizes on Settlement
//   -> rb_getWithdrawalProof -> `rollbook claim --tx` pays out on L1 (once); balance and exit proofs verify
//   against Settlement.lastStateRoot; then the node restarts: the same finalized range and proofs are
//   served from the store, and a withdrawal made after the restart is finalized and claimed too.
import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pino } from "pino";
import { createPublicClient, createWalletClient, http, keccak256, toHex, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { setUpDevnetChain, type DevnetRecord } from "../../../node/app/devnet.ts";
import { startNode, type RunningNode } from "../../../node/app/node.ts";
import { RollbookClient, walletSigner } from "../../../node/client/client.ts";
import { claimWithdrawal, verifyWithdrawalClaim } from "../../../node/client/l1.ts";
import { RollbookRpcError } from "../../../node/client/transport.ts";
import { DEFAULT_CONFIG, validateConfig, type NodeConfig } from "../../../node/config.ts";
import { ANVIL_DEV_KEYS, startAnvil, type Anvil } from "../../../node/l1/anvil.ts";
import { devTokenAbi, settlementAbi } from "../../../node/l1/contracts.ts";
import { verifyAccountProof, verifyBalanceProof } from "../../../node/state/proofs.ts";
import type { RollupStatus } from "../../../node/rpc/node-view.ts";
import { deploySuite, type Deployment } from "../../../scripts/deploy.ts";
import { freeNodePorts } from "./harness.ts";

const silent = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CLI = path.resolve("node/client/cli.ts");

async function until<T>(what: string, f: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 90_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

function rollbook(args: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  return new Promise((ok) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } }, (e, out, err) => ok({ code: e === null ? 0 : (e.code as number), out, err }));
  });
}

describe("node/app: the composed node serves withdrawal, balance and exit proofs, also after a restart (anvil)", function () {
  this.timeout(240_000);
  let anvil: Anvil;
  let dir: string;
  let deployment: Deployment;
  let record: DevnetRecord;
  let node: RunningNode;
  let cfg: NodeConfig;
  const keys = ANVIL_DEV_KEYS.slice(1, 4) as Hex[];
  const alice = privateKeyToAccount(keys[0]!);
  const recipient = privateKeyToAccount(keccak256(toHex("rollbook-serve-recipient"))).address.toLowerCase() as Address;
  const pub = () => createPublicClient({ transport: http(anvil.rpcUrl) });
  const client = (k: Hex) => new RollbookClient({ url: node.rpcUrl, signer: walletSigner(createWalletClient({ account: privateKeyToAccount(k), transport: http(anvil.rpcUrl) })) });
  const start = () => startNode({ config: cfg, name: "node-1", account: privateKeyToAccount(ANVIL_DEV_KEYS[0]), deployment, logger: process.env.DEBUG_LOG ? pino({ level: process.env.DEBUG_LOG }) : silent, proposeMode: "blob", tickMs: 100, pollIntervalMs: 200 });
  const tokenOf = (asset: number) => record.assets.find((a) => a.assetId === asset)!;
  const tokenBalance = (asset: number, who: Address) => pub().readContract({ address: tokenOf(asset).token, abi: devTokenAbi, functionName: "balanceOf", args: [who] }) as Promise<bigint>;
  const lastStateRoot = async () => (await pub().readContract({ address: deployment.contracts.settlement, abi: settlementAbi, functionName: "lastStateRoot" })) as Hex;
  /** The withdrawal's proof once its batch is finalized (NOT_FINALIZED until then). */
  const provenWithdrawal = (txHash: Hex) => until(`withdrawal ${txHash} finalized`, async () => {
    try {
      return await client(keys[1]!).getWithdrawalProof(txHash);
    } catch (err) {
      if (err instanceof RollbookRpcError && /finalized/i.test(err.message)) return undefined;
      throw err;
    }
  });
  let firstWithdraw: Hex;
  let trade: { ask: Hex; bid: Hex; askOrder: number };
  let firstProof: Awaited<ReturnType<RollbookClient["getWithdrawalProof"]>>;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "rollbook-serve-proofs-"));
    anvil = await startAnvil();
    ({ deployment } = await deploySuite({ rpcUrl: anvil.rpcUrl, privateKey: ANVIL_DEV_KEYS[0], write: false, log: () => {} }));
    record = await setUpDevnetChain({ rpcUrl: anvil.rpcUrl, deployment, governor: ANVIL_DEV_KEYS[0], accounts: keys });
    await fetch(anvil.rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "evm_setIntervalMining", params: [1] }) });
    cfg = validateConfig({
      ...structuredClone(DEFAULT_CONFIG),
      dataDir: path.join(dir, "node-1"),
      roles: ["follower", "sequencer", "proposer", "prover"],
      l1: { ...DEFAULT_CONFIG.l1, rpcUrl: anvil.rpcUrl, beaconUrl: anvil.rpcUrl },
      ipfs: { ...DEFAULT_CONFIG.ipfs, mode: "off" },
      ...(await freeNodePorts()),
      sequencer: { ...DEFAULT_CONFIG.sequencer, maxBatchAgeMs: 500, admissionThreads: 1 },
      // one batch per range: the Timelock listing moved anvil's clock ahead of the wall clock, so an age policy would wait
      prover: { ...DEFAULT_CONFIG.prover, maxRangeBatches: 1, maxRangeAgeMs: 500, pollMs: 200 },
    } as unknown as Record<string, unknown>);
    node = await start();
  });

  after(async () => {
    await node?.stop();
    await anvil?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("trades, withdraws, and the node's own prover finalizes: rb_getWithdrawalProof, then `rollbook claim` pays once", async () => {
    const a = client(keys[0]!);
    const b = client(keys[1]!);
    await until("deposits credited", async () => ((await a.getBalances(alice.address)).balances.length === 3 ? true : undefined));
    const ask = await a.placeOrder({ market: 1, side: "sell", price: 3000, size: 5 });
    expect(ask.status).to.equal("accepted");
    const bid = await b.placeOrder({ market: 1, side: "buy", price: 3001, size: 3 });
    expect(bid.status).to.equal("accepted");
    expect(bid.fills).to.have.length(1);
    trade = { ask: ask.txHash as Hex, bid: bid.txHash as Hex, askOrder: ask.orderId };
    const w = await a.withdraw(1, 12_345, recipient);
    expect(w.status).to.equal("accepted");
    firstWithdraw = w.txHash as Hex;
    const before = await tokenBalance(1, recipient);
    firstProof = await provenWithdrawal(firstWithdraw);
    expect(firstProof.amount).to.equal(12_345);
    expect(firstProof.recipient.toLowerCase()).to.equal(recipient);
    expect(verifyWithdrawalClaim({ withdrawalId: firstProof.withdrawalId, recipient: firstProof.recipient as Address, assetId: firstProof.asset, amount: firstProof.amount, withdrawalRoot: firstProof.withdrawalRoot as Hex, proof: firstProof.proof as Hex[] })).to.equal(true);
    expect(firstProof.stateRoot).to.equal((await node.view.finalized()).stateRoot);

    const env = { ROLLBOOK_PRIVATE_KEY: keys[1]!, ROLLBOOK_RPC_URL: node.rpcUrl };
    const args = ["claim", "--tx", firstWithdraw, "--vault", deployment.contracts.vault, "--l1", anvil.rpcUrl, "--json"];
    const r = await rollbook(args, env);
    expect(r.code, r.err).to.equal(0);
    expect(JSON.parse(r.out).claimTx).to.match(/^0x[0-9a-f]{64}$/);
    expect(await tokenBalance(1, recipient) - before).to.equal(12_345n * BigInt(tokenOf(1).quantum));
    // without --vault: the Vault of the suite the node follows (rb_rollupStatus), checked the same way
    const again = await rollbook(["claim", "--tx", firstWithdraw, "--l1", anvil.rpcUrl, "--json"], env);
    expect(again.code).to.equal(1);
    expect(again.err).to.match(/already claimed/);
    expect(JSON.parse(again.out).error.message).to.match(/already claimed/);
  });

  it("`rollbook deposit` (into the node's Vault) and `rollbook deposit-status` follow a deposit from L1 to credited", async () => {
    const amount = 2_000_000n; // USDC base units: 200 L2 units
    const wallet = createWalletClient({ account: alice, chain: { id: 31337, name: "anvil", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [anvil.rpcUrl] } } }, transport: http(anvil.rpcUrl) });
    await pub().waitForTransactionReceipt({ hash: await wallet.writeContract({ address: tokenOf(1).token, abi: devTokenAbi, functionName: "mint", args: [alice.address, amount] }) });
    const env = { ROLLBOOK_PRIVATE_KEY: keys[0]!, ROLLBOOK_RPC_URL: node.rpcUrl };
    const r = await rollbook(["deposit", "--asset", "1", "--amount", String(amount), "--l1", anvil.rpcUrl, "--json"], env);
    expect(r.code, r.err).to.equal(0);
    const dep = JSON.parse(r.out) as { depositTx: Hex; messageIndex: number; units: string; vault: string };
    expect(dep.vault).to.equal(deployment.contracts.vault);
    expect(dep.units).to.equal(String(amount / BigInt(tokenOf(1).quantum)));
    const credited = await until("deposit credited", async () => {
      const s = await rollbook(["deposit-status", String(dep.messageIndex), "--json"], env);
      if (s.code !== 0) return undefined; // NOT_FOUND until the node has seen the L1 event
      const [d] = JSON.parse(s.out) as { state: string; level: string | null; account: string }[];
      return d!.state === "credited" ? d : undefined;
    });
    expect(credited.account).to.equal(alice.address.toLowerCase());
    const byTx = await rollbook(["deposit-status", "--tx", dep.depositTx], env);
    expect(byTx.code, byTx.err).to.equal(0);
    expect(byTx.out).to.match(new RegExp(`^deposit ${dep.messageIndex}  ${dep.units} L2 units of asset 1 to ${alice.address.toLowerCase()}: credited in batch \\d+  \\((soft|included|safe|proven)\\)$`, "m"));
  });

  it("rb_rollupStatus lists the recent batches with their DA and the finalized ranges with the prover's jobs", async () => {
    const res = await fetch(node.rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "rb_rollupStatus", params: [] }) });
    const r = ((await res.json()) as { result: RollupStatus }).result;
    const proofs = r.proofs!;
    const b = r.batches!.find((x) => x.batchIndex === firstProof.batchIndex)!;
    expect(b).to.include({ calldata: false, cid: null, proposer: privateKeyToAccount(ANVIL_DEV_KEYS[0]).address.toLowerCase(), level: "proven" });
    expect(b.blobHashes.length).to.be.greaterThan(0);
    expect(b.l1Tx).to.match(/^0x[0-9a-f]{64}$/);
    expect(b.bytes).to.be.greaterThan(0);
    expect(b.txCount).to.be.greaterThan(0);
    expect(proofs.finalized[0]).to.deep.equal(node.view.finalized());
    expect(proofs.jobs!.some((j) => j.state === "finalized" && j.lastBatch === firstProof.lastBatch && j.systems.includes("attest"))).to.equal(true);
  });

  it("balance and exit proofs verify against Settlement.lastStateRoot", async () => {
    const a = client(keys[0]!);
    // The prover may still be finalizing the previous test's batches: Settlement's root and the node's latest
    // finalized root can differ for a block while one moves. Read until both name the same root.
    const { root, p, e } = await until("balance and exit proofs at Settlement's root", async () => {
      const root = await lastStateRoot();
      const p = await a.getBalanceProof(alice.address, 2);
      const e = await a.getExitProof(alice.address, 2);
      return p.proof.root === root.toLowerCase() && e.stateRoot === root.toLowerCase() && (await lastStateRoot()) === root ? { root, p, e } : undefined;
    });
    const bal = verifyBalanceProof(p.proof, 2, root);
    expect(bal.available + bal.locked).to.be.greaterThan(0);
    expect(bal).to.include({ available: p.available, locked: p.locked });
    const leaf = verifyAccountProof({ key: p.proof.key, root: e.stateRoot, leaf: e.leaf, siblings: e.siblings }, root);
    expect(leaf?.address.toLowerCase()).to.equal(alice.address.toLowerCase());
  });

  it("after a restart: the same finalized range and proofs from the store; a new withdrawal finalizes and is claimed", async () => {
    const fin = node.view.finalized();
    const balanceProof = await client(keys[0]!).getBalanceProof(alice.address, 2);
    await node.stop();
    node = await start();
    expect(node.view.finalized()).to.deep.equal(fin);
    // the receipt index from the store: transactions by hash, order history and fills, with their levels
    const bidTx = await client(keys[1]!).getTx(trade.bid);
    expect(bidTx).to.include({ status: "accepted", level: "proven" });
    expect(bidTx.fills).to.have.length(1);
    expect(bidTx.fills[0]).to.include({ makerOrderId: trade.askOrder, size: 3, price: 3000, level: "proven" });
    const history = await client(keys[0]!).getOrderHistory(alice.address);
    expect(history.find((o) => o.orderId === trade.askOrder)).to.include({ filled: 3, remaining: 2, txHash: trade.ask, level: "proven" });
    const fills = await client(keys[0]!).getFills(alice.address);
    expect(fills.map((f) => [f.makerOrderId, f.size, f.level])).to.deep.include([trade.askOrder, 3, "proven"]);
    expect(await client(keys[1]!).getWithdrawalProof(firstWithdraw)).to.deep.equal(firstProof);
    expect(await client(keys[0]!).getBalanceProof(alice.address, 2)).to.deep.equal(balanceProof);

    const w = await client(keys[0]!).withdraw(2, 777, recipient);
    expect(w.status).to.equal("accepted");
    const proof = await provenWithdrawal(w.txHash as Hex);
    expect(proof.firstBatch).to.be.greaterThan(fin.lastBatch);
    const before = await tokenBalance(2, recipient);
    const wallet = createWalletClient({ account: privateKeyToAccount(keys[2]!), chain: null as never, transport: http(anvil.rpcUrl) });
    await claimWithdrawal(wallet, pub() as never, deployment.contracts.vault, {
      withdrawalId: proof.withdrawalId, recipient: proof.recipient as Address, assetId: proof.asset, amount: proof.amount, withdrawalRoot: proof.withdrawalRoot as Hex, proof: proof.proof as Hex[],
    });
    expect(await tokenBalance(2, recipient) - before).to.equal(777n * BigInt(tokenOf(2).quantum));
    // the node's finalized root is Settlement's (read until neither moves: the prover may finalize one more range)
    await until("the node's finalized root equal to Settlement's", async () => (await lastStateRoot()).toLowerCase() === node.view.finalized().stateRoot);
  });
});
