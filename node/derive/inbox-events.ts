// Stage 2, Inbox events (docs/derivation.md "Pipeline"): the L1MessageQueued and BatchProposed events of one
// L1 block, in log order, read by block hash so that they belong to exactly the block traversal handed out
// (a block reorged out meanwhile answers with an error or nothing, never with another block's logs).
import type { Address, Hex, PublicClient } from "viem";
import { inboxAbi, type BatchProposedEvent, type L1MessageQueuedEvent } from "../l1/contracts.ts";
import type { L1BlockRef } from "../l1/follower.ts";
import { temporary } from "./errors.ts";

export interface Proposal {
  event: BatchProposedEvent;
  /** The proposing transaction (calldata batches are read from its input). */
  txHash: Hex;
}

export interface BlockEvents {
  block: L1BlockRef;
  messages: L1MessageQueuedEvent[];
  proposals: Proposal[];
}

export class InboxEvents {
  private readonly client: Pick<PublicClient, "getContractEvents">;
  private readonly inbox: Address;

  constructor(client: Pick<PublicClient, "getContractEvents">, inbox: Address) {
    this.client = client;
    this.inbox = inbox;
  }

  async of(block: L1BlockRef): Promise<BlockEvents> {
    let logs;
    try {
      logs = await this.client.getContractEvents({ address: this.inbox, abi: inboxAbi, blockHash: block.hash, strict: true });
    } catch (err) {
      throw temporary("L1_RPC", `logs of block ${block.number}: ${(err as Error).message}`, err);
    }
    logs.sort((a, b) => a.logIndex - b.logIndex);
    const messages: L1MessageQueuedEvent[] = [];
    const proposals: Proposal[] = [];
    for (const log of logs) {
      if (log.blockHash !== block.hash) throw temporary("LOGS_INCONSISTENT", `log of block ${log.blockHash} returned for ${block.hash}`);
      if (log.eventName === "L1MessageQueued") messages.push(log.args);
      else if (log.eventName === "BatchProposed") proposals.push({ event: log.args, txHash: log.transactionHash });
    }
    return { block, messages, proposals };
  }
}
