// The L1 block follower (ARCHITECTURE.md "node/l1", docs/derivation.md "L1 traversal"): walks L1 block by
// block from a cursor {number, hash, parentHash, timestamp}, tracks the head, safe and finalized blocks,
// and tells apart the three outcomes of asking for the next block, after op-node's l1_traversal:
//   - the block, when its parentHash is the cursor's hash (extension);
//   - "wait" when it does not exist yet or is closer to the head than the confirmation depth
//     (op-node confdepth: a block too near the head is reported as not found);
//   - "reset" when its parentHash differs (a reorg), or the cursor's own block is no longer canonical.
// An RPC failure is neither: it throws L1RpcError (temporary; the caller retries the same request).
// On a reset, findCommonAncestor walks back over the blocks the node stored and compares each with the
// canonical block of that number; the first match is the point to roll back to (taiko CheckL1Reorg), not
// a fixed depth.
import type { Hex, PublicClient } from "viem";

/** A block as the follower remembers it. */
export interface L1BlockRef {
  number: number;
  hash: Hex;
  /**
   * Absent for a finalized block known only from its logs (node/derive/inbox-events.ts finalizedRange):
   * only a newly fetched block's parent is ever compared (with the cursor's hash), never the cursor's own.
   */
  parentHash?: Hex;
  timestamp: number;
}

/** The chain's tips as last polled (undefined before the first poll). */
export interface L1Tips {
  head: L1BlockRef;
  safe: L1BlockRef | undefined;
  finalized: L1BlockRef | undefined;
}

export type NextBlock = { kind: "block"; block: L1BlockRef } | { kind: "wait" } | { kind: "reset"; reason: string };

/** A failed L1 request (network, timeout, node error): temporary, retry later. */
export class L1RpcError extends Error {
  readonly code = "L1_RPC";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "L1RpcError";
  }
}

/** The part of a viem PublicClient the follower uses (tests may wrap it to inject failures). */
export type L1Client = Pick<PublicClient, "getBlock">;

export interface L1FollowerOptions {
  /** Blocks to stay behind the head: block n is served once head >= n + confirmations (default 0). */
  confirmations?: number;
}

type BlockTag = "latest" | "safe" | "finalized";

function toRef(b: { number: bigint | null; hash: Hex | null; parentHash: Hex; timestamp: bigint }): L1BlockRef {
  if (b.number === null || b.hash === null) throw new L1RpcError("L1 returned a pending block");
  return { number: Number(b.number), hash: b.hash, parentHash: b.parentHash, timestamp: Number(b.timestamp) };
}

/** True for viem's "block not found" (a null answer), which is an outcome, not a failure. */
function isNotFound(err: unknown): boolean {
  return (err as { name?: string } | null)?.name === "BlockNotFoundError";
}

export class L1Follower {
  readonly confirmations: number;
  private readonly client: L1Client;
  private tipsCache: L1Tips | undefined;

  constructor(client: L1Client, options: L1FollowerOptions = {}) {
    this.client = client;
    this.confirmations = options.confirmations ?? 0;
    if (!Number.isSafeInteger(this.confirmations) || this.confirmations < 0) throw new RangeError("confirmations must be a non-negative integer");
  }

  /** The tips of the last poll. */
  tips(): L1Tips | undefined {
    return this.tipsCache;
  }

  /** Fetches head, safe and finalized. A chain without safe/finalized tags leaves them undefined. */
  async poll(): Promise<L1Tips> {
    const [head, safe, finalized] = await Promise.all([this.tag("latest"), this.tag("safe"), this.tag("finalized")]);
    if (head === undefined) throw new L1RpcError("L1 has no latest block");
    this.tipsCache = { head, safe, finalized };
    return this.tipsCache;
  }

  /** The canonical block with this number, or undefined if there is none (yet). */
  async blockByNumber(n: number): Promise<L1BlockRef | undefined> {
    try {
      return toRef(await this.client.getBlock({ blockNumber: BigInt(n) }));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw new L1RpcError(`getBlock(${n}): ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * The block after `cursor`: extension, wait (not there yet or within the confirmation depth), or reset
   * (reorg). Throws L1RpcError on RPC failure. Polls the tips when the cached head is not past the cursor.
   */
  async next(cursor: L1BlockRef): Promise<NextBlock> {
    const n = cursor.number + 1;
    let tips = this.tipsCache;
    if (tips === undefined || tips.head.number < n + this.confirmations) tips = await this.poll();
    if (tips.head.number < n + this.confirmations) {
      // Nothing to serve. The chain may also have been reorged to a shorter one: check the cursor's block.
      const at = await this.blockByNumber(cursor.number);
      if (at === undefined || at.hash !== cursor.hash) return { kind: "reset", reason: `block ${cursor.number} ${cursor.hash} is no longer canonical` };
      return { kind: "wait" };
    }
    const block = await this.blockByNumber(n);
    if (block === undefined) {
      this.tipsCache = undefined; // the head we saw is gone (reorg to a shorter chain) or not served yet
      return { kind: "wait" };
    }
    if (block.parentHash !== cursor.hash) return { kind: "reset", reason: `block ${n} has parent ${block.parentHash}, cursor is ${cursor.hash}` };
    return { kind: "block", block };
  }

  /**
   * Up to `max` blocks after `cursor`, fetched in parallel (history sync): the longest prefix that links
   * by parent hash from the cursor. "wait" / "reset" as for next() when not even the first block is there.
   */
  async nextRange(cursor: L1BlockRef, max: number): Promise<{ kind: "blocks"; blocks: L1BlockRef[] } | { kind: "wait" } | { kind: "reset"; reason: string }> {
    const first = await this.next(cursor);
    if (first.kind !== "block") return first;
    const tips = this.tipsCache;
    const last = Math.min(cursor.number + max, (tips?.head.number ?? 0) - this.confirmations);
    const blocks = [first.block];
    if (last > first.block.number) {
      const more = await Promise.all(Array.from({ length: last - first.block.number }, (_, i) => this.blockByNumber(first.block.number + 1 + i)));
      for (const b of more) {
        if (b === undefined || b.parentHash !== blocks[blocks.length - 1]!.hash) break;
        blocks.push(b);
      }
    }
    return { kind: "blocks", blocks };
  }

  /**
   * Walks back from the newest stored block: the first one whose hash equals the canonical block of the
   * same number is the common ancestor. `stored(n)` returns what the node recorded for block n (undefined:
   * not recorded, skipped); the walk stops below `floor` (the oldest record). Returns undefined if no
   * stored block is canonical.
   */
  async findCommonAncestor(from: number, stored: (n: number) => Promise<L1BlockRef | undefined>, floor = 0): Promise<L1BlockRef | undefined> {
    for (let n = from; n >= floor; n--) {
      const mine = await stored(n);
      if (mine === undefined) continue; // not recorded (a block without events synced as finalized history)
      const canonical = await this.blockByNumber(n);
      if (canonical !== undefined && canonical.hash === mine.hash) return mine;
    }
    return undefined;
  }

  private async tag(blockTag: BlockTag): Promise<L1BlockRef | undefined> {
    try {
      return toRef(await this.client.getBlock({ blockTag }));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      // Nodes without safe/finalized support answer with an error for those tags; only `latest` must work.
      if (blockTag !== "latest" && /safe|finalized|tag|not supported|invalid/i.test((err as Error).message ?? "")) return undefined;
      throw new L1RpcError(`getBlock(${blockTag}): ${(err as Error).message}`, { cause: err });
    }
  }
}
