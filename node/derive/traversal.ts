// Stage 1, L1 traversal (docs/derivation.md "Pipeline"): the next L1 block after the derivation cursor, from
// the node/l1 follower. Offers next() -> block | "wait" and raises a reset-level error on a reorg;
// an RPC failure is temporary.
import { L1Follower, L1RpcError, type L1BlockRef } from "../l1/follower.ts";
import { DeriveError, temporary } from "./errors.ts";

export class L1Traversal {
  readonly follower: L1Follower;
  private cursor: L1BlockRef;

  constructor(follower: L1Follower, origin: L1BlockRef) {
    this.follower = follower;
    this.cursor = origin;
  }

  /** The last L1 block handed out (the derivation origin). */
  origin(): L1BlockRef {
    return this.cursor;
  }

  /** The next block, or "wait" when there is none yet (or it is within the confirmation depth). */
  async next(): Promise<L1BlockRef | "wait"> {
    try {
      const r = await this.follower.next(this.cursor);
      if (r.kind === "wait") return "wait";
      if (r.kind === "reset") throw new DeriveError("reset", "REORG", r.reason);
      return r.block;
    } catch (err) {
      if (err instanceof L1RpcError) throw temporary("L1_RPC", err.message, err);
      throw err;
    }
  }

  /** Up to `max` consecutive next blocks (history sync), or "wait". */
  async nextRange(max: number): Promise<L1BlockRef[] | "wait"> {
    try {
      const r = await this.follower.nextRange(this.cursor, max);
      if (r.kind === "wait") return "wait";
      if (r.kind === "reset") throw new DeriveError("reset", "REORG", r.reason);
      return r.blocks;
    } catch (err) {
      if (err instanceof L1RpcError) throw temporary("L1_RPC", err.message, err);
      throw err;
    }
  }

  /** Moves the cursor past `block` (after its contents were derived). */
  advance(block: L1BlockRef): void {
    this.cursor = block;
  }

  /** Restarts from `base` (the common ancestor after a reorg). */
  reset(base: L1BlockRef): void {
    this.cursor = base;
  }
}
