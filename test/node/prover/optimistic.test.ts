// The prover's optimistic path on a real devnet (anvil + the deployed suite, harness.ts; issue 17 item 2,
// docs/proving.md "Optimistic claims"):
//   1. too little balance for the bond: FUNDS, the balance reported low, no claim;
//   2. the node's own claim goes unchallenged, is resolved after the window (evm_increaseTime), finalizes the
//      range, and the bond comes back (withdrawn, balance checked net of gas);
//   3. the node's honest claim is challenged by a griefer: the prover proves it (attest), it finalizes, the
//      griefer's bond goes to the prover;
//   4. a dishonest harness claims a wrong root on the same base as the node's claim: the challenger role
//      (startChallenger, proof backends from the configuration) challenges and counter-proves it; the wrong
//      root never finalizes; the node's own claim, stale, gets its bond back at its window end;
//   5. a prover killed after broadcasting its claim but before recording it adopts that claim on restart
//      (no second claim, no second bond) and finalizes it; 6. `both`: claim first, the validity proof
//      finalizes before the window ends, the stale claim's bond still comes back.
import { expect } from "chai";
import path from "node:path";
import { Registry } from "prom-client";
import { keccak256, parseEventLogs, toHex, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { challenge } from "../../../node/challenger/actions.ts";
import { ClaimBook, ClaimStatus } from "../../../node/challenger/claims.ts";
import { startChallenger } from "../../../node/challenger/role.ts";
import { Side } from "../../../node/clob/types.ts";
import { loadConfig } from "../../../node/config.ts";
import { encodePublicValues } from "../../../node/derive/commitment.ts";
import type { Deriver } from "../../../node/derive/index.ts";
import { disputeGameAbi, settlementAbi } from "../../../node/l1/contracts.ts";
import { ANVIL_DEV_KEYS } from "../../../node/l1/anvil.ts";
import { AttestBackend } from "../../../node/prover/attest.ts";
import { ProverError } from "../../../node/prover/errors.ts";
import { JobStore } from "../../../node/prover/jobs.ts";
import { Prover, type SettlementMode } from "../../../node/prover/prover.ts";
import type { StateStore } from "../../../node/state/store.ts";
import { roleStarter, type RoleContext } from "../../../node/app/roles.ts";
import { NodeStateView } from "../../../node/app/view.ts";
import { Devnet, USDC, silent, startNodeDevnet } from "./harness.ts";

const WINDOW = 600;
const PROOF_WINDOW = 600;

describe("prover: optimistic claims with bonds (anvil)", function () {
  this.timeout(240_000);
  let net: Devnet;
  let deriver: Deriver;
  let store: StateStore;
  let bond: bigint;
  let challengerBond: bigint;
  const alice = privateKeyToAccount(ANVIL_DEV_KEYS[1]);
  const me = privateKeyToAccount(ANVIL_DEV_KEYS[4]);
  const watcher = privateKeyToAccount(ANVIL_DEV_KEYS[2]);
  const griefer = privateKeyToAccount(keccak256(toHex("rollbook-optimistic-griefer")));
  const liar = privateKeyToAccount(keccak256(toHex("rollbook-optimistic-liar")));
  let jobDir = 0;

  const game = () => net.d.contracts.disputeGame;
  const readGame = (functionName: string, args: unknown[] = []) => net.pub.readContract({ address: game(), abi: disputeGameAbi, functionName, args } as never) as Promise<any>;
  const settlement = (functionName: string) => net.pub.readContract({ address: net.d.contracts.settlement, abi: settlementAbi, functionName } as never) as Promise<any>;

  function newProver(jobs: JobStore, mode: SettlementMode, o: { registry?: Registry; minBalanceWei?: bigint } = {}) {
    const backend = new AttestBackend({ signers: [privateKeyToAccount(ANVIL_DEV_KEYS[0])], chainId: net.d.chainId, verifier: net.d.contracts.attestationVerifier, state: store });
    return new Prover({
      l1: net.pub, wallet: net.wallet(me), settlement: net.d.contracts.settlement, source: store, jobs, backends: [backend],
      policy: { maxBatches: 16, maxAgeMs: 0, maxGasWaitMs: 0 }, mode, disputeGame: game(), fromBlock: net.d.startBlock, minBalanceWei: o.minBalanceWei,
      logger: silent, registry: o.registry ?? new Registry(), pollMs: 20,
    });
  }

  async function openJobs(): Promise<JobStore> {
    return JobStore.open(path.join(net.dir, `jobs-${jobDir++}`));
  }

  /** Steps until idle (nothing left to do now). */
  async function drain(p: Prover) {
    for (let i = 0; i < 50; i++) if ((await p.step()) === "idle") return;
    throw new Error("prover did not settle");
  }

  let price = 90;
  /** Posts a one-order batch and derives it; returns its index. */
  async function post(): Promise<number> {
    const { index } = await net.post([net.place(ANVIL_DEV_KEYS[1], Side.BUY, price++, 1)]);
    await deriver.syncToHead();
    return index;
  }

  /** Wei spent on gas by `account` in the transactions of blocks (from, to]. */
  async function gasSpent(account: Address, from: bigint, to: bigint): Promise<bigint> {
    let total = 0n;
    for (let b = from + 1n; b <= to; b++) {
      const block = await net.pub.getBlock({ blockNumber: b, includeTransactions: true });
      for (const tx of block.transactions) {
        if (tx.from.toLowerCase() !== account.toLowerCase()) continue;
        const rc = await net.pub.getTransactionReceipt({ hash: tx.hash });
        total += rc.gasUsed * rc.effectiveGasPrice;
      }
    }
    return total;
  }

  before(async () => {
    ({ net, deriver, store } = await startNodeDevnet({ deploy: { challengeWindow: BigInt(WINDOW), proofWindow: BigInt(PROOF_WINDOW) } }));
    for (const a of [griefer, liar]) await net.rpc("anvil_setBalance", [a.address, toHex(10n ** 20n)]);
    bond = BigInt(net.d.parameters.proposerBond as string);
    challengerBond = BigInt(net.d.parameters.challengerBond as string);
    await net.deposit(alice, USDC, 1_000_000n);
    await net.post([net.withdraw(ANVIL_DEV_KEYS[1], USDC, 1_000, alice.address)]);
    await post();
  });

  after(() => net?.stop());

  it("refuses to claim without the bond plus the balance margin (FUNDS, balance reported low)", async () => {
    const jobs = await openJobs();
    const registry = new Registry();
    const p = newProver(jobs, "optimistic", { registry, minBalanceWei: 10n ** 30n });
    expect(await p.step()).to.equal("progress"); // cuts 1..2
    const err = await p.step().catch((e: unknown) => e);
    expect((err as ProverError).code).to.equal("FUNDS");
    expect((err as ProverError).message).to.match(/fund the key/);
    expect(await registry.getSingleMetricAsString("rollbook_prover_balance_low")).to.match(/rollbook_prover_balance_low 1/);
    expect(p.statusInfo().lowBalance).to.equal(true);
    expect(p.statusInfo().lastError?.code).to.equal("FUNDS");
    expect(await readGame("claimCount")).to.equal(0n);
    const [job] = await jobs.list();
    expect([job.state, job.attempts, job.claim]).to.deep.equal(["proving", 0, undefined]);
    await jobs.close();
  });

  it("the node's own claim goes unchallenged, is resolved after the window, finalizes, and its bond comes back", async () => {
    const jobs = await openJobs();
    const registry = new Registry();
    const p = newProver(jobs, "optimistic", { registry });
    const start = await net.pub.getBlockNumber({ cacheTime: 0 });
    const balance0 = await net.pub.getBalance({ address: me.address });
    await drain(p);
    const [job] = await jobs.list();
    expect([job.firstBatch, job.lastBatch, job.state]).to.deep.equal([1, 2, "claimed"]);
    expect(job.claim?.bondWei).to.equal(bond.toString());
    expect(job.claim?.gasUsed).to.be.greaterThan(0);
    const claim = await readGame("getClaim", [BigInt(job.claim!.claimId)]);
    expect(claim.status).to.equal(ClaimStatus.Pending);
    expect(claim.proposer.toLowerCase()).to.equal(me.address.toLowerCase());
    expect(p.statusInfo().bondsAtStakeWei).to.equal(bond.toString());
    expect(p.statusInfo().openClaims.map((c) => [c.claimId, c.status])).to.deep.equal([[job.claim!.claimId, "pending"]]);
    expect(await registry.getSingleMetricAsString("rollbook_prover_bonds_at_stake_wei")).to.match(new RegExp(`rollbook_prover_bonds_at_stake_wei ${Number(bond)}`));
    expect(await registry.getSingleMetricAsString("rollbook_prover_gas_used_total")).to.match(/kind="propose_claim"/);
    expect(await settlement("lastBatch"), "nothing final before the window ends").to.equal(0n);

    await net.warp(WINDOW + 1);
    await drain(p);
    const [done] = await jobs.list();
    expect([done.state, done.path, done.claim?.status, done.claim?.settled]).to.deep.equal(["finalized", "optimistic", "accepted", true]);
    expect(await settlement("lastBatch")).to.equal(2n);
    expect(await settlement("lastStateRoot")).to.equal(toHex((await store.stateRoot(2))!));
    expect(await readGame("credit", [me.address]), "the bond was withdrawn").to.equal(0n);
    const end = await net.pub.getBlockNumber({ cacheTime: 0 });
    const spent = await gasSpent(me.address, start, end);
    expect(await net.pub.getBalance({ address: me.address }), "balance back, minus gas").to.equal(balance0 - spent);
    expect(p.statusInfo().bondsAtStakeWei).to.equal("0");
    expect(p.statusInfo().lastFinalitySeconds).to.be.a("number");
    expect(await registry.getSingleMetricAsString("rollbook_prover_ranges_finalized_total")).to.match(/path="optimistic"} 1/);
    expect(await registry.getSingleMetricAsString("rollbook_prover_bonds_withdrawn_wei_total")).to.match(new RegExp(` ${Number(bond)}$`, "m"));
    await jobs.close();
  });

  it("a challenged honest claim is proven by the node and the challenger loses its bond", async () => {
    const i = await post();
    const jobs = await openJobs();
    const p = newProver(jobs, "optimistic");
    await drain(p);
    const [job] = await jobs.list();
    expect([job.firstBatch, job.lastBatch, job.state]).to.deep.equal([i, i, "claimed"]);
    const book = new ClaimBook({ client: net.pub, game: game(), fromBlock: net.d.startBlock });
    await challenge({ client: net.pub, wallet: net.wallet(griefer) as never, game: game() }, await book.get(job.claim!.claimId));
    const start = await net.pub.getBlockNumber({ cacheTime: 0 });
    const balance0 = await net.pub.getBalance({ address: me.address });
    await drain(p);
    const [done] = await jobs.list();
    expect([done.state, done.path, done.claim?.status]).to.deep.equal(["finalized", "optimistic", "proven"]);
    expect(done.proofs.map((x) => x.system)).to.deep.equal(["attest"]);
    expect(await settlement("lastBatch")).to.equal(BigInt(i));
    expect(await readGame("credit", [griefer.address])).to.equal(0n);
    const spent = await gasSpent(me.address, start, await net.pub.getBlockNumber({ cacheTime: 0 }));
    expect(await net.pub.getBalance({ address: me.address }), "own bond back plus the griefer's").to.equal(balance0 - spent + bond + challengerBond);
    await jobs.close();
  });

  it("a wrong claim by a dishonest proposer is challenged and counter-proved by the challenger role and never finalizes; the node's stale claim gets its bond back", async () => {
    const i = await post();
    const base = { prevStateRoot: await settlement("lastStateRoot"), prevBatchChain: await settlement("lastBatchChain") };
    // The liar claims first, with a made-up state root on the same base.
    const jobs = await openJobs();
    const p = newProver(jobs, "optimistic");
    await drain(p);
    const [job] = await jobs.list();
    expect(job.state).to.equal("claimed");
    const right = (await new ClaimBook({ client: net.pub, game: game(), fromBlock: net.d.startBlock }).get(job.claim!.claimId)).pv;
    expect(right.prevStateRoot).to.equal(base.prevStateRoot);
    const wrong = { ...right, newStateRoot: keccak256(toHex("wrong root")) as Hex, prover: liar.address };
    const hash = await net.wallet(liar).writeContract({ address: game(), abi: disputeGameAbi, functionName: "propose", args: [toHex(encodePublicValues(wrong))], value: bond, account: liar, chain: net.chain });
    const [ev] = parseEventLogs({ abi: disputeGameAbi, logs: (await net.pub.waitForTransactionReceipt({ hash })).logs, eventName: "ClaimProposed" });
    const liarClaim = Number(ev.args.claimId);

    // The challenger role as node/app starts it: judges on the node's store, proves with prover.backends.
    const config = loadConfig(undefined, {
      ROLLBOOK_L1_RPC_URL: net.anvil.rpcUrl, ROLLBOOK_DATA_DIR: path.join(net.dir, "challenger"), ROLLBOOK_CHALLENGER_POLL_INTERVAL_MS: "100",
      ROLLBOOK_PROVER_ATTEST_KEYS: ANVIL_DEV_KEYS[0],
    });
    const registry = new Registry();
    const role = await startChallenger({ config, deployment: net.d, l1: net.pub, account: watcher, store, logger: silent, registry });
    const actions: string[] = [];
    role.challenger.on("action", (a) => a.claimId === liarClaim && actions.push(a.action));
    try {
      expect(role.challenger.statusInfo().proves).to.equal(true);
      for (let k = 0; k < 300 && !actions.includes("counter_prove"); k++) await new Promise((r) => setTimeout(r, 100));
    } finally {
      await role.stop();
    }
    expect(actions.slice(0, 2)).to.deep.equal(["challenge", "counter_prove"]);
    expect((await readGame("getClaim", [BigInt(liarClaim)])).status).to.equal(ClaimStatus.Disproven);
    expect(await settlement("lastBatch")).to.equal(BigInt(i));
    expect(await settlement("lastStateRoot"), "the node's result, never the liar's").to.equal(right.newStateRoot);
    const fin = await net.pub.getContractEvents({ address: net.d.contracts.settlement, abi: settlementAbi, eventName: "Finalized", fromBlock: BigInt(net.d.startBlock) });
    expect(fin.map((f) => f.args.stateRoot)).to.not.include(wrong.newStateRoot);

    // The node's own claim is stale now; its bond comes back after the window.
    await drain(p);
    expect((await jobs.list())[0].state, "covered by the counter-proof").to.equal("finalized");
    await net.warp(WINDOW + 1);
    await drain(p);
    const [done] = await jobs.list();
    expect([done.claim?.status, done.claim?.settled]).to.deep.equal(["accepted", true]);
    expect(await readGame("credit", [me.address])).to.equal(0n);
    await jobs.close();
  });

  it("a prover killed after broadcasting its claim, before recording it, adopts the claim on restart (no second bond)", async () => {
    const i = await post();
    const dir = path.join(net.dir, "jobs-killed");
    let jobs = await JobStore.open(dir);
    let p = newProver(jobs, "optimistic");
    await drain(p);
    const [job] = await jobs.list();
    expect(job.state).to.equal("claimed");
    const count = await readGame("claimCount");
    // What a SIGKILL between the broadcast and the job write leaves: the job in proving, without its claim.
    await jobs.put({ ...job, state: "proving", claim: undefined, publicValues: undefined });
    await jobs.close();

    jobs = await JobStore.open(dir);
    p = newProver(jobs, "optimistic");
    await drain(p);
    const [resumed] = await jobs.list();
    expect([resumed.state, resumed.claim?.claimId, resumed.claim?.txHash]).to.deep.equal(["claimed", job.claim!.claimId, undefined]);
    expect(await readGame("claimCount"), "no second claim").to.equal(count);
    await jobs.close();

    // Killed again while waiting for the window (job recorded): the next process resolves and finalizes it.
    await net.warp(WINDOW + 1);
    jobs = await JobStore.open(dir);
    p = newProver(jobs, "optimistic");
    await drain(p);
    const [done] = await jobs.list();
    expect([done.state, done.path, done.claim?.settled]).to.deep.equal(["finalized", "optimistic", true]);
    expect(await settlement("lastBatch")).to.equal(BigInt(i));
    expect(await readGame("credit", [me.address])).to.equal(0n);
    await jobs.close();
  });

  it("both: the claim goes first, the validity proof finalizes before the window ends, the claim's bond still comes back", async () => {
    const i = await post();
    const jobs = await openJobs();
    const p = newProver(jobs, "both");
    await drain(p);
    const [job] = await jobs.list();
    expect([job.state, job.path, job.claim?.status]).to.deep.equal(["finalized", "validity", "pending"]);
    expect(await settlement("lastBatch")).to.equal(BigInt(i));
    expect(await readGame("isStale", [BigInt(job.claim!.claimId)])).to.equal(true);
    expect(p.statusInfo().bondsAtStakeWei).to.equal(bond.toString());
    await net.warp(WINDOW + 1);
    await drain(p);
    const [done] = await jobs.list();
    expect([done.claim?.status, done.claim?.settled]).to.deep.equal(["accepted", true]);
    expect(await readGame("credit", [me.address])).to.equal(0n);
    expect(p.statusInfo().bondsAtStakeWei).to.equal("0");
    await jobs.close();
  });

  it("the prover and challenger roles from the node's registry: prover.settlement optimistic claims on its own; rb_proofStatus shows both roles", async () => {
    const config = loadConfig(undefined, {
      ROLLBOOK_L1_RPC_URL: net.anvil.rpcUrl, ROLLBOOK_DATA_DIR: path.join(net.dir, "roles"), ROLLBOOK_PROVER_SETTLEMENT: "optimistic",
      ROLLBOOK_PROVER_POLL_MS: "50", ROLLBOOK_PROVER_MAX_RANGE_AGE_MS: "0", ROLLBOOK_PROVER_ATTEST_KEYS: ANVIL_DEV_KEYS[0], ROLLBOOK_CHALLENGER_POLL_INTERVAL_MS: "100",
    });
    const view = new NodeStateView({ domain: { chainId: net.d.chainId, verifyingContract: net.d.contracts.inbox }, state: () => deriver.current().state, sequencer: () => undefined });
    // The fields of RoleContext these two roles read (the rest belong to the sequencer, RPC and admin listener).
    const ctx = { config, logger: silent, registry: new Registry(), deployment: net.d, l1: net.pub, account: me, roleAccounts: {}, store, view } as unknown as RoleContext;
    const prover = await roleStarter("prover")!(ctx);
    const challenger = await roleStarter("challenger")!(ctx);
    try {
      const i = await post();
      type Status = { provenBatch: number; prover?: { mode: string; openClaims: { firstBatch: number; status: string }[]; bondsAtStakeWei: string }; challenger?: { claims: Record<string, number>; proves: boolean } };
      let st = view.proofStatus() as Status;
      for (let k = 0; k < 200 && (st.prover?.openClaims.length ?? 0) === 0; k++) {
        await new Promise((r) => setTimeout(r, 50));
        st = view.proofStatus() as Status;
      }
      expect(st.prover?.mode).to.equal("optimistic");
      expect(st.prover?.openClaims.map((c) => [c.firstBatch, c.status])).to.deep.equal([[i, "pending"]]);
      expect(st.prover?.bondsAtStakeWei).to.equal(bond.toString());
      for (let k = 0; k < 100 && (st.challenger?.claims.pending ?? 0) === 0; k++) {
        await new Promise((r) => setTimeout(r, 50));
        st = view.proofStatus() as Status;
      }
      expect(st.challenger?.claims.pending, "the challenger watches the node's claim").to.equal(1);
      expect(st.challenger?.proves).to.equal(true);
    } finally {
      await challenger.stop();
      await prover.stop();
    }
    expect(Object.keys(view.proofStatus())).to.deep.equal(["provenBatch", "safeBatch", "includedBatch"]);
  });
});
