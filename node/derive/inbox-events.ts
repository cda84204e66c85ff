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
   * Finalized history (blocks that can no longer reorg): the logs of [from, to] in one request. A block
   * with events is known from its logs (number, hash, and `blockTimestamp`, which current execution
   * clients and anvil put on every log); only `to` (the new cursor, whose parent hash the next block must
   * link to) and blocks whose logs lack the timestamp are read as headers, in parallel (one JSON-RPC batch
   * when the client's transport batches). Every log of a block must carry the same block hash, and the
   * hash of a header read for it.
   */
  async finalizedRange(from: number, to: number, header: (n: number) => Promise<L1BlockRef | undefined>): Promise<BlockEvents[]> {
    let logs;
    try {
      logs = await this.client.getContractEvents({ address: this.inbox, abi: inboxAbi, fromBlock: BigInt(from), toBlock: BigInt(to), strict: true });
    } catch (err) {
      throw temporary("L1_RPC", `logs of blocks ${from}..${to}: ${(err as Error).message}`, err);
    }
    logs.sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : Number(a.blockNumber - b.blockNumber)));
    const byNumber = new Map<number, BlockEvents>();
    const needHeader = new Set<number>([to]);
    for (const log of logs) {
      const n = Number(log.blockNumber);
      let e = byNumber.get(n);
      if (e === undefined) {
        const ts = log.blockTimestamp;
        if (ts === undefined || ts === null) needHeader.add(n);
        e = { block: { number: n, hash: log.blockHash, timestamp: ts === undefined || ts === null ? 0 : Number(ts) }, messages: [], proposals: [] };
        byNumber.set(n, e);
      } else if (log.blockHash !== e.block.hash) {
        throw temporary("LOGS_INCONSISTENT", `logs of block ${n} name two hashes, ${e.block.hash} and ${log.blockHash}`);
      }
      if (log.eventName === "L1MessageQueued") e.messages.push(log.args);
      else if (log.eventName === "BatchProposed") e.proposals.push({ event: log.args, txHash: log.transactionHash });
    }
    const numbers = [...needHeader];
    const headers = await Promise.all(numbers.map((n) => header(n)));
    for (let i = 0; i < numbers.length; i++) {
      const n = numbers[i]!;
      const h = headers[i];
      if (h === undefined) throw temporary("LOGS_INCONSISTENT", `finalized block ${n} not found`);
      const e = byNumber.get(n);
      if (e === undefined) byNumber.set(n, { block: h, messages: [], proposals: [] });
      else if (e.block.hash !== h.hash) throw temporary("LOGS_INCONSISTENT", `log of block ${n} ${e.block.hash} does not match its header ${h.hash}`);
      else e.block = h;
    }
    return [...byNumber.keys()].sort((a, b) => a - b).map((n) => byNumber.get(n)!);
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
