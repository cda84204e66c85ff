// `rollup-node claims` against anvil (in process through runClaims, the function node/cli.ts dispatches to):
// --help, list with the node's verdict (text and --json), show with the expected values beside the wrong
// ones, a refused challenge of a right claim (CLAIM_VALID), a resolve that is too early (TOO_EARLY), a
// challenge of the wrong claim, and usage errors. The verdicts come from the command's own derivation.
import { expect } from "chai";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { parseEventLogs, toHex, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { runClaims } from "../../../node/challenger/cli.ts";
import { ClaimBook, ClaimStatus } from "../../../node/challenger/claims.ts";
import { Judge } from "../../../node/challenger/verdict.ts";
import { encodePublicValues, type PublicValues } from "../../../node/derive/commitment.ts";
import { disputeGameAbi } from "../../../node/l1/contracts.ts";
import { ANVIL_DEV_KEYS } from "../../../node/l1/anvil.ts";
import { startHarness, type Harness } from "./harness.ts";

describe("rollup-node claims (anvil)", function () {
  this.timeout(120_000);
  let h: Harness;
  let env: NodeJS.ProcessEnv;
  let deploymentFile: string;
  const alice = privateKeyToAccount(ANVIL_DEV_KEYS[1]);
  const proposer = privateKeyToAccount(ANVIL_DEV_KEYS[4]);

  async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runClaims([...argv, "--deployment", deploymentFile], { out: (l) => out.push(l), err: (l) => err.push(l), env });
    return { code, out: out.join("\n"), err: err.join("\n") };
  }

  async function propose(pv: PublicValues): Promise<void> {
    const hash = await h.walletOf(proposer).writeContract({ address: h.d.contracts.disputeGame, abi: disputeGameAbi, functionName: "propose", args: [toHex(encodePublicValues(pv))], value: BigInt(h.d.parameters.proposerBond as string), account: proposer, chain: h.chain });
    const rc = await h.pub.waitForTransactionReceipt({ hash });
    expect(parseEventLogs({ abi: disputeGameAbi, logs: rc.logs, eventName: "ClaimProposed" })).to.have.length(1);
  }

  before(async () => {
    h = await startHarness();
    deploymentFile = path.join(h.dir, "deployment.json");
    writeFileSync(deploymentFile, JSON.stringify(h.d));
    env = { ROLLBOOK_L1_RPC_URL: h.anvil.rpcUrl, ROLLBOOK_L1_BEACON_URL: h.anvil.rpcUrl, ROLLBOOK_DATA_DIR: path.join(h.dir, "node"), CHALLENGER_KEY: ANVIL_DEV_KEYS[2] };
    await h.deposit(alice, 1_000n);
    await h.post([]);
    const d = await h.deriver("reference");
    const right = (await new Judge({ client: h.pub, inbox: h.d.contracts.inbox, fromBlock: h.d.startBlock, store: d.store }).expected(1, 1)) as Omit<PublicValues, "prover">;
    await propose({ ...right, prover: proposer.address }); // claim 0: right
    await propose({ ...right, l1MessagesConsumed: 0, l1QueueHash: `0x${"00".repeat(32)}` as Hex, prover: proposer.address }); // claim 1: skips the deposit
  });

  after(async () => {
    await h?.close();
  });

  it("--help and usage errors", async () => {
    const help = await run("--help");
    expect(help.code).to.equal(0);
    expect(help.out).to.match(/withdraw-bond/);
    expect((await run("frobnicate")).code).to.equal(2);
    expect((await run("challenge")).err).to.match(/a claim ID is needed/);
    expect((await run("list", "--bogus")).code).to.equal(2);
  });

  it("lists open claims with the node's verdict (text and --json)", async () => {
    const text = await run("list");
    expect(text.code, text.err).to.equal(0);
    expect(text.out).to.match(/#0 +batches 1\.\.1 +pending .*verdict RIGHT/);
    expect(text.out).to.match(/#1 +batches 1\.\.1 +pending .*verdict WRONG \(l1MessagesConsumed, l1QueueHash\)/);
    const j = await run("list", "--json");
    const body = JSON.parse(j.out);
    expect(body.derivedBatch).to.equal(1);
    expect(body.claims.map((c: { verdict: { kind: string } }) => c.verdict.kind)).to.deep.equal(["valid", "invalid"]);
    expect(body.claims[1].verdict.expected.l1MessagesConsumed).to.equal(1);
  });

  it("shows a claim with the node's values beside the wrong ones", async () => {
    const r = await run("show", "1");
    expect(r.code).to.equal(0);
    expect(r.out).to.match(/l1MessagesConsumed +0 +\(node: 1\)/);
  });

  it("refuses to challenge a right claim and to resolve early; challenges the wrong one", async () => {
    const refused = await run("challenge", "0");
    expect(refused.code).to.equal(1);
    expect(refused.err).to.match(/^CLAIM_VALID:/);
    const early = await run("resolve", "0");
    expect(early.code).to.equal(1);
    expect(early.err).to.match(/^TOO_EARLY:/);
    const ok = await run("challenge", "1", "--json");
    expect(ok.code, ok.err).to.equal(0);
    expect(JSON.parse(ok.out).action).to.equal("challenge");
    const claim = (await h.pub.readContract({ address: h.d.contracts.disputeGame, abi: disputeGameAbi, functionName: "getClaim", args: [1n] })) as { status: number };
    expect(claim.status).to.equal(ClaimStatus.Challenged);
    const none = await run("withdraw-bond");
    expect(none.err).to.match(/^NOTHING_TO_WITHDRAW:/);
  });

  it("the claim book follows an L1 reorg that replaces a claim", async () => {
    const book = new ClaimBook({ client: h.pub, game: h.d.contracts.disputeGame, fromBlock: h.d.startBlock });
    const snap = await h.rpc("evm_snapshot");
    const pv = (await book.refresh())[0]!.pv;
    await propose({ ...pv, newStateRoot: `0x${"01".repeat(32)}` as Hex });
    expect((await book.refresh()).map((c) => c.pv.newStateRoot)).to.deep.equal([pv.newStateRoot, pv.newStateRoot, `0x${"01".repeat(32)}`]);
    await h.rpc("evm_revert", [snap]);
    await h.rpc("evm_mine");
    await propose({ ...pv, newStateRoot: `0x${"02".repeat(32)}` as Hex }); // the same claim id 2 on the new chain
    const after = await book.refresh();
    expect(after.map((c) => c.pv.newStateRoot)).to.deep.equal([pv.newStateRoot, pv.newStateRoot, `0x${"02".repeat(32)}`]);
  });

  it("challenge --force of a right claim, then prove defends it with the attest backend (prover.attestKeys)", async () => {
    const forced = await run("challenge", "0", "--force");
    expect(forced.code, forced.err).to.equal(0);
    const noKeys = { ...env };
    env = { ...env, CHALLENGER_KEY: undefined, ROLLBOOK_PROVER_ATTEST_KEYS: undefined };
    expect((await run("prove", "0")).err).to.match(/^NO_BACKEND:/);
    env = { ...noKeys, ROLLBOOK_PROVER_ATTEST_KEYS: ANVIL_DEV_KEYS[0] }; // the devnet's attestation signer
    const counter = await run("prove", "0", "--counter");
    expect(counter.err).to.match(/^CLAIM_VALID:/);
    const proven = await run("prove", "0");
    expect(proven.code, proven.err).to.equal(0);
    const claim = (await h.pub.readContract({ address: h.d.contracts.disputeGame, abi: disputeGameAbi, functionName: "getClaim", args: [0n] })) as { status: number };
    expect(claim.status).to.equal(ClaimStatus.Proven);
    env = noKeys;
  });
});
