// Integration on the in-process network with the real Inbox and Vault (no doubles on the settlement path):
// deposit -> calldata batches (ring buffer wraps) -> validity finalization through an attestation policy ->
// Vault claim; then an optimistic claim through the DisputeGame -> resolve -> second claim.
import { expect } from "chai";
import { network } from "hardhat";
import { type Hex, keccak256, toHex } from "viem";
import { attest, attesters, encodePublicValues, envelope, expectCustomError, GENESIS_ROOT, SUITE } from "./helpers/settle.ts";
import { proofFor, withdrawalTree, type WithdrawalLeaf } from "./helpers.ts";

const RING = 16n;
const USDC = 1;
const QUANTUM = 10_000n;

describe("Settlement with the real Inbox and Vault", function () {
  it("finalizes by proof and by unchallenged claim; the Vault pays against the finalized withdrawal roots", async function () {
    const { viem, networkHelpers } = await network.create();
    const [gov, alice, guardian, claimer] = await viem.getWalletClients();
    const pub = await viem.getPublicClient();
    const chainId = await pub.getChainId();
    const inbox: any = await viem.deployContract("Inbox", [gov.account.address, RING, RING, 3600, 600, 10n ** 16n]);
    const signers = attesters(2);
    const att: any = await viem.deployContract("AttestationVerifier", [signers.map((s) => s.address), 2n, gov.account.address, SUITE.delay]);
    const policy: any = await viem.deployContract("VerifierPolicy", [[att.address], 0n, 1n, gov.account.address, SUITE.delay]);
    const settlement: any = await viem.deployContract("Settlement", [inbox.address, policy.address, GENESIS_ROOT, gov.account.address, SUITE.delay]);
    const game: any = await viem.deployContract("DisputeGame", [settlement.address, SUITE.challengeWindow, SUITE.proofWindow, SUITE.proposerBond, SUITE.challengerBond, gov.account.address, SUITE.delay]);
    await settlement.write.initDisputeGame([game.address]);
    const vault: any = await viem.deployContract("Vault", [inbox.address, settlement.address, gov.account.address, guardian.account.address, 7n * 86400n]);
    await inbox.write.initialize([vault.address]);
    const token: any = await viem.deployContract("DevToken", ["USD Coin", "USDC", 6]);
    await vault.write.registerAsset([USDC, token.address, QUANTUM]);
    await token.write.mint([alice.account.address, 10n ** 12n]);
    const tokenA: any = await viem.getContractAt("DevToken", token.address, { client: { wallet: alice } });
    await tokenA.write.approve([vault.address, 2n ** 255n]);
    const vaultA: any = await viem.getContractAt("Vault", vault.address, { client: { wallet: alice } });
    await vaultA.write.deposit([USDC, alice.account.address, 1_000n * QUANTUM]);

    // 20 batches: more than the ring holds, so b(1) is gone from the Inbox; Settlement keeps b(lastBatch) itself.
    await inbox.write.proposeCalldata([1n, toHex("batch-1"), "0x"]);
    for (let i = 2; i <= 20; i++) await inbox.write.proposeCalldata([1n, toHex(`batch-${i}`), "0x"]);
    await expectCustomError(inbox.read.batchChainAt([1n]), "BatchChainUnavailable", [1n]);

    const leaves1: WithdrawalLeaf[] = [[0n, alice.account.address, USDC, 400n], [1n, claimer.account.address, USDC, 100n]];
    const tree1 = withdrawalTree(leaves1);
    const p1 = {
      prevStateRoot: GENESIS_ROOT, newStateRoot: keccak256(toHex("s20")), firstBatch: 1n, lastBatch: 20n,
      prevBatchChain: `0x${"00".repeat(32)}` as Hex, newBatchChain: await inbox.read.batchChainAt([20n]),
      l1MessagesConsumed: 1n, l1QueueHash: await inbox.read.queueHashAt([1n]), withdrawalRoot: tree1.root as Hex,
      prover: gov.account.address,
    };
    const pv1 = encodePublicValues(p1);
    await expectCustomError(settlement.write.finalize([pv1, envelope([{ id: 0, proof: await attest([signers[0]], att.address, chainId, pv1) }])]), "VerifierRejected");
    await settlement.write.finalize([pv1, envelope([{ id: 0, proof: await attest(signers, att.address, chainId, pv1) }])]);
    expect(await settlement.read.lastBatch()).to.equal(20n);
    await vault.write.claim([0n, alice.account.address, USDC, 400n, tree1.root as Hex, proofFor(tree1, 0n)]);
    expect(await token.read.balanceOf([alice.account.address])).to.equal(10n ** 12n - 600n * QUANTUM);

    // optimistic path: claim (20, 22], unchallenged, resolved after the window
    await inbox.write.proposeCalldata([1n, toHex("batch-21"), "0x"]);
    await inbox.write.proposeCalldata([1n, toHex("batch-22"), "0x"]);
    const tree2 = withdrawalTree([[2n, claimer.account.address, USDC, 50n]]);
    const pv2 = encodePublicValues({
      ...p1, prevStateRoot: p1.newStateRoot, newStateRoot: keccak256(toHex("s22")), firstBatch: 21n, lastBatch: 22n,
      prevBatchChain: p1.newBatchChain, newBatchChain: await inbox.read.batchChainAt([22n]),
      withdrawalRoot: tree2.root as Hex, prover: claimer.account.address,
    });
    const gameC: any = await viem.getContractAt("DisputeGame", game.address, { client: { wallet: claimer } });
    await gameC.write.propose([pv2], { value: SUITE.proposerBond });
    await networkHelpers.time.increase(SUITE.challengeWindow);
    await game.write.resolve([0n, pv2]);
    expect(await settlement.read.lastBatch()).to.equal(22n);
    await vault.write.claim([2n, claimer.account.address, USDC, 50n, tree2.root as Hex, proofFor(tree2, 2n)]);
    await vault.write.claim([1n, claimer.account.address, USDC, 100n, tree1.root as Hex, proofFor(tree1, 1n)]);
    expect(await token.read.balanceOf([claimer.account.address])).to.equal(150n * QUANTUM);
    await gameC.write.withdraw();
    expect(await pub.getBalance({ address: game.address })).to.equal(0n);
  });

  it("gas with the real Inbox: finalize (no-op verifier), propose claim, challenge, resolve", async function () {
    const { viem, networkHelpers } = await network.create();
    const [gov, proposer, challenger] = await viem.getWalletClients();
    const pub = await viem.getPublicClient();
    const inbox: any = await viem.deployContract("Inbox", [gov.account.address, 8192n, 65536n, 3600, 600, 10n ** 16n]);
    const noop: any = await viem.deployContract("AcceptAllVerifierDouble");
    const settlement: any = await viem.deployContract("Settlement", [inbox.address, noop.address, GENESIS_ROOT, gov.account.address, 0n]);
    const game: any = await viem.deployContract("DisputeGame", [settlement.address, 100n, 100n, SUITE.proposerBond, SUITE.challengerBond, gov.account.address, 0n]);
    await settlement.write.initDisputeGame([game.address]);
    const gas = async (hash: Hex) => (await pub.getTransactionReceipt({ hash })).gasUsed;
    const pvNext = async (prover: Hex, salt: string) => {
      const last = await inbox.read.batchCount();
      return encodePublicValues({
        prevStateRoot: await settlement.read.lastStateRoot(), newStateRoot: keccak256(toHex(`s${last}${salt}`)),
        firstBatch: (await settlement.read.lastBatch()) + 1n, lastBatch: last,
        prevBatchChain: await settlement.read.lastBatchChain(), newBatchChain: await inbox.read.batchChainAt([last]),
        l1MessagesConsumed: 0n, l1QueueHash: await inbox.read.queueHashAt([0n]),
        withdrawalRoot: keccak256(toHex(`w${last}${salt}`)), prover: prover as `0x${string}`,
      });
    };
    const batch = async () => inbox.write.proposeCalldata([0n, toHex(`b${await inbox.read.batchCount()}`), "0x"]);
    await batch();
    await settlement.write.finalize([await pvNext(gov.account.address, ""), "0x"]); // warm-up: zero slots
    await batch();
    const finalize = await gas(await settlement.write.finalize([await pvNext(gov.account.address, ""), "0x"]));
    // claims: one resolved unchallenged (finalizes through Settlement), one challenged and timed out
    const gp: any = await viem.getContractAt("DisputeGame", game.address, { client: { wallet: proposer } });
    const gc: any = await viem.getContractAt("DisputeGame", game.address, { client: { wallet: challenger } });
    await batch();
    const a = await pvNext(proposer.account.address, "a");
    const b = await pvNext(proposer.account.address, "b");
    await gp.write.propose([b], { value: SUITE.proposerBond });
    const propose = await gas(await gp.write.propose([a], { value: SUITE.proposerBond }));
    const challenge = await gas(await gc.write.challenge([0n], { value: SUITE.challengerBond }));
    await networkHelpers.time.increase(100n);
    const resolve = await gas(await game.write.resolve([1n, a]));
    const resolveChallenged = await gas(await game.write.resolve([0n, "0x"]));
    console.log("      GAS " + JSON.stringify({ finalize_excl_verifier: Number(finalize), propose_claim: Number(propose), challenge: Number(challenge), resolve: Number(resolve), resolve_challenger_wins: Number(resolveChallenged) }));
    expect(finalize <= 120_000n).to.equal(true);
  });
});
