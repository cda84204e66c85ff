// Assets and markets (docs/operator.md "Listing assets and markets"). Listing reads L1 only: the Vault's
// AssetRegistered events (and each token's symbol and decimals), and the SET_MARKET messages in the Inbox's
// queue, folded through the real STF (node/clob) from an empty state, so a list shows exactly the markets
// derivation produces (refused updates included as refused). Adding prepares the governance operation:
// a Timelock schedule + execute pair (target, calldata, predecessor, salt, delay, operation id) that
// registers an asset in the Vault (Vault.registerAsset) or enqueues a SET_MARKET message (Inbox.enqueue),
// and optionally submits it.
import {
  encodeFunctionData, erc20Abi, keccak256, toHex, zeroHash, type Address, type Hex, type PublicClient, type WalletClient,
} from "viem";
import { decodeL1Message, encodeL1Message } from "../clob/l1messages.ts";
import { createGenesisState } from "../clob/state.ts";
import { applyBatch, validMarketParams } from "../clob/stf.ts";
import { L1MessageKind, MarketStatus, type MarketParams, type SetMarketMessage } from "../clob/types.ts";
import { inboxAbi, timelockAbi, vaultAbi } from "../l1/contracts.ts";
import type { Deployment } from "../../scripts/deploy.ts";
import { OpsError } from "./errors.ts";
import { logsInRanges } from "./l1.ts";

export interface AssetInfo {
  assetId: number;
  token: Address;
  /** Token base units per L2 unit. */
  quantum: string;
  symbol?: string;
  decimals?: number;
  l1Block: number;
}

export const STATUS_NAME: Record<number, string> = { [MarketStatus.ACTIVE]: "active", [MarketStatus.CANCEL_ONLY]: "cancel-only", [MarketStatus.HALTED]: "halted" };

export interface MarketInfo {
  market: number;
  params: MarketParams;
  status: string;
  /** Index of the L1 message that last set the market, and its L1 block. */
  messageIndex: number;
  l1Block: number;
  /** Whether a batch consumed that message already (else the market appears with the next batch). */
  consumed: boolean;
}

export interface MarketHistoryEntry {
  market: number;
  messageIndex: number;
  l1Block: number;
  /** The STF accepted it (false: invalid parameters, or an update changing base/quote/lot/tick). */
  accepted: boolean;
}

/** Registered assets, in registration order. */
export async function listAssets(client: PublicClient, d: Deployment): Promise<AssetInfo[]> {
  const logs = await logsInRanges(client, d.startBlock, (fromBlock, toBlock) =>
    client.getContractEvents({ address: d.contracts.vault, abi: vaultAbi, eventName: "AssetRegistered", fromBlock, toBlock, strict: true }));
  const out: AssetInfo[] = [];
  for (const l of logs) {
    const a: AssetInfo = { assetId: l.args.assetId, token: l.args.token, quantum: l.args.quantum.toString(), l1Block: Number(l.blockNumber) };
    // ERC20 metadata is optional (not every token has it): best effort.
    a.symbol = await client.readContract({ address: a.token, abi: erc20Abi, functionName: "symbol" }).catch(() => undefined);
    a.decimals = await client.readContract({ address: a.token, abi: erc20Abi, functionName: "decimals" }).catch(() => undefined);
    out.push(a);
  }
  return out;
}

/** The markets as derivation will hold them once every queued SET_MARKET is consumed, and their history. */
export async function listMarkets(client: PublicClient, d: Deployment): Promise<{ markets: MarketInfo[]; history: MarketHistoryEntry[] }> {
  const logs = await logsInRanges(client, d.startBlock, (fromBlock, toBlock) =>
    client.getContractEvents({ address: d.contracts.inbox, abi: inboxAbi, eventName: "L1MessageQueued", fromBlock, toBlock, strict: true }));
  const consumed = Number(await client.readContract({ address: d.contracts.inbox, abi: inboxAbi, functionName: "consumedCount" }));
  const state = createGenesisState({ domain: { chainId: d.chainId, verifyingContract: d.contracts.inbox } });
  const markets = new Map<number, MarketInfo>();
  const history: MarketHistoryEntry[] = [];
  let batch = 0;
  for (const l of logs) {
    const msg = decodeL1Message(Buffer.from(l.args.message.slice(2), "hex"));
    if (msg.kind !== L1MessageKind.SET_MARKET) continue;
    // One message per batch through the real STF: its effect on the market tells accepted from refused.
    const before = state.markets.get(msg.market)?.params;
    applyBatch(state, { index: ++batch, timestamp: state.timestamp, txs: [] }, [msg]);
    const after = state.markets.get(msg.market)?.params;
    // Accepted: the market was created or its params object replaced; refused: nothing changed.
    const accepted = after !== undefined && after !== before;
    const entry = { market: msg.market, messageIndex: Number(l.args.index), l1Block: Number(l.blockNumber), accepted };
    history.push(entry);
    if (accepted && after !== undefined) {
      markets.set(msg.market, { market: msg.market, params: { ...after }, status: STATUS_NAME[after.status] ?? String(after.status), messageIndex: entry.messageIndex, l1Block: entry.l1Block, consumed: entry.messageIndex < consumed });
    }
  }
  return { markets: [...markets.values()].sort((a, b) => a.market - b.market), history };
}

// ------------------------------------------------------------------------------------ governance operations

/** One TimelockController operation and the two transactions that carry it out. */
export interface TimelockOperation {
  description: string;
  timelock: Address;
  target: Address;
  value: bigint;
  data: Hex;
  predecessor: Hex;
  salt: Hex;
  /** Seconds between schedule and execute (the Timelock's current minDelay). */
  delay: bigint;
  /** hashOperation(target, value, data, predecessor, salt). */
  id: Hex;
  schedule: { to: Address; data: Hex };
  execute: { to: Address; data: Hex };
}

async function operation(client: PublicClient, d: Deployment, description: string, target: Address, data: Hex, salt: Hex | undefined): Promise<TimelockOperation> {
  const timelock = d.contracts.timelock;
  const s = salt ?? keccak256(toHex(`rollbook:${description}`));
  const delay = await client.readContract({ address: timelock, abi: timelockAbi, functionName: "getMinDelay" });
  const id = await client.readContract({ address: timelock, abi: timelockAbi, functionName: "hashOperation", args: [target, 0n, data, zeroHash, s] });
  return {
    description, timelock, target, value: 0n, data, predecessor: zeroHash, salt: s, delay, id,
    schedule: { to: timelock, data: encodeFunctionData({ abi: timelockAbi, functionName: "schedule", args: [target, 0n, data, zeroHash, s, delay] }) },
    execute: { to: timelock, data: encodeFunctionData({ abi: timelockAbi, functionName: "execute", args: [target, 0n, data, zeroHash, s] }) },
  };
}

/** Prepares the registration of `token` as asset `assetId` with `quantum` token base units per L2 unit. */
export async function prepareAddAsset(client: PublicClient, d: Deployment, a: { assetId: number; token: Address; quantum: bigint; salt?: Hex }): Promise<TimelockOperation> {
  if (!Number.isSafeInteger(a.assetId) || a.assetId < 0 || a.assetId > 0xffffffff) throw new OpsError("BAD_PARAMS", `asset id ${a.assetId}: expected a uint32`);
  if (a.quantum <= 0n || a.quantum >= 1n << 64n) throw new OpsError("BAD_PARAMS", `quantum ${a.quantum}: expected 1..2^64-1 token base units`);
  const [existing] = await client.readContract({ address: d.contracts.vault, abi: vaultAbi, functionName: "assets", args: [a.assetId] });
  if (existing !== zeroHash.slice(0, 42)) throw new OpsError("ALREADY_EXISTS", `asset ${a.assetId} is already registered (token ${existing})`);
  if (await client.readContract({ address: d.contracts.vault, abi: vaultAbi, functionName: "isRegisteredToken", args: [a.token] })) {
    throw new OpsError("ALREADY_EXISTS", `token ${a.token} is already registered as another asset`);
  }
  const code = await client.getCode({ address: a.token });
  if (code === undefined || code === "0x") throw new OpsError("BAD_PARAMS", `token ${a.token} has no code on L1`);
  const data = encodeFunctionData({ abi: vaultAbi, functionName: "registerAsset", args: [a.assetId, a.token, a.quantum] });
  return operation(client, d, `asset ${a.assetId} ${a.token.toLowerCase()} quantum ${a.quantum}`, d.contracts.vault, data, a.salt);
}

/**
 * Prepares listing (or updating) market `market` with a SET_MARKET message. Checks what the STF will check
 * (parameters; base, quote, lot and tick never change) and that both assets are registered in the Vault.
 */
export async function prepareSetMarket(client: PublicClient, d: Deployment, m: { market: number; params: MarketParams; update?: boolean; salt?: Hex }): Promise<TimelockOperation> {
  const p = m.params;
  if (!Number.isSafeInteger(m.market) || m.market < 0 || m.market > 0xffffffff) throw new OpsError("BAD_PARAMS", `market id ${m.market}: expected a uint32`);
  if (!validMarketParams(p)) throw new OpsError("BAD_PARAMS", `market parameters refused by the STF (docs/stf.md SET_MARKET): ${JSON.stringify(p)}`);
  for (const asset of [p.baseAsset, p.quoteAsset]) {
    const [token] = await client.readContract({ address: d.contracts.vault, abi: vaultAbi, functionName: "assets", args: [asset] });
    if (token === zeroHash.slice(0, 42)) throw new OpsError("UNKNOWN_ASSET", `asset ${asset} is not registered in the Vault (asset add first)`);
  }
  const { markets } = await listMarkets(client, d);
  const old = markets.find((x) => x.market === m.market);
  if (old !== undefined && !m.update) throw new OpsError("ALREADY_EXISTS", `market ${m.market} exists (${JSON.stringify(old.params)}); pass --update to change its fees, min size or status`);
  if (old !== undefined && (old.params.baseAsset !== p.baseAsset || old.params.quoteAsset !== p.quoteAsset || old.params.lotSize !== p.lotSize || old.params.tickSize !== p.tickSize)) {
    throw new OpsError("BAD_PARAMS", `market ${m.market}: base, quote, lot size and tick size never change (the STF refuses the update)`);
  }
  const msg: SetMarketMessage = { kind: L1MessageKind.SET_MARKET, market: m.market, params: p };
  const bytes = toHex(encodeL1Message(msg));
  const data = encodeFunctionData({ abi: inboxAbi, functionName: "enqueue", args: [bytes] });
  return operation(client, d, `market ${m.market} ${bytes}`, d.contracts.inbox, data, m.salt);
}

/** Timelock operation states (OpenZeppelin TimelockController.OperationState). */
export const OPERATION_STATE = ["unset", "waiting", "ready", "done"] as const;

export interface SubmitResult {
  state: (typeof OPERATION_STATE)[number];
  scheduleTx?: Hex;
  executeTx?: Hex;
  /** Unix seconds from which execute is allowed. */
  readyAt?: number;
}

export interface SubmitOptions {
  /** Execute once ready: wait for the delay (devnets) or fail with NOT_READY (`wait` false). */
  execute: boolean;
  wait: boolean;
  /** Upper bound on waiting for the delay, ms (default: the delay plus 60 s). */
  maxWaitMs?: number;
  log?: (line: string) => void;
}

/** Schedules the operation (unless already scheduled) and, with `execute`, executes it when ready. */
export async function submitOperation(client: PublicClient, wallet: WalletClient, op: TimelockOperation, o: SubmitOptions): Promise<SubmitResult> {
  const log = o.log ?? (() => undefined);
  const stateOf = async () => OPERATION_STATE[Number(await client.readContract({ address: op.timelock, abi: timelockAbi, functionName: "getOperationState", args: [op.id] }))]!;
  const send = async (tx: { to: Address; data: Hex }, what: string): Promise<Hex> => {
    let hash: Hex;
    try {
      hash = await wallet.sendTransaction({ account: wallet.account!, chain: wallet.chain, to: tx.to, data: tx.data });
    } catch (err) {
      throw new OpsError("TX_FAILED", `${what}: ${(err as Error).message.split("\n")[0]}`, { cause: err });
    }
    const rc = await client.waitForTransactionReceipt({ hash });
    if (rc.status !== "success") throw new OpsError("TX_FAILED", `${what} reverted (tx ${hash})`);
    log(`${what}: ${hash} (block ${rc.blockNumber})`);
    return hash;
  };
  const out: SubmitResult = { state: await stateOf() };
  if (out.state === "done") return out;
  if (out.state === "unset") {
    out.scheduleTx = await send(op.schedule, "schedule");
    out.state = await stateOf();
  }
  out.readyAt = Number(await client.readContract({ address: op.timelock, abi: timelockAbi, functionName: "getTimestamp", args: [op.id] }));
  if (!o.execute) return out;
  const deadline = Date.now() + (o.maxWaitMs ?? Number(op.delay) * 1000 + 60_000);
  for (;;) {
    // The next block's timestamp is at least the wall clock (anvil mines on demand with the current time).
    const latest = Number((await client.getBlock({ blockTag: "latest" })).timestamp);
    const now = Math.max(latest, Math.floor(Date.now() / 1000));
    if (now >= out.readyAt) {
      try {
        out.executeTx = await send(op.execute, "execute");
        out.state = "done";
        return out;
      } catch (err) {
        if (!o.wait || Date.now() > deadline) throw err;
      }
    } else if (!o.wait) {
      throw new OpsError("NOT_READY", `operation ${op.id} is ready at ${new Date(out.readyAt * 1000).toISOString()} (${out.readyAt - now} s from now)`);
    }
    if (Date.now() > deadline) throw new OpsError("NOT_READY", `operation ${op.id} not executable before the wait ended`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}
