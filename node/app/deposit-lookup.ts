// rb_getDepositsByTx on the composed node: derivation learns deposits as L1 queue messages, not as the L1
// transactions that made them, so the node asks L1 for the transaction's receipt and reads the Vault's
// Deposited events in it (their messageIndex is the queue index rb_getDeposit serves). Nothing is cached (a
// reorg may re-include the transaction with other indexes); the lookups in flight are bounded so a flood of
// unknown hashes cannot flood the L1 RPC.
import { parseEventLogs, type Address, type Hex, type PublicClient } from "viem";
import { vaultAbi } from "../l1/contracts.ts";

/** `(l1TxHash) => queue indexes of the Vault deposits in that transaction` ([] when none or no receipt; null when `maxInFlight` lookups are running). */
export function depositIndexLookup(l1: PublicClient, vault: Address, maxInFlight = 4): (l1TxHash: string) => Promise<number[] | null> {
  let inFlight = 0;
  const vaultLower = vault.toLowerCase();
  return async (l1TxHash) => {
    if (inFlight >= maxInFlight) return null;
    inFlight++;
    try {
      const receipt = await l1.getTransactionReceipt({ hash: l1TxHash as Hex }).catch(() => null);
      if (receipt === null) return []; // unknown, pending or L1 unreachable: nothing to report
      const logs = parseEventLogs({ abi: vaultAbi, eventName: "Deposited", logs: receipt.logs.filter((x) => x.address.toLowerCase() === vaultLower) });
      return logs.map((x) => Number(x.args.messageIndex)).sort((a, b) => a - b);
    } finally {
      inFlight--;
    }
  };
}
