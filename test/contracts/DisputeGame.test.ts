// DisputeGame: optimistic claims, challenges, prove-or-lose, counter-proofs, resolution through Settlement,
// pull payments; bonds conserved after every scenario; every custom error.
import { expect } from "chai";
import { network } from "hardhat";
import { type Address, type Hex, keccak256, zeroHash, encodeFunctionData } from "viem";
import { deploySuite, encodePublicValues, exactProof, expectCustomError, SUITE } from "./helpers/settle.ts";

const { proposerBond: PB, challengerBond: CB, challengeWindow: CW, proofWindow: PW } = SUITE;
const Status = { None: 0, Pending: 1, Challenged: 2, Accepted: 3, Proven: 4, ChallengerWon: 5, Disproven: 6 };

describe("DisputeGame", function () {
  let viem: any, helpers: any;
  before(async function () {
    ({ viem, networkHelpers: helpers } = await network.create());
  });

  async function suite() {
    const s = await deploySuite(viem);
    await s.addBatches(3, 2);
    const [, proposer, challenger, prover] = s.wallets;
    const g = (w: any) => s.as("DisputeGame", s.game.address, w);
    const claim = await s.nextPublicValues({ prover: proposer.account.address });
    const accounts: Address[] = s.wallets.map((w: any) => w.account.address);
    return { ...s, proposer, challenger, prover, g, claim, accounts };
  }
  const load = () => helpers.loadFixture(suite);
  const conserved = async (s: any, extra: Address[] = []) => expect(await s.bondImbalance([...s.accounts, ...extra])).to.equal(0n);

  it("unchallenged claim finalizes through Settlement after the window; proposer bond returned", async function () {
    const s = await load();
    const gp = await s.g(s.proposer);
    await gp.write.propose([s.claim.pv], { value: PB });
    const c = await s.game.read.getClaim([0n]);
    expect(c.status).to.equal(Status.Pending);
    expect(c.proposerBond).to.equal(PB);
    expect(c.challengerBond).to.equal(CB);
    expect(c.publicValuesHash).to.equal(keccak256(s.claim.pv));
    expect(await s.game.read.claimCount()).to.equal(1n);
    const ev = (await s.game.getEvents.ClaimProposed())[0].args;
    expect(ev.publicValues).to.equal(s.claim.pv);
    await conserved(s);
    await expectCustomError(s.game.write.resolve([0n, s.claim.pv]), "ChallengeWindowOpen", [0n, c.windowEnd]);
    await helpers.time.increaseTo(c.windowEnd);
    await expectCustomError(s.game.write.challenge([0n], { value: CB }), "ChallengeWindowClosed", [0n, c.windowEnd]);
    await expectCustomError(s.game.write.resolve([0n, "0x"]), "PublicValuesMismatch", [0n]);
    await s.game.write.resolve([0n, s.claim.pv]); // anyone resolves
    expect(await s.settlement.read.lastStateRoot()).to.equal(s.claim.p.newStateRoot);
    expect(await s.settlement.read.lastBatch()).to.equal(3n);
    expect((await s.game.read.getClaim([0n])).status).to.equal(Status.Accepted);
    expect((await s.game.getEvents.ClaimResolved())[0].args).to.deep.include({ status: Status.Accepted, finalized: true });
    expect(await s.game.read.credit([s.proposer.account.address])).to.equal(PB);
    await conserved(s);
    await expectCustomError(s.game.write.resolve([0n, s.claim.pv]), "WrongStatus", [0n, Status.Accepted]);
    // pull payment
    const bal = await s.publicClient.getBalance({ address: s.proposer.account.address });
    const hash = await gp.write.withdraw();
    const r = await s.publicClient.getTransactionReceipt({ hash });
    expect(await s.publicClient.getBalance({ address: s.proposer.account.address })).to.equal(bal + PB - r.gasUsed * r.effectiveGasPrice);
    await expectCustomError(gp.write.withdraw(), "NothingToWithdraw");
    await conserved(s);
  });

  it("rejects proposals with a wrong bond, another prover, or a range Settlement would refuse", async function () {
    const s = await load();
    const gp = await s.g(s.proposer);
    await expectCustomError(gp.write.propose([s.claim.pv], { value: PB - 1n }), "WrongBond", [PB, PB - 1n]);
    await expectCustomError(gp.write.propose([s.claim.pv]), "WrongBond", [PB, 0n]);
    await expectCustomError(s.game.write.propose([s.claim.pv], { value: PB }), "ProverMismatch", [s.proposer.account.address, s.gov.account.address]);
    const stale = encodePublicValues({ ...s.claim.p, prevStateRoot: keccak256("0x01") });
    await expectCustomError(gp.write.propose([stale], { value: PB }), "PrevStateRootMismatch");
    const gap = encodePublicValues({ ...s.claim.p, firstBatch: 2n });
    await expectCustomError(gp.write.propose([gap], { value: PB }), "NonContiguousRange", [1n, 2n]);
    await expectCustomError(gp.write.propose(["0x1234"], { value: PB }), "PublicValuesMalformed");
    await expectCustomError(s.game.write.challenge([5n], { value: CB }), "UnknownClaim", [5n]);
    await expectCustomError(s.game.read.getClaim([0n]), "UnknownClaim", [0n]);
  });

  it("challenged claim proven before the deadline: proposer wins both bonds and the claim finalizes", async function () {
    const s = await load();
    const gp = await s.g(s.proposer), gc = await s.g(s.challenger), gx = await s.g(s.prover);
    await gp.write.propose([s.claim.pv], { value: PB });
    await expectCustomError(gc.write.challenge([0n], { value: CB + 1n }), "WrongBond", [CB, CB + 1n]);
    await expectCustomError(gx.write.proveClaim([0n, s.claim.pv, exactProof(s.claim.pv)]), "WrongStatus", [0n, Status.Pending]);
    await gc.write.challenge([0n], { value: CB });
    const c = await s.game.read.getClaim([0n]);
    expect(c.status).to.equal(Status.Challenged);
    expect(c.challenger.toLowerCase()).to.equal(s.challenger.account.address.toLowerCase());
    await conserved(s);
    await expectCustomError(gc.write.challenge([0n], { value: CB }), "WrongStatus", [0n, Status.Challenged]);
    await expectCustomError(s.game.write.resolve([0n, "0x"]), "ProofDeadlineNotReached", [0n, c.deadline]);
    const wrong = (await s.nextPublicValues({ prover: s.proposer.account.address, newStateRoot: keccak256("0x05") })).pv;
    await expectCustomError(gx.write.proveClaim([0n, wrong, exactProof(wrong)]), "PublicValuesMismatch", [0n]);
    await expectCustomError(gx.write.proveClaim([0n, s.claim.pv, exactProof(wrong)]), "VerifierRejected");
    await gx.write.proveClaim([0n, s.claim.pv, exactProof(s.claim.pv)]); // anyone may submit the proof
    expect((await s.game.read.getClaim([0n])).status).to.equal(Status.Proven);
    expect((await s.game.getEvents.ClaimProven())[0].args.finalized).to.equal(true);
    expect(await s.settlement.read.lastStateRoot()).to.equal(s.claim.p.newStateRoot);
    expect(await s.game.read.credit([s.proposer.account.address])).to.equal(PB + CB);
    expect(await s.game.read.credit([s.challenger.account.address])).to.equal(0n);
    await conserved(s);
  });

  it("challenged claim not proven by the deadline: the challenger takes its bond and half the proposer's, half is burned, nothing finalizes", async function () {
    const s = await load();
    const gp = await s.g(s.proposer), gc = await s.g(s.challenger);
    await gp.write.propose([s.claim.pv], { value: PB });
    await gc.write.challenge([0n], { value: CB });
    const c = await s.game.read.getClaim([0n]);
    await helpers.time.increaseTo(c.deadline);
    await expectCustomError(gp.write.proveClaim([0n, s.claim.pv, exactProof(s.claim.pv)]), "ProofDeadlinePassed", [0n, c.deadline]);
    await s.game.write.resolve([0n, "0x"]);
    expect((await s.game.read.getClaim([0n])).status).to.equal(Status.ChallengerWon);
    expect(await s.game.read.credit([s.challenger.account.address])).to.equal(PB / 2n + CB);
    expect(await s.settlement.read.lastBatch()).to.equal(0n);
    await conserved(s);
  });

  it("counter-proof on an unchallenged claim: the counter-prover wins half the proposer bond, half is burned, its result finalizes", async function () {
    const s = await load();
    const gp = await s.g(s.proposer), gx = await s.g(s.prover);
    await gp.write.propose([s.claim.pv], { value: PB });
    const truth = await s.nextPublicValues({ prover: s.prover.account.address, newStateRoot: keccak256("0xaa") });
    // range must match; result must differ; prover must be the caller; proof must verify
    await expectCustomError(gx.write.counterProve([0n, truth.pv, truth.pv, exactProof(truth.pv)]), "PublicValuesMismatch", [0n]);
    const otherRange = encodePublicValues({ ...truth.p, lastBatch: 2n });
    await expectCustomError(gx.write.counterProve([0n, s.claim.pv, otherRange, exactProof(otherRange)]), "RangeMismatch", [0n]);
    for (const patch of [{ prevStateRoot: keccak256("0x01") }, { firstBatch: 2n }, { prevBatchChain: keccak256("0x02") }, { newBatchChain: keccak256("0x03") }]) {
      const pv = encodePublicValues({ ...truth.p, ...patch });
      await expectCustomError(gx.write.counterProve([0n, s.claim.pv, pv, exactProof(pv)]), "RangeMismatch", [0n]);
    }
    const same = encodePublicValues({ ...s.claim.p, prover: s.prover.account.address });
    await expectCustomError(gx.write.counterProve([0n, s.claim.pv, same, exactProof(same)]), "SameResult", [0n]);
    await expectCustomError(s.game.write.counterProve([0n, s.claim.pv, truth.pv, exactProof(truth.pv)]), "ProverMismatch", [s.prover.account.address, s.gov.account.address]);
    await expectCustomError(gx.write.counterProve([0n, s.claim.pv, truth.pv, exactProof(s.claim.pv)]), "VerifierRejected");
    await gx.write.counterProve([0n, s.claim.pv, truth.pv, exactProof(truth.pv)]);
    expect((await s.game.read.getClaim([0n])).status).to.equal(Status.Disproven);
    const ev = (await s.game.getEvents.ClaimDisproven())[0].args;
    expect(ev.newStateRoot).to.equal(truth.p.newStateRoot);
    expect(ev.finalized).to.equal(true);
    expect(await s.settlement.read.lastStateRoot()).to.equal(truth.p.newStateRoot);
    expect(await s.game.read.credit([s.prover.account.address])).to.equal(PB / 2n);
    await conserved(s);
    await expectCustomError(gx.write.counterProve([0n, s.claim.pv, truth.pv, exactProof(truth.pv)]), "WrongStatus", [0n, Status.Disproven]);
  });

  it("a different withdrawal root alone is a different result", async function () {
    const s = await load();
    const gp = await s.g(s.proposer), gx = await s.g(s.prover);
    await gp.write.propose([s.claim.pv], { value: PB });
    const w = encodePublicValues({ ...s.claim.p, prover: s.prover.account.address, withdrawalRoot: keccak256("0xbb") });
    await gx.write.counterProve([0n, s.claim.pv, w, exactProof(w)]);
    expect(await s.settlement.read.isWithdrawalRootFinalized([keccak256("0xbb")])).to.equal(true);
    expect(await s.settlement.read.isWithdrawalRootFinalized([s.claim.p.withdrawalRoot])).to.equal(false);
  });

  it("counter-proof on a challenged claim: the challenger wins its bond and half the proposer's whoever proves; the proposer may not counter-prove", async function () {
    const s = await load();
    const gp = await s.g(s.proposer), gc = await s.g(s.challenger), gx = await s.g(s.prover);
    await gp.write.propose([s.claim.pv], { value: PB });
    await gc.write.challenge([0n], { value: CB });
    const own = await s.nextPublicValues({ prover: s.proposer.account.address, newStateRoot: keccak256("0xcd") });
    await expectCustomError(gp.write.counterProve([0n, s.claim.pv, own.pv, exactProof(own.pv)]), "ProposerCannotCounterProve", [0n]);
    // a third address (possibly the proposer's own) proves the true result: the bond still goes to the challenger
    const truth = await s.nextPublicValues({ prover: s.prover.account.address, newStateRoot: keccak256("0xcc") });
    await gx.write.counterProve([0n, s.claim.pv, truth.pv, exactProof(truth.pv)]);
    expect(await s.game.read.credit([s.prover.account.address])).to.equal(0n);
    expect(await s.game.read.credit([s.challenger.account.address])).to.equal(PB / 2n + CB);
    expect(await s.game.read.credit([s.proposer.account.address])).to.equal(0n);
    expect(await s.settlement.read.lastStateRoot()).to.equal(truth.p.newStateRoot);
    await conserved(s);
  });

  it("counter-proofs come too late after the window (unchallenged) or the deadline (challenged)", async function () {
    const s = await load();
    const gp = await s.g(s.proposer), gc = await s.g(s.challenger), gx = await s.g(s.prover);
    await gp.write.propose([s.claim.pv], { value: PB });
    await gp.write.propose([s.claim.pv], { value: PB }); // a competing copy of the same claim
    await gc.write.challenge([1n], { value: CB });
    const truth = await s.nextPublicValues({ prover: s.prover.account.address, newStateRoot: keccak256("0xdd") });
    const c0 = await s.game.read.getClaim([0n]);
    const c1 = await s.game.read.getClaim([1n]);
    await helpers.time.increaseTo(c0.windowEnd > c1.deadline ? c0.windowEnd : c1.deadline);
    await expectCustomError(gx.write.counterProve([0n, s.claim.pv, truth.pv, exactProof(truth.pv)]), "ChallengeWindowClosed", [0n, c0.windowEnd]);
    await expectCustomError(gx.write.counterProve([1n, s.claim.pv, truth.pv, exactProof(truth.pv)]), "ProofDeadlinePassed", [1n, c1.deadline]);
  });

  it("competing claims for one range: the first to finalize wins, the other becomes stale and is refunded", async function () {
    const s = await load();
    const gp = await s.g(s.proposer), gx = await s.g(s.prover);
    const rival = await s.nextPublicValues({ prover: s.prover.account.address, lastBatch: 2n });
    await gp.write.propose([s.claim.pv], { value: PB }); // (0, 3]
    await gx.write.propose([rival.pv], { value: PB }); // (0, 2]
    expect(await s.game.read.isStale([0n])).to.equal(false);
    const c1 = await s.game.read.getClaim([1n]);
    await helpers.time.increaseTo(c1.windowEnd);
    await s.game.write.resolve([1n, rival.pv]);
    expect(await s.settlement.read.lastBatch()).to.equal(2n);
    expect(await s.game.read.isStale([0n])).to.equal(true);
    await s.game.write.resolve([0n, s.claim.pv]);
    expect((await s.game.getEvents.ClaimResolved()).at(-1).args).to.deep.include({ status: Status.Accepted, finalized: false });
    expect(await s.settlement.read.lastBatch()).to.equal(2n);
    expect(await s.game.read.credit([s.proposer.account.address])).to.equal(PB);
    // a claim on a stale base is refused outright
    await expectCustomError(gp.write.propose([s.claim.pv], { value: PB }), "PrevStateRootMismatch");
    await conserved(s);
  });

  it("a validity proof finalizing first makes a challenged claim stale: bonds still follow prove-or-lose", async function () {
    const s = await load();
    const gp = await s.g(s.proposer), gc = await s.g(s.challenger);
    await gp.write.propose([s.claim.pv], { value: PB });
    await gc.write.challenge([0n], { value: CB });
    const direct = await s.nextPublicValues();
    await s.settlement.write.finalize([direct.pv, exactProof(direct.pv)]);
    await gp.write.proveClaim([0n, s.claim.pv, exactProof(s.claim.pv)]);
    expect((await s.game.getEvents.ClaimProven())[0].args.finalized).to.equal(false);
    expect(await s.settlement.read.lastStateRoot()).to.equal(direct.p.newStateRoot);
    expect(await s.game.read.credit([s.proposer.account.address])).to.equal(PB + CB);
    await conserved(s);
  });

  it("after the game is replaced in Settlement, open claims still settle their bonds without finalizing", async function () {
    const s = await load();
    const gp = await s.g(s.proposer);
    await gp.write.propose([s.claim.pv], { value: PB });
    await s.settlement.write.proposeDisputeGame(["0x0000000000000000000000000000000000000000"]);
    await helpers.time.increase(SUITE.delay > CW ? SUITE.delay : CW);
    await s.settlement.write.applyDisputeGame(["0x0000000000000000000000000000000000000000"]);
    await expectCustomError(gp.write.propose([s.claim.pv], { value: PB }), "GameNotActive");
    await s.game.write.resolve([0n, s.claim.pv]);
    expect((await s.game.getEvents.ClaimResolved())[0].args.finalized).to.equal(false);
    expect(await s.settlement.read.lastBatch()).to.equal(0n);
    expect(await s.game.read.credit([s.proposer.account.address])).to.equal(PB);
    await conserved(s);
  });

  it("pull payments: a refusing recipient keeps its credit; re-entering withdraw fails", async function () {
    const s = await load();
    const gp = await s.g(s.proposer);
    const actor = await viem.deployContract("GameActorDouble", [s.game.address]);
    await gp.write.propose([s.claim.pv], { value: PB });
    await actor.write.challenge([0n], { value: CB });
    await helpers.time.increaseTo((await s.game.read.getClaim([0n])).deadline);
    await s.game.write.resolve([0n, "0x"]);
    expect(await s.game.read.credit([actor.address])).to.equal(PB / 2n + CB);
    await actor.write.setMode([1]);
    await expectCustomError(actor.write.withdraw(), "TransferFailed");
    expect(await s.game.read.credit([actor.address])).to.equal(PB / 2n + CB);
    await conserved(s, [actor.address]);
    await actor.write.setMode([2]);
    await actor.write.withdraw();
    expect(await actor.read.reentryFailed()).to.equal(true);
    expect(await s.game.read.credit([actor.address])).to.equal(0n);
    expect(await s.publicClient.getBalance({ address: actor.address })).to.equal(PB / 2n + CB);
    await conserved(s, [actor.address]);
  });

  it("parameters change only through governance with the delay, and never affect open claims", async function () {
    const s = await load();
    const gp = await s.g(s.proposer), gc = await s.g(s.challenger);
    const asOther = await s.g(s.proposer);
    await expectCustomError(asOther.write.proposeParameters([1n, 1n, 1n, 1n]), "OwnableUnauthorizedAccount", [s.proposer.account.address]);
    const MAX = 365n * 86400n;
    for (const bad of [[0n, 1n, 1n, 1n], [MAX + 1n, 1n, 1n, 1n], [1n, 0n, 1n, 1n], [1n, MAX + 1n, 1n, 1n], [1n, 1n, 0n, 1n], [1n, 1n, 1n, 0n], [1n, 1n, 2n ** 96n, 1n], [1n, 1n, 1n, 2n ** 96n]]) {
      await expectCustomError(s.game.write.proposeParameters(bad), "InvalidParameters");
      await expectCustomError(viem.deployContract("DisputeGame", [s.settlement.address, ...bad, s.gov.account.address, 0n]), "InvalidParameters");
    }
    await gp.write.propose([s.claim.pv], { value: PB });
    await s.game.write.proposeParameters([100n, 50n, 7n, 3n]);
    const id = keccak256(encodeFunctionData({ abi: s.game.abi, functionName: "applyParameters", args: [100n, 50n, 7n, 3n] }));
    await expectCustomError(s.game.write.applyParameters([100n, 50n, 7n, 3n]), "ChangeNotReady");
    await helpers.time.increase(SUITE.delay);
    await gc.write.applyParameters([100n, 50n, 7n, 3n]);
    expect(await s.game.read.changeReadyAt([id])).to.equal(0n);
    expect(await s.game.read.challengeWindow()).to.equal(100n);
    expect(await s.game.read.proofWindow()).to.equal(50);
    expect(await s.game.read.proposerBond()).to.equal(7n);
    expect(await s.game.read.challengerBond()).to.equal(3n);
    // open claim keeps its snapshot: old challenger bond and proof window
    await expectCustomError(gc.write.challenge([0n], { value: 3n }), "WrongBond", [CB, 3n]);
    await gc.write.challenge([0n], { value: CB });
    const c = await s.game.read.getClaim([0n]);
    expect(c.proofWindow).to.equal(Number(PW));
    // new claims use the new numbers
    await s.addBatches(1);
    const next = await s.nextPublicValues({ prover: s.proposer.account.address });
    await expectCustomError(gp.write.propose([next.pv], { value: PB }), "WrongBond", [7n, PB]);
    await conserved(s);
    expect(zeroHash).to.be.a("string");
  });

  it("desert mode: after the freeze no claim finalizes, open claims still settle their bonds, no new claims", async function () {
    const s = await load();
    const gp = await s.g(s.proposer), gc = await s.g(s.challenger);
    // a Vault bound to this Settlement, with the shortest escape delay
    const vault = await viem.deployContract("Vault", [s.inbox.address, s.settlement.address, s.gov.account.address, s.gov.account.address, 86400n]);
    await s.settlement.write.initVault([vault.address]);
    await expectCustomError(s.settlement.write.freeze(), "NotVault", [s.gov.account.address]);
    await gp.write.propose([s.claim.pv], { value: PB }); // 0: will be resolved after the freeze
    const other = await s.nextPublicValues({ prover: s.proposer.account.address, newStateRoot: keccak256("0x99") });
    await gp.write.propose([other.pv], { value: PB }); // 1: challenged, never proven
    await gc.write.challenge([1n], { value: CB });
    await helpers.time.increase(86400 + 1);
    await vault.write.freeze();
    expect(await s.settlement.read.frozen()).to.equal(true);
    expect(await s.game.read.isStale([0n])).to.equal(true);
    await s.game.write.resolve([0n, s.claim.pv]);
    expect((await s.game.getEvents.ClaimResolved())[0].args).to.deep.include({ status: Status.Accepted, finalized: false });
    expect(await s.settlement.read.lastBatch()).to.equal(0n);
    expect(await s.game.read.credit([s.proposer.account.address])).to.equal(PB);
    await s.game.write.resolve([1n, "0x"]);
    expect(await s.game.read.credit([s.challenger.account.address])).to.equal(CB + PB / 2n);
    await expectCustomError(gp.write.propose([s.claim.pv], { value: PB }), "SettlementFrozen");
    await conserved(s);
  });

  it("gas: propose, challenge and resolve (unchallenged, finalizing through Settlement)", async function () {
    const s = await load();
    const gp = await s.g(s.proposer), gc = await s.g(s.challenger);
    // warm-up round so the measured one is steady state (non-zero slots, existing credit entries)
    await gp.write.propose([s.claim.pv], { value: PB });
    await helpers.time.increase(CW);
    await s.game.write.resolve([0n, s.claim.pv]);
    await s.addBatches(2, 1);
    const a = await s.nextPublicValues({ prover: s.proposer.account.address });
    const gas = async (hash: Hex) => (await s.publicClient.getTransactionReceipt({ hash })).gasUsed;
    const propose = await gas(await gp.write.propose([a.pv], { value: PB }));
    const b = await s.nextPublicValues({ prover: s.proposer.account.address, newStateRoot: keccak256("0xee") });
    await gp.write.propose([b.pv], { value: PB });
    const challenge = await gas(await gc.write.challenge([2n], { value: CB }));
    await helpers.time.increase(CW);
    const resolve = await gas(await s.game.write.resolve([1n, a.pv]));
    await helpers.time.increase(PW);
    const resolveTimeout = await gas(await s.game.write.resolve([2n, "0x"]));
    console.log(`      GAS propose ${propose}, challenge ${challenge}, resolve (unchallenged, finalizes) ${resolve}, resolve (challenger wins) ${resolveTimeout}`);
    await conserved(s);
  });
});
