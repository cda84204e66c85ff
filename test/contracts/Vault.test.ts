import { expect } from "chai";
import { network } from "hardhat";
import { encodeFunctionData, type Address, type Hex } from "viem";
import {
  ESCAPE_DELAY,
  MAX_L2_AMOUNT,
  USDC,
  USDC_QUANTUM,
  ZERO32,
  deployCore,
  events,
  depositMessage,
  expectRevert,
  nextQueueHash,
  proofFor,
  withdrawalTree,
  type WithdrawalLeaf,
} from "./helpers.ts";

const ZERO: Address = "0x0000000000000000000000000000000000000000";

describe("Vault", function () {
  let conn: any;
  before(async function () {
    conn = await network.create();
  });
  const fixture = async function vaultFixture() {
    return deployCore(conn);
  };
  const load = () => conn.networkHelpers.loadFixture(fixture);
  const receiptOf = (f: any, hash: Hex) => f.pub.waitForTransactionReceipt({ hash });

  /** Finalizes a withdrawal tree in the SettlementDouble and returns it. */
  async function finalizeTree(f: any, leaves: WithdrawalLeaf[]) {
    const tree = withdrawalTree(leaves);
    await f.settlement.write.finalize([1n, `0x${"11".repeat(32)}`, tree.root as Hex]);
    return tree;
  }

  describe("construction and asset registry", function () {
    it("validates constructor arguments", async function () {
      const f = await load();
      const g = f.gov.account.address;
      await expectRevert(f.viem.deployContract("Vault", [ZERO, f.settlement.address, g, g, 1n]), "ZeroAddress");
      await expectRevert(f.viem.deployContract("Vault", [f.inbox.address, ZERO, g, g, 1n]), "ZeroAddress");
      await expectRevert(
        f.viem.deployContract("Vault", [f.inbox.address, f.settlement.address, g, g, 0n]),
        "InvalidEscapeDelay",
      );
      expect((await f.vault.read.inbox()).toLowerCase()).to.equal(f.inbox.address.toLowerCase());
      expect((await f.vault.read.settlement()).toLowerCase()).to.equal(f.settlement.address.toLowerCase());
      expect(await f.vault.read.escapeDelay()).to.equal(ESCAPE_DELAY);
    });

    it("registers assets once, governance only, with sane token and quantum", async function () {
      const f = await load();
      const [token, quantum] = await f.vault.read.assets([USDC]);
      expect(token.toLowerCase()).to.equal(f.token.address.toLowerCase());
      expect(quantum).to.equal(USDC_QUANTUM);
      expect(await f.vault.read.isRegisteredToken([f.token.address])).to.equal(true);
      const t2 = await f.viem.deployContract("DevToken", ["Wrapped Ether", "WETH", 18]);
      const asBob = await f.as("Vault", f.vault.address, f.bob);
      await expectRevert(asBob.write.registerAsset([2, t2.address, 1n]), "OwnableUnauthorizedAccount", [
        f.bob.account.address,
      ]);
      await expectRevert(f.vault.write.registerAsset([USDC, t2.address, 1n]), "AssetExists", [USDC]);
      await expectRevert(f.vault.write.registerAsset([2, ZERO, 1n]), "InvalidToken", [ZERO]);
      await expectRevert(f.vault.write.registerAsset([2, f.bob.account.address, 1n]), "InvalidToken", [
        f.bob.account.address,
      ]);
      await expectRevert(f.vault.write.registerAsset([2, f.token.address, 1n]), "TokenAlreadyRegistered", [
        f.token.address,
      ]);
      await expectRevert(f.vault.write.registerAsset([2, t2.address, 0n]), "InvalidQuantum");
      const h = await f.vault.write.registerAsset([2, t2.address, 10n ** 9n]);
      const [ev] = events(f.vault.abi, (await receiptOf(f, h)).logs, "AssetRegistered");
      expect(ev.args.assetId).to.equal(2);
      expect(ev.args.quantum).to.equal(10n ** 9n);
    });
  });

  describe("deposits", function () {
    it("pulls the tokens and queues the exact DEPOSIT message", async function () {
      const f = await load();
      const v = await f.as("Vault", f.vault.address, f.alice);
      const amount = 123n * USDC_QUANTUM;
      const before = await f.token.read.balanceOf([f.alice.account.address]);
      const h = await v.write.deposit([USDC, f.bob.account.address, amount]);
      const rc = await receiptOf(f, h);
      expect(await f.token.read.balanceOf([f.vault.address])).to.equal(amount);
      expect(await f.token.read.balanceOf([f.alice.account.address])).to.equal(before - amount);
      const msg = depositMessage(f.bob.account.address, USDC, 123n);
      const [q] = events(f.inbox.abi, rc.logs, "L1MessageQueued");
      expect(q.args.message).to.equal(msg);
      expect(q.args.queueHash).to.equal(nextQueueHash(ZERO32, msg));
      const [d] = events(f.vault.abi, rc.logs, "Deposited");
      expect(d.args.messageIndex).to.equal(0n);
      expect(d.args.depositor.toLowerCase()).to.equal(f.alice.account.address.toLowerCase());
      expect(d.args.account.toLowerCase()).to.equal(f.bob.account.address.toLowerCase());
      expect(d.args.amount).to.equal(amount);
    });

    it("refuses zero accounts, unknown assets, zero, unquantized and too large amounts", async function () {
      const f = await load();
      const v = await f.as("Vault", f.vault.address, f.alice);
      const a = f.alice.account.address;
      await expectRevert(v.write.deposit([USDC, ZERO, USDC_QUANTUM]), "InvalidAccount");
      await expectRevert(v.write.deposit([9, a, USDC_QUANTUM]), "UnknownAsset", [9]);
      await expectRevert(v.write.deposit([USDC, a, 0n]), "ZeroAmount");
      await expectRevert(v.write.deposit([USDC, a, USDC_QUANTUM + 1n]), "AmountNotQuantized", [
        USDC_QUANTUM + 1n,
        USDC_QUANTUM,
      ]);
      const big = (MAX_L2_AMOUNT + 1n) * USDC_QUANTUM;
      await expectRevert(v.write.deposit([USDC, a, big]), "AmountTooLarge", [MAX_L2_AMOUNT + 1n]);
      // the largest L2 amount is fine
      await f.token.write.mint([a, MAX_L2_AMOUNT * USDC_QUANTUM]);
      await v.write.deposit([USDC, a, MAX_L2_AMOUNT * USDC_QUANTUM]);
    });

    it("bubbles up a failed token pull (no allowance)", async function () {
      const f = await load();
      const t = await f.as("DevToken", f.token.address, f.alice);
      await t.write.approve([f.vault.address, 0n]);
      const v = await f.as("Vault", f.vault.address, f.alice);
      await expectRevert(
        v.write.deposit([USDC, f.alice.account.address, USDC_QUANTUM]),
        "ERC20InsufficientAllowance(address,uint256,uint256)",
      );
    });

    it("refuses fee-on-transfer tokens", async function () {
      const f = await load();
      const fot = await f.viem.deployContract("FeeOnTransferTokenDouble");
      await f.vault.write.registerAsset([3, fot.address, 1n]);
      await fot.write.mint([f.alice.account.address, 10_000n]);
      const t = await f.as("FeeOnTransferTokenDouble", fot.address, f.alice);
      await t.write.approve([f.vault.address, 10_000n]);
      const v = await f.as("Vault", f.vault.address, f.alice);
      await expectRevert(v.write.deposit([3, f.alice.account.address, 1000n]), "FeeOnTransferToken", [1000n, 990n]);
    });

    it("blocks reentrancy from a token callback", async function () {
      const f = await load();
      const re = await f.viem.deployContract("ReentrantTokenDouble");
      await f.vault.write.registerAsset([4, re.address, 1n]);
      await re.write.mint([f.alice.account.address, 10_000n]);
      const t = await f.as("ReentrantTokenDouble", re.address, f.alice);
      await t.write.approve([f.vault.address, 10_000n]);
      const payload = encodeFunctionData({
        abi: f.vault.abi,
        functionName: "deposit",
        args: [4, f.alice.account.address, 1n],
      });
      await re.write.arm([f.vault.address, payload]);
      const v = await f.as("Vault", f.vault.address, f.alice);
      await expectRevert(v.write.deposit([4, f.alice.account.address, 10n]), "ReentrancyGuardReentrantCall");
    });

    it("pauses deposits (guardian or governance) without touching claims", async function () {
      const f = await load();
      const asBob = await f.as("Vault", f.vault.address, f.bob);
      await expectRevert(asBob.write.pause(), "NotGuardian", [f.bob.account.address]);
      const asGuardian = await f.as("Vault", f.vault.address, f.guardian);
      await expectRevert(asGuardian.write.unpause(), "ExpectedPause");
      await asGuardian.write.pause();
      await expectRevert(asGuardian.write.pause(), "EnforcedPause");
      const v = await f.as("Vault", f.vault.address, f.alice);
      await expectRevert(v.write.deposit([USDC, f.alice.account.address, USDC_QUANTUM]), "EnforcedPause");
      await expectRevert(asBob.write.unpause(), "NotGuardian", [f.bob.account.address]);
      await f.vault.write.unpause(); // governance
      await v.write.deposit([USDC, f.alice.account.address, USDC_QUANTUM]);
      await f.vault.write.pause(); // governance may pause too
      expect(await f.vault.read.paused()).to.equal(true);
      // claims still work while paused
      const tree = await finalizeTree(f, [[0n, f.bob.account.address, USDC, 1n]]);
      await asBob.write.claim([0n, f.bob.account.address, USDC, 1n, tree.root as Hex, proofFor(tree, 0n)]);
      expect(await f.vault.read.isClaimed([0n])).to.equal(true);
    });
  });

  describe("claims", function () {
    async function funded(f: any) {
      const v = await f.as("Vault", f.vault.address, f.alice);
      await v.write.deposit([USDC, f.alice.account.address, 1000n * USDC_QUANTUM]);
      const leaves: WithdrawalLeaf[] = [
        [0n, f.alice.account.address, USDC, 10n],
        [1n, f.bob.account.address, USDC, 20n],
        [2n, f.eve.account.address, USDC, 30n],
        [300n, f.bob.account.address, USDC, 40n],
      ];
      return finalizeTree(f, leaves);
    }

    it("pays amount * quantum to the leaf's recipient, once, whoever submits", async function () {
      const f = await load();
      const tree = await funded(f);
      const before = await f.token.read.balanceOf([f.bob.account.address]);
      const asEve = await f.as("Vault", f.vault.address, f.eve);
      const args = [1n, f.bob.account.address, USDC, 20n, tree.root as Hex, proofFor(tree, 1n)] as const;
      const h = await asEve.write.claim(args);
      expect(await f.token.read.balanceOf([f.bob.account.address])).to.equal(before + 20n * USDC_QUANTUM);
      const [ev] = events(f.vault.abi, (await receiptOf(f, h)).logs, "Claimed");
      expect(ev.args.withdrawalId).to.equal(1n);
      expect(ev.args.amount).to.equal(20n);
      expect(await f.vault.read.isClaimed([1n])).to.equal(true);
      expect(await f.vault.read.isClaimed([0n])).to.equal(false);
      await expectRevert(asEve.write.claim(args), "AlreadyClaimed", [1n]);
      // ids in other bitmap words
      await asEve.write.claim([300n, f.bob.account.address, USDC, 40n, tree.root as Hex, proofFor(tree, 300n)]);
      expect(await f.vault.read.isClaimed([300n])).to.equal(true);
      expect(await f.vault.read.isClaimed([299n])).to.equal(false);
    });

    it("rejects wrong proofs, unfinalized roots and unknown assets", async function () {
      const f = await load();
      const tree = await funded(f);
      const root = tree.root as Hex;
      const asBob = await f.as("Vault", f.vault.address, f.bob);
      // wrong amount, wrong recipient, wrong id
      await expectRevert(asBob.write.claim([1n, f.bob.account.address, USDC, 21n, root, proofFor(tree, 1n)]), "InvalidProof");
      await expectRevert(asBob.write.claim([1n, f.eve.account.address, USDC, 20n, root, proofFor(tree, 1n)]), "InvalidProof");
      await expectRevert(asBob.write.claim([2n, f.bob.account.address, USDC, 20n, root, proofFor(tree, 1n)]), "InvalidProof");
      // a valid tree that was never finalized
      const other = withdrawalTree([
        [7n, f.bob.account.address, USDC, 1n],
        [8n, f.bob.account.address, USDC, 2n],
      ]);
      await expectRevert(
        asBob.write.claim([7n, f.bob.account.address, USDC, 1n, other.root as Hex, proofFor(other, 7n)]),
        "RootNotFinalized",
        [other.root],
      );
      // a finalized leaf for an unregistered asset
      const weird = await finalizeTree(f, [[9n, f.bob.account.address, 77, 1n]]);
      await expectRevert(
        asBob.write.claim([9n, f.bob.account.address, 77, 1n, weird.root as Hex, proofFor(weird, 9n)]),
        "UnknownAsset",
        [77],
      );
      // the zero root never verifies anything
      await expectRevert(asBob.write.claim([1n, f.bob.account.address, USDC, 20n, ZERO32, []]), "InvalidProof");
    });

    it("never pays more than the vault holds (a bad root cannot overdraw)", async function () {
      const f = await load();
      const v = await f.as("Vault", f.vault.address, f.alice);
      await v.write.deposit([USDC, f.alice.account.address, 5n * USDC_QUANTUM]);
      const tree = await finalizeTree(f, [
        [0n, f.bob.account.address, USDC, 6n],
        [1n, f.bob.account.address, USDC, 5n],
      ]);
      const asBob = await f.as("Vault", f.vault.address, f.bob);
      await expectRevert(
        asBob.write.claim([0n, f.bob.account.address, USDC, 6n, tree.root as Hex, proofFor(tree, 0n)]),
        "ERC20InsufficientBalance(address,uint256,uint256)",
      );
      expect(await f.vault.read.isClaimed([0n])).to.equal(false);
      await asBob.write.claim([1n, f.bob.account.address, USDC, 5n, tree.root as Hex, proofFor(tree, 1n)]);
      expect(await f.token.read.balanceOf([f.vault.address])).to.equal(0n);
    });
  });

  describe("desert mode: freeze", function () {
    it("anyone freezes after escapeDelay without finalization, for good; deposits stop, finalized claims keep working", async function () {
      const f = await load();
      const asEve = await f.as("Vault", f.vault.address, f.eve);
      const deployedAt = await f.vault.read.deployedAt();
      const rNotStale = asEve.write.freeze();
      await expectRevert(rNotStale, "NotStale");
      // nothing finalized: the clock starts at deployment
      await f.networkHelpers.time.setNextBlockTimestamp(deployedAt + ESCAPE_DELAY);
      await expectRevert(asEve.write.freeze(), "NotStale", [deployedAt, deployedAt + ESCAPE_DELAY]);
      await f.networkHelpers.time.setNextBlockTimestamp(deployedAt + ESCAPE_DELAY + 1n);
      const h = await asEve.write.freeze();
      const [ev] = events(f.vault.abi, (await receiptOf(f, h)).logs, "Frozen");
      expect(ev.args.lastFinalizedAt).to.equal(deployedAt);
      expect(await f.vault.read.frozen()).to.equal(true);
      expect(await f.settlement.read.frozen()).to.equal(true); // Settlement told to stop finalizing
      await expectRevert(asEve.write.freeze(), "AlreadyFrozen");
      const v = await f.as("Vault", f.vault.address, f.alice);
      await expectRevert(v.write.deposit([USDC, f.alice.account.address, USDC_QUANTUM]), "VaultFrozen");
      // claims of finalized withdrawals keep working while frozen
      await f.token.write.mint([f.vault.address, USDC_QUANTUM]);
      const tree = await finalizeTree(f, [[5n, f.bob.account.address, USDC, 1n]]);
      await asEve.write.claim([5n, f.bob.account.address, USDC, 1n, tree.root as Hex, proofFor(tree, 5n)]);
      // frozen for good: a later finalization time does not reopen deposits
      await expectRevert(v.write.deposit([USDC, f.alice.account.address, USDC_QUANTUM]), "VaultFrozen");
    });

    it("uses Settlement's lastFinalizedAt once it is past deployment", async function () {
      const f = await load();
      const now = (await f.pub.getBlock()).timestamp;
      await f.settlement.write.setLastFinalizedAt([now + 1000n]);
      await f.networkHelpers.time.setNextBlockTimestamp(now + 1000n + ESCAPE_DELAY);
      const asEve = await f.as("Vault", f.vault.address, f.eve);
      await expectRevert(asEve.write.freeze(), "NotStale", [now + 1000n, now + 1000n + ESCAPE_DELAY]);
      await f.networkHelpers.time.setNextBlockTimestamp(now + 1001n + ESCAPE_DELAY);
      await asEve.write.freeze();
    });

    it("governance cannot hasten a freeze: the delay has a floor and a shorter delay waits for the old one", async function () {
      const f = await load();
      const min = await f.vault.read.MIN_ESCAPE_DELAY();
      const max = await f.vault.read.MAX_ESCAPE_DELAY();
      await expectRevert(f.vault.write.setEscapeDelay([min - 1n]), "InvalidEscapeDelay");
      await expectRevert(f.vault.write.setEscapeDelay([max + 1n]), "InvalidEscapeDelay");
      const last = await f.vault.read.deployedAt();
      const long = 30n * 86400n;
      await f.vault.write.setEscapeDelay([long]); // a longer delay postpones (bounded by MAX_ESCAPE_DELAY)
      // stall of 2 days under a 30-day delay; governance shortens it to the floor
      await f.networkHelpers.time.setNextBlockTimestamp(last + 2n * 86400n);
      await f.vault.write.setEscapeDelay([min]);
      expect(await f.vault.read.escapeNotBefore()).to.equal(last + long);
      const asEve = await f.as("Vault", f.vault.address, f.eve);
      await expectRevert(asEve.write.freeze(), "NotStale", [last, last + long]);
      await f.networkHelpers.time.setNextBlockTimestamp(last + long + 1n);
      await asEve.write.freeze();
    });
  });

  describe("governance", function () {
    it("sets guardian and escape delay (governance only) and never renounces", async function () {
      const f = await load();
      const asBob = await f.as("Vault", f.vault.address, f.bob);
      await expectRevert(asBob.write.setGuardian([f.bob.account.address]), "OwnableUnauthorizedAccount", [
        f.bob.account.address,
      ]);
      await expectRevert(asBob.write.setEscapeDelay([86400n]), "OwnableUnauthorizedAccount", [f.bob.account.address]);
      await expectRevert(f.vault.write.setEscapeDelay([0n]), "InvalidEscapeDelay");
      let h = await f.vault.write.setEscapeDelay([2n * 86400n]);
      let [ev] = events(f.vault.abi, (await receiptOf(f, h)).logs, "EscapeDelaySet");
      expect(ev.args.escapeDelay).to.equal(2n * 86400n);
      h = await f.vault.write.setGuardian([f.bob.account.address]);
      [ev] = events(f.vault.abi, (await receiptOf(f, h)).logs, "GuardianSet");
      expect(ev.args.guardian.toLowerCase()).to.equal(f.bob.account.address.toLowerCase());
      await asBob.write.pause();
      await expectRevert(f.vault.write.renounceOwnership(), "RenounceOwnershipDisabled");
    });

    it("works behind the OpenZeppelin TimelockController", async function () {
      const f = await load();
      const delay = 3600n;
      const g = f.gov.account.address;
      const tl = await f.viem.deployContract("Timelock", [delay, [g], [g], ZERO]);
      await f.vault.write.transferOwnership([tl.address]);
      const data = encodeFunctionData({ abi: f.vault.abi, functionName: "acceptOwnership", args: [] });
      await tl.write.schedule([f.vault.address, 0n, data, ZERO32, ZERO32, delay]);
      await expectRevert(
        tl.write.execute([f.vault.address, 0n, data, ZERO32, ZERO32]),
        "TimelockUnexpectedOperationState",
      );
      await f.networkHelpers.time.increase(Number(delay));
      await tl.write.execute([f.vault.address, 0n, data, ZERO32, ZERO32]);
      expect((await f.vault.read.owner()).toLowerCase()).to.equal(tl.address.toLowerCase());
      await expectRevert(f.vault.write.setEscapeDelay([86400n]), "OwnableUnauthorizedAccount", [g]);
    });
  });
});
