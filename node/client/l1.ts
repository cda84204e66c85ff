// The L1 side of the client (docs/api.md "Deposits and withdrawals"): approve the Vault and deposit an
// ERC20 (the Vault queues a DEPOSIT message whose index rb_getDeposit follows to "credited"), and claim a
// finalized withdrawal with its Merkle proof. viem only, browser-safe: a wallet client signs on L1.

import { type Address, type Hex, type PublicClient, type WalletClient, concat, encodeAbiParameters, keccak256, parseAbi, parseEventLogs } from "viem";

export const VAULT_ABI = parseAbi([
  "function deposit(uint32 assetId, address account, uint256 amount) returns (uint64 messageIndex)",
  "function claim(uint64 withdrawalId, address recipient, uint32 assetId, uint64 amount, bytes32 withdrawalRoot, bytes32[] proof)",
  "function isClaimed(uint64 withdrawalId) view returns (bool)",
  "function settlement() view returns (address)",
  "function assets(uint32 assetId) view returns (address token, uint64 quantum)",
  "event Deposited(uint64 indexed messageIndex, address indexed depositor, address indexed account, uint32 assetId, uint256 amount)",
  "function exit(address account, uint32 assetId, bytes leaf, bytes32[] siblings)",
  "function freeze()",
  "function frozen() view returns (bool)",
  "function exited(address account, uint32 assetId) view returns (bool)",
  "function settlement() view returns (address)",
  "event Exited(address indexed account, uint32 indexed assetId, uint64 units)",
]);
export const ERC20_ABI = parseAbi([
  "function approve(address spender, uint256 amount) returns (bool)",
  "function allowance(address owner, address spender) view returns (uint256)",
  "function balanceOf(address owner) view returns (uint256)",
]);

export interface DepositParams {
  vault: Address;
  assetId: number;
  /** Token base units (a multiple of the asset's quantum). */
  amount: bigint;
  /** The L2 account credited (default: the wallet's account). */
  account?: Address;
}

export interface DepositResult {
  approveTx: Hex | null;
  depositTx: Hex;
  /** The DEPOSIT message's queue index (rb_getDeposit). */
  messageIndex: number;
  /** L2 units credited: amount / quantum. */
  units: bigint;
}

/** Approves the Vault for `amount` (if the allowance is short) and deposits; waits for both receipts. */
export async function depositToVault(wallet: WalletClient, l1: PublicClient, p: DepositParams): Promise<DepositResult> {
  const from = wallet.account!;
  const [token, quantum] = await l1.readContract({ address: p.vault, abi: VAULT_ABI, functionName: "assets", args: [p.assetId] });
  let approveTx: Hex | null = null;
  const allowance = await l1.readContract({ address: token, abi: ERC20_ABI, functionName: "allowance", args: [from.address, p.vault] });
  if (allowance < p.amount) {
    approveTx = await wallet.writeContract({ address: token, abi: ERC20_ABI, functionName: "approve", args: [p.vault, p.amount], account: from, chain: wallet.chain });
    await l1.waitForTransactionReceipt({ hash: approveTx });
  }
  const depositTx = await wallet.writeContract({
    address: p.vault, abi: VAULT_ABI, functionName: "deposit", args: [p.assetId, p.account ?? from.address, p.amount], account: from, chain: wallet.chain,
  });
  const receipt = await l1.waitForTransactionReceipt({ hash: depositTx });
  if (receipt.status !== "success") throw new Error(`deposit reverted: ${depositTx}`);
  const [ev] = parseEventLogs({ abi: VAULT_ABI, logs: receipt.logs, eventName: "Deposited" });
  return { approveTx, depositTx, messageIndex: Number(ev.args.messageIndex), units: p.amount / quantum };
}

/** A withdrawal leaf and its proof against a finalized withdrawal root. */
export interface WithdrawalClaim {
  withdrawalId: number;
  recipient: Address;
  assetId: number;
  /** L2 units. */
  amount: number;
  withdrawalRoot: Hex;
  proof: Hex[];
}

export const SETTLEMENT_ABI = parseAbi([
  "function isWithdrawalRootFinalized(bytes32 root) view returns (bool)",
  "function lastStateRoot() view returns (bytes32)",
  "function lastBatch() view returns (uint64)",
]);

/**
 * The claim's leaf and proof lead to its withdrawal root, as the Vault checks them (OpenZeppelin
 * StandardMerkleTree leaf, MerkleProof with sorted pairs; node/state/withdrawals.ts builds the tree).
 * viem only, so it runs in a browser too.
 */
export function verifyWithdrawalClaim(c: WithdrawalClaim): boolean {
  let h = keccak256(keccak256(encodeAbiParameters(
    [{ type: "uint64" }, { type: "address" }, { type: "uint32" }, { type: "uint64" }],
    [BigInt(c.withdrawalId), c.recipient, c.assetId, BigInt(c.amount)],
  )));
  for (const s of c.proof) h = keccak256(BigInt(h) <= BigInt(s) ? concat([h, s]) : concat([s, h]));
  return h.toLowerCase() === c.withdrawalRoot.toLowerCase();
}

/**
 * Checks a node-served claim before paying gas for it: the proof leads to the root (locally), the root is
 * finalized on L1 (the Vault's Settlement, not the node, is trusted) and the withdrawal is not claimed yet.
 * Returns null when it can be claimed, else why not.
 */
export async function checkClaim(l1: PublicClient, vault: Address, c: WithdrawalClaim): Promise<string | null> {
  if (!verifyWithdrawalClaim(c)) return "the proof does not lead from the withdrawal leaf to its root";
  const settlement = await l1.readContract({ address: vault, abi: VAULT_ABI, functionName: "settlement" });
  const finalized = await l1.readContract({ address: settlement, abi: SETTLEMENT_ABI, functionName: "isWithdrawalRootFinalized", args: [c.withdrawalRoot] });
  if (!finalized) return `withdrawal root ${c.withdrawalRoot} is not finalized on L1`;
  if (await l1.readContract({ address: vault, abi: VAULT_ABI, functionName: "isClaimed", args: [BigInt(c.withdrawalId)] })) return `withdrawal ${c.withdrawalId} is already claimed`;
  return null;
}

/** Claims a finalized withdrawal on L1 (anyone may send it; the tokens go to the leaf's recipient). */
export async function claimWithdrawal(wallet: WalletClient, l1: PublicClient, vault: Address, c: WithdrawalClaim): Promise<Hex> {
  const hash = await wallet.writeContract({
    address: vault, abi: VAULT_ABI, functionName: "claim",
    args: [BigInt(c.withdrawalId), c.recipient, c.assetId, BigInt(c.amount), c.withdrawalRoot, c.proof],
    account: wallet.account!, chain: wallet.chain,
  });
  const receipt = await l1.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`claim reverted: ${hash}`);
  return hash;
}

/** Desert mode: an account's exit proof against the last finalized state root (the node's `rollup-node exit-proof`). */
export interface ExitProofFile {
  account: Address;
  root: Hex;
  batch: number;
  /** The ACCOUNT leaf and its trie siblings (three per level from the root down), as Vault.exit takes them. */
  leaf: Hex;
  siblings: Hex[];
  balances: { asset: number; available: number; locked: number }[];
}

export interface ExitResult {
  /** freeze() transaction when this call froze the Vault. */
  freezeTx: Hex | null;
  exits: { asset: number; units: bigint; tx: Hex }[];
  /** Assets already exited before (skipped). */
  skipped: number[];
}

/**
 * Desert mode exit: checks the proof is against Settlement's last finalized root, optionally freezes the Vault
 * (allowed once nothing has finalized for the escape delay), then calls Vault.exit for each asset with a
 * balance (or only `asset`) that was not exited yet. Tokens always go to the proof's account.
 */
export async function exitVault(wallet: WalletClient, l1: PublicClient, vault: Address, p: ExitProofFile, o: { asset?: number; freeze?: boolean } = {}): Promise<ExitResult> {
  const settlement = await l1.readContract({ address: vault, abi: VAULT_ABI, functionName: "settlement" });
  const root = await l1.readContract({ address: settlement, abi: SETTLEMENT_ABI, functionName: "lastStateRoot" });
  if (root.toLowerCase() !== p.root.toLowerCase()) throw new Error(`exit proof is against ${p.root} (batch ${p.batch}), the last finalized root is ${root}: get a fresh proof`);
  let freezeTx: Hex | null = null;
  if (!(await l1.readContract({ address: vault, abi: VAULT_ABI, functionName: "frozen" }))) {
    if (o.freeze !== true) throw new Error("the Vault is not frozen (desert mode not entered): pass --freeze to freeze it once the escape delay has passed");
    freezeTx = await wallet.writeContract({ address: vault, abi: VAULT_ABI, functionName: "freeze", account: wallet.account!, chain: wallet.chain });
    const rc = await l1.waitForTransactionReceipt({ hash: freezeTx });
    if (rc.status !== "success") throw new Error(`freeze reverted: ${freezeTx}`);
  }
  const out: ExitResult = { freezeTx, exits: [], skipped: [] };
  for (const b of p.balances) {
    if (o.asset !== undefined && b.asset !== o.asset) continue;
    if (await l1.readContract({ address: vault, abi: VAULT_ABI, functionName: "exited", args: [p.account, b.asset] })) {
      out.skipped.push(b.asset);
      continue;
    }
    const hash = await wallet.writeContract({ address: vault, abi: VAULT_ABI, functionName: "exit", args: [p.account, b.asset, p.leaf, p.siblings], account: wallet.account!, chain: wallet.chain });
    const rc = await l1.waitForTransactionReceipt({ hash });
    if (rc.status !== "success") throw new Error(`exit of asset ${b.asset} reverted: ${hash}`);
    const [ev] = parseEventLogs({ abi: VAULT_ABI, logs: rc.logs, eventName: "Exited" });
    out.exits.push({ asset: b.asset, units: ev.args.units, tx: hash });
  }
  return out;
}
