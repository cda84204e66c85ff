import { batchCommitment as deriveCommitment } from "../../node/derive/commitment.ts";
import { expect } from "chai";
import { network } from "hardhat";
import {
  encodeFunctionData,
  keccak256,
  parseGwei,
  toBlobs,
  toHex,
  type Hex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { ANVIL_DEV_KEY } from "../../node/l1/anvil.ts";
import { computeVersionedHashes, viemKzgInstance } from "../../node/da/kzg.ts";
import {
  FORCED_CANCEL_DEADLINE,
  FORCED_FEE,
  MAX_L2_AMOUNT,
  MESSAGE_DEADLINE,
  RING,
  USDC,
  ZERO32,
  batchCommitment,
  blobDataHash,
  deployCore,
  events,
  depositMessage,
  expectRevert,
  forcedCancelMessage,
  forcedWithdrawMessage,
  nextBatchChain,
  nextQueueHash,
  setMarketMessage,
} from "./helpers.ts";

const CID = "0x01711220" + "ab".repeat(32); // a CIDv1 (dag-cbor, sha2-256) in binary form
const MARKET = {
  market: 7,
  baseAsset: 2,
  quoteAsset: 1,
  lotSize: 1000n,
  tickSize: 10n,
  minSize: 1n,
  makerFeePpm: -100,
  takerFeePpm: 500,
  status: 0,
};

describe("Inbox", function () {
  let conn: any;
  before(async function () {
    conn = await network.create();
  });
  const fixture = async function inboxFixture() {
    return deployCore(conn);
  };
  const load = () => conn.networkHelpers.loadFixture(fixture);

  /** Deposits `units` L2 units for alice; returns the message bytes. */
  async function deposit(f: any, units = 5n): Promise<Hex> {
    const v = await f.as("Vault", f.vault.address, f.alice);
    await v.write.deposit([USDC, f.alice.account.address, units * 10_000n]);
    return depositMessage(f.alice.account.address, USDC, units);
  }

  async function receiptOf(f: any, hash: Hex) {
    return f.pub.waitForTransactionReceipt({ hash });
  }

  describe("construction and wiring", function () {
    it("rejects bad ring sizes and deadlines", async function () {
      const f = await load();
      const gov = f.gov.account.address;
      await expectRevert(f.viem.deployContract("Inbox", [gov, 12n, 16n, 10, 5, 0n]), "InvalidRingSize");
      await expectRevert(f.viem.deployContract("Inbox", [gov, 16n, 8n, 10, 5, 0n]), "InvalidRingSize");
      await expectRevert(f.viem.deployContract("Inbox", [gov, 16n, 20n, 10, 5, 0n]), "InvalidRingSize");
      await expectRevert(f.viem.deployContract("Inbox", [gov, 16n, 16n, 10, 0, 0n]), "InvalidDeadlines");
      await expectRevert(f.viem.deployContract("Inbox", [gov, 16n, 16n, 10, 11, 0n]), "InvalidDeadlines");
    });

    it("binds the vault once, only from the deployer", async function () {
      const f = await load();
      expect((await f.inbox.read.vault()).toLowerCase()).to.equal(f.vault.address.toLowerCase());
      await expectRevert(f.inbox.write.initialize([f.bob.account.address]), "AlreadyInitialized");
      const fresh = await f.viem.deployContract("Inbox", [f.gov.account.address, 16n, 16n, 10, 5, 0n]);
      const asBob = await f.as("Inbox", fresh.address, f.bob);
      await expectRevert(asBob.write.initialize([f.bob.account.address]), "NotDeployer");
      await expectRevert(fresh.write.initialize(["0x0000000000000000000000000000000000000000"]), "ZeroAddress");
      const h = await fresh.write.initialize([f.bob.account.address]);
      const logs = events(fresh.abi, (await receiptOf(f, h)).logs, "VaultSet");
      expect(logs[0].args.vault.toLowerCase()).to.equal(f.bob.account.address.toLowerCase());
    });

    it("exposes its parameters", async function () {
      const f = await load();
      expect(await f.inbox.read.batchRingSize()).to.equal(RING);
      expect(await f.inbox.read.queueRingSize()).to.equal(RING);
      expect(await f.inbox.read.messageDeadline()).to.equal(MESSAGE_DEADLINE);
      expect(await f.inbox.read.forcedCancelDeadline()).to.equal(FORCED_CANCEL_DEADLINE);
      expect(await f.inbox.read.forcedFee()).to.equal(FORCED_FEE);
      expect(await f.inbox.read.batchCount()).to.equal(0n);
      expect(await f.inbox.read.batchChainAt([0n])).to.equal(ZERO32);
      expect(await f.inbox.read.queueHashAt([0n])).to.equal(ZERO32);
    });
  });

  describe("message queue", function () {
    it("chains deposits, forced withdrawals, forced cancels and SET_MARKET exactly as documented", async function () {
      const f = await load();
      const msgs: Hex[] = [];
      msgs.push(await deposit(f, 5n));
      const asBob = await f.as("Inbox", f.inbox.address, f.bob);
      await asBob.write.forceWithdraw([USDC, 42n], { value: FORCED_FEE });
      msgs.push(forcedWithdrawMessage(f.bob.account.address, USDC, 42n));
      await asBob.write.forceCancel([7, 0n], { value: FORCED_FEE });
      msgs.push(forcedCancelMessage(f.bob.account.address, 7, 0n));
      const sm = setMarketMessage(MARKET);
      expect((sm.length - 2) / 2).to.equal(46);
      const h = await f.inbox.write.enqueue([sm]);
      msgs.push(sm);

      const logs = events(f.inbox.abi, (await receiptOf(f, h)).logs, "L1MessageQueued");
      expect(logs[0].args.index).to.equal(3n);
      expect(logs[0].args.message).to.equal(sm);

      let q = ZERO32;
      for (let n = 0; n < msgs.length; n++) {
        q = nextQueueHash(q, msgs[n]);
        expect(await f.inbox.read.queueHashAt([BigInt(n + 1)])).to.equal(q);
      }
      expect(logs[0].args.queueHash).to.equal(q);
      expect(await f.inbox.read.messageCount()).to.equal(4n);
      const block = await f.pub.getBlock();
      expect(await f.inbox.read.messageTimestamp([3n])).to.equal(block.timestamp);
      expect(await f.inbox.read.forcedCancelQueue()).to.deep.equal([0n, 1n]);
    });

    it("restricts enqueue: vault only DEPOSIT, governance only SET_MARKET, no ether, no one else", async function () {
      const f = await load();
      const asBob = await f.as("Inbox", f.inbox.address, f.bob);
      await expectRevert(asBob.write.enqueue([setMarketMessage(MARKET)]), "NotAuthorized", [
        f.bob.account.address,
      ]);
      await expectRevert(f.inbox.write.enqueue([setMarketMessage(MARKET)], { value: 1n }), "UnexpectedValue");
      const dep = depositMessage(f.alice.account.address, USDC, 1n);
      await expectRevert(f.inbox.write.enqueue([dep]), "InvalidMessage", [1, 33n]);
      await expectRevert(f.inbox.write.enqueue(["0x"]), "InvalidMessage", [0, 0n]);
      await expectRevert(f.inbox.write.enqueue([(setMarketMessage(MARKET) + "00") as Hex]), "InvalidMessage", [
        4,
        47n,
      ]);
      // an Inbox whose "vault" is an EOA, to exercise the vault branch directly
      const inbox2 = await f.viem.deployContract("Inbox", [f.gov.account.address, 16n, 16n, 10, 5, 0n]);
      await inbox2.write.initialize([f.bob.account.address]);
      const asVault = await f.as("Inbox", inbox2.address, f.bob);
      await expectRevert(asVault.write.enqueue([setMarketMessage(MARKET)]), "InvalidMessage", [4, 46n]);
      await expectRevert(asVault.write.enqueue([(dep + "00") as Hex]), "InvalidMessage", [1, 34n]);
      await expectRevert(
        asVault.write.enqueue([forcedWithdrawMessage(f.bob.account.address, 1, 1n)]),
        "InvalidMessage",
        [2, 33n],
      );
      await asVault.write.enqueue([dep]);
      expect(await inbox2.read.queueHashAt([1n])).to.equal(nextQueueHash(ZERO32, dep));
    });

    it("forced transactions pay exactly the fee and validate amounts", async function () {
      const f = await load();
      const asBob = await f.as("Inbox", f.inbox.address, f.bob);
      await expectRevert(asBob.write.forceWithdraw([USDC, 1n], { value: 0n }), "WrongFee", [FORCED_FEE, 0n]);
      await expectRevert(asBob.write.forceCancel([1, 1n], { value: FORCED_FEE + 1n }), "WrongFee", [
        FORCED_FEE,
        FORCED_FEE + 1n,
      ]);
      await expectRevert(asBob.write.forceWithdraw([USDC, 0n], { value: FORCED_FEE }), "InvalidAmount", [0n]);
      await expectRevert(
        asBob.write.forceWithdraw([USDC, MAX_L2_AMOUNT + 1n], { value: FORCED_FEE }),
        "InvalidAmount",
        [MAX_L2_AMOUNT + 1n],
      );
      await asBob.write.forceWithdraw([USDC, MAX_L2_AMOUNT], { value: FORCED_FEE });
      expect(await f.pub.getBalance({ address: f.inbox.address })).to.equal(FORCED_FEE);
    });

    it("refuses more than ring-1 unconsumed messages (QueueFull) and serves only ring entries", async function () {
      const f = await load();
      for (let i = 0; i < Number(RING) - 1; i++) await deposit(f, 1n);
      const v = await f.as("Vault", f.vault.address, f.alice);
      await expectRevert(v.write.deposit([USDC, f.alice.account.address, 10_000n]), "QueueFull");
      const asBob = await f.as("Inbox", f.inbox.address, f.bob);
      await expectRevert(asBob.write.forceCancel([1, 1n], { value: FORCED_FEE }), "QueueFull");
      await f.inbox.write.proposeCalldata([15n, "0x", "0x"]);
      for (let i = 0; i < 5; i++) await deposit(f, 1n); // wraps the ring
      expect(await f.inbox.read.messageCount()).to.equal(20n);
      await expectRevert(f.inbox.read.queueHashAt([4n]), "QueueEntryUnavailable", [4n]);
      await expectRevert(f.inbox.read.queueHashAt([21n]), "QueueEntryUnavailable", [21n]);
      await expectRevert(f.inbox.read.messageTimestamp([20n]), "QueueEntryUnavailable", [20n]);
      await expectRevert(f.inbox.read.messageTimestamp([3n]), "QueueEntryUnavailable", [3n]);
      await f.inbox.read.queueHashAt([5n]);
      await f.inbox.read.messageTimestamp([19n]);
      // a proposal can still end anywhere in [consumed, count]
      await f.inbox.write.proposeCalldata([20n, "0x", "0x"]);
      expect(await f.inbox.read.consumedCount()).to.equal(20n);
    });
  });

  describe("calldata proposals", function () {
    it("records c(i) and b(i) exactly as documented and emits BatchProposed", async function () {
      const f = await load();
      const m0 = await deposit(f, 3n);
      const m1 = await deposit(f, 4n);
      const q2 = nextQueueHash(nextQueueHash(ZERO32, m0), m1);
      const batch = "0xdeadbeef00112233" as Hex;
      const asEve = await f.as("Inbox", f.inbox.address, f.eve);
      const h = await asEve.write.proposeCalldata([2n, batch, CID]);
      const rc = await receiptOf(f, h);
      const block = await f.pub.getBlock({ blockNumber: rc.blockNumber });
      const c1 = batchCommitment({
        batchIndex: 1n,
        dataKind: 2,
        dataHash: keccak256(batch),
        l1MsgStart: 0n,
        l1MsgEnd: 2n,
        queueHash: q2,
        l1Timestamp: block.timestamp,
        l1BlockNumber: rc.blockNumber,
        proposer: f.eve.account.address,
        startQueueHash: ZERO32,
      });
      const b1 = nextBatchChain(ZERO32, c1);
      expect(await f.inbox.read.batchChainAt([1n])).to.equal(b1);
      const [ev] = events(f.inbox.abi, rc.logs, "BatchProposed");
      expect(ev.args).to.deep.include({
        batchIndex: 1n,
        dataKind: 2,
        calldataHash: keccak256(batch),
        l1MsgStart: 0n,
        l1MsgEnd: 2n,
        queueHash: q2,
        batchChain: b1,
        ipfsCid: CID,
      });
      expect(ev.args.proposer.toLowerCase()).to.equal(f.eve.account.address.toLowerCase());
      expect(ev.args.blobHashes).to.deep.equal([]);

      // second batch consumes nothing, empty calldata allowed, empty CID allowed
      const h2 = await f.inbox.write.proposeCalldata([2n, "0x", "0x"]);
      const rc2 = await receiptOf(f, h2);
      const block2 = await f.pub.getBlock({ blockNumber: rc2.blockNumber });
      const c2 = batchCommitment({
        batchIndex: 2n,
        dataKind: 2,
        dataHash: keccak256("0x"),
        l1MsgStart: 2n,
        l1MsgEnd: 2n,
        queueHash: q2,
        l1Timestamp: block2.timestamp,
        l1BlockNumber: rc2.blockNumber,
        proposer: f.gov.account.address,
        startQueueHash: q2,
      });
      expect(await f.inbox.read.batchChainAt([2n])).to.equal(nextBatchChain(b1, c2));
      // the node's derivation computes the same c(i) v2 (node/derive/commitment.ts)
      expect(
        deriveCommitment({
          index: 2, dataKind: 2, dataHash: keccak256("0x"), l1MsgStart: 2, queueHashStart: q2, l1MsgEnd: 2, queueHash: q2,
          l1Timestamp: Number(block2.timestamp), l1BlockNumber: Number(rc2.blockNumber), proposer: f.gov.account.address,
        }),
      ).to.equal(c2);
      expect(await f.inbox.read.batchCount()).to.equal(2n);
      expect(await f.inbox.read.consumedCount()).to.equal(2n);
    });

    it("rejects l1MsgEnd outside [consumed, count] and overlong CIDs", async function () {
      const f = await load();
      await deposit(f);
      await deposit(f);
      await expectRevert(f.inbox.write.proposeCalldata([3n, "0x", "0x"]), "InvalidL1MsgEnd", [3n, 0n, 2n]);
      await f.inbox.write.proposeCalldata([1n, "0x", "0x"]);
      await expectRevert(f.inbox.write.proposeCalldata([0n, "0x", "0x"]), "InvalidL1MsgEnd", [0n, 1n, 2n]);
      await expectRevert(f.inbox.write.proposeCalldata([2n, "0x", toHex(new Uint8Array(129))]), "CidTooLong", [
        129n,
      ]);
      await f.inbox.write.proposeCalldata([2n, "0x", toHex(new Uint8Array(128))]);
    });

    it("keeps the last ring-size batch chain values and refuses older or future ones", async function () {
      const f = await load();
      for (let i = 0; i < Number(RING) + 3; i++) await f.inbox.write.proposeCalldata([0n, "0x", "0x"]);
      expect(await f.inbox.read.batchCount()).to.equal(RING + 3n);
      await expectRevert(f.inbox.read.batchChainAt([3n]), "BatchChainUnavailable", [3n]);
      expect(await f.inbox.read.batchChainAt([0n])).to.equal(ZERO32); // b(0) = 0 is known forever
      await expectRevert(f.inbox.read.batchChainAt([RING + 4n]), "BatchChainUnavailable", [RING + 4n]);
      expect(await f.inbox.read.batchChainAt([4n])).to.not.equal(ZERO32);
    });
  });

  describe("deadlines", function () {
    it("a proposal may skip a message only until its deadline", async function () {
      const f = await load();
      await deposit(f);
      const t0 = await f.inbox.read.messageTimestamp([0n]);
      await f.networkHelpers.time.setNextBlockTimestamp(t0 + BigInt(MESSAGE_DEADLINE));
      await f.inbox.write.proposeCalldata([0n, "0x", "0x"]); // exactly at the deadline: still allowed
      await f.networkHelpers.time.setNextBlockTimestamp(t0 + BigInt(MESSAGE_DEADLINE) + 1n);
      await expectRevert(f.inbox.write.proposeCalldata([0n, "0x", "0x"]), "MessageDeadlineMissed", [
        0n,
        t0 + BigInt(MESSAGE_DEADLINE),
      ]);
      expect(await f.inbox.read.minL1MsgEnd([t0 + BigInt(MESSAGE_DEADLINE) + 1n])).to.equal(1n);
      expect(await f.inbox.read.minL1MsgEnd([t0 + BigInt(MESSAGE_DEADLINE)])).to.equal(0n);
      await f.inbox.write.proposeCalldata([1n, "0x", "0x"]);
    });

    it("forced cancels have a shorter lane, also behind newer-due messages", async function () {
      const f = await load();
      await deposit(f); // 0
      const asBob = await f.as("Inbox", f.inbox.address, f.bob);
      await f.networkHelpers.time.increase(100);
      await asBob.write.forceCancel([7, 9n], { value: FORCED_FEE }); // 1
      await deposit(f); // 2
      await asBob.write.forceCancel([7, 0n], { value: FORCED_FEE }); // 3
      const tc = await f.inbox.read.messageTimestamp([1n]);
      await f.networkHelpers.time.setNextBlockTimestamp(tc + BigInt(FORCED_CANCEL_DEADLINE) + 1n);
      // the deposit at index 0 is not overdue yet, but the cancel at index 1 is
      await expectRevert(f.inbox.write.proposeCalldata([1n, "0x", "0x"]), "ForcedCancelDeadlineMissed", [
        1n,
        tc + BigInt(FORCED_CANCEL_DEADLINE),
      ]);
      const at = tc + BigInt(FORCED_CANCEL_DEADLINE) + 1n;
      expect(await f.inbox.read.minL1MsgEnd([at])).to.equal(2n);
      await f.networkHelpers.time.setNextBlockTimestamp(at);
      await f.inbox.write.proposeCalldata([2n, "0x", "0x"]);
      expect(await f.inbox.read.forcedCancelQueue()).to.deep.equal([1n, 2n]);
      // the second cancel (index 3) is due too: skipping it reverts, covering it advances the lane
      const tc3 = await f.inbox.read.messageTimestamp([3n]);
      await f.networkHelpers.time.setNextBlockTimestamp(tc3 + BigInt(FORCED_CANCEL_DEADLINE) + 1n);
      await expectRevert(f.inbox.write.proposeCalldata([3n, "0x", "0x"]), "ForcedCancelDeadlineMissed", [
        3n,
        tc3 + BigInt(FORCED_CANCEL_DEADLINE),
      ]);
      await f.inbox.write.proposeCalldata([4n, "0x", "0x"]);
      expect(await f.inbox.read.forcedCancelQueue()).to.deep.equal([2n, 2n]);
      expect(await f.inbox.read.minL1MsgEnd([tc3 + 10n ** 6n])).to.equal(4n);
    });
  });

  describe("blob proposals (raw type-3 transactions on the in-process network)", function () {
    this.timeout(300_000);
    const account = privateKeyToAccount(ANVIL_DEV_KEY);

    async function sendBlobPropose(f: any, blobs: Hex[], l1MsgEnd: bigint) {
      const chainId = await f.pub.getChainId();
      const nonce = await f.pub.getTransactionCount({ address: account.address });
      const fees = await f.pub.estimateFeesPerGas();
      const serializedTransaction = await account.signTransaction({
        type: "eip4844",
        chainId,
        nonce,
        gas: 500_000n,
        ...fees,
        maxFeePerBlobGas: parseGwei("30"),
        blobs,
        kzg: viemKzgInstance(),
        to: f.inbox.address,
        data: encodeFunctionData({ abi: f.inbox.abi, functionName: "propose", args: [l1MsgEnd, CID] }),
      });
      const hash = await f.pub.sendRawTransaction({ serializedTransaction });
      return f.pub.waitForTransactionReceipt({ hash });
    }

    for (const k of [1, 6]) {
      it(`records a ${k}-blob batch with the KZG-derived versioned hashes`, async function () {
        const f = await load();
        const m0 = await deposit(f);
        const payload = toHex(new Uint8Array(k * 126_000 - 1000).map((_, i) => i % 251));
        const blobs = toBlobs({ data: payload }) as Hex[];
        expect(blobs.length).to.equal(k);
        const expected = computeVersionedHashes(blobs.map((b) => Buffer.from(b.slice(2), "hex")));
        const rc = await sendBlobPropose(f, blobs, 1n);
        expect(rc.status).to.equal("success");
        const [ev] = events(f.inbox.abi, rc.logs, "BatchProposed");
        expect(ev.args.blobHashes).to.deep.equal(expected);
        expect(ev.args.dataKind).to.equal(1);
        expect(ev.args.calldataHash).to.equal(ZERO32);
        const block = await f.pub.getBlock({ blockNumber: rc.blockNumber });
        const c1 = batchCommitment({
          batchIndex: 1n,
          dataKind: 1,
          dataHash: blobDataHash(expected),
          l1MsgStart: 0n,
          l1MsgEnd: 1n,
          queueHash: nextQueueHash(ZERO32, m0),
          l1Timestamp: block.timestamp,
          l1BlockNumber: rc.blockNumber,
          proposer: ev.args.proposer,
          startQueueHash: ZERO32,
        });
        expect(await f.inbox.read.batchChainAt([1n])).to.equal(nextBatchChain(ZERO32, c1));
      });
    }

    it("rejects a blob proposal without blobs (NoBlobs)", async function () {
      const f = await load();
      await expectRevert(f.inbox.write.propose([0n, "0x"]), "NoBlobs");
    });
  });

  describe("governance", function () {
    it("only governance sets fee and deadlines, and withdraws fees", async function () {
      const f = await load();
      const asBob = await f.as("Inbox", f.inbox.address, f.bob);
      await expectRevert(asBob.write.setForcedFee([1n]), "OwnableUnauthorizedAccount", [f.bob.account.address]);
      await expectRevert(asBob.write.setDeadlines([10, 5]), "OwnableUnauthorizedAccount", [f.bob.account.address]);
      await expectRevert(asBob.write.withdrawFees([f.bob.account.address, 0n]), "OwnableUnauthorizedAccount", [
        f.bob.account.address,
      ]);
      let h = await f.inbox.write.setForcedFee([123n]);
      let [ev] = events(f.inbox.abi, (await receiptOf(f, h)).logs, "ForcedFeeSet");
      expect(ev.args.fee).to.equal(123n);
      await expectRevert(f.inbox.write.setDeadlines([10, 11]), "InvalidDeadlines");
      await expectRevert(f.inbox.write.setDeadlines([10, 0]), "InvalidDeadlines");
      h = await f.inbox.write.setDeadlines([7200, 900]);
      [ev] = events(f.inbox.abi, (await receiptOf(f, h)).logs, "DeadlinesSet");
      expect(ev.args).to.deep.equal({ messageDeadline: 7200, forcedCancelDeadline: 900 });

      await asBob.write.forceWithdraw([USDC, 1n], { value: 123n });
      await expectRevert(
        f.inbox.write.withdrawFees(["0x0000000000000000000000000000000000000000", 1n]),
        "ZeroAddress",
      );
      await expectRevert(f.inbox.write.withdrawFees([f.settlement.address, 1n]), "FeeTransferFailed");
      const before = await f.pub.getBalance({ address: f.eve.account.address });
      h = await f.inbox.write.withdrawFees([f.eve.account.address, 123n]);
      [ev] = events(f.inbox.abi, (await receiptOf(f, h)).logs, "FeesWithdrawn");
      expect(ev.args.amount).to.equal(123n);
      expect(await f.pub.getBalance({ address: f.eve.account.address })).to.equal(before + 123n);
    });

    it("transfers ownership in two steps and never renounces", async function () {
      const f = await load();
      await expectRevert(f.inbox.write.renounceOwnership(), "RenounceOwnershipDisabled");
      await f.inbox.write.transferOwnership([f.bob.account.address]);
      const asBob = await f.as("Inbox", f.inbox.address, f.bob);
      await asBob.write.acceptOwnership();
      expect((await f.inbox.read.owner()).toLowerCase()).to.equal(f.bob.account.address.toLowerCase());
      await asBob.write.enqueue([setMarketMessage(MARKET)]);
      await expectRevert(f.inbox.write.enqueue([setMarketMessage(MARKET)]), "NotAuthorized", [
        f.gov.account.address,
      ]);
    });
  });
});
