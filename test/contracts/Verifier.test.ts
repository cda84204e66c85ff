// Verifiers: SP1 and ZisK adapters (against test doubles of the real gateways), EIP-712 attestation verifier,
// VerifierPolicy (ALL / ANY / mixed, envelope parsing) and the shared propose -> wait -> apply governance.
import { toFunctionSelector } from "viem";
import { expect } from "chai";
import { network } from "hardhat";
import { type Hex, concat, keccak256, toHex, zeroAddress, zeroHash, encodeFunctionData } from "viem";
import {
  attest, attesters, encodePublicValues, envelope, expectCustomError, sp1DoubleProof, ziskDoubleProof, ziskPublics,
  SP1_DOUBLE_SELECTOR,
} from "./helpers/settle.ts";

const DELAY = 3600n;
/** An SP1 program vkey is a BN254 scalar (the real ones are below r): keep the test keys there too. */
const inField = (h: Hex): Hex => toHex(BigInt(h) >> 8n, { size: 32 });
const VKEY = inField(keccak256(toHex("sp1-vkey")));
const ZVK = keccak256(toHex("zisk-program-vk"));
const ZROOT = keccak256(toHex("zisk-root-c-vadcop-final"));

const pvOf = (prover: Hex, salt = 1n) =>
  encodePublicValues({
    prevStateRoot: keccak256(toHex(`prev${salt}`)), newStateRoot: keccak256(toHex(`new${salt}`)), firstBatch: 1n,
    lastBatch: 3n, prevBatchChain: zeroHash, newBatchChain: keccak256(toHex("chain")), l1MessagesConsumed: 2n,
    l1QueueHash: keccak256(toHex("q")), withdrawalRoot: keccak256(toHex("w")), prover: prover as `0x${string}`,
  });

describe("Verifiers", function () {
  let viem: any, helpers: any;
  before(async function () {
    ({ viem, networkHelpers: helpers } = await network.create());
  });

  async function fixture() {
    const [gov, other] = await viem.getWalletClients();
    const sp1Gateway = await viem.deployContract("SP1GatewayDouble");
    const sp1Verifier = await viem.deployContract("SP1VerifierDouble");
    await sp1Gateway.write.addRoute([sp1Verifier.address]);
    const ziskDouble = await viem.deployContract("ZiskVerifierDouble");
    const sp1 = await viem.deployContract("SP1VerifierAdapter", [sp1Gateway.address, VKEY, gov.account.address, DELAY]);
    const zisk = await viem.deployContract("ZiskVerifierAdapter", [ziskDouble.address, 0, 256n, ZVK, ZROOT, gov.account.address, DELAY]);
    const signers = attesters(3);
    const att = await viem.deployContract("AttestationVerifier", [signers.map((s) => s.address), 2n, gov.account.address, DELAY]);
    const chainId = await (await viem.getPublicClient()).getChainId();
    const as = async (c: any, w: any) => viem.getContractAt(c.name ?? c, c.address, { client: { wallet: w } });
    return { gov, other, sp1Gateway, sp1Verifier, ziskDouble, sp1, zisk, att, signers, chainId, as };
  }
  const load = () => helpers.loadFixture(fixture);

  describe("SP1VerifierAdapter", function () {
    it("accepts a valid proof through the gateway and rejects invalid ones with the real gateway's and verifier's errors", async function () {
      const { sp1, gov, sp1Gateway, sp1Verifier } = await load();
      const pv = pvOf(gov.account.address);
      await sp1.read.verify([pv, sp1DoubleProof(VKEY, pv)]);
      expect(await sp1.read.proofSystem()).to.equal(keccak256(toHex("SP1")));
      await expectCustomError(sp1.read.verify([pv, sp1DoubleProof(VKEY, pvOf(gov.account.address, 2n))]), "ProofInvalid");
      await expectCustomError(sp1.read.verify([pv, sp1DoubleProof(inField(keccak256("0x01")), pv)]), "ProofInvalid");
      await expectCustomError(sp1.read.verify([pv, sp1DoubleProof(VKEY, pv, { exitCode: 1n })]), "InvalidExitCode");
      await expectCustomError(sp1.read.verify([pv, sp1DoubleProof(VKEY, pv, { vkRoot: 5n })]), "InvalidVkRoot");
      await expectCustomError(sp1.read.verify([pv, sp1DoubleProof(VKEY, pv, { selector: "0xdeadbeef" })]), "RouteNotFound", ["0xdeadbeef"]);
      // an adapter pointed at a single verifier (no gateway) gets the verifier's selector check
      const direct = await viem.deployContract("SP1VerifierAdapter", [sp1Verifier.address, VKEY, gov.account.address, DELAY]);
      await direct.read.verify([pv, sp1DoubleProof(VKEY, pv)]);
      await expectCustomError(direct.read.verify([pv, sp1DoubleProof(VKEY, pv, { selector: "0xdeadbeef" })]), "WrongVerifierSelector", ["0xdeadbeef", SP1_DOUBLE_SELECTOR]);
      // a frozen route refuses everything
      await sp1Gateway.write.freezeRoute([SP1_DOUBLE_SELECTOR]);
      await expectCustomError(sp1.read.verify([pv, sp1DoubleProof(VKEY, pv)]), "RouteIsFrozen", [SP1_DOUBLE_SELECTOR]);
    });

    it("refuses a vkey outside the BN254 scalar field (no proof could ever verify it)", async function () {
      const { gov, sp1, sp1Gateway, sp1Verifier } = await load();
      const r = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
      const rHex = toHex(r, { size: 32 });
      // the verifier itself would refuse every proof for it
      await expectCustomError(sp1Verifier.read.verifyProof([rHex, pvOf(gov.account.address), sp1DoubleProof(rHex, pvOf(gov.account.address))]), "PublicInputNotInField");
      await expectCustomError(viem.deployContract("SP1VerifierAdapter", [sp1Gateway.address, rHex, gov.account.address, DELAY]), "VKeyNotInField", [rHex]);
      await expectCustomError(sp1.write.proposeProgramVKey([toHex(2n ** 256n - 1n, { size: 32 })]), "VKeyNotInField");
      const below = toHex(r - 1n, { size: 32 });
      await viem.deployContract("SP1VerifierAdapter", [sp1Gateway.address, below, gov.account.address, DELAY]);
    });

    it("rejects zero constructor values", async function () {
      const { gov, sp1Gateway } = await load();
      await expectCustomError(viem.deployContract("SP1VerifierAdapter", [zeroAddress, VKEY, gov.account.address, DELAY]), "ZeroValue");
      await expectCustomError(viem.deployContract("SP1VerifierAdapter", [sp1Gateway.address, zeroHash, gov.account.address, DELAY]), "ZeroValue");
    });

    it("changes the vkey only by governance, after the delay (propose -> wait -> apply), with events", async function () {
      const { sp1, other } = await load();
      const newKey = inField(keccak256(toHex("sp1-vkey-2")));
      const asOther = await viem.getContractAt("SP1VerifierAdapter", sp1.address, { client: { wallet: other } });
      await expectCustomError(asOther.write.proposeProgramVKey([newKey]), "OwnableUnauthorizedAccount", [other.account.address]);
      await expectCustomError(sp1.write.proposeProgramVKey([zeroHash]), "ZeroValue");
      const changeId = keccak256(encodeFunctionData({ abi: sp1.abi, functionName: "applyProgramVKey", args: [newKey] }));
      await expectCustomError(sp1.write.applyProgramVKey([newKey]), "ChangeNotProposed", [changeId]);
      await sp1.write.proposeProgramVKey([newKey]);
      await expectCustomError(sp1.write.proposeProgramVKey([newKey]), "ChangeAlreadyProposed", [changeId]);
      const readyAt = await sp1.read.changeReadyAt([changeId]);
      expect(readyAt > 0n).to.equal(true);
      await expectCustomError(asOther.write.applyProgramVKey([newKey]), "ChangeNotReady", [changeId, readyAt]);
      await helpers.time.increase(DELAY);
      await asOther.write.applyProgramVKey([newKey]); // anyone may apply once ready
      expect(await sp1.read.programVKey()).to.equal(newKey);
      const events = await sp1.getEvents.ProgramVKeyUpdated();
      expect(events.at(-1).args).to.deep.equal({ oldProgramVKey: VKEY, newProgramVKey: newKey });
      await expectCustomError(sp1.write.applyProgramVKey([newKey]), "ChangeNotProposed", [changeId]);
    });

    it("lets governance cancel a pending change; ownership moves in two steps and cannot be renounced", async function () {
      const { sp1, gov, other } = await load();
      const newKey = inField(keccak256(toHex("k3")));
      await sp1.write.proposeProgramVKey([newKey]);
      const changeId = keccak256(encodeFunctionData({ abi: sp1.abi, functionName: "applyProgramVKey", args: [newKey] }));
      await sp1.write.cancelChange([changeId]);
      await expectCustomError(sp1.write.cancelChange([changeId]), "ChangeNotProposed", [changeId]);
      await helpers.time.increase(DELAY);
      await expectCustomError(sp1.write.applyProgramVKey([newKey]), "ChangeNotProposed", [changeId]);
      await expectCustomError(sp1.write.renounceOwnership(), "RenounceOwnershipDisabled");
      await sp1.write.transferOwnership([other.account.address]);
      expect((await sp1.read.owner()).toLowerCase()).to.equal(gov.account.address.toLowerCase());
      const asOther = await viem.getContractAt("SP1VerifierAdapter", sp1.address, { client: { wallet: other } });
      await asOther.write.acceptOwnership();
      expect((await sp1.read.owner()).toLowerCase()).to.equal(other.account.address.toLowerCase());
    });
  });

  describe("ZiskVerifierAdapter", function () {
    it("passes sha256(publicValues) padded to the publics length and both pinned constants", async function () {
      const { zisk, gov } = await load();
      const pv = pvOf(gov.account.address);
      expect(await zisk.read.ziskPublics([pv])).to.equal(ziskPublics(pv));
      await zisk.read.verify([pv, ziskDoubleProof(ZVK, ZROOT, pv)]);
      expect(await zisk.read.proofSystem()).to.equal(keccak256(toHex("ZISK")));
      await expectCustomError(zisk.read.verify([pv, ziskDoubleProof(ZVK, keccak256("0x02"), pv)]), "InvalidProof");
      await expectCustomError(zisk.read.verify([pv, ziskDoubleProof(keccak256("0x03"), ZROOT, pv)]), "InvalidProof");
      await expectCustomError(zisk.read.verify([pvOf(gov.account.address, 5n), ziskDoubleProof(ZVK, ZROOT, pv)]), "InvalidProof");
    });

    it("rejects bad constructor values", async function () {
      const { gov, ziskDouble } = await load();
      const o = gov.account.address;
      await expectCustomError(viem.deployContract("ZiskVerifierAdapter", [zeroAddress, 0, 256n, ZVK, ZROOT, o, DELAY]), "ZeroValue");
      await expectCustomError(viem.deployContract("ZiskVerifierAdapter", [ziskDouble.address, 0, 256n, zeroHash, ZROOT, o, DELAY]), "ZeroValue");
      await expectCustomError(viem.deployContract("ZiskVerifierAdapter", [ziskDouble.address, 0, 256n, ZVK, zeroHash, o, DELAY]), "ZeroValue");
      await expectCustomError(viem.deployContract("ZiskVerifierAdapter", [ziskDouble.address, 1, 256n, ZVK, ZROOT, o, DELAY]), "ZeroValue"); // v1.3: no root here
      await expectCustomError(viem.deployContract("ZiskVerifierAdapter", [ziskDouble.address, 2, 256n, ZVK, ZROOT, o, DELAY]), "UnsupportedVersion", [2]);
      await expectCustomError(viem.deployContract("ZiskVerifierAdapter", [ziskDouble.address, 0, 31n, ZVK, ZROOT, o, DELAY]), "PublicsLengthTooSmall", [31n]);
    });

    it("ZisK v1.3: calls the 3-argument verifySnarkProof (0xe2be39b9), the root fixed inside the verifier", async function () {
      const { gov, ziskDouble } = await load();
      const o = gov.account.address;
      const v13 = await viem.deployContract("ZiskVerifierV13Double", [ZROOT]);
      const zisk13 = await viem.deployContract("ZiskVerifierAdapter", [v13.address, 1, 256n, ZVK, zeroHash, o, DELAY]);
      expect(await zisk13.read.version()).to.equal(1);
      expect(await zisk13.read.rootCVadcopFinal()).to.equal(zeroHash);
      const pv = pvOf(o);
      await zisk13.read.verify([pv, ziskDoubleProof(ZVK, ZROOT, pv)]); // same proof as v1.0 (same public input)
      await expectCustomError(zisk13.read.verify([pv, ziskDoubleProof(ZVK, keccak256("0x02"), pv)]), "InvalidProof");
      await expectCustomError(zisk13.read.verify([pvOf(o, 5n), ziskDoubleProof(ZVK, ZROOT, pv)]), "InvalidProof");
      const sel = toFunctionSelector("verifySnarkProof(bytes32,bytes,bytes)");
      expect(sel).to.equal("0xe2be39b9");
      // the v1.3 adapter against a v1.0 verifier (and vice versa) finds no such function: reverts, never passes
      const wrong = await viem.deployContract("ZiskVerifierAdapter", [ziskDouble.address, 1, 256n, ZVK, zeroHash, o, DELAY]);
      let failed = false;
      try { await wrong.read.verify([pv, ziskDoubleProof(ZVK, ZROOT, pv)]); } catch { failed = true; }
      expect(failed).to.equal(true);
      await expectCustomError(zisk13.write.proposeZiskKeys([keccak256("0x0a"), ZROOT]), "ZeroValue");
      await zisk13.write.proposeZiskKeys([keccak256("0x0a"), zeroHash]);
    });

    it("changes programVK and rootCVadcopFinal together, by governance after the delay", async function () {
      const { zisk, gov, other } = await load();
      const [vk2, root2] = [keccak256("0x0a"), keccak256("0x0b")];
      const asOther = await viem.getContractAt("ZiskVerifierAdapter", zisk.address, { client: { wallet: other } });
      await expectCustomError(asOther.write.proposeZiskKeys([vk2, root2]), "OwnableUnauthorizedAccount", [other.account.address]);
      await expectCustomError(zisk.write.proposeZiskKeys([zeroHash, root2]), "ZeroValue");
      await expectCustomError(zisk.write.proposeZiskKeys([vk2, zeroHash]), "ZeroValue");
      await zisk.write.proposeZiskKeys([vk2, root2]);
      await expectCustomError(zisk.write.applyZiskKeys([vk2, root2]), "ChangeNotReady");
      await expectCustomError(zisk.write.applyZiskKeys([vk2, ZROOT]), "ChangeNotProposed");
      await helpers.time.increase(DELAY);
      await zisk.write.applyZiskKeys([vk2, root2]);
      expect(await zisk.read.programVK()).to.equal(vk2);
      expect(await zisk.read.rootCVadcopFinal()).to.equal(root2);
      const pv = pvOf(gov.account.address);
      await zisk.read.verify([pv, ziskDoubleProof(vk2, root2, pv)]);
      await expectCustomError(zisk.read.verify([pv, ziskDoubleProof(ZVK, ZROOT, pv)]), "InvalidProof");
    });
  });

  describe("AttestationVerifier", function () {
    it("accepts k-of-n EIP-712 signatures of registered signers, ascending", async function () {
      const { att, signers, chainId, gov } = await load();
      const pv = pvOf(gov.account.address);
      await att.read.verify([pv, await attest([signers[0], signers[2]], att.address, chainId, pv)]);
      await att.read.verify([pv, await attest(signers, att.address, chainId, pv)]);
      expect(await att.read.proofSystem()).to.equal(keccak256(toHex("ATTESTATION")));
      expect(await att.read.threshold()).to.equal(2n);
      expect((await att.read.signers()).map((a: string) => a.toLowerCase())).to.deep.equal(signers.map((s: any) => s.address.toLowerCase()));
    });

    it("rejects too few, unsorted, duplicate, unknown, malformed and invalid signatures", async function () {
      const { att, signers, chainId, gov } = await load();
      const pv = pvOf(gov.account.address);
      await expectCustomError(att.read.verify([pv, await attest([signers[1]], att.address, chainId, pv)]), "NotEnoughSignatures", [1n, 2n]);
      await expectCustomError(att.read.verify([pv, await attest([signers[2], signers[0]], att.address, chainId, pv)]), "SignersNotAscending", [1n]);
      await expectCustomError(att.read.verify([pv, await attest([signers[1], signers[1]], att.address, chainId, pv)]), "SignersNotAscending", [1n]);
      const stranger = attesters(4).find((a) => !signers.some((s: any) => s.address === a.address))!;
      const sig = await attest([stranger], att.address, chainId, pv);
      await expectCustomError(att.read.verify([pv, sig]), "UnknownSigner", [0n, stranger.address]);
      await expectCustomError(att.read.verify([pv, "0x"]), "AttestationMalformed", [0n]);
      await expectCustomError(att.read.verify([pv, "0x1234"]), "AttestationMalformed", [2n]);
      const bad = concat([keccak256("0x01"), keccak256("0x02"), "0x1f"]); // v = 31
      await expectCustomError(att.read.verify([pv, bad]), "InvalidSignature", [0n]);
      // signatures over other public values recover to other addresses
      const other = await attest([signers[0]], att.address, chainId, pvOf(gov.account.address, 9n));
      await expectCustomError(att.read.verify([pv, other]), "UnknownSigner");
    });

    it("validates signer sets and changes them by governance after the delay", async function () {
      const { att, signers, chainId, gov, other } = await load();
      const o = gov.account.address;
      const addrs = signers.map((s: any) => s.address);
      for (const [s, t] of [[[], 1n], [addrs, 0n], [addrs, 4n], [[addrs[1], addrs[0]], 1n], [[addrs[0], addrs[0]], 1n], [[zeroAddress], 1n]] as const) {
        await expectCustomError(viem.deployContract("AttestationVerifier", [s, t, o, DELAY]), "InvalidSignerSet");
        await expectCustomError(att.write.proposeSignerSet([s, t]), "InvalidSignerSet");
      }
      const tooMany = Array.from({ length: 65 }, (_, i) => toHex(BigInt(i + 1), { size: 20 }));
      await expectCustomError(att.write.proposeSignerSet([tooMany, 1n]), "InvalidSignerSet");
      const asOther = await viem.getContractAt("AttestationVerifier", att.address, { client: { wallet: other } });
      await expectCustomError(asOther.write.proposeSignerSet([[addrs[0]], 1n]), "OwnableUnauthorizedAccount", [other.account.address]);
      await att.write.proposeSignerSet([[addrs[1]], 1n]);
      await expectCustomError(att.write.applySignerSet([[addrs[1]], 1n]), "ChangeNotReady");
      await helpers.time.increase(DELAY);
      await att.write.applySignerSet([[addrs[1]], 1n]);
      expect(await att.read.isSigner([addrs[0]])).to.equal(false);
      expect(await att.read.isSigner([addrs[1]])).to.equal(true);
      expect(await att.read.epoch()).to.equal(2n);
      const pv = pvOf(o);
      await att.read.verify([pv, await attest([signers[1]], att.address, chainId, pv)]);
      await expectCustomError(att.read.verify([pv, await attest([signers[0]], att.address, chainId, pv)]), "UnknownSigner", [0n, addrs[0]]);
    });
  });

  describe("VerifierPolicy", function () {
    async function policyFixture() {
      const f = await fixture();
      const { gov } = f;
      // ids: 0 = SP1, 1 = ZisK, 2 = attestation
      const list = [f.sp1.address, f.zisk.address, f.att.address];
      const all = await viem.deployContract("VerifierPolicy", [list, 0b011n, 2n, gov.account.address, DELAY]);
      const any = await viem.deployContract("VerifierPolicy", [list, 0n, 1n, gov.account.address, DELAY]);
      const mixed = await viem.deployContract("VerifierPolicy", [list, 0b001n, 2n, gov.account.address, DELAY]);
      const pv = pvOf(gov.account.address);
      const proofs = {
        sp1: { id: 0, proof: sp1DoubleProof(VKEY, pv) },
        zisk: { id: 1, proof: ziskDoubleProof(ZVK, ZROOT, pv) },
        att: { id: 2, proof: await attest([f.signers[0], f.signers[1]], f.att.address, f.chainId, pv) },
      };
      return { ...f, list, all, any, mixed, pv, proofs };
    }
    const loadP = () => helpers.loadFixture(policyFixture);

    it("ALL: SP1 AND ZisK are both required", async function () {
      const { all, pv, proofs } = await loadP();
      await all.read.verify([pv, envelope([proofs.sp1, proofs.zisk])]);
      await all.read.verify([pv, envelope([proofs.sp1, proofs.zisk, proofs.att])]);
      await expectCustomError(all.read.verify([pv, envelope([proofs.sp1])]), "RequiredProofMissing", [0b10n]);
      await expectCustomError(all.read.verify([pv, envelope([proofs.sp1, proofs.att])]), "RequiredProofMissing", [0b10n]);
      expect(await all.read.proofSystem()).to.equal(keccak256(toHex("POLICY")));
      expect((await all.read.verifiers()).length).to.equal(3);
    });

    it("ANY: one proof of any configured system is enough (devnet: attestation alone)", async function () {
      const { any, pv, proofs } = await loadP();
      for (const p of [proofs.sp1, proofs.zisk, proofs.att]) await any.read.verify([pv, envelope([p])]);
      await expectCustomError(any.read.verify([pv, envelope([])]), "NotEnoughProofs", [0n, 1n]);
    });

    it("mixed: SP1 AND (ZisK OR attestation)", async function () {
      const { mixed, pv, proofs } = await loadP();
      await mixed.read.verify([pv, envelope([proofs.sp1, proofs.zisk])]);
      await mixed.read.verify([pv, envelope([proofs.sp1, proofs.att])]);
      await expectCustomError(mixed.read.verify([pv, envelope([proofs.zisk, proofs.att])]), "RequiredProofMissing", [1n]);
      await expectCustomError(mixed.read.verify([pv, envelope([proofs.sp1])]), "NotEnoughProofs", [1n, 2n]);
    });

    it("rejects malformed envelopes and failing parts with custom errors", async function () {
      const { any, pv, proofs, sp1, list } = await loadP();
      await expectCustomError(any.read.verify([pv, "0x"]), "UnsupportedEnvelope");
      await expectCustomError(any.read.verify([pv, concat(["0x02", envelope([proofs.sp1]).slice(4) as Hex])]), "UnsupportedEnvelope");
      await expectCustomError(any.read.verify([pv, "0x0100000001"]), "MalformedEnvelope", [1n]);
      await expectCustomError(any.read.verify([pv, "0x010000000005aabb"]), "MalformedEnvelope", [6n]);
      await expectCustomError(any.read.verify([pv, envelope([proofs.zisk, proofs.sp1])]), "PartsNotAscending", [0]);
      await expectCustomError(any.read.verify([pv, envelope([proofs.sp1, proofs.sp1])]), "PartsNotAscending", [0]);
      await expectCustomError(any.read.verify([pv, envelope([{ id: 3, proof: "0x" }])]), "UnknownVerifier", [3]);
      const bad = sp1DoubleProof(VKEY, pvOf(list[0], 7n));
      const args = await expectCustomError(any.read.verify([pv, envelope([{ id: 0, proof: bad }])]), "VerifierRejected");
      expect(args[0]).to.equal(0);
      expect(args[1]).to.equal(keccak256(toHex("ProofInvalid()")).slice(0, 10)); // the SP1 verifier's revert data
      // a valid part does not rescue an invalid one
      await expectCustomError(any.read.verify([pv, envelope([proofs.sp1, { id: 1, proof: proofs.sp1.proof }])]), "VerifierRejected");
      expect(sp1.address).to.be.a("string");
    });

    it("validates and changes its configuration by governance after the delay", async function () {
      const { any, list, gov, other, pv, proofs } = await loadP();
      const o = gov.account.address;
      const bad: [Hex[], bigint, bigint][] = [
        [[], 0n, 1n], [list, 0n, 0n], [list, 0n, 4n], [list, 0b1000n, 1n], [[list[0], list[0]], 0n, 1n],
        [[zeroAddress], 0n, 1n], [Array.from({ length: 17 }, (_, i) => toHex(BigInt(i + 1), { size: 20 })), 0n, 1n],
      ];
      for (const [v, m, t] of bad) {
        await expectCustomError(viem.deployContract("VerifierPolicy", [v, m, t, o, DELAY]), "InvalidPolicyConfig");
        await expectCustomError(any.write.proposeConfig([v, m, t]), "InvalidPolicyConfig");
      }
      const asOther = await viem.getContractAt("VerifierPolicy", any.address, { client: { wallet: other } });
      await expectCustomError(asOther.write.proposeConfig([[list[2]], 1n, 1n]), "OwnableUnauthorizedAccount", [other.account.address]);
      await any.write.proposeConfig([[list[2]], 1n, 1n]);
      await expectCustomError(any.write.applyConfig([[list[2]], 1n, 1n]), "ChangeNotReady");
      await helpers.time.increase(DELAY);
      await asOther.write.applyConfig([[list[2]], 1n, 1n]);
      expect(await any.read.requiredMask()).to.equal(1n);
      expect(await any.read.threshold()).to.equal(1n);
      await any.read.verify([pv, envelope([{ id: 0, proof: proofs.att.proof }])]);
      await expectCustomError(any.read.verify([pv, envelope([proofs.sp1])]), "VerifierRejected"); // id 0 is now attestation
      expect(SP1_DOUBLE_SELECTOR).to.equal("0x5d1e5d1e");
    });
  });
});
