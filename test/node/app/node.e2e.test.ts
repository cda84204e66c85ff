// The composed node end to end on a real anvil: the suite deployed (scripts/deploy.ts), devnet assets and
// markets listed through the Timelock and deposits made (node/app/devnet.ts), node-1 (follower, sequencer,
// proposer) and node-2 (follower only, deriving from L1 alone) started with startNode.
//   deposit on L1 -> credited on L2 -> two traders cross over RPC (one resting order GTT) while another
//   deposit is in flight -> batches posted as blobs -> node-2 reaches node-1's soft state root and the same
//   receipts; /health, /ready, /metrics answer; the admin token is enforced off loopback; a graceful stop
//   and restart of node-1 loses no acknowledged transaction.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Registry } from "prom-client";
import { createPublicClient, createWalletClient, http, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { createAdminServer } from "../../../node/app/admin.ts";
import { setUpDevnetChain, type DevnetRecord } from "../../../node/app/devnet.ts";
import { startNode, type RunningNode } from "../../../node/app/node.ts";
import { RollbookClient, walletSigner } from "../../../node/client/client.ts";
import { depositToVault } from "../../../node/client/l1.ts";
import { RollbookRpcError } from "../../../node/client/transport.ts";
import { ConfigError, DEFAULT_CONFIG, validateConfig, type NodeConfig, type Role } from "../../../node/config.ts";
import { ANVIL_DEV_KEYS, startAnvil, type Anvil } from "../../../node/l1/anvil.ts";
import { DATA_KIND_BLOBS, inboxAbi } from "../../../node/l1/contracts.ts";
import { encodeTx } from "../../../node/codec/tx.ts";
import { signTx, hexToBytes, addressOfPrivateKey } from "../../../node/clob/eip712.ts";
import { TxKind, type Tx } from "../../../node/clob/types.ts";
import { devTokenAbi } from "../../../node/l1/contracts.ts";
import { deploySuite, type Deployment } from "../../../scripts/deploy.ts";
import { freeNodePorts, rpcCall, silent, until } from "./harness.ts";

describe("node/app: the composed node on anvil (e2e)", function () {
  this.timeout(180_000);
  let anvil: Anvil;
  let dir: string;
  let deployment: Deployment;
  let record: DevnetRecord;
  let node1: RunningNode;
  let node2: RunningNode;
  const keys = ANVIL_DEV_KEYS.slice(1, 4) as Hex[];
  const [alice, , carol] = keys.map((k) => privateKeyToAccount(k));

  const configFor = async (n: number, roles: Role[]): Promise<NodeConfig> => validateConfig({
    ...structuredClone(DEFAULT_CONFIG),
    dataDir: path.join(dir, `node-${n}`),
    roles,
    l1: { ...DEFAULT_CONFIG.l1, rpcUrl: anvil.rpcUrl, beaconUrl: anvil.rpcUrl },
    ipfs: { ...DEFAULT_CONFIG.ipfs, mode: "off" },
    ...(await freeNodePorts()),
    sequencer: { ...DEFAULT_CONFIG.sequencer, maxBatchAgeMs: 500, admissionThreads: 1 },
  } as unknown as Record<string, unknown>);
  let cfg1: NodeConfig;
  const start1 = () => startNode({ config: cfg1, name: "node-1", account: privateKeyToAccount(ANVIL_DEV_KEYS[0]), deployment, logger: silent, proposeMode: "blob", tickMs: 100, pollIntervalMs: 200 });

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "rollbook-app-e2e-"));
    anvil = await startAnvil();
    ({ deployment } = await deploySuite({ rpcUrl: anvil.rpcUrl, privateKey: ANVIL_DEV_KEYS[0], write: false, log: () => {} }));
    // deposit on L1 (three accounts, every asset), markets listed through the Timelock
    record = await setUpDevnetChain({ rpcUrl: anvil.rpcUrl, deployment, governor: ANVIL_DEV_KEYS[0], accounts: keys });
    await fetch(anvil.rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "evm_setIntervalMining", params: [1] }) });
    cfg1 = await configFor(1, ["follower", "sequencer", "proposer"]);
    node1 = await start1();
    node2 = await startNode({ config: await configFor(2, ["follower"]), name: "node-2", deployment, logger: silent, pollIntervalMs: 200 });
  });

  after(async () => {
    await node2?.stop();
    await node1?.stop();
    await anvil?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("credits L1 deposits on L2 on both nodes, with the markets listed", async () => {
    expect(record.markets.map((m) => m.symbol)).to.deep.equal(["ETH-USDC", "ETH-USDT", "USDT-USDC"]);
    for (const n of [node1, node2]) {
      const b = await until("deposits credited", async () => {
        const r = await rpcCall<{ balances: { asset: number; available: number }[] }>(n.rpcUrl, "rb_getBalances", { account: alice!.address });
        return r.balances.length === 3 ? r : undefined;
      });
      expect(b.balances.map((x) => x.available)).to.deep.equal([100_000_000, 1_000_000_000, 100_000_000]);
      expect((await rpcCall<{ market: number }[]>(n.rpcUrl, "rb_getMarkets", {})).map((m) => m.market)).to.deep.equal([1, 2, 3]);
    }
  });

  it("two traders cross (GTT maker, a deposit in flight); node-2 derives the same root and receipts from L1 blobs", async () => {
    const signer = (k: Hex) => walletSigner(createWalletClient({ account: privateKeyToAccount(k), transport: http(anvil.rpcUrl) }));
    const a = new RollbookClient({ url: node1.rpcUrl, signer: signer(keys[0]!) });
    const b = new RollbookClient({ url: node1.rpcUrl, signer: signer(keys[1]!) });
    const clock = Number((await createPublicClient({ transport: http(anvil.rpcUrl) }).getBlock()).timestamp);
    // a deposit in flight while trading
    const pub = createPublicClient({ transport: http(anvil.rpcUrl) });
    const carolWallet = createWalletClient({ account: carol!, transport: http(anvil.rpcUrl) });
    const amount = 5_000_000n * 10_000n;
    await pub.waitForTransactionReceipt({ hash: await carolWallet.writeContract({ address: deployment.contracts.devToken!, abi: devTokenAbi, functionName: "mint", args: [carol!.address, amount], chain: null }) });
    const depositing = depositToVault(carolWallet, pub, { vault: deployment.contracts.vault, assetId: 1, amount }).catch((e: unknown) => e);
    const ask = await a.placeOrder({ market: 1, side: "sell", price: 3000, size: 5, expiry: clock + 3600 });
    expect(ask.status).to.equal("accepted");
    const fill = await b.placeOrder({ market: 1, side: "buy", price: 3001, size: 3 });
    expect(fill.status).to.equal("accepted");
    expect(fill.fills.map((f) => [f.price, f.size])).to.deep.equal([[3000, 3]]);
    const dep = await depositing;
    expect(dep).to.not.be.instanceOf(Error);
    // a follower does not sequence: it refuses transactions with TX_REJECTED (-32003)
    const viaFollower = new RollbookClient({ url: node2.rpcUrl, signer: signer(keys[1]!) });
    const refused = await viaFollower.placeOrder({ market: 1, side: "buy", price: 3000, size: 1 }).then(() => null, (e: unknown) => e as RollbookRpcError);
    expect(refused?.code).to.equal(-32003);
    expect(refused?.message).to.match(/only follows L1/);
    const more = await b.placeOrder({ market: 1, side: "buy", price: 3000, size: 1 });
    expect(more.fills.map((f) => f.size)).to.deep.equal([1]);

    // node-1 posts everything; node-2 derives it from L1 only
    const root = await until("both nodes at the same batch with nothing pending", () => {
      const s = node1.sequencer!;
      if (s.sealed().length > 0 || s.openBatch() !== null) return undefined;
      const soft = node1.softRoot();
      return node2.status().derivedBatch === s.softState().batchIndex && node1.status().derivedBatch === node2.status().derivedBatch ? soft : undefined;
    }, 90_000);
    expect(node2.status().stateRoot).to.equal(root);
    expect(node1.status().stateRoot).to.equal(root);
    for (const tx of [ask, fill, more]) {
      const r1 = await rpcCall<{ status: string; fills: unknown[]; orders: unknown[]; batchIndex: number; code: number; level: string }>(node1.rpcUrl, "rb_getTx", { txHash: tx.txHash });
      const r2 = await rpcCall<typeof r1>(node2.rpcUrl, "rb_getTx", { txHash: tx.txHash });
      const strip = (r: typeof r1) => ({ ...r, level: undefined, fills: (r.fills as { level?: string }[]).map((f) => ({ ...f, level: undefined })) });
      expect(strip(r2)).to.deep.equal(strip(r1));
      expect(r2.level).to.equal("included");
    }
    expect((await rpcCall<{ balances: { asset: number; available: number }[] }>(node2.rpcUrl, "rb_getBalances", { account: carol!.address })).balances[0]!.available).to.equal(100_000_000 + 5_000_000);
    // every proposal was a blob proposal
    const events = await pub.getContractEvents({ address: deployment.contracts.inbox, abi: inboxAbi, eventName: "BatchProposed", fromBlock: BigInt(deployment.startBlock) });
    expect(events.length).to.be.greaterThan(0);
    for (const e of events) expect(e.args.dataKind).to.equal(DATA_KIND_BLOBS);
  });

  it("answers /health, /ready on the RPC port and /metrics on the admin listener", async () => {
    for (const n of [node1, node2]) {
      expect((await fetch(`${n.rpcUrl}/health`)).status).to.equal(200);
      const ready = await fetch(`${n.rpcUrl}/ready`);
      expect(ready.status).to.equal(200);
      expect(((await ready.json()) as { ready: boolean }).ready).to.equal(true);
      const m = await (await fetch(`${n.adminUrl}/metrics`)).text();
      for (const name of ["rollbook_derive_l1_lag_blocks", "rollbook_derive_batch_index", "rollbook_derive_reorgs_total", "rollbook_mempool_depth", "rollbook_derive_batch_seconds"]) expect(m).to.contain(name);
    }
    const m1 = await (await fetch(`${node1.adminUrl}/metrics`)).text();
    expect(m1).to.match(/rollbook_proposals_total\{result="posted"\} [1-9]/);
    expect(m1).to.match(/rollbook_da_bytes_proposed_total [1-9]/);
    expect(m1).to.contain("rollbook_batch_txs_bucket");
    expect(m1).to.match(/rollbook_admission_total\{verdict="valid"\} [1-9]/);
    // rb_rollupStatus: the follower's L1 tips and derivation on both nodes, the mempool on the sequencer only.
    type Rollup = { l1: { head: number; safe: number; finalized: number } | null; derivation: { derivedBatch: number; lagBlocks: number } | null; mempool: { depth: number } | null; contracts: Record<string, string> | null };
    const r1 = await rpcCall<Rollup>(node1.rpcUrl, "rb_rollupStatus", []);
    const r2 = await rpcCall<Rollup>(node2.rpcUrl, "rb_rollupStatus", []);
    expect(r1.l1!.head).to.be.greaterThan(0);
    expect(r1.derivation!.derivedBatch).to.be.greaterThan(0);
    expect(r1.mempool).to.not.equal(null);
    expect(r2.mempool).to.equal(null);
    expect(r2.derivation!.derivedBatch).to.be.greaterThan(0);
    expect(r1.contracts!.inbox).to.match(/^0x[0-9a-fA-F]{40}$/);
  });

  it("requires a bearer token on an admin listener off loopback", async () => {
    const bad = { ...structuredClone(DEFAULT_CONFIG), admin: { host: "0.0.0.0", port: 9999, token: "" } };
    expect(() => validateConfig(bad as unknown as Record<string, unknown>)).to.throw(ConfigError, /admin.token/);
    const token = "a-long-enough-admin-token";
    const admin = createAdminServer({ registry: new Registry(), token });
    admin.register(async (app) => {
      app.get("/mm/status", async () => ({ ok: true }));
    });
    const url = (await admin.listen("0.0.0.0", 0)).replace("0.0.0.0", "127.0.0.1");
    try {
      expect((await fetch(`${url}/metrics`)).status).to.equal(401);
      expect((await fetch(`${url}/mm/status`, { headers: { authorization: "Bearer wrong" } })).status).to.equal(401);
      expect((await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).status).to.equal(200);
      expect(await (await fetch(`${url}/mm/status`, { headers: { authorization: `Bearer ${token}` } })).json()).to.deep.equal({ ok: true });
    } finally {
      await admin.close();
    }
  });

  it("stops gracefully and restarts with no acknowledged transaction lost", async () => {
    const key = hexToBytes(keys[2]!);
    const account = addressOfPrivateKey(key);
    const domain = node1.view.domain();
    const seq = node1.sequencer!;
    const first = seq.nextNonce(account);
    const acked: string[] = [];
    for (let i = 0; i < 6; i++) {
      const tx = signTx(domain, {
        kind: TxKind.PLACE, account, nonce: first + i, market: 3, side: 0, tif: 0, price: 99 - i, size: 2, expiry: 0, clientId: i, stp: 0,
        sig: { r: new Uint8Array(32), s: new Uint8Array(32), v: 0 },
      } as Tx, key);
      const r = await seq.submit(encodeTx(tx));
      expect(r.verdict).to.equal("valid");
      if (r.verdict === "valid") acked.push(r.hash);
    }
    await node1.stop(); // right after the acknowledgements: the open batch was not posted
    node1 = await start1();
    const seq2 = node1.sequencer!;
    for (const h of acked) expect(seq2.status(h), h).to.not.equal(undefined);
    await until("acknowledged transactions included", () => acked.every((h) => ["included", "safe", "proven"].includes(seq2.status(h)?.level ?? "")) || undefined, 90_000);
    expect(node1.view.nonce(account)).to.equal(first + 6);
    const root = await until("node-2 caught up", () => node2.status().derivedBatch === node1.status().derivedBatch && seq2.sealed().length === 0 && seq2.openBatch() === null ? node1.softRoot() : undefined, 60_000);
    expect(node2.status().stateRoot).to.equal(root);
    expect(node2.view.openOrders(account, 3).length).to.equal(6);
  });
});
