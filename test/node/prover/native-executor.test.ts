// `prover.executor: native` end to end (anvil + the deployed suite, harness.ts): the config key is validated,
// a missing or broken runner is a CONFIG error at start naming the build command, and a node whose prover
// role (startProver, as node/app starts it) re-executes with the Rust guest's runner attests and finalizes a
// range of calldata and blob batches: Settlement's root, withdrawal root and the public values it finalized
// equal the node's TS stateless executor's on the same inputs and the node's derived state. The runner is
// reached through a wrapper script that records each call, so the test sees that the runner did the
// re-execution; an optimistic claim (`prover.settlement: optimistic`) carries the runner's public values too.
// Builds the release runner first (startNodeDevnet; incremental: seconds when it is up to date).
import { expect } from "chai";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Registry } from "prom-client";
import { bytesToHex, keccak256, zeroHash, type Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { Side } from "../../../node/clob/types.ts";
import { DEFAULT_CONFIG, validateConfig, type NodeConfig } from "../../../node/config.ts";
import { encodePublicValues, type Hash } from "../../../node/derive/commitment.ts";
import type { Deriver } from "../../../node/derive/index.ts";
import { decodeBatchInput } from "../../../node/derive/prover-input.ts";
import { disputeGameAbi, settlementAbi } from "../../../node/l1/contracts.ts";
import { ANVIL_DEV_KEYS } from "../../../node/l1/anvil.ts";
import { ProverError } from "../../../node/prover/errors.ts";
import { executeRange } from "../../../node/prover/execute.ts";
import { GUEST_RUNNER, GUEST_RUNNER_BUILD } from "../../../node/prover/native.ts";
import { rangeExecutor, startProver } from "../../../node/prover/role.ts";
import type { StateStore } from "../../../node/state/store.ts";
import { BASE, Devnet, USDC, silent, startNodeDevnet } from "./harness.ts";

describe("prover: prover.executor native, the role attesting with the Rust runner (anvil)", function () {
  this.timeout(300_000);
  let net: Devnet;
  let deriver: Deriver;
  let store: StateStore;
  const alice = privateKeyToAccount(ANVIL_DEV_KEYS[1]);
  const bob = privateKeyToAccount(ANVIL_DEV_KEYS[2]);
  const proverAccount = privateKeyToAccount(ANVIL_DEV_KEYS[4]);

  function config(prover: Partial<NodeConfig["prover"]>, name = "role"): NodeConfig {
    return validateConfig({
      ...DEFAULT_CONFIG, dataDir: path.join(net.dir, name), l1: { ...DEFAULT_CONFIG.l1, rpcUrl: net.anvil.rpcUrl },
      prover: { ...DEFAULT_CONFIG.prover, maxRangeAgeMs: 0, pollMs: 50, attestKeys: [ANVIL_DEV_KEYS[0]], ...prover },
    });
  }

  /** The release runner behind a wrapper script that records each call's command. */
  function recordingRunner(name: string): { path: string; calls(command: string): number } {
    const log = path.join(net.dir, `runner-calls-${name}.log`);
    const wrapper = path.join(net.dir, `rollbook-guest-${name}.sh`);
    writeFileSync(wrapper, `#!/bin/sh\necho "$1" >> '${log}'\nexec '${GUEST_RUNNER}' "$@"\n`);
    chmodSync(wrapper, 0o755);
    return { path: wrapper, calls: (command) => (existsSync(log) ? readFileSync(log, "utf8").split("\n").filter((l) => l === command).length : 0) };
  }

  before(async () => {
    ({ net, deriver, store } = await startNodeDevnet({ guestRunner: true }));
  });

  after(() => net?.stop());

  it("validates prover.executor and prover.guestRunner; a missing or broken runner is CONFIG at start", async () => {
    const bad = (prover: Record<string, unknown>) => () => validateConfig({ ...DEFAULT_CONFIG, prover: { ...DEFAULT_CONFIG.prover, ...prover } });
    expect(bad({ executor: "rust" })).to.throw(/prover\.executor: expected ts\|native, got "rust"/);
    expect(bad({ guestRunner: 7 })).to.throw(/prover\.guestRunner: expected a path/);
    expect(DEFAULT_CONFIG.prover.executor).to.equal("ts");

    const missing = path.join(net.dir, "no-such-runner");
    let err: unknown;
    try {
      await startProver(config({ executor: "native", guestRunner: missing }, "missing"), { logger: silent, registry: new Registry(), deployment: net.d, l1: net.pub, account: proverAccount, store });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ProverError);
    expect((err as ProverError).code).to.equal("CONFIG");
    expect((err as Error).message).to.include(missing).and.include(GUEST_RUNNER_BUILD);

    // an executable that is not the runner
    const fake = path.join(net.dir, "not-a-runner.sh");
    writeFileSync(fake, "#!/bin/sh\nexit 3\n");
    chmodSync(fake, 0o755);
    expect(() => rangeExecutor(config({ executor: "native", guestRunner: fake }, "fake"))).to.throw(ProverError, /is not a working rollbook-guest \(exit 3\)/);
    // the default path is the checkout's release build, which the before hook built
    expect(existsSync(GUEST_RUNNER)).to.equal(true);
    expect(rangeExecutor(config({ executor: "native" }, "default"))).to.be.a("function");
    expect(rangeExecutor(config({}, "ts"))).to.equal(executeRange);
  });

  it("the prover role with the native executor finalizes calldata and blob batches at the TS executor's root", async () => {
    await net.deposit(alice, USDC, 1_000_000n);
    await net.deposit(bob, BASE, 1_000n);
    const [k1, k2] = [ANVIL_DEV_KEYS[1], ANVIL_DEV_KEYS[2]];
    const posted = [
      await net.post([net.place(k1, Side.BUY, 100, 10), net.place(k2, Side.SELL, 100, 4)], "calldata"),
      await net.post([net.place(k2, Side.SELL, 99, 3), net.withdraw(k1, USDC, 500, alice.address)], "blob"),
      await net.post([net.place(k2, Side.SELL, 98, 2), net.withdraw(k2, USDC, 100, bob.address)], "calldata"),
    ];
    const last = posted.at(-1)!.index;
    expect((await deriver.syncToHead()).batchIndex).to.equal(last);

    // the node's own stateless executor on the recorded inputs (pruned once finalized: read them first)
    const batches = [];
    for (let i = 1; i <= last; i++) batches.push(decodeBatchInput((await store.proverInput(i))!));
    const ts = executeRange({ prevStateRoot: bytesToHex((await store.stateRoot(0))!) as Hash, prevBatchChain: zeroHash, prover: proverAccount.address, batches });
    expect(ts.withdrawals).to.have.length(2);

    const runner = recordingRunner("validity");
    const handle = await startProver(config({ executor: "native", guestRunner: runner.path, maxRangeBatches: last }), { logger: silent, registry: new Registry(), deployment: net.d, l1: net.pub, account: proverAccount, store });
    try {
      const read = <F extends "lastBatch" | "lastStateRoot">(f: F) => net.pub.readContract({ address: net.d.contracts.settlement, abi: settlementAbi, functionName: f });
      for (let k = 0; k < 1200 && (await read("lastBatch")) < BigInt(last); k++) await new Promise((r) => setTimeout(r, 50));
      expect(await read("lastBatch")).to.equal(BigInt(last));
      expect(await read("lastStateRoot")).to.equal(ts.values.newStateRoot);
      expect(ts.values.newStateRoot).to.equal(bytesToHex((await store.stateRoot(last))!));
      const [ev] = await net.pub.getContractEvents({ address: net.d.contracts.settlement, abi: settlementAbi, eventName: "Finalized", fromBlock: BigInt(net.d.startBlock) });
      expect([Number(ev.args.firstBatch), Number(ev.args.lastBatch)]).to.deep.equal([1, last]);
      expect(ev.args.withdrawalRoot).to.equal(ts.values.withdrawalRoot);
      expect((ev.args.prover as Address).toLowerCase()).to.equal(proverAccount.address.toLowerCase());
      // the job is marked finalized once the prover has read the receipt (just after Settlement moved)
      let job = (await handle.jobs.list())[0];
      for (let k = 0; k < 1200 && job.state !== "finalized"; k++) {
        await new Promise((r) => setTimeout(r, 50));
        job = (await handle.jobs.list())[0];
      }
      expect(job.state).to.equal("finalized");
      expect(job.publicValues, "the finalized public values are the TS executor's").to.equal(bytesToHex(encodePublicValues(ts.values)));
      // `help` at start (buildBackends and the Prover's claim path), then the range's re-execution
      expect(runner.calls("help")).to.equal(2);
      expect(runner.calls("prove-witness-range")).to.be.at.least(1);
    } finally {
      await handle.stop();
    }
  });

  it("an optimistic claim is the runner's re-execution too", async () => {
    const base = Number(await net.pub.readContract({ address: net.d.contracts.settlement, abi: settlementAbi, functionName: "lastBatch" }));
    const { index: i } = await net.post([net.place(ANVIL_DEV_KEYS[1], Side.BUY, 97, 1), net.place(ANVIL_DEV_KEYS[2], Side.SELL, 97, 1)], "blob");
    expect((await deriver.syncToHead()).batchIndex).to.equal(i);
    expect(i).to.equal(base + 1);
    const prevStateRoot = await net.pub.readContract({ address: net.d.contracts.settlement, abi: settlementAbi, functionName: "lastStateRoot" });
    const prevBatchChain = await net.pub.readContract({ address: net.d.contracts.settlement, abi: settlementAbi, functionName: "lastBatchChain" });
    const ts = executeRange({ prevStateRoot, prevBatchChain, prover: proverAccount.address, batches: [decodeBatchInput((await store.proverInput(i))!)] });

    const runner = recordingRunner("optimistic");
    const handle = await startProver(config({ executor: "native", guestRunner: runner.path, settlement: "optimistic" }, "optimistic"), { logger: silent, registry: new Registry(), deployment: net.d, l1: net.pub, account: proverAccount, store });
    try {
      let job;
      for (let k = 0; k < 1200 && job?.claim === undefined; k++) {
        await new Promise((r) => setTimeout(r, 50));
        job = (await handle.jobs.list()).find((j) => j.firstBatch === i);
      }
      expect(job?.claim, "the role proposed a claim").to.not.equal(undefined);
      const claim = await net.pub.readContract({ address: net.d.contracts.disputeGame!, abi: disputeGameAbi, functionName: "getClaim", args: [BigInt(job!.claim!.claimId)] });
      expect(claim.publicValuesHash).to.equal(keccak256(encodePublicValues(ts.values)));
      expect(claim.proposer.toLowerCase()).to.equal(proverAccount.address.toLowerCase());
      expect(job!.publicValues).to.equal(bytesToHex(encodePublicValues(ts.values)));
      expect(runner.calls("prove-witness-range")).to.be.at.least(1);
    } finally {
      await handle.stop();
    }
  });
});
