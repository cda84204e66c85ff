// The node's verdict on a claim: the public values it computes itself for the claim's batch range, from
// L1 data alone (docs/disputes.md "Verdict"). State roots and withdrawals come from a store the Deriver
// filled by following L1 (node/derive); b(i), l1MsgEnd and q(l1MsgEnd) of the range's last batch come
// from the Inbox's BatchProposed event. Every field of the 320-byte public values except `prover` is
// compared: Settlement checks the chain fields and q(n) at proposal, but only this recomputation can show
// a wrong state root, withdrawal root or message count.
import type { Address, Hex, PublicClient } from "viem";
import type { PublicValues } from "../derive/commitment.ts";
import { inboxAbi } from "../l1/contracts.ts";
import { hex } from "../state/commitment.ts";
import type { StateStore } from "../state/store.ts";
import { WithdrawalTree, type WithdrawalRecord } from "../state/withdrawals.ts";

const ZERO32 = `0x${"00".repeat(32)}` as Hex;

/** Fields compared (all but `prover`). */
export const JUDGED_FIELDS = ["prevStateRoot", "newStateRoot", "firstBatch", "lastBatch", "prevBatchChain", "newBatchChain", "l1MessagesConsumed", "l1QueueHash", "withdrawalRoot"] as const;
export type JudgedField = (typeof JUDGED_FIELDS)[number];

export type Verdict =
  | { kind: "valid"; expected: Omit<PublicValues, "prover"> }
  | { kind: "invalid"; expected: Omit<PublicValues, "prover">; wrong: JudgedField[] }
  /** The node has not derived the range (or the batches are not on L1 yet): no opinion. */
  | { kind: "unknown"; reason: string };

/** What a batch's BatchProposed event says about its end (index -> b(i), l1MsgEnd, q(l1MsgEnd)). */
interface BatchEnd {
  batchChain: Hex;
  l1MsgEnd: number;
  queueHash: Hex;
}

export interface JudgeOptions {
  client: PublicClient;
  inbox: Address;
  /** Deployment block (first block that may hold BatchProposed). */
  fromBlock: number;
  /** The derived store (its head must have reached the range's last batch). */
  store: StateStore;
}

/** Computes expected public values from the derived store and L1; caches batch ends (immutable once deep). */
export class Judge {
  private readonly o: JudgeOptions;
  private readonly ends = new Map<number, BatchEnd>();

  constructor(o: JudgeOptions) {
    this.o = o;
  }

  /** The node's public values for batches [first, last] (prover omitted), or a reason why it has none. */
  async expected(first: number, last: number): Promise<Omit<PublicValues, "prover"> | string> {
    if (first < 1 || last < first) return `empty or malformed range [${first}, ${last}]`;
    const head = this.o.store.head();
    if (head === null || head.batchIndex < last) return `derived up to batch ${head?.batchIndex ?? "none"}, claim ends at ${last}`;
    const prevRoot = await this.o.store.stateRoot(first - 1);
    const newRoot = await this.o.store.stateRoot(last);
    if (prevRoot === undefined || newRoot === undefined) return `state root of batch ${prevRoot === undefined ? first - 1 : last} not stored`;
    const end = await this.batchEnd(last);
    const prevChain = first === 1 ? ZERO32 : (await this.batchEnd(first - 1))?.batchChain;
    if (end === undefined || prevChain === undefined) return `BatchProposed of batch ${end === undefined ? last : first - 1} not found on L1`;
    const withdrawals = (await this.o.store.withdrawalsInRange(first, last)) as WithdrawalRecord[];
    return {
      prevStateRoot: hex(prevRoot), newStateRoot: hex(newRoot), firstBatch: first, lastBatch: last,
      prevBatchChain: prevChain, newBatchChain: end.batchChain, l1MessagesConsumed: end.l1MsgEnd, l1QueueHash: end.queueHash,
      withdrawalRoot: hex(new WithdrawalTree(withdrawals).root),
    };
  }

  /** Verdict on claimed public values. */
  async judge(pv: PublicValues): Promise<Verdict> {
    const e = await this.expected(pv.firstBatch, pv.lastBatch);
    if (typeof e === "string") return { kind: "unknown", reason: e };
    const wrong = JUDGED_FIELDS.filter((f) => String(e[f]).toLowerCase() !== String(pv[f]).toLowerCase());
    return wrong.length === 0 ? { kind: "valid", expected: e } : { kind: "invalid", expected: e, wrong };
  }

  /** Forgets cached batch ends (after an L1 reorg). */
  forget(): void {
    this.ends.clear();
  }

  private async batchEnd(i: number): Promise<BatchEnd | undefined> {
    const hit = this.ends.get(i);
    if (hit !== undefined) return hit;
    const logs = await this.o.client.getContractEvents({
      address: this.o.inbox, abi: inboxAbi, eventName: "BatchProposed", args: { batchIndex: BigInt(i) }, fromBlock: BigInt(this.o.fromBlock), strict: true,
    });
    const l = logs.at(-1);
    if (l === undefined) return undefined;
    const e: BatchEnd = { batchChain: l.args.batchChain, l1MsgEnd: Number(l.args.l1MsgEnd), queueHash: l.args.queueHash };
    this.ends.set(i, e);
    return e;
  }
}
