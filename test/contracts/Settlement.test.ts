// Settlement: validity-proof finalization of contiguous batch ranges against the Inbox (test double until the
// real Inbox lands: see Settlement.inbox.test.ts), every revert path, governance of policy and dispute game, gas.
import { expect } from "chai";
import { network } from "hardhat";
import { type Hex, concat, keccak256, toHex, zeroAddress, zeroHash, encodeFunctionData } from "viem";
import { deploySuite, encodePublicValues, exactProof, expectCustomError, GENESIS_ROOT, SUITE } from "./helpers/settle.ts";

describe("Settlement", function () {
  let viem: any, helpers: any;
  before(async function () {
    ({ viem, networkHelpers: helpers } = await network.create());
  });
  async function suite() {
    return deploySuite(viem);
  }
  const load = () => helpers.loadFixture(suite);

  it("starts at genesis", async function () {
    const { settlement, inbox, policy, game } = await load();
    expect(await settlement.read.lastStateRoot()).to.equal(GENESIS_ROOT);
    expect(await settlement.read.lastBatch()).to.equal(0n);
    expect(await settlement.read.lastBatchChain()).to.equal(zeroHash);
    expect((await settlement.read.lastFinalizedAt()) > 0n).to.equal(true);
    expect((await settlement.read.inbox()).toLowerCase()).to.equal(inbox.address.toLowerCase());
    expect((await settlement.read.policy()).toLowerCase()).to.equal(policy.address.toLowerCase());
    expect((await settlement.read.disputeGame()).toLowerCase()).to.equal(game.address.toLowerCase());
  });

  it("finalizes contiguous ranges with a passing policy and records roots, batch chain and time", async function () {
    const s = await load();
    const { settlement, gov } = s;
    await s.addBatches(3, 2);
    const { p, pv } = await s.nextPublicValues();
    const hash = await settlement.write.finalize([pv, exactProof(pv)]);
    const ts = (await s.publicClient.getBlock({ blockNumber: (await s.publicClient.getTransactionReceipt({ hash })).blockNumber })).timestamp;
    expect(await settlement.read.lastStateRoot()).to.equal(p.newStateRoot);
    expect(await settlement.read.lastBatch()).to.equal(3n);
    expect(await settlement.read.lastBatchChain()).to.equal(p.newBatchChain);
    expect(await settlement.read.lastL1MessagesConsumed()).to.equal(2n);
    expect(await settlement.read.lastFinalizedAt()).to.equal(ts);
    expect(await settlement.read.isWithdrawalRootFinalized([p.withdrawalRoot])).to.equal(true);
    expect(await settlement.read.withdrawalRootBatch([p.withdrawalRoot])).to.equal(3n);
    expect(await settlement.read.isWithdrawalRootFinalized([keccak256("0x99")])).to.equal(false);
    const ev = (await settlement.getEvents.Finalized())[0].args;
    expect(ev.firstBatch).to.equal(1n);
    expect(ev.lastBatch).to.equal(3n);
    expect(ev.stateRoot).to.equal(p.newStateRoot);
    expect(ev.withdrawalRoot).to.equal(p.withdrawalRoot);
    expect(ev.prover.toLowerCase()).to.equal(gov.account.address.toLowerCase());
    // next range (4, 5], empty withdrawal root: not recorded as finalized
    await s.addBatches(2, 1);
    const next = await s.nextPublicValues({ withdrawalRoot: zeroHash });
    expect(next.p.firstBatch).to.equal(4n);
    await settlement.write.finalize([next.pv, exactProof(next.pv)]);
    expect(await settlement.read.lastBatch()).to.equal(5n);
    expect(await settlement.read.isWithdrawalRootFinalized([zeroHash])).to.equal(false);
  });

  it("rejects public values that are not 320 canonical bytes", async function () {
    const s = await load();
    await s.addBatches(1);
    const { p, pv } = await s.nextPublicValues();
    await expectCustomError(s.settlement.write.finalize([concat([pv, "0x00"]), "0x"]), "PublicValuesMalformed");
    await expectCustomError(s.settlement.write.finalize([pv.slice(0, -2) as Hex, "0x"]), "PublicValuesMalformed");
    const words = (pv.slice(2).match(/.{64}/g) as string[]);
    for (const [i, dirty] of [[2, "01" + words[2].slice(2)], [6, "ff" + words[6].slice(2)], [9, "01" + words[9].slice(2)]] as const) {
      const w = [...words]; w[i] = dirty;
      await expectCustomError(s.settlement.write.finalize([("0x" + w.join("")) as Hex, "0x"]), "PublicValuesMalformed");
    }
    expect(p.firstBatch).to.equal(1n);
  });

  it("requires prover == msg.sender", async function () {
    const s = await load();
    await s.addBatches(1);
    const other = s.wallets[1].account.address;
    const { pv } = await s.nextPublicValues({ prover: other });
    await expectCustomError(s.settlement.write.finalize([pv, exactProof(pv)]), "ProverMismatch", [other, s.gov.account.address]);
    const asOther = await s.as("Settlement", s.settlement.address, s.wallets[1]);
    await asOther.write.finalize([pv, exactProof(pv)]);
  });

  it("rejects a range that does not continue the finalized state or does not match the Inbox", async function () {
    const s = await load();
    const { settlement } = s;
    await s.addBatches(3, 2);
    const base = await s.nextPublicValues();
    const bad = async (patch: any, name: string, args?: unknown[]) => {
      const pv = encodePublicValues({ ...base.p, ...patch });
      await expectCustomError(settlement.write.finalize([pv, exactProof(pv)]), name, args);
    };
    const x = keccak256("0x42");
    await bad({ prevStateRoot: x }, "PrevStateRootMismatch", [GENESIS_ROOT, x]);
    await bad({ firstBatch: 2n }, "NonContiguousRange", [1n, 2n]);
    await bad({ firstBatch: 0n }, "NonContiguousRange", [1n, 0n]);
    await bad({ lastBatch: 0n }, "EmptyRange", [1n, 0n]);
    await bad({ prevBatchChain: x }, "PrevBatchChainMismatch", [zeroHash, x]);
    await bad({ newBatchChain: x }, "NewBatchChainMismatch", [base.p.newBatchChain, x]);
    await bad({ lastBatch: 4n }, "BatchNotAvailable", [4n]); // the Inbox's own error for an unproposed batch
    await bad({ l1QueueHash: x }, "L1QueueHashMismatch", [base.p.l1QueueHash, x]);
    await bad({ l1MessagesConsumed: 7n }, "QueuePositionNotAvailable", [7n]);
    // the batch chain of an earlier end does not match a later batch
    const mid = await s.nextPublicValues({ lastBatch: 2n });
    await bad({ newBatchChain: mid.p.newBatchChain }, "NewBatchChainMismatch", [base.p.newBatchChain, mid.p.newBatchChain]);
    // L1 message position never goes back
    await settlement.write.finalize([base.pv, exactProof(base.pv)]);
    await s.addBatches(1);
    const n2 = await s.nextPublicValues({ consumed: 1n });
    await expectCustomError(settlement.write.finalize([n2.pv, exactProof(n2.pv)]), "L1MessagesRegress", [2n, 1n]);
    // replaying a finalized range is non-contiguous
    await expectCustomError(settlement.write.finalize([base.pv, exactProof(base.pv)]), "PrevStateRootMismatch");
  });

  it("never finalizes without a passing policy", async function () {
    const s = await load();
    await s.addBatches(1);
    const { pv } = await s.nextPublicValues();
    const other = (await s.nextPublicValues({ newStateRoot: keccak256("0x77") })).pv;
    await expectCustomError(s.settlement.write.finalize([pv, exactProof(other)]), "VerifierRejected");
    await expectCustomError(s.settlement.write.finalize([pv, "0x"]), "UnsupportedEnvelope");
    await expectCustomError(s.settlement.write.finalize([pv, "0x01"]), "NotEnoughProofs", [0n, 1n]);
    expect(await s.settlement.read.lastBatch()).to.equal(0n);
  });

  it("lets only the dispute game use finalizeFromDisputeGame", async function () {
    const s = await load();
    await s.addBatches(1);
    const { pv } = await s.nextPublicValues();
    await expectCustomError(s.settlement.write.finalizeFromDisputeGame([pv]), "NotDisputeGame", [s.gov.account.address]);
  });

  it("checkPublicValues reports the same errors without a proof", async function () {
    const s = await load();
    await s.addBatches(1);
    const { p, pv } = await s.nextPublicValues();
    await s.settlement.read.checkPublicValues([pv]);
    await expectCustomError(s.settlement.read.checkPublicValues([encodePublicValues({ ...p, firstBatch: 3n })]), "NonContiguousRange");
  });

  it("binds the dispute game once, by the deployer, to a game that points at it", async function () {
    const { wallets } = await load();
    const gov = wallets[0];
    const inbox = await viem.deployContract("InboxDouble");
    const s = await viem.deployContract("Settlement", [inbox.address, inbox.address, GENESIS_ROOT, gov.account.address, SUITE.delay]);
    await expectCustomError(viem.deployContract("Settlement", [zeroAddress, inbox.address, GENESIS_ROOT, gov.account.address, 0n]), "ZeroAddress");
    await expectCustomError(viem.deployContract("Settlement", [inbox.address, zeroAddress, GENESIS_ROOT, gov.account.address, 0n]), "ZeroAddress");
    const game = await viem.deployContract("DisputeGame", [s.address, 10n, 10n, 1n, 1n, gov.account.address, 0n]);
    const otherS = await viem.deployContract("Settlement", [inbox.address, inbox.address, GENESIS_ROOT, gov.account.address, 0n]);
    const foreign = await viem.deployContract("DisputeGame", [otherS.address, 10n, 10n, 1n, 1n, gov.account.address, 0n]);
    await expectCustomError(s.write.initDisputeGame([zeroAddress]), "ZeroAddress");
    await expectCustomError(s.write.initDisputeGame([foreign.address]), "DisputeGameMismatch", [foreign.address]);
    await expectCustomError(s.write.initDisputeGame([inbox.address]), "DisputeGameMismatch", [inbox.address]);
    const asOther = await viem.getContractAt("Settlement", s.address, { client: { wallet: wallets[1] } });
    await expectCustomError(asOther.write.initDisputeGame([game.address]), "DisputeGameAlreadyBound");
    await s.write.initDisputeGame([game.address]);
    expect(await s.read.disputeGameInitialized()).to.equal(true);
    await expectCustomError(s.write.initDisputeGame([game.address]), "DisputeGameAlreadyBound");
  });

  it("changes policy and dispute game only through governance with the delay", async function () {
    const s = await load();
    const { settlement, wallets } = s;
    const asOther = await s.as("Settlement", settlement.address, wallets[1]);
    const accept = await viem.deployContract("AcceptAllVerifierDouble");
    await expectCustomError(asOther.write.proposePolicy([accept.address]), "OwnableUnauthorizedAccount", [wallets[1].account.address]);
    await expectCustomError(settlement.write.proposePolicy([zeroAddress]), "ZeroAddress");
    await settlement.write.proposePolicy([accept.address]);
    await expectCustomError(settlement.write.applyPolicy([accept.address]), "ChangeNotReady");
    await helpers.time.increase(SUITE.delay);
    await asOther.write.applyPolicy([accept.address]);
    expect((await settlement.read.policy()).toLowerCase()).to.equal(accept.address.toLowerCase());
    const ev = (await settlement.getEvents.PolicyUpdated()).at(-1).args;
    expect(ev.newPolicy.toLowerCase()).to.equal(accept.address.toLowerCase());
    // dispute game: must point at this Settlement; zero disables the optimistic path
    await expectCustomError(settlement.write.proposeDisputeGame([accept.address]), "DisputeGameMismatch", [accept.address]);
    await expectCustomError(asOther.write.proposeDisputeGame([zeroAddress]), "OwnableUnauthorizedAccount");
    await settlement.write.proposeDisputeGame([zeroAddress]);
    await helpers.time.increase(SUITE.delay);
    await settlement.write.applyDisputeGame([zeroAddress]);
    expect(await settlement.read.disputeGame()).to.equal(zeroAddress);
    await expectCustomError(settlement.write.initDisputeGame([s.game.address]), "DisputeGameAlreadyBound");
    await settlement.write.proposeDisputeGame([s.game.address]);
    const id = keccak256(encodeFunctionData({ abi: settlement.abi, functionName: "applyDisputeGame", args: [s.game.address] }));
    await settlement.write.cancelChange([id]);
    await expectCustomError(settlement.write.applyDisputeGame([s.game.address]), "ChangeNotProposed", [id]);
  });

  it("gas: finalize excluding the verifier (no-op verifier as policy) stays <= 120k", async function () {
    const s = await load();
    const { gov } = s;
    const accept = await viem.deployContract("AcceptAllVerifierDouble");
    const settlement = await viem.deployContract("Settlement", [s.inbox.address, accept.address, GENESIS_ROOT, gov.account.address, 0n]);
    await s.addBatches(2, 2);
    const pvFor = async (lastBatch: bigint) => {
      const consumed = await s.inbox.read.consumedCount();
      return encodePublicValues({
        prevStateRoot: await settlement.read.lastStateRoot(), newStateRoot: keccak256(toHex(`r${lastBatch}`)),
        firstBatch: (await settlement.read.lastBatch()) + 1n, lastBatch,
        prevBatchChain: await settlement.read.lastBatchChain(), newBatchChain: await s.inbox.read.batchChainAt([lastBatch]),
        l1MessagesConsumed: consumed, l1QueueHash: await s.inbox.read.queueHashAt([consumed]),
        withdrawalRoot: keccak256(toHex(`w${lastBatch}`)), prover: gov.account.address,
      });
    };
    await settlement.write.finalize([await pvFor(1n), "0x"]); // first finalization writes zero slots: warm-up
    const hash = await settlement.write.finalize([await pvFor(2n), "0x"]);
    const gas = (await s.publicClient.getTransactionReceipt({ hash })).gasUsed;
    console.log(`      GAS finalize (steady state, no-op verifier, tx total incl. 21k base + calldata): ${gas}`);
    expect(gas <= 120_000n).to.equal(true);
  });
});
