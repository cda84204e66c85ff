// Node-served proofs accepted by the real contracts on anvil (docs/api.md "Proofs"): a SoftNode (real STF
// and state commitment) behind the RPC server follows real Vault deposits; its batch is proposed to the
// Inbox, re-derived from the proposal (its root equals the node's), finalized in Settlement with the node's
// state and withdrawal roots (devnet attestation); then `rollbook claim --tx` claims the withdrawal with the
// node's proof, and after the rollup freezes (desert mode) each account exits with rb_getExitProof, which
// the Vault checks with StateProof against Settlement.lastStateRoot.

import { expect } from "chai";
import { execFile } from "node:child_process";
import path from "node:path";
import { createPublicClient, createWalletClient, defineChain, hexToBytes, http, keccak256, toHex, bytesToHex, type Address, type Hex } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { RollbookClient } from "../../../node/client/client.ts";
import { depositToVault } from "../../../node/client/l1.ts";
import { decodeL1Message } from "../../../node/clob/l1messages.ts";
import { createGenesisState } from "../../../node/clob/state.ts";
import { apply } from "../../../node/clob/stf.ts";
import type { Tx } from "../../../node/clob/types.ts";
import { decodeBatch, encodeBatch } from "../../../node/codec/index.ts";
import { ANVIL_DEV_KEYS, startAnvil, type Anvil } from "../../../node/l1/anvil.ts";
import { RpcErrors } from "../../../node/rpc/errors.ts";
import { createRpcServer, type RpcServer } from "../../../node/rpc/server.ts";
import { SoftNode } from "../../../node/rpc/soft-node.ts";
import { StateCommitment, hex } from "../../../node/state/commitment.ts";
import { deploySuite, loadArtifact, type Deployment } from "../../../scripts/deploy.ts";
import { expectRevert } from "../../contracts/helpers.ts";
import { attest, encodePublicValues, envelope } from "../../contracts/helpers/settle.ts";

const ASSET = 1; // DevToken, registered by deploySuite on devnets
const CLI = path.resolve("node/client/cli.ts");

function rollbook(args: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  return new Promise((ok) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } }, (e, out, err) => ok({ code: e === null ? 0 : (e.code as number), out, err }));
  });
}

describe("rpc proofs on L1: node-served withdrawal and exit proofs accepted by the real Vault (anvil)", function () {
  this.timeout(120_000);
  let anvil: Anvil;
  let d: Deployment;
  let pub: any;
  let walletOf: (a: PrivateKeyAccount) => any;
  let node: SoftNode;
  let server: RpcServer;
  let url: string;
  let quantum: bigint;
  let l1Now = 0;
  const submitted: Tx[] = [];
  /** The Withdraw transaction's hash (its receipt). */
  let withdrawTxHash = "";
  const depositTxs: Hex[] = [];

  const deployer = privateKeyToAccount(ANVIL_DEV_KEYS[0]);
  const trader = privateKeyToAccount(ANVIL_DEV_KEYS[1]);
  const bob = privateKeyToAccount(ANVIL_DEV_KEYS[2]);
  const recipient = privateKeyToAccount(keccak256(toHex("rollbook-proofs-recipient"))).address.toLowerCase() as Address;
  const TRADER_DEPOSIT = 50_000, BOB_DEPOSIT = 8_000, WITHDRAW = 12_345;

  const abi = (n: string) => loadArtifact(n).abi;
  const readC = (address: Address, name: string, functionName: string, args: unknown[] = []) => pub.readContract({ address, abi: abi(name), functionName, args });
  async function write(account: PrivateKeyAccount, address: Address, name: string, functionName: string, args: unknown[]) {
    const hash = await walletOf(account).writeContract({ address, abi: abi(name), functionName, args });
    const rc = await pub.waitForTransactionReceipt({ hash });
    expect(rc.status, `${name}.${functionName}`).to.equal("success");
    return rc;
  }
  const tokenBalance = (who: Address): Promise<bigint> => readC(d.contracts.devToken!, "DevToken", "balanceOf", [who]);

  before(async function () {
    anvil = await startAnvil();
    const chainId = await createPublicClient({ transport: http(anvil.rpcUrl) }).getChainId();
    const chain = defineChain({ id: chainId, name: "anvil", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [anvil.rpcUrl] } } });
    pub = createPublicClient({ chain, transport: http(anvil.rpcUrl) });
    walletOf = (account) => createWalletClient({ account, chain, transport: http(anvil.rpcUrl) });
    d = (await deploySuite({ rpcUrl: anvil.rpcUrl, privateKey: ANVIL_DEV_KEYS[0], write: false, log: () => {} })).deployment;
    quantum = (await readC(d.contracts.vault, "Vault", "assets", [ASSET]))[1];
    // the L2 genesis of this deployment (domain {L1 chain id, Inbox}, devnet fee account = the deployer)
    node = new SoftNode({ domain: { chainId, verifyingContract: d.contracts.inbox.toLowerCase() as Address }, feeAccount: deployer.address.toLowerCase() as Address, now: () => l1Now });
    expect(node.stateRoot(0)).to.equal(d.parameters.genesisStateRoot);
    const submit = node.submit.bind(node);
    node.submit = (tx: Tx) => {
      submitted.push(tx);
      return submit(tx);
    };
    server = await createRpcServer({ view: node, options: { l2ChainId: 4242 } });
    url = await server.listen("127.0.0.1", 0);
  });

  after(async function () {
    await server?.close();
    await anvil?.stop();
  });

  it("deposits on L1 are followed by their L1 tx hash to credited; the withdrawal waits for finalization (NOT_FINALIZED)", async function () {
    for (const [who, units] of [[trader, TRADER_DEPOSIT], [bob, BOB_DEPOSIT]] as const) {
      const amount = BigInt(units) * quantum;
      await write(who, d.contracts.devToken!, "DevToken", "mint", [who.address, amount]);
      const r = await depositToVault(walletOf(who), pub, { vault: d.contracts.vault, assetId: ASSET, amount });
      expect(r.units).to.equal(BigInt(units));
      depositTxs.push(r.depositTx);
    }
    // as derivation sees them: the Inbox's L1MessageQueued events, in queue order, with their L1 tx
    const logs = await pub.getContractEvents({ address: d.contracts.inbox, abi: abi("Inbox"), eventName: "L1MessageQueued", fromBlock: BigInt(d.startBlock) });
    for (const l of logs) expect(node.enqueueL1(decodeL1Message(hexToBytes(l.args.message)), l.transactionHash)).to.equal(Number(l.args.index));
    l1Now = Number((await pub.getBlock()).timestamp);
    const client = new RollbookClient({ url, signer: trader });
    expect(await client.getDepositsByTx(depositTxs[1])).to.deep.equal([
      { queueIndex: 1, l1TxHash: depositTxs[1], account: bob.address.toLowerCase(), asset: ASSET, amount: BOB_DEPOSIT, state: "queued", batchIndex: 0, level: null },
    ]);

    const w = await client.withdraw(ASSET, WITHDRAW, recipient);
    expect(w).to.include({ status: "accepted", withdrawalId: 0 });
    withdrawTxHash = w.txHash;
    const r = await rollbook(["claim", "--tx", w.txHash, "--vault", d.contracts.vault, "--l1", anvil.rpcUrl, "--url", url], { ROLLBOOK_PRIVATE_KEY: ANVIL_DEV_KEYS[1] });
    expect(r.code).to.equal(1);
    expect(r.err).to.match(/not yet finalized/);
    expect(node.seal()).to.equal(1);
    expect((await client.getDepositsByTx(depositTxs[0]))[0]).to.include({ queueIndex: 0, state: "credited", batchIndex: 1, level: "soft" });
    const res = await fetch(url, { method: "POST", body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "rb_getWithdrawalProof", params: [0] }) });
    expect(((await res.json()) as any).error).to.deep.include({ code: RpcErrors.NOT_FINALIZED.code });
  });

  it("the batch is proposed and re-derived from L1 to the node's root, then finalized with the node's roots", async function () {
    const batchBytes = encodeBatch({
      header: { parentBatchHash: await readC(d.contracts.inbox, "Inbox", "batchChainAt", [0n]), timestamp: l1Now, l1MsgStart: 0, l1MsgEnd: 2 },
      txs: submitted,
    });
    await write(deployer, d.contracts.inbox, "Inbox", "proposeCalldata", [2n, bytesToHex(batchBytes), "0x"]);
    // derivation's view: the STF over the decoded batch and the queued messages gives the node's root
    const decoded = decodeBatch(batchBytes);
    if (!decoded.ok) throw new Error(decoded.reasonName);
    const genesis = createGenesisState({ domain: node.domain(), feeAccount: deployer.address.toLowerCase() as Address });
    const logs = await pub.getContractEvents({ address: d.contracts.inbox, abi: abi("Inbox"), eventName: "L1MessageQueued", fromBlock: BigInt(d.startBlock) });
    const derived = apply(genesis, { index: 1, timestamp: l1Now, txs: decoded.batch.txs }, logs.map((l: any) => decodeL1Message(hexToBytes(l.args.message))));
    expect(hex(StateCommitment.fromState(derived.state).root())).to.equal(node.stateRoot(1));

    const settlement = d.contracts.settlement;
    const consumed: bigint = await readC(d.contracts.inbox, "Inbox", "consumedCount");
    const pv = encodePublicValues({
      prevStateRoot: await readC(settlement, "Settlement", "lastStateRoot"),
      newStateRoot: node.stateRoot(1) as Hex,
      firstBatch: 1n,
      lastBatch: 1n,
      prevBatchChain: await readC(d.contracts.inbox, "Inbox", "batchChainAt", [0n]),
      newBatchChain: await readC(d.contracts.inbox, "Inbox", "batchChainAt", [1n]),
      l1MessagesConsumed: consumed,
      l1QueueHash: await readC(d.contracts.inbox, "Inbox", "queueHashAt", [consumed]),
      withdrawalRoot: node.withdrawalRoot(1, 1) as Hex,
      prover: deployer.address,
    });
    const sig = await attest([deployer], d.contracts.attestationVerifier, d.chainId, pv);
    await write(deployer, settlement, "Settlement", "finalize", [pv, envelope([{ id: 0, proof: sig }])]);
    // the node's L1 follower reports the finalization
    node.markLevel(1, "proven");
    const fin = await new RollbookClient({ url }).getFinalized();
    expect(fin.stateRoot).to.equal(await readC(settlement, "Settlement", "lastStateRoot"));
    expect(await readC(settlement, "Settlement", "isWithdrawalRootFinalized", [fin.withdrawalRoot])).to.equal(true);
    expect((await new RollbookClient({ url }).getDepositsByTx(depositTxs[0]))[0]).to.include({ state: "credited", level: "proven" });
  });

  it("`rollbook claim --tx` claims with the node-served proof, once", async function () {
    const env = { ROLLBOOK_PRIVATE_KEY: ANVIL_DEV_KEYS[1] };
    const args = ["claim", "--tx", withdrawTxHash, "--vault", d.contracts.vault, "--l1", anvil.rpcUrl, "--url", url];
    const r = await rollbook(args, env);
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.match(/claimed withdrawal 0: L1 tx 0x[0-9a-f]{64}/);
    expect(await tokenBalance(recipient)).to.equal(BigInt(WITHDRAW) * quantum);
    expect(await readC(d.contracts.vault, "Vault", "isClaimed", [0n])).to.equal(true);
    // the CLI checks before paying gas: a second claim is refused without a transaction
    const again = await rollbook(["claim", "--withdrawal", "0", "--vault", d.contracts.vault, "--l1", anvil.rpcUrl, "--url", url], env);
    expect(again.code).to.equal(1);
    expect(again.err).to.match(/already claimed/);
  });

  it("desert mode: each account exits with rb_getExitProof, checked by StateProof on L1; nothing is paid twice", async function () {
    const vault = d.contracts.vault;
    const delay: bigint = await readC(vault, "Vault", "escapeDelay");
    await pub.request({ method: "evm_increaseTime", params: [Number(delay) + 1] });
    await pub.request({ method: "evm_mine", params: [] });
    await write(bob, vault, "Vault", "freeze", []);
    const client = new RollbookClient({ url });
    const held = await tokenBalance(vault);
    let paid = 0n;
    for (const [who, units] of [[trader, TRADER_DEPOSIT - WITHDRAW], [bob, BOB_DEPOSIT]] as const) {
      const e = await client.getExitProof(who.address, ASSET);
      expect(e).to.include({ amount: units, stateRoot: await readC(d.contracts.settlement, "Settlement", "lastStateRoot") });
      // a tampered sibling is refused by StateProof.verifyAccount
      const bad = [...e.siblings];
      bad[bad.length - 1] = bytesToHex(hexToBytes(bad[bad.length - 1] as Hex).map((b, i) => (i === 0 ? b ^ 1 : b)));
      await expectRevert(walletOf(deployer).writeContract({ address: vault, abi: abi("Vault"), functionName: "exit", args: [who.address, ASSET, e.leaf, bad] }), "InvalidStateProof");
      const before = await tokenBalance(who.address);
      // anyone submits it (here the deployer); the tokens go to the account
      await write(deployer, vault, "Vault", "exit", [who.address, ASSET, e.leaf, e.siblings]);
      expect(await tokenBalance(who.address)).to.equal(before + BigInt(units) * quantum);
      paid += BigInt(units) * quantum;
      await expectRevert(walletOf(deployer).writeContract({ address: vault, abi: abi("Vault"), functionName: "exit", args: [who.address, ASSET, e.leaf, e.siblings] }), "AlreadyExited");
    }
    expect(paid).to.equal(held);
    expect(await tokenBalance(vault)).to.equal(0n);
  });

});
