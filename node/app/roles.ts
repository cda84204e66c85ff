// The role registry of the node (node/app): follower, sequencer and proposer are composed by startNode
// (node.ts); every other role (prover, challenger, mm) runs only if a start function is registered for it.
// A role plugs in with one line, either in ROLE_STARTERS below or with registerRole() before startNode:
//
//   mm: startMarketMaker,        // node/mm/runtime.ts: (ctx) => { ctx.registerAdminRoutes(mmRoutes); ... }
//
// A start function gets the running node (view, deriver, sequencer, store, L1 clients, deployment, key),
// may hang routes on the admin listener, and returns a handle that startNode stops on shutdown (in reverse
// start order, before the node's own roles).
import type { FastifyPluginAsync } from "fastify";
import type { Address, PublicClient } from "viem";
import type { LocalAccount } from "viem/accounts";
import type { Registry } from "prom-client";
import type { NodeConfig, Role } from "../config.ts";
import type { Deriver } from "../derive/index.ts";
import type { Logger } from "../log.ts";
import type { Sequencer } from "../sequencer/index.ts";
import type { StateStore } from "../state/store.ts";
import type { NodeStateView } from "./view.ts";
import type { SendingRole } from "./keys.ts";
import type { Deployment } from "../../scripts/deploy.ts";
import { startChallenger } from "../challenger/role.ts";
import { mmRole } from "../mm/runtime.ts";
import { startProver } from "../prover/role.ts";

/** Roles startNode composes itself. */
export const CORE_ROLES: readonly Role[] = ["follower", "sequencer", "proposer"];

export interface RoleContext {
  config: NodeConfig;
  logger: Logger;
  /** The node's Prometheus registry (served on the admin listener's /metrics). */
  registry: Registry;
  deployment: Deployment;
  l1: PublicClient;
  /** The node's L1 key, when configured (keystore or ROLLBOOK_L1_PRIVATE_KEY). */
  account: LocalAccount | undefined;
  /** The prover's and challenger's own L1 keys (keys.ts loadRoleAccounts); a role without one uses `account`. */
  roleAccounts: Partial<Record<SendingRole, LocalAccount>>;
  store: StateStore;
  deriver: Deriver;
  /** Present when the node sequences. */
  sequencer: Sequencer | undefined;
  view: NodeStateView;
  /** RPC URL of this node (http://host:port). */
  rpcUrl: string;
  /** Hangs a fastify plugin on the admin listener (routes under a prefix of the role's choice). */
  registerAdminRoutes(plugin: FastifyPluginAsync, opts?: { prefix?: string }): void;
  /** L1 address of the node's key (lowercase), or undefined. */
  address: Address | undefined;
}

export interface RoleHandle {
  stop(): Promise<void>;
}

export type RoleStart = (ctx: RoleContext) => Promise<RoleHandle>;

/** Roles built by later issues: one line each (see the file header). */
const ROLE_STARTERS: Partial<Record<Role, RoleStart>> = {
  prover: async (ctx) => reportingProofStatus(ctx, "prover", await startProver(ctx.config, { ...ctx, account: ctx.roleAccounts.prover ?? ctx.account, attestSigner: ctx.account }), (h) => h.prover.statusInfo()),
  mm: mmRole,
  // Judges against the node's own store and proves with the configured prover.backends (docs/disputes.md).
  challenger: async (ctx) => reportingProofStatus(ctx, "challenger", await startChallenger({ ...ctx, account: ctx.roleAccounts.challenger ?? ctx.account, attestSigner: ctx.account }), (h) => h.challenger.statusInfo()),
};

/** Adds a role's status to rb_proofStatus while it runs; the handle keeps its own fields (the node reads the prover's jobs). */
function reportingProofStatus<H extends RoleHandle>(ctx: RoleContext, part: "prover" | "challenger", h: H, status: (h: H) => object): H {
  ctx.view.reportProofStatus(part, () => status(h));
  const stop = h.stop.bind(h);
  return {
    ...h,
    async stop() {
      ctx.view.reportProofStatus(part, undefined);
      await stop();
    },
  };
}

const registered = new Map<Role, RoleStart>(Object.entries(ROLE_STARTERS) as [Role, RoleStart][]);

/** Registers (or replaces) the start function of a non-core role; returns what undoes it. */
export function registerRole(role: Role, start: RoleStart): () => void {
  if (CORE_ROLES.includes(role)) throw new Error(`role ${role} is composed by startNode and cannot be registered`);
  const before = registered.get(role);
  registered.set(role, start);
  return () => {
    if (before === undefined) registered.delete(role);
    else registered.set(role, before);
  };
}

/** The start function of a non-core role, if registered. */
export function roleStarter(role: Role): RoleStart | undefined {
  return registered.get(role);
}

/** Problems with a role list: unknown starters and missing prerequisites. Empty when startable. */
export function checkRoles(roles: readonly Role[]): string[] {
  const problems: string[] = [];
  for (const r of roles) {
    if (!CORE_ROLES.includes(r) && !registered.has(r)) problems.push(`roles: ${r} is not available in this build (no start function registered, node/app/roles.ts)`);
  }
  if (!roles.includes("follower")) problems.push(`roles: every node runs follower (derivation from L1 is where its state comes from)`);
  if (roles.includes("proposer") && !roles.includes("sequencer")) problems.push(`roles: proposer posts the sequencer's batches: add sequencer`);
  return problems;
}
