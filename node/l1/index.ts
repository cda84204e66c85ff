// node/l1: the L1 side of the node (ARCHITECTURE.md). Public surface:
//   L1Follower, L1RpcError, L1BlockRef   block follower: head/safe/finalized, next block (extension, wait,
//                                        reset), confirmation depth, common ancestor after a reorg
//   inboxAbi, vaultAbi, ...              contract ABIs generated from the Hardhat artifacts (as const)
//   startAnvil, ANVIL_DEV_KEYS           local anvil for the devnet and tests
export { L1Follower, L1RpcError, type L1BlockRef, type L1Tips, type NextBlock, type L1Client, type L1FollowerOptions } from "./follower.ts";
export * from "./contracts.ts";
export { startAnvil, freePort, freePorts, anvilBinary, ANVIL_DEV_KEY, ANVIL_DEV_KEYS, type Anvil, type AnvilOptions } from "./anvil.ts";
export { l1BalanceGauge, recordL1Balance } from "./balance.ts";
