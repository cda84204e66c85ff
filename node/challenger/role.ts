// The challenger role's start function for node/app's role registry (one line there:
// `challenger: startChallenger`). It judges claims against the node's own derived store when the node runs a
// follower (ctx.store), or against its own Deriver (source.ts) otherwise; it sends transactions with the
// node's L1 key (none: it watches and reports only); with proof backends it defends right claims and
// counter-proves wrong ones. Unless given explicitly, the backends are the ones `prover.backends` configures
// (node/prover buildBackends: attest with prover.attestKeys or the node's key, sp1, zisk), over the store
// the challenger judges with (it must record prover inputs: the node's Deriver does when this role runs).
import { createWalletClient, http, type PublicClient } from "viem";
import type { LocalAccount } from "viem/accounts";
import type { Registry } from "prom-client";
import type { NodeConfig } from "../config.ts";
import { moduleLogger, type Logger } from "../log.ts";
import type { ProofBackend } from "../prover/backend.ts";
import { verifierIds } from "../prover/prover.ts";
import { buildBackends } from "../prover/role.ts";
import type { StateStore } from "../state/store.ts";
import type { Deployment } from "../../scripts/deploy.ts";
import type { Wallet } from "./actions.ts";
import { Challenger } from "./challenger.ts";
import { policyProver, type PolicyPart } from "./prover.ts";
import { openDerivedSource, type DerivedSource } from "./source.ts";

export interface ChallengerDeps {
  config: NodeConfig;
  deployment: Deployment;
  l1: PublicClient;
  /** The L1 key that sends challenges, proofs and resolutions (the challenger's own, or the node's); undefined: watch only. */
  account?: LocalAccount;
  /** Signs attestations when prover.attestKeys is empty (the node's key; default `account`). */
  attestSigner?: LocalAccount;
  /** The node's derived store (follower role); undefined: the role derives on its own. */
  store?: StateStore;
  /** Proof backend (node/prover) and its verifier id in the VerifierPolicy (default 0); default: the
   *  configured prover.backends when the node has a key (none: the role cannot prove). */
  backend?: ProofBackend;
  verifierId?: number;
  /** false: no proof backend even if configured (watch, challenge, resolve only). Default true. */
  prove?: boolean;
  logger?: Logger;
  registry?: Registry;
}

export interface ChallengerHandle {
  challenger: Challenger;
  stop(): Promise<void>;
}

export async function startChallenger(deps: ChallengerDeps): Promise<ChallengerHandle> {
  const log = deps.logger ?? moduleLogger("challenger");
  let own: DerivedSource | undefined;
  let store = deps.store;
  if (store === undefined) {
    own = await openDerivedSource(deps.config, deps.deployment, deps.l1, { logger: log, registry: deps.registry });
    own.deriver.start();
    store = own.store;
  }
  let parts: PolicyPart[] = [];
  if (deps.backend !== undefined) parts = [{ backend: deps.backend, id: deps.verifierId ?? 0 }];
  else if (deps.account !== undefined && deps.prove !== false) {
    try {
      const backends = await buildBackends(deps.config, { deployment: deps.deployment, l1: deps.l1, account: deps.account, attestSigner: deps.attestSigner, store, logger: log }, "challenger-proofs");
      const ids = await verifierIds(deps.l1, deps.deployment.contracts.settlement, backends.map((b) => b.system));
      parts = backends.map((backend) => ({ backend, id: ids.get(backend.system)! }));
    } catch (err) {
      log.warn({ err: (err as Error).message }, "challenger: no proof backend (it can challenge and resolve, not prove)");
    }
  }
  const wallet = deps.account === undefined ? undefined : (createWalletClient({ account: deps.account, chain: deps.l1.chain, transport: http(deps.config.l1.rpcUrl) }) as Wallet);
  const c = deps.config.challenger;
  const challenger = new Challenger({
    client: deps.l1, wallet, game: deps.deployment.contracts.disputeGame, inbox: deps.deployment.contracts.inbox, fromBlock: deps.deployment.startBlock, store,
    prover: parts.length === 0 ? undefined : policyProver(parts, store),
    counterProve: c.counterProve, resolveAccepted: c.resolveAccepted, autoWithdraw: c.autoWithdraw, pollIntervalMs: c.pollIntervalMs,
    logger: log, registry: deps.registry,
  });
  challenger.start();
  log.info({ game: deps.deployment.contracts.disputeGame, account: deps.account?.address ?? null, ownDerivation: own !== undefined, prover: parts.map((p) => p.backend.system) }, "challenger started");
  return {
    challenger,
    async stop() {
      await challenger.stop();
      await own?.close();
    },
  };
}
