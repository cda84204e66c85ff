// Desert mode through the node (issue 17 "Tests: Desert mode", issue 13 item 5): on anvil with the real
// contract suite, deposits and a withdrawal are derived and finalized with the attest backend; then the
// devnet stops finalizing while batches go on (a further withdrawal, so the head differs from the finalized
// state), the escape delay passes, the Vault is frozen, and users exit with the node's proofs: each is paid
// its balance at the last FINALIZED state, once; an account without a leaf gets NOTHING_TO_EXIT.
import { expect } from "chai";
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { keccak256, toHex, type Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { runExitProof } from "../../../node/challenger/cli.ts";
import { ChallengerError } from "../../../node/challenger/errors.ts";
import { exitProofFrom, finalizedState } from "../../../node/challenger/exit.ts";
import { backendProver } from "../../../node/challenger/prover.ts";
import { exitVault, type ExitProofFile } from "../../../node/client/l1.ts";
import { loadConfig } from "../../../node/config.ts";
import type { Deriver } from "../../../node/derive/index.ts";
import { devTokenAbi, settlementAbi, vaultAbi } from "../../../node/l1/contracts.ts";
import { ANVIL_DEV_KEYS } from "../../../node/l1/anvil.ts";
import { AttestBackend } from "../../../node/prover/attest.ts";
import { hex } from "../../../node/state/commitment.ts";
import { startHarness, USDC, type Harness } from "./harness.ts";

describe("desert mode: finalization stops, the Vault freezes, users exit with the node's proofs (anvil)", function () {
  this.timeout(180_000);
  let h: Harness;
  let node: Deriver;
  let quantum: bigint;
  const deployer = privateKeyToAccount(ANVIL_DEV_KEYS[0]);
  const alice = privateKeyToAccount(ANVIL_DEV_KEYS[1]);
  const bob = privateKeyToAccount(ANVIL_DEV_KEYS[2]);
  const nobody = privateKeyToAccount(keccak256(toHex("rollbook-test-nobody"))).address;
  const balanceOf = (who: Address) => h.pub.readContract({ address: h.d.contracts.devToken!, abi: devTokenAbi, functionName: "balanceOf", args: [who] }) as Promise<bigint>;
  const env = () => ({ ROLLBOOK_L1_RPC_URL: h.anvil.rpcUrl, ROLLBOOK_L1_BEACON_URL: h.anvil.rpcUrl, ROLLBOOK_DATA_DIR: path.join(h.dir, "data") });

  before(async () => {
    h = await startHarness();
    [, quantum] = (await h.pub.readContract({ address: h.d.contracts.vault, abi: vaultAbi, functionName: "assets", args: [USDC] })) as readonly [Address, bigint, ...unknown[]];
    await h.deposit(alice, 50_000n);
    await h.deposit(bob, 30_000n);
    await h.post([]); // batch 1: both deposits credited
    await h.post([h.withdraw(ANVIL_DEV_KEYS[1], 10_000, alice.address)]); // batch 2: alice withdraws 10,000
    node = await h.deriver("node", { proverInputs: true });
    // Finalize batches 1..2 with the attest backend (the deployer is the devnet's attestation signer).
    const backend = new AttestBackend({ signers: [privateKeyToAccount(ANVIL_DEV_KEYS[0])], chainId: h.d.chainId, verifier: h.d.contracts.attestationVerifier, state: node.store });
    const root1 = hex((await node.store.stateRoot(0))!);
    const p = await backendProver(backend, node.store, 0).prove({ firstBatch: 1, lastBatch: 2, prevStateRoot: root1, prevBatchChain: `0x${"00".repeat(32)}`, prover: deployer.address });
    const hash = await h.walletOf(deployer).writeContract({ address: h.d.contracts.settlement, abi: settlementAbi, functionName: "finalize", args: [p.publicValues, p.proof], account: deployer, chain: h.chain });
    expect((await h.pub.waitForTransactionReceipt({ hash })).status).to.equal("success");
    // Finalization stops; the rollup goes on: alice withdraws 5,000 more in batch 3 (never finalized).
    await h.post([h.withdraw(ANVIL_DEV_KEYS[1], 5_000, alice.address)]);
    await node.syncToHead();
    expect(node.status().batchIndex).to.equal(3);
  });

  after(async () => {
    await h?.close();
  });

  it("rebuilds the finalized state (batch 2) from L1 although the node is at batch 3", async () => {
    const fin = await finalizedState({ config: loadConfig(undefined, env()), deployment: h.d, client: h.pub, store: node.store });
    expect(fin.batch).to.equal(2);
    expect(fin.frozen).to.equal(false);
    expect(hex(fin.sc.root())).to.equal(hex((await node.store.stateRoot(2))!));
    const a = exitProofFrom(fin.sc, fin.batch, alice.address);
    expect(a.balances).to.deep.equal([{ asset: USDC, available: 40_000, locked: 0 }]);
    const err = (() => {
      try {
        exitProofFrom(fin.sc, fin.batch, nobody);
      } catch (e) {
        return e;
      }
    })();
    expect((err as ChallengerError).code).to.equal("NOTHING_TO_EXIT");
  });

  it("refuses to exit before the freeze, then freezes after the escape delay and pays each user once", async () => {
    const proofFile = path.join(h.dir, "alice-exit.json");
    const out: string[] = [];
    const code = await runExitProof([alice.address, "--out", proofFile, "--deployment", await deploymentFile()], { out: (l) => out.push(l), err: (l) => out.push(l), env: env() });
    expect(code, out.join("\n")).to.equal(0);
    const aliceProof = JSON.parse(readFileSync(proofFile, "utf8")) as ExitProofFile;
    expect(aliceProof.batch).to.equal(2);
    const wallet = h.walletOf(alice);
    const early = await exitVault(wallet, h.pub, h.d.contracts.vault, aliceProof).catch((e: Error) => e);
    expect(String(early)).to.match(/not frozen/);

    await h.warp(Number(h.d.parameters.escapeDelay) + 1);
    const before = await balanceOf(alice.address);
    const r = await exitVault(wallet, h.pub, h.d.contracts.vault, aliceProof, { freeze: true });
    expect(r.freezeTx).to.not.equal(null);
    expect(r.exits.map((e) => [e.asset, e.units])).to.deep.equal([[USDC, 40_000n]]);
    expect((await balanceOf(alice.address)) - before).to.equal(40_000n * quantum);
    expect(await h.pub.readContract({ address: h.d.contracts.settlement, abi: settlementAbi, functionName: "frozen" })).to.equal(true);
    // A second exit is skipped by the client and refused by the Vault.
    expect((await exitVault(wallet, h.pub, h.d.contracts.vault, aliceProof)).skipped).to.deep.equal([USDC]);
    const again = await h.pub.simulateContract({ address: h.d.contracts.vault, abi: vaultAbi, functionName: "exit", args: [alice.address, USDC, aliceProof.leaf, aliceProof.siblings], account: alice }).catch((e: Error) => e);
    expect(String(again)).to.match(/AlreadyExited/);
  });

  it("`rollbook exit` pays bob with the proof from `rollup-node exit-proof` (spawned commands)", async () => {
    const file = path.join(h.dir, "bob-exit.json");
    const gen = await spawnNode(["node/cli.ts", "exit-proof", bob.address, "--out", file, "--deployment", await deploymentFile()], env());
    expect(gen.code, gen.stderr).to.equal(0);
    const before = await balanceOf(bob.address);
    const r = await spawnNode(["node/client/cli.ts", "exit", "--proof", file, "--vault", h.d.contracts.vault, "--l1", h.anvil.rpcUrl, "--json"], { ROLLBOOK_PRIVATE_KEY: ANVIL_DEV_KEYS[2] });
    expect(r.code, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout).exits[0].units).to.equal("30000");
    expect((await balanceOf(bob.address)) - before).to.equal(30_000n * quantum);
    // Deposits 80,000 = exits 40,000 + 30,000 + alice's finalized, still claimable withdrawal of 10,000.
    expect(await balanceOf(h.d.contracts.vault)).to.equal(10_000n * quantum);
  });

  async function deploymentFile(): Promise<string> {
    const f = path.join(h.dir, "deployment.json");
    writeFileSync(f, JSON.stringify(h.d));
    return f;
  }
});

function spawnNode(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
