// Contract bindings of the node (ARCHITECTURE.md "L1 contracts"): the ABIs generated from the Hardhat
// artifacts by scripts/gen-abi.ts (`as const`, so viem types every call and event), the Inbox constants
// the node relies on, and the decoded forms of the two Inbox events derivation reads
// (docs/l1-messages.md "Events of the Inbox and the Vault").
import type { Address, Hex } from "viem";
export {
  inboxAbi,
  vaultAbi,
  settlementAbi,
  disputeGameAbi,
  verifierPolicyAbi,
  attestationVerifierAbi,
  timelockAbi,
  devTokenAbi,
} from "./abi.generated.ts";

/** `dataKind` of BatchProposed (Inbox.DATA_KIND_BLOBS / DATA_KIND_CALLDATA). */
export const DATA_KIND_BLOBS = 1;
export const DATA_KIND_CALLDATA = 2;

/** Inbox `L1MessageQueued(index, queueHash, timestamp, message)`, with where it was logged. */
export interface L1MessageQueuedEvent {
  index: bigint;
  queueHash: Hex;
  timestamp: bigint;
  message: Hex;
}

/** Inbox `BatchProposed(...)`, decoded. */
export interface BatchProposedEvent {
  batchIndex: bigint;
  proposer: Address;
  dataKind: number;
  blobHashes: readonly Hex[];
  calldataHash: Hex;
  l1MsgStart: bigint;
  l1MsgEnd: bigint;
  queueHash: Hex;
  batchChain: Hex;
  /** Binary CID as recorded on L1 (0x when no backup). */
  ipfsCid: Hex;
}
