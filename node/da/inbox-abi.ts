// The part of IInbox (contracts/interfaces/IInbox.sol, docs/l1-messages.md) that node/da uses.
import { parseAbi } from "viem";

export const INBOX_DA_ABI = parseAbi([
  "function propose(uint64 l1MsgEnd, bytes ipfsCid) returns (uint64 batchIndex)",
  "function proposeCalldata(uint64 l1MsgEnd, bytes batchData, bytes ipfsCid) returns (uint64 batchIndex)",
  "function batchCount() view returns (uint64)",
  "function consumedCount() view returns (uint64)",
  "event BatchProposed(uint64 indexed batchIndex, address indexed proposer, uint8 dataKind, bytes32[] blobHashes, bytes32 calldataHash, uint64 l1MsgStart, uint64 l1MsgEnd, bytes32 queueHash, bytes32 batchChain, bytes ipfsCid)",
]);

/** dataKind values of BatchProposed. */
export const DATA_KIND_BLOBS = 1;
export const DATA_KIND_CALLDATA = 2;
