// End to end across L1 and L2 with real components only: a real anvil (startAnvil), the real contract suite
// (scripts/deploy.ts deploySuite: Timelock, Inbox, Vault, Settlement, AttestationVerifier policy, DevToken),
// the real STF (node/clob), batch codec (node/codec), calldata retrieval (node/da), state commitment
// (node/state/commitment.ts) and withdrawal tree (node/state/withdrawals.ts).
//
//   L1 deposits (Vault.deposit) -> L1MessageQueued events -> decodeL1Message + queue hash chain
//   -> signed WITHDRAW txs -> encodeBatch -> Inbox.proposeCalldata -> batch bytes back from the L1 tx input
//   -> decodeBatch -> STF apply (deposits credited, withdrawals recorded, balances debited)
//   -> state root + WithdrawalTree root -> Settlement.finalize (deployer attestation) -> Vault.claim
//   (paid amount * quantum once; AlreadyClaimed, InvalidProof, RootNotFinalized refused with no balance change).
//
// The Settlement's genesis root is the real genesis commitment of the STF for this chain's EIP-712 domain
// (the domain names the Inbox, so the Inbox address is predicted from the deployer's nonce before deploying).
import { expect } from "chai";
import {
  bytesToHex,
  createPublicClient,
  createWalletClient,
  defineChain,
  hexToBytes,
  http,
  keccak256,
  toHex,
  type Address,
  type Hex,
} from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { ANVIL_DEV_KEYS, startAnvil, type Anvil } from "../../../node/l1/anvil.ts";
import { deploySuite, loadArtifact, type Deployment } from "../../../scripts/deploy.ts";
import { decodeL1Message, nextQueueHash } from "../../../node/clob/l1messages.ts";
import { signTx, addressOfPrivateKey } from "../../../node/clob/eip712.ts";
import { createGenesisState, type ClobState } from "../../../node/clob/state.ts";
import { ReceiptStatus } from "../../../node/clob/receipts.ts";
import { apply, type BatchResult } from "../../../node/clob/stf.ts";
import { ErrorCode } from "../../../node/clob/errors.ts";
import { L1MessageKind, TxKind, type L1Message, type WithdrawTx } from "../../../node/clob/types.ts";
import { decodeBatch, encodeBatch } from "../../../node/codec/index.ts";
import { calldataBatchFromInput } from "../../../node/da/fetcher.ts";
import { StateCommitment, hex } from "../../../node/state/commitment.ts";
import { WithdrawalTree, type WithdrawalRecord } from "../../../node/state/withdrawals.ts";
import { attest, encodePublicValues, envelope } from "../../contracts/helpers/settle.ts";
import {
  ZERO32,
  batchCommitment,
  events,
  expectRevert,
  nextBatchChain,
  proofFor,
  withdrawalTree,
  type WithdrawalLeaf,
} from "../../contracts/helpers.ts";

const ASSET = 1; // DevToken "USDC", registered by deploySuite on devnets
const lower = (a: string) => a.toLowerCase() as Address;

describe("e2e: L1 deposit -> L2 WITHDRAW -> finalized withdrawal root -> Vault claim", function () {
  this.timeout(120_000);

  let anvil: Anvil;
  let d: Deployment;
  let pub: any;
  let walletOf: (a: PrivateKeyAccount) => any;
  let quantum: bigint;
  let genesis: ClobState;
  let genesisRoot: Hex;

  const deployer = privateKeyToAccount(ANVIL_DEV_KEYS[0]);
  const trader = privateKeyToAccount(ANVIL_DEV_KEYS[1]);
  const bob = privateKeyToAccount(ANVIL_DEV_KEYS[2]);
  // an L1 address with no history: receives the trader's withdrawal, never sends a transaction
  const recipient = lower(privateKeyToAccount(keccak256(toHex("rollbook-e2e-recipient"))).address);

  // L2 units per deposit / withdrawal
  const TRADER_DEPOSIT = 100_000;
  const BOB_DEPOSIT = 7_000;
  const TRADER_WITHDRAW = 40_000;
  const BOB_WITHDRAW = 5_000;

  const abi = (n: string) => loadArtifact(n).abi;
  const readC = (address: Address, name: string, functionName: string, args: unknown[] = []) =>
    pub.readContract({ address, abi: abi(name), functionName, args });
  async function write(account: PrivateKeyAccount, address: Address, name: string, functionName: string, args: unknown[]) {
    const hash = await walletOf(account).writeContract({ address, abi: abi(name), functionName, args });
    const rc = await pub.waitForTransactionReceipt({ hash });
    expect(rc.status, `${name}.${functionName}`).to.equal("success");
    return rc;
  }
  const tokenBalance = (who: Address): Promise<bigint> => readC(d.contracts.devToken!, "DevToken", "balanceOf", [who]);

  // shared between the steps (each `it` continues the previous one's chain state)
  const queued: { index: bigint; queueHash: Hex; message: Hex }[] = [];
  let l1Messages: L1Message[] = [];
  let batchBytes: Uint8Array;
  let proposal: { blockNumber: bigint; timestamp: bigint; calldataHash: Hex; batchChain: Hex; l1MsgEnd: bigint };
  let result: BatchResult & { state: ClobState };
  let tree: WithdrawalTree;
  let newStateRoot: Hex;

  before(async function () {
    anvil = await startAnvil();
    const probe = createPublicClient({ transport: http(anvil.rpcUrl) });
    const chainId = await probe.getChainId();
    const chain = defineChain({
      id: chainId,
      name: "anvil",
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [anvil.rpcUrl] } },
    });
    pub = createPublicClient({ chain, transport: http(anvil.rpcUrl) });
    walletOf = (account) => createWalletClient({ account, chain, transport: http(anvil.rpcUrl) });

    // The deploy script seeds Settlement with the root of the L2 genesis state (its EIP-712 domain is
    // {chainId, Inbox}, fee account = the deployer on devnets): the state this test derives from.
    const r = await deploySuite({ rpcUrl: anvil.rpcUrl, privateKey: ANVIL_DEV_KEYS[0], write: false, log: () => {} });
    d = r.deployment;
    genesis = createGenesisState({ domain: { chainId, verifyingContract: d.contracts.inbox }, feeAccount: deployer.address });
    genesisRoot = hex(StateCommitment.fromState(genesis).root());
    expect(d.parameters.genesisStateRoot).to.equal(genesisRoot);
    expect(await readC(d.contracts.settlement, "Settlement", "lastStateRoot")).to.equal(genesisRoot);
    const [, q] = await readC(d.contracts.vault, "Vault", "assets", [ASSET]);
    quantum = q;
    expect(quantum).to.equal(BigInt(d.assets.find((a) => a.assetId === ASSET)!.quantum));
  });

  after(async function () {
    await anvil?.stop();
  });

  it("L1: Vault.deposit queues DEPOSIT messages; decoded and hash-chained as docs/l1-messages.md", async function () {
    const token = d.contracts.devToken!;
    const deposits: [PrivateKeyAccount, number][] = [
      [trader, TRADER_DEPOSIT],
      [bob, BOB_DEPOSIT],
    ];
    for (const [who, units] of deposits) {
      const amount = BigInt(units) * quantum;
      await write(who, token, "DevToken", "mint", [who.address, amount]);
      await write(who, token, "DevToken", "approve", [d.contracts.vault, amount]);
      const rc = await write(who, d.contracts.vault, "Vault", "deposit", [ASSET, who.address, amount]);
      const [dep] = events(abi("Vault"), rc.logs, "Deposited");
      const [ev] = events(abi("Inbox"), rc.logs, "L1MessageQueued");
      expect(dep.args.messageIndex).to.equal(ev.args.index);
      expect(dep.args.amount).to.equal(amount);
      queued.push({ index: ev.args.index, queueHash: ev.args.queueHash, message: ev.args.message });
    }
    expect(await tokenBalance(d.contracts.vault)).to.equal(BigInt(TRADER_DEPOSIT + BOB_DEPOSIT) * quantum);

    // a follower's view: the events from the chain's logs (not the receipts), in queue order
    const logs = await pub.getContractEvents({
      address: d.contracts.inbox,
      abi: abi("Inbox"),
      eventName: "L1MessageQueued",
      fromBlock: BigInt(d.startBlock),
    });
    expect(logs.map((l: any) => l.args.message)).to.deep.equal(queued.map((q) => q.message));

    let q: Uint8Array = new Uint8Array(32);
    for (const [i, ev] of queued.entries()) {
      expect(ev.index).to.equal(BigInt(i));
      const bytes = hexToBytes(ev.message);
      expect(bytes.length).to.equal(33);
      const m = decodeL1Message(bytes);
      expect(m).to.deep.equal({
        kind: L1MessageKind.DEPOSIT,
        account: lower(deposits[i][0].address),
        asset: ASSET,
        amount: deposits[i][1],
      });
      q = nextQueueHash(q, bytes);
      expect(bytesToHex(q)).to.equal(ev.queueHash);
      expect(await readC(d.contracts.inbox, "Inbox", "queueHashAt", [BigInt(i + 1)])).to.equal(ev.queueHash);
      l1Messages.push(m);
    }
    expect(await readC(d.contracts.inbox, "Inbox", "messageCount")).to.equal(2n);
  });

  it("L1: a calldata batch of signed WITHDRAW txs is proposed and consumes the deposits (b(1))", async function () {
    const domain = genesis.config.domain;
    expect(domain).to.deep.equal({ chainId: d.chainId, verifyingContract: lower(d.contracts.inbox) });
    const key = (k: Hex) => hexToBytes(k);
    expect(addressOfPrivateKey(key(ANVIL_DEV_KEYS[1]))).to.equal(lower(trader.address));
    const withdraw = (k: Hex, nonce: number, amount: number, to: Address): WithdrawTx =>
      signTx(
        domain,
        {
          kind: TxKind.WITHDRAW,
          account: addressOfPrivateKey(key(k)),
          nonce,
          asset: ASSET,
          amount,
          recipient: to,
          sig: { r: new Uint8Array(32), s: new Uint8Array(32), v: 0 },
        },
        key(k),
      );
    const txs = [
      withdraw(ANVIL_DEV_KEYS[1], 0, TRADER_WITHDRAW, recipient), // trader -> fresh recipient
      withdraw(ANVIL_DEV_KEYS[2], 0, BOB_WITHDRAW, lower(bob.address)), // bob -> himself
      withdraw(ANVIL_DEV_KEYS[1], 1, TRADER_DEPOSIT, recipient), // more than is left: FAILED, no record
    ];
    const head = await pub.getBlock();
    batchBytes = encodeBatch({
      header: {
        parentBatchHash: await readC(d.contracts.inbox, "Inbox", "batchChainAt", [0n]),
        timestamp: Number(head.timestamp),
        l1MsgStart: 0,
        l1MsgEnd: queued.length,
      },
      txs,
    });
    const l1MsgEnd = BigInt(queued.length);
    const rc = await write(deployer, d.contracts.inbox, "Inbox", "proposeCalldata", [l1MsgEnd, bytesToHex(batchBytes), "0x"]);
    const [ev] = events(abi("Inbox"), rc.logs, "BatchProposed");
    expect(ev.args.batchIndex).to.equal(1n);
    expect(ev.args.dataKind).to.equal(2);
    expect(ev.args.l1MsgStart).to.equal(0n);
    expect(ev.args.l1MsgEnd).to.equal(l1MsgEnd);
    expect(ev.args.queueHash).to.equal(queued[queued.length - 1].queueHash);
    expect(ev.args.calldataHash).to.equal(keccak256(batchBytes));
    const block = await pub.getBlock({ blockNumber: rc.blockNumber });
    // b(1) = H(b(0) ‖ c(1)), recomputed from the event and the block
    const c1 = batchCommitment({
      batchIndex: 1n,
      dataKind: 2,
      dataHash: keccak256(batchBytes),
      l1MsgStart: 0n,
      l1MsgEnd,
      queueHash: ev.args.queueHash,
      l1Timestamp: block.timestamp,
      l1BlockNumber: rc.blockNumber,
    });
    expect(ev.args.batchChain).to.equal(nextBatchChain(ZERO32, c1));
    expect(await readC(d.contracts.inbox, "Inbox", "batchChainAt", [1n])).to.equal(ev.args.batchChain);
    expect(await readC(d.contracts.inbox, "Inbox", "consumedCount")).to.equal(l1MsgEnd);
    proposal = {
      blockNumber: rc.blockNumber,
      timestamp: block.timestamp,
      calldataHash: ev.args.calldataHash,
      batchChain: ev.args.batchChain,
      l1MsgEnd,
    };
  });

  it("L2: the batch derived from the L1 tx applies: deposits credited, WITHDRAWs recorded and debited", async function () {
    // derivation: the batch bytes come back from the proposing transaction's input, checked against the event
    const [ev] = await pub.getContractEvents({
      address: d.contracts.inbox,
      abi: abi("Inbox"),
      eventName: "BatchProposed",
      args: { batchIndex: 1n },
      fromBlock: proposal.blockNumber,
      toBlock: proposal.blockNumber,
    });
    const tx = await pub.getTransaction({ hash: ev.transactionHash });
    const bytes = calldataBatchFromInput(tx.input, ev.args.calldataHash);
    expect(bytes, "batch bytes from calldata").to.not.equal(undefined);
    expect(bytesToHex(bytes!)).to.equal(bytesToHex(batchBytes));
    const decoded = decodeBatch(bytes!);
    if (!decoded.ok) throw new Error(`batch does not decode: ${decoded.reasonName}`);
    expect(decoded.batch.header.parentBatchHash).to.equal(ZERO32);
    expect(decoded.batch.header.l1MsgStart).to.equal(Number(ev.args.l1MsgStart));
    expect(decoded.batch.header.l1MsgEnd).to.equal(Number(ev.args.l1MsgEnd));
    expect(decoded.batch.header.timestamp).to.be.at.most(Number(proposal.timestamp));
    const msgs = l1Messages.slice(Number(ev.args.l1MsgStart), Number(ev.args.l1MsgEnd));

    result = apply(genesis, { index: 1, timestamp: Number(proposal.timestamp), txs: decoded.batch.txs }, msgs);
    const s = result.state;
    expect(genesis.batchIndex, "pre-state untouched").to.equal(0);

    expect(result.receipts.l1().map((r) => [r.index, r.kind, r.code, r.amount, r.withdrawalId])).to.deep.equal([
      [0, L1MessageKind.DEPOSIT, ErrorCode.OK, TRADER_DEPOSIT, -1],
      [1, L1MessageKind.DEPOSIT, ErrorCode.OK, BOB_DEPOSIT, -1],
    ]);
    expect(result.receipts.txs().map((r) => [r.index, r.kind, r.account, r.nonce, r.status, r.code, r.withdrawalId])).to.deep.equal([
      [0, TxKind.WITHDRAW, lower(trader.address), 0, ReceiptStatus.ACCEPTED, ErrorCode.OK, 0],
      [1, TxKind.WITHDRAW, lower(bob.address), 0, ReceiptStatus.ACCEPTED, ErrorCode.OK, 1],
      [2, TxKind.WITHDRAW, lower(trader.address), 1, ReceiptStatus.FAILED, ErrorCode.INSUFFICIENT_BALANCE, -1],
    ]);
    expect(result.withdrawals).to.deep.equal([
      { withdrawalId: 0, recipient, asset: ASSET, amount: TRADER_WITHDRAW },
      { withdrawalId: 1, recipient: lower(bob.address), asset: ASSET, amount: BOB_WITHDRAW },
    ]);

    expect(s.batchIndex).to.equal(1);
    expect(s.timestamp).to.equal(Number(proposal.timestamp));
    expect(s.l1MessagesConsumed).to.equal(Number(proposal.l1MsgEnd));
    expect(s.nextWithdrawalId).to.equal(2);
    expect(s.account(lower(trader.address))!.available(ASSET)).to.equal(TRADER_DEPOSIT - TRADER_WITHDRAW);
    expect(s.account(lower(trader.address))!.nonce).to.equal(2); // the FAILED tx consumed its nonce
    expect(s.account(lower(bob.address))!.available(ASSET)).to.equal(BOB_DEPOSIT - BOB_WITHDRAW);
    expect(s.account(recipient), "a withdrawal recipient gets no L2 account").to.equal(undefined);
    expect(s.assets.get(ASSET)!.supply).to.equal(TRADER_DEPOSIT + BOB_DEPOSIT - TRADER_WITHDRAW - BOB_WITHDRAW);

    newStateRoot = hex(StateCommitment.fromState(s).root());
    expect(newStateRoot).to.not.equal(genesisRoot);

    // the node's tree over the STF's records equals OpenZeppelin's StandardMerkleTree over the Vault's leaf
    tree = new WithdrawalTree(result.withdrawals as WithdrawalRecord[]);
    const oz = withdrawalTree(
      result.withdrawals.map((w): WithdrawalLeaf => [BigInt(w.withdrawalId), w.recipient, w.asset, BigInt(w.amount)]),
    );
    expect(hex(tree.root)).to.equal(oz.root);
    for (const w of result.withdrawals) {
      expect(tree.proof(w.withdrawalId).map(hex)).to.deep.equal(proofFor(oz, BigInt(w.withdrawalId)));
    }
  });

  it("L1: Settlement finalizes (0,1] with the real roots, attested by the devnet signer", async function () {
    const settlement = d.contracts.settlement;
    expect(await readC(settlement, "Settlement", "isWithdrawalRootFinalized", [hex(tree.root)])).to.equal(false);
    const consumed: bigint = await readC(d.contracts.inbox, "Inbox", "consumedCount");
    expect(consumed).to.equal(BigInt(result.state.l1MessagesConsumed));
    const pv = encodePublicValues({
      prevStateRoot: await readC(settlement, "Settlement", "lastStateRoot"),
      newStateRoot,
      firstBatch: 1n,
      lastBatch: 1n,
      prevBatchChain: await readC(d.contracts.inbox, "Inbox", "batchChainAt", [0n]),
      newBatchChain: await readC(d.contracts.inbox, "Inbox", "batchChainAt", [1n]),
      l1MessagesConsumed: consumed,
      l1QueueHash: await readC(d.contracts.inbox, "Inbox", "queueHashAt", [consumed]),
      withdrawalRoot: hex(tree.root),
      prover: deployer.address,
    });
    const sig = await attest([deployer], d.contracts.attestationVerifier, d.chainId, pv);
    await write(deployer, settlement, "Settlement", "finalize", [pv, envelope([{ id: 0, proof: sig }])]);
    expect(await readC(settlement, "Settlement", "isWithdrawalRootFinalized", [hex(tree.root)])).to.equal(true);
    expect(await readC(settlement, "Settlement", "lastStateRoot")).to.equal(newStateRoot);
    expect(await readC(settlement, "Settlement", "lastBatch")).to.equal(1n);
    expect(await readC(settlement, "Settlement", "lastBatchChain")).to.equal(proposal.batchChain);
  });

  it("L1: forged claims revert (wrong amount, recipient, proof; unfinalized root) and move no tokens", async function () {
    const vault = d.contracts.vault;
    const root = hex(tree.root);
    const proof = tree.proof(0).map(hex);
    expect(proof.length).to.equal(1);
    const before = [await tokenBalance(recipient), await tokenBalance(vault), await tokenBalance(trader.address)];
    const claim = (args: unknown[]) =>
      walletOf(trader).writeContract({ address: vault, abi: abi("Vault"), functionName: "claim", args });

    await expectRevert(claim([0n, recipient, ASSET, BigInt(TRADER_WITHDRAW + 1), root, proof]), "InvalidProof");
    await expectRevert(claim([0n, lower(trader.address), ASSET, BigInt(TRADER_WITHDRAW), root, proof]), "InvalidProof");
    const tampered = [...proof];
    tampered[0] = bytesToHex(hexToBytes(tampered[0]).map((b, i) => (i === 31 ? b ^ 1 : b)));
    await expectRevert(claim([0n, recipient, ASSET, BigInt(TRADER_WITHDRAW), root, tampered]), "InvalidProof");
    // a well-formed tree nobody finalized
    const forged = new WithdrawalTree([
      { withdrawalId: 7, recipient: lower(trader.address), asset: ASSET, amount: TRADER_DEPOSIT },
    ]);
    await expectRevert(
      claim([7n, lower(trader.address), ASSET, BigInt(TRADER_DEPOSIT), hex(forged.root), forged.proof(7).map(hex)]),
      "RootNotFinalized",
      [hex(forged.root)],
    );

    expect([await tokenBalance(recipient), await tokenBalance(vault), await tokenBalance(trader.address)]).to.deep.equal(before);
    expect(await readC(vault, "Vault", "isClaimed", [0n])).to.equal(false);
  });

  it("L1: each withdrawal is paid amount * quantum exactly once", async function () {
    const vault = d.contracts.vault;
    const root = hex(tree.root);
    const vaultBefore = await tokenBalance(vault);
    expect(await tokenBalance(recipient)).to.equal(0n);

    // anyone (here the trader) submits the claim; the tokens go to the leaf's recipient
    const rc = await write(trader, vault, "Vault", "claim", [0n, recipient, ASSET, BigInt(TRADER_WITHDRAW), root, tree.proof(0).map(hex)]);
    const [ev] = events(abi("Vault"), rc.logs, "Claimed");
    expect([ev.args.withdrawalId, lower(ev.args.recipient), ev.args.assetId, ev.args.amount]).to.deep.equal([
      0n,
      recipient,
      ASSET,
      BigInt(TRADER_WITHDRAW),
    ]);
    expect(await tokenBalance(recipient)).to.equal(BigInt(TRADER_WITHDRAW) * quantum);
    expect(await readC(vault, "Vault", "isClaimed", [0n])).to.equal(true);

    const bobBefore = await tokenBalance(bob.address);
    await write(bob, vault, "Vault", "claim", [1n, lower(bob.address), ASSET, BigInt(BOB_WITHDRAW), root, tree.proof(1).map(hex)]);
    expect(await tokenBalance(bob.address)).to.equal(bobBefore + BigInt(BOB_WITHDRAW) * quantum);

    // the Vault keeps exactly the L2 supply left
    const supply = BigInt(result.state.assets.get(ASSET)!.supply);
    expect(await tokenBalance(vault)).to.equal(vaultBefore - BigInt(TRADER_WITHDRAW + BOB_WITHDRAW) * quantum);
    expect(await tokenBalance(vault)).to.equal(supply * quantum);

    // a second claim of the same id is refused and pays nothing
    const recipientAfter = await tokenBalance(recipient);
    await expectRevert(
      walletOf(trader).writeContract({
        address: vault,
        abi: abi("Vault"),
        functionName: "claim",
        args: [0n, recipient, ASSET, BigInt(TRADER_WITHDRAW), root, tree.proof(0).map(hex)],
      }),
      "AlreadyClaimed",
      [0n],
    );
    expect(await tokenBalance(recipient)).to.equal(recipientAfter);
  });
});
