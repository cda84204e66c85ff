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

  /**
   * The events of consecutive blocks in one request (history sync). Every log must carry the hash of the
   * block traversal handed out for its number; otherwise the range was reorged meanwhile (temporary).
   */
  async ofRange(blocks: readonly L1BlockRef[]): Promise<BlockEvents[]> {
    if (blocks.length === 1) return [await this.of(blocks[0]!)];
    const first = blocks[0]!.number;
    let logs;
    try {
      logs = await this.client.getContractEvents({ address: this.inbox, abi: inboxAbi, fromBlock: BigInt(first), toBlock: BigInt(blocks[blocks.length - 1]!.number), strict: true });
    } catch (err) {
      throw temporary("L1_RPC", `logs of blocks ${first}..${blocks[blocks.length - 1]!.number}: ${(err as Error).message}`, err);
    }
    const out: BlockEvents[] = blocks.map((block) => ({ block, messages: [], proposals: [] }));
    logs.sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : Number(a.blockNumber - b.blockNumber)));
    for (const log of logs) {
      const e = out[Number(log.blockNumber) - first];
      if (e === undefined || log.blockHash !== e.block.hash) throw temporary("LOGS_INCONSISTENT", `log of block ${log.blockNumber} ${log.blockHash} does not match the traversed block`);
      if (log.eventName === "L1MessageQueued") e.messages.push(log.args);
      else if (log.eventName === "BatchProposed") e.proposals.push({ event: log.args, txHash: log.transactionHash });
    }
    return out;
  }

  /**
   * Finalized history (blocks that can no longer reorg): the logs of [from, to] in one request, and the
   * headers of only the blocks that hold events plus `to` (the new cursor), fetched in parallel.
   */
  async finalizedRange(from: number, to: number, header: (n: number) => Promise<L1BlockRef | undefined>): Promise<BlockEvents[]> {
    let logs;
    try {
      logs = await this.client.getContractEvents({ address: this.inbox, abi: inboxAbi, fromBlock: BigInt(from), toBlock: BigInt(to), strict: true });
    } catch (err) {
      throw temporary("L1_RPC", `logs of blocks ${from}..${to}: ${(err as Error).message}`, err);
    }
    const numbers = [...new Set([...logs.map((l) => Number(l.blockNumber)), to])].sort((a, b) => a - b);
    const headers = await Promise.all(numbers.map((n) => header(n)));
    const byNumber = new Map<number, BlockEvents>();
    for (let i = 0; i < numbers.length; i++) {
      const h = headers[i];
      if (h === undefined) throw temporary("LOGS_INCONSISTENT", `finalized block ${numbers[i]} not found`);
      byNumber.set(numbers[i]!, { block: h, messages: [], proposals: [] });
    }
    logs.sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : Number(a.blockNumber - b.blockNumber)));
    for (const log of logs) {
      const e = byNumber.get(Number(log.blockNumber))!;
      if (log.blockHash !== e.block.hash) throw temporary("LOGS_INCONSISTENT", `log of block ${log.blockNumber} ${log.blockHash} does not match its header`);
      if (log.eventName === "L1MessageQueued") e.messages.push(log.args);
      else if (log.eventName === "BatchProposed") e.proposals.push({ event: log.args, txHash: log.transactionHash });
    }
    return numbers.map((n) => byNumber.get(n)!);
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
