// The five things anyone can do with a claim on L1 (contracts/DisputeGame.sol), shared by the challenger
// role and the `rollup-node claims` command: each checks the claim's status and clock first (a coded
// ChallengerError instead of a revert that costs gas), sends one transaction and waits for its receipt.
import type { Account, Address, Chain, Hex, PublicClient, Transport, WalletClient } from "viem";
import { disputeGameAbi } from "../l1/contracts.ts";
import { ClaimStatus, CLAIM_STATUS_NAME, type ClaimInfo } from "./claims.ts";
import { ChallengerError } from "./errors.ts";

export type Wallet = WalletClient<Transport, Chain | undefined, Account>;

export interface ActionContext {
  client: PublicClient;
  /** Signs L1 transactions; undefined: read-only (every action throws NO_KEY). */
  wallet: Wallet | undefined;
  game: Address;
}

/** A proof of the node's own public values for a batch range, naming `prover` (node/prover supplies it). */
export interface RangeProof {
  publicValues: Hex;
  /** The verifier policy's envelope (docs/contracts.md). */
  proof: Hex;
}

/** A batch range on a claim's base (the base is checked by Settlement at proposal), proven for `prover`. */
export interface ProveRange {
  firstBatch: number;
  lastBatch: number;
  prevStateRoot: Hex;
  prevBatchChain: Hex;
  prover: Address;
}

/** What the challenger needs from a proof backend: a proof of the node's result for a range (prover.ts). */
export interface RangeProver {
  prove(range: ProveRange): Promise<RangeProof>;
}

const rangeOf = (c: ClaimInfo, prover: Address): ProveRange => ({
  firstBatch: c.firstBatch, lastBatch: c.lastBatch, prevStateRoot: c.pv.prevStateRoot, prevBatchChain: c.pv.prevBatchChain, prover,
});

export interface SentTx {
  hash: Hex;
  gasUsed: bigint;
  /** gasUsed × effective gas price (wei). */
  feeWei: bigint;
}

/** Latest L1 block timestamp: what the next transaction's checks are measured against (at least). */
export async function l1Now(client: PublicClient): Promise<number> {
  return Number((await client.getBlock({ blockTag: "latest" })).timestamp);
}

function wallet(ctx: ActionContext): Wallet {
  if (ctx.wallet === undefined) throw new ChallengerError("NO_KEY", "an L1 key is needed for this action (CHALLENGER_KEY)");
  return ctx.wallet;
}

function requireStatus(c: ClaimInfo, ...allowed: ClaimStatus[]): void {
  if (!allowed.includes(c.status)) throw new ChallengerError("WRONG_STATUS", `claim ${c.id} is ${CLAIM_STATUS_NAME[c.status]}`);
}

async function send(ctx: ActionContext, functionName: string, args: readonly unknown[], value?: bigint): Promise<SentTx> {
  const w = wallet(ctx);
  const hash = await w.writeContract({ address: ctx.game, abi: disputeGameAbi, functionName, args, value, account: w.account, chain: w.chain } as never);
  const rc = await ctx.client.waitForTransactionReceipt({ hash });
  if (rc.status !== "success") throw new ChallengerError("TX_REVERTED", `${functionName} reverted: ${hash}`);
  return { hash, gasUsed: rc.gasUsed, feeWei: rc.gasUsed * rc.effectiveGasPrice };
}

/** Challenges a pending claim inside its window, posting exactly its challenger bond. */
export async function challenge(ctx: ActionContext, c: ClaimInfo): Promise<SentTx> {
  requireStatus(c, ClaimStatus.Pending);
  if ((await l1Now(ctx.client)) + 1 >= c.windowEnd) throw new ChallengerError("WINDOW_CLOSED", `claim ${c.id}: challenge window ended at ${c.windowEnd}`);
  return send(ctx, "challenge", [BigInt(c.id)], c.challengerBond);
}

/** Defends a challenged claim: proves exactly its public values (prover = the claim's proposer) before the deadline. */
export async function prove(ctx: ActionContext, c: ClaimInfo, prover: RangeProver): Promise<SentTx> {
  requireStatus(c, ClaimStatus.Challenged);
  if ((await l1Now(ctx.client)) + 1 >= c.deadline) throw new ChallengerError("WINDOW_CLOSED", `claim ${c.id}: proof deadline passed at ${c.deadline}`);
  const p = await prover.prove(rangeOf(c, c.pv.prover));
  if (p.publicValues.toLowerCase() !== c.publicValues.toLowerCase()) {
    throw new ChallengerError("CLAIM_INVALID", `claim ${c.id}: the node's result differs from the claim; it cannot be proven (counter-prove instead)`);
  }
  return send(ctx, "proveClaim", [BigInt(c.id), c.publicValues, p.proof]);
}

/** Disproves an open claim with a proof of the node's different result (prover = our address). */
export async function counterProve(ctx: ActionContext, c: ClaimInfo, prover: RangeProver): Promise<SentTx> {
  requireStatus(c, ClaimStatus.Pending, ClaimStatus.Challenged);
  const w = wallet(ctx);
  const p = await prover.prove(rangeOf(c, w.account.address));
  return send(ctx, "counterProve", [BigInt(c.id), c.publicValues, p.publicValues, p.proof]);
}

/** Closes a claim whose time is up: accepted after its window, or won by the challenger after the deadline. */
export async function resolve(ctx: ActionContext, c: ClaimInfo): Promise<SentTx> {
  requireStatus(c, ClaimStatus.Pending, ClaimStatus.Challenged);
  const now = await l1Now(ctx.client);
  const due = c.status === ClaimStatus.Pending ? c.windowEnd : c.deadline;
  if (now + 1 < due) throw new ChallengerError("TOO_EARLY", `claim ${c.id}: resolvable from ${due} (L1 time now ${now})`);
  return send(ctx, "resolve", [BigInt(c.id), c.status === ClaimStatus.Pending ? c.publicValues : "0x"]);
}

/** The wei `account` can withdraw from the DisputeGame. */
export async function creditOf(ctx: ActionContext, account: Address): Promise<bigint> {
  return ctx.client.readContract({ address: ctx.game, abi: disputeGameAbi, functionName: "credit", args: [account] });
}

/** Withdraws the whole credit of the wallet's account. */
export async function withdrawBond(ctx: ActionContext): Promise<SentTx & { amount: bigint }> {
  const w = wallet(ctx);
  const amount = await creditOf(ctx, w.account.address);
  if (amount === 0n) throw new ChallengerError("NOTHING_TO_WITHDRAW", `no credit for ${w.account.address}`);
  return { ...(await send(ctx, "withdraw", [])), amount };
}
