// node/app: the running node (docs/operator.md "Running a node", "The devnet"). Public surface:
//   startNode            follower + sequencer + proposer over one store, RPC (/health, /ready), admin listener
//   registerRole         plug a further role (prover, challenger, mm) in: its start function and admin routes
//   NodeStateView        the NodeView the RPC serves, over the composed roles
//   indexSoftExecution   feeds a NodeStateView from a sequencer's soft execution
//   DerivedBatchIndexer  feeds it derived batches, in order with a sequencer's rebuild
//   createAdminServer    /metrics and role routes, bearer token off loopback
//   loadL1Account        the node's L1 key (environment or V3 keystore)
//   startDevnet          anvil + suite + markets + funded accounts + node-1/node-2 (npm start)
export { startNode, readDeployment, type StartNodeOptions, type RunningNode, type NodeStatus } from "./node.ts";
export { registerRole, roleStarter, checkRoles, CORE_ROLES, type RoleContext, type RoleHandle, type RoleStart } from "./roles.ts";
export { NodeStateView, type NodeStateViewOptions, type ExecutedBatch } from "./view.ts";
export { DerivedBatchIndexer, indexSoftExecution, type DerivedBatch } from "./soft-index.ts";
export { createAdminServer, type AdminServer, type AdminServerOptions } from "./admin.ts";
export { loadL1Account, decryptKeystore } from "./keys.ts";
export { nodeMetrics, type NodeMetrics } from "./metrics.ts";
export { startDevnet, setUpDevnetChain, availableRoles, renderBanner, DEVNET_MARKETS, EXTRA_ASSETS, type Devnet, type DevnetOptions, type DevnetRecord, type FundedAccount } from "./devnet.ts";
