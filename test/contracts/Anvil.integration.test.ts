// End to end on a real anvil (started here on a free loopback port, stopped by PID): the deploy script, a real
// EIP-4844 blob proposal (BLOBHASH against KZG-derived versioned hashes), a calldata proposal, and
// deposit -> finalized withdrawal root (the real Settlement, attestation policy) -> claim with an
// OpenZeppelin merkle-tree proof -> double claim refused.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  keccak256,
  parseGwei,
  toBlobs,
  toHex,
  type Address,
  type Hex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { ANVIL_DEV_KEYS, startAnvil, type Anvil } from "../../node/l1/anvil.ts";
import { computeVersionedHashes, viemKzgInstance } from "../../node/da/kzg.ts";
import { deploySuite, loadArtifact, type Deployment } from "../../scripts/deploy.ts";
import { attest, encodePublicValues, envelope } from "./helpers/settle.ts";
import {
  ZERO32,
  batchCommitment,
  blobDataHash,
  depositMessage,
  events,
  expectRevert,
  nextBatchChain,
  nextQueueHash,
  proofFor,
  withdrawalTree,
} from "./helpers.ts";

describe("L1 suite on anvil (integration)", function () {
  this.timeout(300_000);
  let anvil: Anvil;
  let dir: string;
  let d: Deployment;
  let pub: any;
  const deployer = privateKeyToAccount(ANVIL_DEV_KEYS[0]);
  const alice = privateKeyToAccount(ANVIL_DEV_KEYS[1]);
  const bob = privateKeyToAccount(ANVIL_DEV_KEYS[2]);
  const abi = (n: string) => loadArtifact(n).abi;
  let walletOf: (a: typeof deployer) => any;
  const msgs: Hex[] = [];

  before(async function () {
    anvil = await startAnvil();
    dir = mkdtempSync(path.join(os.tmpdir(), "rollbook-deploy-"));
    const r = await deploySuite({ rpcUrl: anvil.rpcUrl, outDir: dir, log: () => {} });
    expect(r.reused).to.equal(false);
    d = r.deployment;
    const chain = defineChain({
      id: d.chainId,
      name: "anvil",
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [anvil.rpcUrl] } },
    });
    pub = createPublicClient({ chain, transport: http(anvil.rpcUrl, { timeout: 120_000 }) });
    walletOf = (account) => createWalletClient({ account, chain, transport: http(anvil.rpcUrl, { timeout: 120_000 }) });
  });

  after(async function () {
    await anvil?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function write(account: typeof deployer, address: Address, name: string, functionName: string, args: unknown[], extra: object = {}) {
    const hash = await walletOf(account).writeContract({ address, abi: abi(name), functionName, args, ...extra });
    const rc = await pub.waitForTransactionReceipt({ hash });
    expect(rc.status).to.equal("success");
    return rc;
  }
  const readC = (address: Address, name: string, functionName: string, args: unknown[] = []) =>
    pub.readContract({ address, abi: abi(name), functionName, args });

  it("deploy re-run is idempotent (nothing sent, same addresses)", async function () {
    const before = await pub.getBlockNumber();
    const r = await deploySuite({ rpcUrl: anvil.rpcUrl, outDir: dir, log: () => {} });
    expect(r.reused).to.equal(true);
    expect(r.deployment.contracts).to.deep.equal(d.contracts);
    expect(await pub.getBlockNumber()).to.equal(before);
  });

  it("deposit queues a DEPOSIT message", async function () {
    const token = d.contracts.devToken!;
    await write(alice, token, "DevToken", "mint", [alice.address, 1_000_000_000n]);
    await write(alice, token, "DevToken", "approve", [d.contracts.vault, 1_000_000_000n]);
    const rc = await write(alice, d.contracts.vault, "Vault", "deposit", [1, alice.address, 100_000_000n]);
    const [ev] = events(abi("Inbox"), rc.logs, "L1MessageQueued");
    msgs.push(depositMessage(alice.address, 1, 10_000n));
    expect(ev.args.message).to.equal(msgs[0]);
    expect(await readC(d.contracts.inbox, "Inbox", "queueHashAt", [1n])).to.equal(nextQueueHash(ZERO32, msgs[0]));
  });

  it("a real blob transaction proposes a batch: BLOBHASH equals the KZG-derived versioned hashes", async function () {
    const payload = toHex(new TextEncoder().encode("rollbook batch ".repeat(20_000))); // 300 kB -> 3 blobs
    const blobs = toBlobs({ data: payload }) as Hex[];
    expect(blobs.length).to.equal(3);
    const expected = computeVersionedHashes(blobs.map((b) => Buffer.from(b.slice(2), "hex")));
    const hash = await walletOf(deployer).writeContract({
      address: d.contracts.inbox,
      abi: abi("Inbox"),
      functionName: "propose",
      args: [1n, "0x0155122000" as Hex],
      blobs,
      kzg: viemKzgInstance(),
      maxFeePerBlobGas: parseGwei("30"),
    });
    const rc = await pub.waitForTransactionReceipt({ hash });
    expect(rc.status).to.equal("success");
    const tx = await pub.getTransaction({ hash });
    expect(tx.blobVersionedHashes).to.deep.equal(expected);
    const [ev] = events(abi("Inbox"), rc.logs, "BatchProposed");
    expect(ev.args.blobHashes).to.deep.equal(expected);
    const block = await pub.getBlock({ blockNumber: rc.blockNumber });
    const c1 = batchCommitment({
      batchIndex: 1n,
      dataKind: 1,
      dataHash: blobDataHash(expected),
      l1MsgStart: 0n,
      l1MsgEnd: 1n,
      queueHash: nextQueueHash(ZERO32, msgs[0]),
      l1Timestamp: block.timestamp,
      l1BlockNumber: rc.blockNumber,
      proposer: rc.from,
      startQueueHash: ZERO32,
    });
    expect(await readC(d.contracts.inbox, "Inbox", "batchChainAt", [1n])).to.equal(nextBatchChain(ZERO32, c1));
    // the blob is retrievable from the node by its versioned hash
    const res = await fetch(anvil.rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "anvil_getBlobByHash", params: [expected[0]] }),
    });
    expect(((await res.json()) as any).result).to.equal(blobs[0]);
  });

  it("a calldata batch follows", async function () {
    const rc = await write(bob, d.contracts.inbox, "Inbox", "proposeCalldata", [1n, "0xc0ffee", "0x"]);
    const [ev] = events(abi("Inbox"), rc.logs, "BatchProposed");
    expect(ev.args.batchIndex).to.equal(2n);
    expect(ev.args.calldataHash).to.equal(keccak256("0xc0ffee"));
  });

  it("deposit -> finalized withdrawal root (Settlement + attestation policy) -> claim once", async function () {
    // L2 outcome: alice withdraws 4000 units to bob and 1000 to herself
    const tree = withdrawalTree([
      [0n, bob.address, 1, 4000n],
      [1n, alice.address, 1, 1000n],
    ]);
    const pv = encodePublicValues({
      prevStateRoot: await readC(d.contracts.settlement, "Settlement", "lastStateRoot"),
      newStateRoot: keccak256(toHex("state after batch 2")),
      firstBatch: 1n,
      lastBatch: 2n,
      prevBatchChain: ZERO32,
      newBatchChain: await readC(d.contracts.inbox, "Inbox", "batchChainAt", [2n]),
      l1MessagesConsumed: 1n,
      l1QueueHash: await readC(d.contracts.inbox, "Inbox", "queueHashAt", [1n]),
      withdrawalRoot: tree.root as Hex,
      prover: deployer.address,
    });
    const sig = await attest([deployer], d.contracts.attestationVerifier, d.chainId, pv);
    await write(deployer, d.contracts.settlement, "Settlement", "finalize", [pv, envelope([{ id: 0, proof: sig }])]);
    expect(await readC(d.contracts.settlement, "Settlement", "isWithdrawalRootFinalized", [tree.root])).to.equal(true);

    const token = d.contracts.devToken!;
    const before = await readC(token, "DevToken", "balanceOf", [bob.address]);
    // anyone (here alice) may submit bob's claim; bob is paid 4000 * 10^4
    await write(alice, d.contracts.vault, "Vault", "claim", [0n, bob.address, 1, 4000n, tree.root, proofFor(tree, 0n)]);
    expect(await readC(token, "DevToken", "balanceOf", [bob.address])).to.equal(before + 40_000_000n);
    await write(alice, d.contracts.vault, "Vault", "claim", [1n, alice.address, 1, 1000n, tree.root, proofFor(tree, 1n)]);
    expect(await readC(token, "DevToken", "balanceOf", [d.contracts.vault])).to.equal(50_000_000n);
    await expectRevert(
      walletOf(bob).writeContract({
        address: d.contracts.vault,
        abi: abi("Vault"),
        functionName: "claim",
        args: [0n, bob.address, 1, 4000n, tree.root, proofFor(tree, 0n)],
      }),
      "AlreadyClaimed",
      [0n],
    );
  });
});

describe("Inbox on anvil --hardfork prague (7 blobs fit in a block there)", function () {
  this.timeout(300_000);
  let anvil: Anvil;
  after(async () => anvil?.stop());

  it("refuses a 7-blob proposal with TooManyBlobs", async function () {
    anvil = await startAnvil({ args: ["--hardfork", "prague"] });
    const account = privateKeyToAccount(ANVIL_DEV_KEYS[0]);
    const pub = createPublicClient({ transport: http(anvil.rpcUrl, { timeout: 120_000 }) });
    const chain = defineChain({
      id: await pub.getChainId(),
      name: "anvil",
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [anvil.rpcUrl] } },
    });
    const wallet = createWalletClient({ account, chain, transport: http(anvil.rpcUrl, { timeout: 120_000 }) });
    const art = loadArtifact("Inbox");
    const hash = await wallet.deployContract({
      abi: art.abi,
      bytecode: art.bytecode,
      args: [account.address, 16n, 16n, 3600, 600, 0n],
    });
    const inbox = (await pub.waitForTransactionReceipt({ hash })).contractAddress!;
    // viem's toBlobs stops at 6: build 7 canonical blobs by hand (field elements with a zero top byte)
    const blobs = Array.from({ length: 7 }, (_, i) => {
      const b = new Uint8Array(131_072);
      b[1] = i + 1;
      return toHex(b);
    });
    expect(blobs.length).to.equal(7);
    await expectRevert(
      wallet.writeContract({
        address: inbox,
        abi: art.abi,
        functionName: "propose",
        args: [0n, "0x"],
        blobs,
        kzg: viemKzgInstance(),
        maxFeePerBlobGas: parseGwei("30"),
      }),
      "TooManyBlobs",
    );
  });
});
