// The prover role (issue 17 item 3, docs/proving.md "Running the prover"): `startProver(config, deps)` builds
// the configured backends, opens the job store under `<dataDir>/prover/jobs` and runs the Prover loop until
// stopped. Its deps are a subset of node/app's RoleContext, so the role registry plugs it in with one line:
//   prover: (ctx) => startProver(ctx.config, ctx),
// The node's Deriver must record prover inputs (`proverInputs: true` in Deriver.open) when this role runs.
import path from "node:path";
import { createWalletClient, http, keccak256, toHex, type Address, type PublicClient } from "viem";
import { privateKeyToAccount, type LocalAccount } from "viem/accounts";
import type { Registry } from "prom-client";
import type { NodeConfig } from "../config.ts";
import { settlementAbi, verifierPolicyAbi } from "../l1/contracts.ts";
import type { Logger } from "../log.ts";
import type { StateStore } from "../state/store.ts";
import { AttestBackend } from "./attest.ts";
import { PROOF_SYSTEM_TAG, type ProofBackend, type RangeInput } from "./backend.ts";
import { ProverError } from "./errors.ts";
import { executeRange, type RangeExecution } from "./execute.ts";
import { ExternalBackend } from "./external.ts";
import { JobStore } from "./jobs.ts";
import { checkRunner, GUEST_RUNNER, nativeExecutor } from "./native.ts";
import { Prover } from "./prover.ts";

export interface ProverDeps {
  logger: Logger;
  registry: Registry;
  deployment: { chainId: number; startBlock?: number; contracts: { settlement: Address; disputeGame?: Address } };
  l1: PublicClient;
  /** The L1 key that sends the submissions (the prover's own key, or the node's). */
  account: LocalAccount | undefined;
  /** Signs attestations when prover.attestKeys is empty (the node's key; default `account`). */
  attestSigner?: LocalAccount;
  /** The node's store, derived with `proverInputs`. */
  store: StateStore;
}

export interface ProverHandle {
  prover: Prover;
  jobs: JobStore;
  stop(): Promise<void>;
}

/** The address of the policy's verifier reporting `tag` (keccak256 of "ATTESTATION", "SP1", "ZISK"). */
async function policyVerifier(l1: PublicClient, settlement: Address, tag: string): Promise<Address> {
  const policy = await l1.readContract({ address: settlement, abi: settlementAbi, functionName: "policy" });
  const verifiers = await l1.readContract({ address: policy, abi: verifierPolicyAbi, functionName: "verifiers" });
  for (const v of verifiers) {
    if ((await l1.readContract({ address: v, abi: verifierPolicyAbi, functionName: "proofSystem" })) === keccak256(toHex(tag))) return v;
  }
  throw new ProverError("CONFIG", `the verifier policy has no ${tag} verifier`);
}

/**
 * The stateless re-execution `prover.executor` selects (docs/proving.md "The Rust guest as the executor"): the node's own
 * (`ts`, execute.ts) or the Rust guest's native runner (`native`, native.ts: `prover.guestRunner`, default
 * the checkout's release build), checked to run at start (CONFIG otherwise).
 */
export function rangeExecutor(config: NodeConfig): (range: RangeInput) => RangeExecution {
  const c = config.prover;
  if (c.executor === "ts") return executeRange;
  const runner = c.guestRunner === "" ? GUEST_RUNNER : path.resolve(c.guestRunner);
  checkRunner(runner);
  return nativeExecutor(runner);
}

/**
 * The proof backends `prover.backends` names, over the node's store: `attest` signs with prover.attestKeys
 * (or the node's key), `sp1` / `zisk` drive their host CLIs under `<dataDir>/<workDir>/<system>`. Shared by
 * the prover and the challenger roles (the challenger proves with the same backends).
 */
export async function buildBackends(config: NodeConfig, deps: Pick<ProverDeps, "deployment" | "l1" | "account" | "attestSigner" | "store" | "logger">, workDir = "prover"): Promise<ProofBackend[]> {
  const c = config.prover;
  const backends: ProofBackend[] = [];
  const work = path.join(config.dataDir, workDir);
  const execute = rangeExecutor(config);
  for (const system of c.backends) {
    if (system === "attest") {
      const fallback = deps.attestSigner ?? deps.account;
      const signers = c.attestKeys.length > 0 ? c.attestKeys.map((k) => privateKeyToAccount(k as `0x${string}`)) : fallback === undefined ? [] : [fallback];
      if (signers.length === 0) throw new ProverError("CONFIG", "attest: no signer key (prover.attestKeys or the node's L1 key)");
      const verifier = await policyVerifier(deps.l1, deps.deployment.contracts.settlement, PROOF_SYSTEM_TAG.attest);
      backends.push(new AttestBackend({ signers, chainId: deps.deployment.chainId, verifier, state: deps.store, execute }));
    } else {
      const sp1 = system === "sp1";
      backends.push(new ExternalBackend({
        system, command: sp1 ? c.sp1Command : c.ziskCommand, elf: sp1 ? c.sp1Elf : c.ziskElf, workDir: path.join(work, system),
        timeoutMs: c.zkTimeoutMs, attempts: c.zkAttempts, env: sp1 ? { SP1_PROVER: c.sp1Mode } : {}, proofFile: c.ziskProofFile, execute, logger: deps.logger,
      }));
    }
  }
  return backends;
}

export async function startProver(config: NodeConfig, deps: ProverDeps): Promise<ProverHandle> {
  const c = config.prover;
  const log = deps.logger.child({ module: "prover" });
  if (deps.account === undefined) throw new ProverError("CONFIG", "prover: the node has no L1 key (it sends Settlement.finalize)");
  const game = deps.deployment.contracts.disputeGame;
  if (c.settlement !== "validity" && game === undefined) throw new ProverError("CONFIG", `prover.settlement ${c.settlement}: the deployment has no DisputeGame`);
  const backends = await buildBackends(config, { ...deps, logger: log });
  const jobs = await JobStore.open(path.join(config.dataDir, "prover", "jobs"));
  const wallet = createWalletClient({ account: deps.account, chain: deps.l1.chain, transport: http(config.l1.rpcUrl) });
  const prover = new Prover({
    l1: deps.l1, wallet, settlement: deps.deployment.contracts.settlement, source: deps.store, jobs, backends,
    policy: {
      maxBatches: c.maxRangeBatches, maxAgeMs: c.maxRangeAgeMs, maxGasWaitMs: c.maxGasWaitMs,
      ...(c.maxGasPriceGwei > 0 ? { maxGasPriceWei: BigInt(c.maxGasPriceGwei) * 1_000_000_000n } : {}),
    },
    mode: c.settlement, disputeGame: game, fromBlock: deps.deployment.startBlock, minBalanceWei: BigInt(c.minBalanceGwei) * 1_000_000_000n,
    pollMs: c.pollMs, execute: rangeExecutor(config), logger: log, registry: deps.registry,
  });
  await prover.policyIds(); // fail fast on a backend the policy cannot verify
  prover.start();
  log.info({ backends: c.backends, executor: c.executor, settlement: c.settlement, prover: prover.address(), maxRangeBatches: c.maxRangeBatches, maxRangeAgeMs: c.maxRangeAgeMs }, "prover started");
  return {
    prover,
    jobs,
    async stop() {
      await prover.stop();
      await jobs.close();
    },
  };
}
