// A one-batch range input built with the node's own code (for the prover's unit tests).
import { zeroHash, type Address } from "viem";
import { createGenesisState } from "../../../node/clob/state.ts";
import { encodeBatch } from "../../../node/codec/index.ts";
import { calldataDataHash, type BatchCommitment } from "../../../node/derive/commitment.ts";
import { checkBatchValidity } from "../../../node/derive/validity.ts";
import { StateCommitment, hex } from "../../../node/state/commitment.ts";
import { applyAndWitness } from "../../../node/state/witness.ts";
import type { RangeInput } from "../../../node/prover/backend.ts";

const WHO = "0x1111111111111111111111111111111111111111" as Address;

/** A one-batch range (an empty calldata batch on the genesis state) with its real witness. */
export function emptyRange(prover: Address = WHO): RangeInput {
  const state = createGenesisState({ domain: { chainId: 31337, verifyingContract: WHO }, feeAccount: WHO });
  const sc = StateCommitment.fromState(state);
  const prevStateRoot = hex(sc.root());
  const data = encodeBatch({ header: { parentBatchHash: zeroHash, timestamp: 1000, l1MsgStart: 0, l1MsgEnd: 0 }, txs: [] });
  const commitment: BatchCommitment = {
    index: 1, dataKind: 2, dataHash: calldataDataHash(data), l1MsgStart: 0, queueHashStart: zeroHash, l1MsgEnd: 0, queueHash: zeroHash,
    l1Timestamp: 1000, l1BlockNumber: 5, proposer: WHO,
  };
  const v = checkBatchValidity({ commitment, parentChain: zeroHash, data, messages: [], pre: state });
  const { witness } = applyAndWitness(sc, state, v.batch, v.messages);
  return { prevStateRoot, prevBatchChain: zeroHash, batches: [{ commitment, data, messages: [], witness: witness.bytes }], prover };
}

