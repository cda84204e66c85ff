// The dispute game end to end on anvil (issue 17 "Tests: Dispute"): the real contract suite, batches derived
// from L1 by the challenger's own Deriver, the challenger role (node/challenger) acting on its verdicts, and
// the attest proof backend (node/prover) as the honest defender.
//   1. A dishonest proposer (this harness) claims batches 1..2 with a wrong state root. The challenger judges
//      it invalid and challenges; the node's backend refuses to prove it (its result differs) and a proof of
//      the right values does not match the claim; after the deadline the challenger resolves, wins its bond
//      back plus half the proposer's, withdraws, and the wrong root was never finalized.
//   2. An honest claim of the same range is challenged by a griefer: the challenger role proves it with the
//      attest backend, it finalizes, the proposer is credited both bonds and the griefer loses its bond.
//   3. The role as node/app starts it (startChallenger, config section): a claim of batch 3 with a stolen
//      withdrawal root is challenged by the role deriving on its own, then counter-proved with the attest
//      backend: the claim is disproven and the node's result finalizes.
import { expect } from "chai";
import path from "node:path";
import { Registry } from "prom-client";
import { hexToBytes, keccak256, parseEventLogs, toHex, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { challenge, prove, type ActionContext } from "../../../node/challenger/actions.ts";
import { Challenger } from "../../../node/challenger/challenger.ts";
import { ClaimStatus } from "../../../node/challenger/claims.ts";
import { ChallengerError } from "../../../node/challenger/errors.ts";
import { backendProver } from "../../../node/challenger/prover.ts";
import { encodePublicValues, type PublicValues } from "../../../node/derive/commitment.ts";
import type { Deriver } from "../../../node/derive/index.ts";
import { disputeGameAbi, settlementAbi, verifierPolicyAbi } from "../../../node/l1/contracts.ts";
import { ANVIL_DEV_KEYS } from "../../../node/l1/anvil.ts";
import { AttestBackend } from "../../../node/prover/attest.ts";
import { loadConfig } from "../../../node/config.ts";
import { startChallenger } from "../../../node/challenger/role.ts";
import { silent, startHarness, type Harness } from "./harness.ts";

const WINDOW = 600;
const PROOF_WINDOW = 600;

describe("challenger: dishonest and honest claims in the DisputeGame (anvil)", function () {
  this.timeout(180_000);
  let h: Harness;
  let deriver: Deriver;
  const alice = privateKeyToAccount(ANVIL_DEV_KEYS[1]);
  const watcher = privateKeyToAccount(ANVIL_DEV_KEYS[2]);
  const honest = privateKeyToAccount(ANVIL_DEV_KEYS[4]);
  // anvil has five dev keys (the poster uses the fourth): two more accounts, funded in before()
  const liar = privateKeyToAccount(keccak256(toHex("rollbook-test-liar")));
  const griefer = privateKeyToAccount(keccak256(toHex("rollbook-test-griefer")));
  let proposerBond: bigint;
  let challengerBond: bigint;
  let right: Omit<PublicValues, "prover">;

  const game = () => h.d.contracts.disputeGame;
  const read = (functionName: string, args: unknown[] = []) => h.pub.readContract({ address: game(), abi: disputeGameAbi, functionName, args } as never) as Promise<any>;
  const settlement = (functionName: string) => h.pub.readContract({ address: h.d.contracts.settlement, abi: settlementAbi, functionName } as never) as Promise<any>;

  async function proposeClaim(who: typeof liar, pv: PublicValues): Promise<number> {
    const hash = await h.walletOf(who).writeContract({ address: game(), abi: disputeGameAbi, functionName: "propose", args: [`0x${Buffer.from(encodePublicValues(pv)).toString("hex")}`], value: proposerBond, account: who, chain: h.chain });
    const rc = await h.pub.waitForTransactionReceipt({ hash });
    expect(rc.status).to.equal("success");
    const [ev] = parseEventLogs({ abi: disputeGameAbi, logs: rc.logs, eventName: "ClaimProposed" });
    return Number(ev.args.claimId);
  }

  function newChallenger(o: { prover?: boolean; registry?: Registry } = {}): Challenger {
    const backend = new AttestBackend({ signers: [privateKeyToAccount(ANVIL_DEV_KEYS[0])], chainId: h.d.chainId, verifier: h.d.contracts.attestationVerifier, state: deriver.store });
    return new Challenger({
      client: h.pub, wallet: h.walletOf(watcher), game: game(), inbox: h.d.contracts.inbox, fromBlock: h.d.startBlock, store: deriver.store,
      prover: o.prover === true ? backendProver(backend, deriver.store, 0) : undefined, logger: silent, registry: o.registry ?? new Registry(),
    });
  }

  before(async () => {
    h = await startHarness({ challengeWindow: BigInt(WINDOW), proofWindow: BigInt(PROOF_WINDOW) });
    for (const a of [liar, griefer]) await h.rpc("anvil_setBalance", [a.address, toHex(10n ** 20n)]);
    proposerBond = BigInt(h.d.parameters.proposerBond as string);
    challengerBond = BigInt(h.d.parameters.challengerBond as string);
    await h.deposit(alice, 50_000n);
    expect(await h.post([])).to.equal(1);
    expect(await h.post([h.withdraw(ANVIL_DEV_KEYS[1], 20_000, alice.address)])).to.equal(2);
    deriver = await h.deriver("challenger", { proverInputs: true });
    expect(deriver.status().batchIndex).to.equal(2);
  });

  after(async () => {
    await h?.close();
  });

  it("computes the right public values of batches 1..2 from L1 alone (withdrawal root included)", async () => {
    const c = newChallenger();
    const e = await c.judge.expected(1, 2);
    expect(e).to.not.be.a("string");
    right = e as Omit<PublicValues, "prover">;
    expect(right.prevStateRoot).to.equal(await settlement("lastStateRoot"));
    expect(right.l1MessagesConsumed).to.equal(1);
    expect(right.withdrawalRoot).to.not.equal(`0x${"00".repeat(32)}`);
    expect(await c.judge.expected(1, 3)).to.match(/derived up to batch 2/);
  });

  it("a wrong claim is challenged, cannot be proven, and the challenger wins both bonds after the deadline", async () => {
    const wrongRoot = `0x${"ab".repeat(32)}` as Hex;
    const id = await proposeClaim(liar, { ...right, newStateRoot: wrongRoot, prover: liar.address });
    const registry = new Registry();
    const c = newChallenger({ registry });
    const verdicts: string[] = [];
    c.on("verdict", ({ claim, verdict }) => claim.id === id && verdicts.push(verdict.kind === "invalid" ? `invalid:${verdict.wrong.join(",")}` : verdict.kind));

    const acts = await c.step();
    expect(verdicts).to.deep.equal(["invalid:newStateRoot"]);
    expect(acts.map((a) => a.action)).to.deep.equal(["challenge"]);
    const claim = await read("getClaim", [BigInt(id)]);
    expect(claim.status).to.equal(ClaimStatus.Challenged);
    expect(claim.challenger).to.equal(watcher.address);
    const stake = /^rollbook_challenger_bonds_at_stake_wei (\S+)$/m.exec(await registry.getSingleMetricAsString("rollbook_challenger_bonds_at_stake_wei"));
    expect(Number(stake?.[1])).to.equal(Number(challengerBond));
    // A second step does nothing more (the claim is challenged, the deadline is ahead).
    expect(await c.step()).to.deep.equal([]);

    // The node's backend re-executes and proves only its own result: not the claim's.
    const ctx: ActionContext = { client: h.pub, wallet: h.walletOf(liar), game: game() };
    const backend = new AttestBackend({ signers: [privateKeyToAccount(ANVIL_DEV_KEYS[0])], chainId: h.d.chainId, verifier: h.d.contracts.attestationVerifier, state: deriver.store });
    const prover = backendProver(backend, deriver.store, 0);
    const info = await c.claims.get(id);
    const err = await prove(ctx, info, prover).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ChallengerError);
    expect((err as ChallengerError).code).to.equal("CLAIM_INVALID");
    // ... and a valid proof of the right values does not prove the claim (the verifier rejects it).
    const good = await prover.prove({ firstBatch: 1, lastBatch: 2, prevStateRoot: right.prevStateRoot, prevBatchChain: right.prevBatchChain, prover: liar.address });
    const sim = await h.pub.simulateContract({ address: game(), abi: [...disputeGameAbi, ...verifierPolicyAbi], functionName: "proveClaim", args: [BigInt(id), info.publicValues, good.proof], account: liar }).catch((e: Error) => e);
    expect(String(sim), String(sim)).to.match(/VerifierRejected/);

    // Past the deadline the challenger resolves, collects and withdraws.
    await h.warp(PROOF_WINDOW + 1);
    const before = await h.pub.getBalance({ address: watcher.address });
    const acts2 = await c.step();
    expect(acts2.map((a) => a.action)).to.deep.equal(["resolve", "withdraw"]);
    expect((await read("getClaim", [BigInt(id)])).status).to.equal(ClaimStatus.ChallengerWon);
    const gas = await Promise.all(acts2.map(async (a) => (await h.pub.getTransactionReceipt({ hash: a.tx.hash })).effectiveGasPrice * a.tx.gasUsed));
    const after = await h.pub.getBalance({ address: watcher.address });
    expect(after - before + gas.reduce((x, y) => x + y, 0n)).to.equal(challengerBond + proposerBond - proposerBond / 2n);
    expect(await read("credit", [watcher.address])).to.equal(0n);
    expect(await read("burned")).to.equal(proposerBond / 2n);
    // The wrong root never finalized.
    expect(await settlement("lastBatch")).to.equal(0n);
    expect(await settlement("lastStateRoot")).to.equal(right.prevStateRoot);
    const fin = await h.pub.getContractEvents({ address: h.d.contracts.settlement, abi: settlementAbi, eventName: "Finalized", fromBlock: BigInt(h.d.startBlock) });
    expect(fin).to.have.length(0);
  });

  it("an honest claim that is challenged is proven by the challenger role; it finalizes and the griefer loses", async () => {
    const pv: PublicValues = { ...right, prover: honest.address };
    const id = await proposeClaim(honest, pv);
    const c = newChallenger({ prover: true });
    // The node's own verdict: valid, so it does not challenge.
    expect(await c.step()).to.deep.equal([]);
    const info = await c.claims.get(id);
    expect(info.status).to.equal(ClaimStatus.Pending);
    // A griefer challenges it anyway.
    await challenge({ client: h.pub, wallet: h.walletOf(griefer), game: game() }, info);
    const acts = await c.step();
    expect(acts.map((a) => a.action)).to.deep.equal(["prove"]);
    expect((await read("getClaim", [BigInt(id)])).status).to.equal(ClaimStatus.Proven);
    expect(await read("credit", [honest.address])).to.equal(proposerBond + challengerBond);
    expect(await read("credit", [griefer.address])).to.equal(0n);
    expect(await settlement("lastBatch")).to.equal(2n);
    expect(await settlement("lastStateRoot")).to.equal(right.newStateRoot);
    expect(hexToBytes(await settlement("lastStateRoot"))).to.deep.equal(await deriver.store.stateRoot(2));
    expect(await h.pub.readContract({ address: h.d.contracts.settlement, abi: settlementAbi, functionName: "withdrawalRootBatch", args: [right.withdrawalRoot] })).to.equal(2n);
  });

  it("the role (startChallenger): on its own derivation it challenges a wrong claim; with the attest backend it counter-proves it and the right result finalizes", async () => {
    await h.post([h.withdraw(ANVIL_DEV_KEYS[1], 1_000, alice.address)]); // batch 3
    deriver = await h.deriver("node-3", { proverInputs: true });
    const e3 = (await newChallenger().judge.expected(3, 3)) as Omit<PublicValues, "prover">;
    const id = await proposeClaim(liar, { ...e3, withdrawalRoot: keccak256(toHex("steal")), prover: liar.address });
    const config = loadConfig(undefined, { ROLLBOOK_L1_RPC_URL: h.anvil.rpcUrl, ROLLBOOK_L1_BEACON_URL: h.anvil.rpcUrl, ROLLBOOK_DATA_DIR: path.join(h.dir, "role"), ROLLBOOK_CHALLENGER_POLL_INTERVAL_MS: "200" });
    const registry = new Registry();
    const backend = new AttestBackend({ signers: [privateKeyToAccount(ANVIL_DEV_KEYS[0])], chainId: h.d.chainId, verifier: h.d.contracts.attestationVerifier, state: deriver.store });
    // The role derives on its own (no store given): its backend checks against that derivation.
    const role = await startChallenger({ config, deployment: h.d, l1: h.pub, account: watcher, prove: false, logger: silent, registry });
    const actions: string[] = [];
    role.challenger.on("action", (a) => actions.push(a.action));
    try {
      for (let i = 0; i < 100 && !actions.includes("challenge"); i++) await new Promise((r) => setTimeout(r, 100));
      expect(actions).to.include("challenge");
    } finally {
      await role.stop();
    }
    // A second instance with the backend counter-proves: the claim is disproven and the right result finalizes.
    const role2 = await startChallenger({ config, deployment: h.d, l1: h.pub, account: watcher, store: deriver.store, backend, logger: silent, registry });
    role2.challenger.on("action", (a) => actions.push(a.action));
    try {
      for (let i = 0; i < 100 && !actions.includes("counter_prove"); i++) await new Promise((r) => setTimeout(r, 100));
    } finally {
      await role2.stop();
    }
    expect(actions.slice(0, 2)).to.deep.equal(["challenge", "counter_prove"]);
    expect((await read("getClaim", [BigInt(id)])).status).to.equal(ClaimStatus.Disproven);
    expect(await settlement("lastBatch")).to.equal(3n);
    expect(await settlement("lastStateRoot")).to.equal(e3.newStateRoot);
    expect(await h.pub.readContract({ address: h.d.contracts.settlement, abi: settlementAbi, functionName: "withdrawalRootBatch", args: [e3.withdrawalRoot] })).to.equal(3n);
    expect(await registry.getSingleMetricAsString("rollbook_challenger_actions_total")).to.match(/action="counter_prove",outcome="ok"} 1/);
  });
});
