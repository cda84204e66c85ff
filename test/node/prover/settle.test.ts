// The prover on a real devnet (anvil + the deployed suite, harness.ts): trades and a withdrawal derived with
// prover inputs -> the attest backend re-executes the range from its witnesses and signs -> Settlement
// finalizes -> the withdrawal is claimed on the Vault once (a second claim reverts). Then a prover stopped
// mid-job (its job store closed with the job in `proving`) is reopened and finalizes the same range first.
import { expect } from "chai";
import path from "node:path";
import { Registry } from "prom-client";
import { bytesToHex, keccak256, parseEventLogs, toHex, type Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { Side } from "../../../node/clob/types.ts";
import { claimWithdrawal } from "../../../node/client/l1.ts";
import { devTokenAbi, settlementAbi, vaultAbi } from "../../../node/l1/contracts.ts";
import { ANVIL_DEV_KEYS } from "../../../node/l1/anvil.ts";
import { AttestBackend } from "../../../node/prover/attest.ts";
import { JobStore } from "../../../node/prover/jobs.ts";
import { Prover } from "../../../node/prover/prover.ts";
import { ProverError } from "../../../node/prover/errors.ts";
import { WithdrawalTree, type WithdrawalRecord } from "../../../node/state/withdrawals.ts";
import type { StateStore } from "../../../node/state/store.ts";
import type { Deriver } from "../../../node/derive/index.ts";
import { DEFAULT_CONFIG, validateConfig } from "../../../node/config.ts";
import { startProver } from "../../../node/prover/role.ts";
import { BASE, Devnet, USDC, silent, startNodeDevnet } from "./harness.ts";

describe("prover: attest -> Settlement.finalize -> Vault.claim (anvil)", function () {
  this.timeout(180_000);
  let net: Devnet;
  let deriver: Deriver;
  let store: StateStore;
  const alice = privateKeyToAccount(ANVIL_DEV_KEYS[1]);
  const bob = privateKeyToAccount(ANVIL_DEV_KEYS[2]);
  const proverAccount = privateKeyToAccount(ANVIL_DEV_KEYS[4]);
  const recipient = privateKeyToAccount(keccak256(toHex("rollbook-prover-recipient"))).address.toLowerCase() as Address;

  function newProver(jobs: JobStore, maxBatches: number) {
    const backend = new AttestBackend({ signers: [privateKeyToAccount(ANVIL_DEV_KEYS[0])], chainId: net.d.chainId, verifier: net.d.contracts.attestationVerifier, state: store });
    return new Prover({
      l1: net.pub, wallet: net.wallet(proverAccount), settlement: net.d.contracts.settlement, source: store, jobs, backends: [backend],
      policy: { maxBatches, maxAgeMs: 0, maxGasWaitMs: 0 }, logger: silent, registry: new Registry(), pollMs: 20,
    });
  }

  /** Steps until idle (nothing left to do). */
  async function drain(p: Prover) {
    for (let i = 0; i < 50; i++) if ((await p.step()) === "idle") return;
    throw new Error("prover did not settle");
  }

  async function finalizedRanges(): Promise<[number, number][]> {
    const logs = await net.pub.getContractEvents({ address: net.d.contracts.settlement, abi: settlementAbi, eventName: "Finalized", fromBlock: BigInt(net.d.startBlock) });
    return logs.map((l) => [Number(l.args.firstBatch), Number(l.args.lastBatch)]);
  }

  before(async () => {
    ({ net, deriver, store } = await startNodeDevnet());
  });

  after(() => net?.stop());

  it("trades and a withdrawal: attested, finalized, claimed once", async () => {
    await net.deposit(alice, USDC, 1_000_000n);
    await net.deposit(bob, BASE, 1_000n);
    const k1 = ANVIL_DEV_KEYS[1];
    const k2 = ANVIL_DEV_KEYS[2];
    await net.post([net.place(k1, Side.BUY, 100, 10), net.place(k2, Side.SELL, 100, 4)]);
    await net.post([net.place(k2, Side.SELL, 99, 6), net.withdraw(k1, USDC, 50_000, recipient), net.withdraw(k2, USDC, 100, bob.address)]);
    const s = await deriver.syncToHead();
    expect(s.batchIndex).to.equal(2);
    const st = deriver.current().state;
    expect(st.account(bob.address.toLowerCase() as Address)!.available(USDC), "bob sold 10 at 100, withdrew 100").to.equal(900);

    const jobs = await JobStore.open(path.join(net.dir, "jobs-a"));
    const prover = newProver(jobs, 16);
    await drain(prover);
    expect(await finalizedRanges()).to.deep.equal([[1, 2]]);
    const job = (await jobs.list())[0];
    expect(job.state).to.equal("finalized");
    expect(job.gasUsed).to.be.greaterThan(0);
    const read = <F extends "lastBatch" | "lastStateRoot">(f: F) => net.pub.readContract({ address: net.d.contracts.settlement, abi: settlementAbi, functionName: f });
    expect(await read("lastBatch")).to.equal(2n);
    expect(await read("lastStateRoot")).to.equal(s.stateRoot);
    await jobs.close();

    // the claim: the node's withdrawals of the finalized range, its tree, the Vault pays once
    const ws = (await store.withdrawalsInRange(1, 2)) as WithdrawalRecord[];
    expect(ws.map((w) => [w.recipient, w.amount])).to.deep.equal([[recipient, 50_000], [bob.address.toLowerCase(), 100]]);
    const tree = new WithdrawalTree(ws);
    const claim = { withdrawalId: ws[0].withdrawalId, recipient, assetId: USDC, amount: 50_000, withdrawalRoot: bytesToHex(tree.root), proof: tree.proof(ws[0].withdrawalId).map((h) => bytesToHex(h)) };
    const payer = net.wallet(bob);
    const hash = await claimWithdrawal(payer, net.pub, net.d.contracts.vault, claim);
    const rc = await net.pub.getTransactionReceipt({ hash });
    const [ev] = parseEventLogs({ abi: vaultAbi, logs: rc.logs, eventName: "Claimed" });
    expect(ev.args.recipient.toLowerCase()).to.equal(recipient);
    const usdc = net.d.contracts.devToken!;
    const balance = () => net.pub.readContract({ address: usdc, abi: devTokenAbi, functionName: "balanceOf", args: [recipient] });
    const paid = await balance();
    expect(paid > 0n).to.equal(true);
    expect(await net.pub.readContract({ address: net.d.contracts.vault, abi: vaultAbi, functionName: "isClaimed", args: [BigInt(claim.withdrawalId)] })).to.equal(true);
    let second: unknown;
    try {
      await claimWithdrawal(payer, net.pub, net.d.contracts.vault, claim);
    } catch (e) {
      second = e;
    }
    expect(second, "the second claim reverts").to.be.instanceOf(Error);
    expect(await balance(), "and pays nothing").to.equal(paid);
  });

  it("a prover stopped mid-job resumes the same range after a restart", async () => {
    const k1 = ANVIL_DEV_KEYS[1];
    await net.post([net.place(k1, Side.BUY, 98, 1)]);
    await net.post([net.place(k1, Side.BUY, 97, 1)]);
    await deriver.syncToHead();
    const dir = path.join(net.dir, "jobs-b");
    let jobs = await JobStore.open(dir);
    let prover = newProver(jobs, 2);
    expect(await prover.step()).to.equal("progress"); // cuts 3..4
    const aborted = AbortSignal.abort();
    let err: unknown;
    try {
      await prover.step(aborted);
    } catch (e) {
      err = e;
    }
    expect((err as ProverError).code).to.equal("ABORTED");
    expect((await jobs.list()).map((j) => [j.firstBatch, j.lastBatch, j.state])).to.deep.equal([[3, 4, "proving"]]);
    await jobs.close();

    // more batches arrive while it is down; the restarted prover finishes 3..4 before cutting anything new
    await net.post([net.place(k1, Side.BUY, 96, 1)]);
    await deriver.syncToHead();
    jobs = await JobStore.open(dir);
    prover = newProver(jobs, 2);
    await drain(prover);
    expect(await finalizedRanges()).to.deep.equal([[1, 2], [3, 4], [5, 5]]);
    expect((await jobs.list()).map((j) => [j.firstBatch, j.lastBatch, j.state])).to.deep.equal([[3, 4, "finalized"], [5, 5, "finalized"]]);
    expect(await store.proverInput(4), "inputs of finalized batches are pruned").to.equal(undefined);
    await jobs.close();
  });

  it("startProver (the role) finalizes new batches on its own", async () => {
    const config = validateConfig({ ...DEFAULT_CONFIG, dataDir: path.join(net.dir, "role"), l1: { ...DEFAULT_CONFIG.l1, rpcUrl: net.anvil.rpcUrl }, prover: { ...DEFAULT_CONFIG.prover, maxRangeAgeMs: 0, pollMs: 50, attestKeys: [ANVIL_DEV_KEYS[0]] } });
    const handle = await startProver(config, { logger: silent, registry: new Registry(), deployment: net.d, l1: net.pub, account: proverAccount, store });
    try {
      const { index: i } = await net.post([net.place(ANVIL_DEV_KEYS[1], Side.BUY, 95, 1)]);
      await deriver.syncToHead();
      for (let k = 0; k < 200 && (await finalizedRanges()).length < 4; k++) await new Promise((r) => setTimeout(r, 50));
      expect((await finalizedRanges()).at(-1)).to.deep.equal([i, i]);
    } finally {
      await handle.stop();
    }
  });
});
