// Shared helpers of the contract tests: L1 message / batch commitment encodings (docs/l1-messages.md, computed
// independently of the contracts), StandardMerkleTree withdrawal trees, revert assertions and the core fixture.
import { expect } from "chai";
import {
  BaseError,
  ContractFunctionRevertedError,
  concatHex,
  encodePacked,
  keccak256,
  parseEther,
  parseEventLogs,
  toFunctionSelector,
  type Abi,
  type Address,
  type Hex,
} from "viem";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";

export const ZERO32 = `0x${"00".repeat(32)}` as Hex;
export const MAX_L2_AMOUNT = 2n ** 53n - 1n;

// ------------------------------------------------------------------ encodings (docs/l1-messages.md)

export const depositMessage = (account: Address, asset: number, amount: bigint): Hex =>
  encodePacked(["uint8", "address", "uint32", "uint64"], [1, account, asset, amount]);
export const forcedWithdrawMessage = (account: Address, asset: number, amount: bigint): Hex =>
  encodePacked(["uint8", "address", "uint32", "uint64"], [2, account, asset, amount]);
export const forcedCancelMessage = (account: Address, market: number, orderId: bigint): Hex =>
  encodePacked(["uint8", "address", "uint32", "uint64"], [3, account, market, orderId]);

export interface MarketParams {
  market: number;
  baseAsset: number;
  quoteAsset: number;
  lotSize: bigint;
  tickSize: bigint;
  minSize: bigint;
  makerFeePpm: number;
  takerFeePpm: number;
  status: number;
}
export const setMarketMessage = (p: MarketParams): Hex =>
  encodePacked(
    ["uint8", "uint32", "uint32", "uint32", "uint64", "uint64", "uint64", "int32", "uint32", "uint8"],
    [4, p.market, p.baseAsset, p.quoteAsset, p.lotSize, p.tickSize, p.minSize, p.makerFeePpm, p.takerFeePpm, p.status],
  );

/** q(n+1) = H(q(n) ‖ H(m_n)). */
export const nextQueueHash = (q: Hex, message: Hex): Hex => keccak256(concatHex([q, keccak256(message)]));

/** Replays a whole queue: returns [q(0), q(1), ..., q(n)]. */
export function queueHashes(messages: readonly Hex[]): Hex[] {
  const out: Hex[] = [ZERO32];
  for (const m of messages) out.push(nextQueueHash(out[out.length - 1], m));
  return out;
}

export interface BatchCommitmentInput {
  batchIndex: bigint;
  dataKind: 1 | 2;
  dataHash: Hex;
  l1MsgStart: bigint;
  l1MsgEnd: bigint;
  queueHash: Hex;
  l1Timestamp: bigint;
  l1BlockNumber: bigint;
  /** msg.sender of the proposing call (v2). */
  proposer: Address;
  /** q(l1MsgStart) (v2; zero for 0). */
  startQueueHash: Hex;
}
/**
 * c(i) v2 = H(be(i,8) ‖ be(dataKind,1) ‖ dataHash ‖ be(start,8) ‖ be(end,8) ‖ q(end) ‖ be(ts,8) ‖ be(block,8)
 *            ‖ proposer(20) ‖ q(start)), what the Inbox commits (docs/l1-messages.md).
 */
export const batchCommitment = (c: BatchCommitmentInput): Hex =>
  keccak256(
    encodePacked(
      ["uint64", "uint8", "bytes32", "uint64", "uint64", "bytes32", "uint64", "uint64", "address", "bytes32"],
      [c.batchIndex, c.dataKind, c.dataHash, c.l1MsgStart, c.l1MsgEnd, c.queueHash, c.l1Timestamp, c.l1BlockNumber, c.proposer, c.startQueueHash],
    ),
  );
/** b(i) = H(b(i-1) ‖ c(i)). */
export const nextBatchChain = (prev: Hex, commitment: Hex): Hex => keccak256(concatHex([prev, commitment]));
/** dataHash of a blob batch: H(versionedHash_0 ‖ ... ‖ versionedHash_{k-1}). */
export const blobDataHash = (hashes: readonly Hex[]): Hex => keccak256(concatHex([...hashes]));

// ------------------------------------------------------------------ withdrawals

export type WithdrawalLeaf = [bigint, Address, number, bigint]; // [withdrawalId, recipient, asset, amount]
export const WITHDRAWAL_LEAF_TYPES = ["uint64", "address", "uint32", "uint64"];

/** StandardMerkleTree over withdrawal leaves (docs/l1-messages.md). */
export function withdrawalTree(leaves: WithdrawalLeaf[]): StandardMerkleTree<WithdrawalLeaf> {
  return StandardMerkleTree.of(leaves, WITHDRAWAL_LEAF_TYPES);
}
export function proofFor(tree: StandardMerkleTree<WithdrawalLeaf>, withdrawalId: bigint): Hex[] {
  for (const [i, v] of tree.entries()) if (v[0] === withdrawalId) return tree.getProof(i) as Hex[];
  throw new Error(`withdrawal ${withdrawalId} not in tree`);
}

// ------------------------------------------------------------------ revert assertions

/** Finds the revert of a viem error: decoded custom error name/args if the ABI knew it, else the raw data. */
function revertOf(err: unknown): { name?: string; args?: readonly unknown[]; data?: Hex } {
  if (err instanceof BaseError) {
    const reverted = err.walk((e) => e instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError) {
      return { name: reverted.data?.errorName, args: reverted.data?.args, data: reverted.raw };
    }
  }
  // deployments and raw transactions: the node's message names the custom error
  const text = String((err as { message?: string })?.message ?? err);
  const m = text.match(/custom error '([A-Za-z0-9_]+)\(/) ?? text.match(/custom error ([A-Za-z0-9_]+)\(/);
  return { name: m?.[1] };
}

/**
 * Awaits `p` and asserts it reverted with custom error `name` (signature like "AlreadyClaimed(uint64)" when the
 * error is not in the called contract's ABI, e.g. ERC20 errors bubbling up) and, if given, these args.
 */
export async function expectRevert(p: Promise<unknown>, name: string, args?: readonly unknown[]): Promise<void> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  if (err === undefined) expect.fail(`expected revert ${name}, but the call succeeded`);
  const r = revertOf(err);
  if (name.includes("(")) {
    const selector = toFunctionSelector(name);
    const ok = r.data?.toLowerCase().startsWith(selector) || (r.name !== undefined && name.startsWith(`${r.name}(`));
    expect(ok, `expected ${name} (${selector}), got ${r.name ?? r.data ?? String(err)}`).to.equal(true);
  } else if (r.name === undefined && r.data !== undefined) {
    // an error of a nested contract (not in the called contract's ABI) without arguments
    const selector = toFunctionSelector(`${name}()`);
    expect(r.data.toLowerCase(), `expected ${name} (${selector})`).to.equal(selector);
  } else {
    expect(r.name, `expected ${name}, got ${r.name ?? r.data ?? String(err).slice(0, 400)}`).to.equal(name);
  }
  const norm = (xs: readonly unknown[] | undefined) =>
    xs?.map((x) => (typeof x === "string" ? x.toLowerCase() : x));
  if (args !== undefined) expect(norm(r.args)).to.deep.equal(norm(args));
}

/** The events named `eventName` among `logs`, decoded with `abi` (loosely typed for `any` fixtures). */
export function events(abi: Abi | readonly unknown[], logs: readonly unknown[], eventName: string): any[] {
  return parseEventLogs({ abi: abi as Abi, logs: logs as never, eventName } as never) as any[];
}

// ------------------------------------------------------------------ fixture

export const FORCED_FEE = parseEther("0.01");
export const MESSAGE_DEADLINE = 3600;
export const FORCED_CANCEL_DEADLINE = 600;
export const ESCAPE_DELAY = 7n * 86400n;
export const RING = 16n;
export const USDC = 1; // asset id
export const USDC_QUANTUM = 10_000n; // 6-decimal token, L2 unit = 0.01

/** Deploys Inbox + Vault (governance = wallet 0, guardian = wallet 3) on a SettlementDouble with small rings. */
export async function deployCore(conn: any) {
  const { viem, networkHelpers } = conn;
  const [gov, alice, bob, guardian, eve] = await viem.getWalletClients();
  const pub = await viem.getPublicClient();
  const settlement = await viem.deployContract("SettlementDouble");
  const inbox = await viem.deployContract("Inbox", [
    gov.account.address,
    RING,
    RING,
    MESSAGE_DEADLINE,
    FORCED_CANCEL_DEADLINE,
    FORCED_FEE,
  ]);
  const vault = await viem.deployContract("Vault", [
    inbox.address,
    settlement.address,
    gov.account.address,
    guardian.account.address,
    ESCAPE_DELAY,
  ]);
  await inbox.write.initialize([vault.address]);
  const token = await viem.deployContract("DevToken", ["USD Coin", "USDC", 6]);
  await vault.write.registerAsset([USDC, token.address, USDC_QUANTUM]);
  for (const w of [alice, bob, eve]) {
    await token.write.mint([w.account.address, 10n ** 15n]);
    const t = await viem.getContractAt("DevToken", token.address, { client: { wallet: w } });
    await t.write.approve([vault.address, 2n ** 255n]);
  }
  const as = async (name: string, address: Address, wallet: any) =>
    viem.getContractAt(name, address, { client: { wallet } });
  return { viem, networkHelpers, pub, gov, alice, bob, guardian, eve, settlement, inbox, vault, token, as };
}
