// Transaction, market and receipt types of the CLOB state transition function.
// These are the shared vocabulary of the STF (node/clob), the codec (node/codec), the sequencer and the
// RPC. docs/stf.md is the normative specification; this file is its TypeScript rendering.
//
// Integer domain: every quantity (price in ticks, size in lots, balance in asset units, nonce, id) is a
// JS number holding a safe integer in [0, MAX_AMOUNT]. Arithmetic that could leave that range is checked
// and rejects the transaction (error OVERFLOW). The Rust guest uses u64 with the same bound.

/** 2^53 - 1: the largest integer every implementation represents exactly. */
export const MAX_AMOUNT = Number.MAX_SAFE_INTEGER;

/** A 20-byte Ethereum address, lowercase 0x-prefixed hex (canonical form inside the STF). */
export type Address = `0x${string}`;

export const Side = { BUY: 0, SELL: 1 } as const;
export type Side = (typeof Side)[keyof typeof Side];

/** Time in force. MARKET is an IOC order whose `price` is the protection (worst acceptable) price. */
export const TimeInForce = { GTC: 0, IOC: 1, FOK: 2, POST_ONLY: 3, MARKET: 4 } as const;
export type TimeInForce = (typeof TimeInForce)[keyof typeof TimeInForce];

/** Self-trade prevention: what happens when an incoming order would match a resting order of the same account. */
export const SelfTradePrevention = { EXPIRE_MAKER: 0, EXPIRE_TAKER: 1, EXPIRE_BOTH: 2, DECREMENT: 3 } as const;
export type SelfTradePrevention = (typeof SelfTradePrevention)[keyof typeof SelfTradePrevention];

export const MarketStatus = { ACTIVE: 0, CANCEL_ONLY: 1, HALTED: 2 } as const;
export type MarketStatus = (typeof MarketStatus)[keyof typeof MarketStatus];

/** Trader transaction kinds (the `kind` byte in encodings and the EIP-712 primary type). */
export const TxKind = {
  PLACE: 1,
  CANCEL: 2,
  CANCEL_BY_CLIENT_ID: 3,
  CANCEL_ALL: 4,
  AMEND: 5,
  WITHDRAW: 6,
  /** One signature over 1..MAX_BULK_ACTIONS trading actions (docs/stf.md "BULK"). */
  BULK: 7,
  /** The account lets an agent key sign trading transactions for it until an expiry. */
  APPROVE_AGENT: 8,
  REVOKE_AGENT: 9,
} as const;
export type TxKind = (typeof TxKind)[keyof typeof TxKind];

/** Most actions in one BULK (docs/stf.md). */
export const MAX_BULK_ACTIONS = 64;
/** Most agents listed by one account. */
export const MAX_AGENTS_PER_ACCOUNT = 8;
/** Share of a batch's trading fees credited to its proposer, ppm (docs/stf.md "Proposer reward"). */
export const PROPOSER_FEE_SHARE_PPM = 200_000;
/** Seconds a batch clock may lag the proposing L1 block's timestamp (docs/stf.md "Batch validity"). */
export const MAX_DRIFT = 600;

/** Kinds an agent may sign (docs/stf.md "Authentication"). */
export function isTradingKind(kind: number): boolean {
  return kind >= TxKind.PLACE && kind <= TxKind.AMEND || kind === TxKind.BULK;
}

/** secp256k1 signature: r and s as 32-byte big-endian, v as recovery id 0/1 (27/28 accepted at the edges only). */
export interface Signature {
  r: Uint8Array;
  s: Uint8Array;
  v: 0 | 1;
}

interface TxCommon {
  /** The account the transaction acts for; the recovered EIP-712 signer must equal it. */
  account: Address;
  /** Must equal the account's next nonce. */
  nonce: number;
  sig: Signature;
}

export interface PlaceOrderTx extends TxCommon {
  kind: typeof TxKind.PLACE;
  market: number;
  side: Side;
  tif: TimeInForce;
  /** Limit price in ticks (protection price for MARKET). */
  price: number;
  /** Size in lots. */
  size: number;
  /** Good-till-time: batch clock (seconds) from which the order is expired (expiry <= now); 0 = no expiry. */
  expiry: number;
  /** Client order id chosen by the trader; 0 = none. Unique among the account's resting orders in a market. */
  clientId: number;
  stp: SelfTradePrevention;
}

export interface CancelTx extends TxCommon {
  kind: typeof TxKind.CANCEL;
  market: number;
  orderId: number;
}

export interface CancelByClientIdTx extends TxCommon {
  kind: typeof TxKind.CANCEL_BY_CLIENT_ID;
  market: number;
  clientId: number;
}

export interface CancelAllTx extends TxCommon {
  kind: typeof TxKind.CANCEL_ALL;
  market: number;
}

export interface AmendTx extends TxCommon {
  kind: typeof TxKind.AMEND;
  market: number;
  orderId: number;
  /** New price in ticks (equal to the old price keeps priority if size does not grow). */
  price: number;
  /** New total remaining size in lots. */
  size: number;
}

export interface WithdrawTx extends TxCommon {
  kind: typeof TxKind.WITHDRAW;
  asset: number;
  amount: number;
  /** L1 address that may claim the withdrawal. */
  recipient: Address;
}

/** One action of a BULK: a trading kind's fields without account, nonce and signature. */
export type BulkAction =
  | { op: typeof TxKind.PLACE; market: number; side: Side; tif: TimeInForce; price: number; size: number; expiry: number; clientId: number; stp: SelfTradePrevention }
  | { op: typeof TxKind.CANCEL; market: number; orderId: number }
  | { op: typeof TxKind.CANCEL_BY_CLIENT_ID; market: number; clientId: number }
  | { op: typeof TxKind.CANCEL_ALL; market: number }
  | { op: typeof TxKind.AMEND; market: number; orderId: number; price: number; size: number };

export interface BulkTx extends TxCommon {
  kind: typeof TxKind.BULK;
  /** 1..MAX_BULK_ACTIONS actions, executed in order, each independently (docs/stf.md "BULK"). */
  actions: BulkAction[];
}

export interface ApproveAgentTx extends TxCommon {
  kind: typeof TxKind.APPROVE_AGENT;
  agent: Address;
  /** Clock time (seconds) from which the agent may no longer sign; must be in the future. */
  expiry: number;
}

export interface RevokeAgentTx extends TxCommon {
  kind: typeof TxKind.REVOKE_AGENT;
  agent: Address;
}

export type Tx =
  | PlaceOrderTx | CancelTx | CancelByClientIdTx | CancelAllTx | AmendTx | WithdrawTx | BulkTx | ApproveAgentTx
  | RevokeAgentTx;

/** EIP-712 domain: name "Rollbook", version "1", the L1 chain id and the Inbox address. */
export interface Eip712Domain {
  chainId: number;
  verifyingContract: Address;
}

/**
 * EIP-712 struct definitions, one primary type per TxKind. The signature is not part of the struct.
 * Field order here is the order in the type string (and therefore in the struct hash).
 */
export const EIP712_TYPES = {
  Place: [
    { name: "account", type: "address" },
    { name: "nonce", type: "uint64" },
    { name: "market", type: "uint32" },
    { name: "side", type: "uint8" },
    { name: "tif", type: "uint8" },
    { name: "price", type: "uint64" },
    { name: "size", type: "uint64" },
    { name: "expiry", type: "uint64" },
    { name: "clientId", type: "uint64" },
    { name: "stp", type: "uint8" },
  ],
  Cancel: [
    { name: "account", type: "address" },
    { name: "nonce", type: "uint64" },
    { name: "market", type: "uint32" },
    { name: "orderId", type: "uint64" },
  ],
  CancelByClientId: [
    { name: "account", type: "address" },
    { name: "nonce", type: "uint64" },
    { name: "market", type: "uint32" },
    { name: "clientId", type: "uint64" },
  ],
  CancelAll: [
    { name: "account", type: "address" },
    { name: "nonce", type: "uint64" },
    { name: "market", type: "uint32" },
  ],
  Amend: [
    { name: "account", type: "address" },
    { name: "nonce", type: "uint64" },
    { name: "market", type: "uint32" },
    { name: "orderId", type: "uint64" },
    { name: "price", type: "uint64" },
    { name: "size", type: "uint64" },
  ],
  Withdraw: [
    { name: "account", type: "address" },
    { name: "nonce", type: "uint64" },
    { name: "asset", type: "uint32" },
    { name: "amount", type: "uint64" },
    { name: "recipient", type: "address" },
  ],
  Bulk: [
    { name: "account", type: "address" },
    { name: "nonce", type: "uint64" },
    { name: "actions", type: "Action[]" },
  ],
  Action: [
    { name: "op", type: "uint8" },
    { name: "market", type: "uint32" },
    { name: "side", type: "uint8" },
    { name: "tif", type: "uint8" },
    { name: "price", type: "uint64" },
    { name: "size", type: "uint64" },
    { name: "expiry", type: "uint64" },
    { name: "clientId", type: "uint64" },
    { name: "stp", type: "uint8" },
    { name: "orderId", type: "uint64" },
  ],
  ApproveAgent: [
    { name: "account", type: "address" },
    { name: "nonce", type: "uint64" },
    { name: "agent", type: "address" },
    { name: "expiry", type: "uint64" },
  ],
  RevokeAgent: [
    { name: "account", type: "address" },
    { name: "nonce", type: "uint64" },
    { name: "agent", type: "address" },
  ],
} as const;

/** Primary type name per kind. */
export const EIP712_PRIMARY_TYPE: Record<TxKind, keyof typeof EIP712_TYPES> = {
  [TxKind.PLACE]: "Place",
  [TxKind.CANCEL]: "Cancel",
  [TxKind.CANCEL_BY_CLIENT_ID]: "CancelByClientId",
  [TxKind.CANCEL_ALL]: "CancelAll",
  [TxKind.AMEND]: "Amend",
  [TxKind.WITHDRAW]: "Withdraw",
  [TxKind.BULK]: "Bulk",
  [TxKind.APPROVE_AGENT]: "ApproveAgent",
  [TxKind.REVOKE_AGENT]: "RevokeAgent",
};

/** L1 message kinds, encoded as docs/l1-messages.md says. */
export const L1MessageKind = { DEPOSIT: 1, FORCED_WITHDRAW: 2, FORCED_CANCEL: 3, SET_MARKET: 4 } as const;
export type L1MessageKind = (typeof L1MessageKind)[keyof typeof L1MessageKind];

export interface DepositMessage {
  kind: typeof L1MessageKind.DEPOSIT;
  account: Address;
  asset: number;
  /** In L2 units (token amount / asset quantum). */
  amount: number;
}

export interface ForcedWithdrawMessage {
  kind: typeof L1MessageKind.FORCED_WITHDRAW;
  account: Address;
  asset: number;
  amount: number;
}

export interface ForcedCancelMessage {
  kind: typeof L1MessageKind.FORCED_CANCEL;
  account: Address;
  market: number;
  /** 0 cancels all of the account's orders in the market. */
  orderId: number;
}

export interface SetMarketMessage {
  kind: typeof L1MessageKind.SET_MARKET;
  market: number;
  params: MarketParams;
}

export type L1Message = DepositMessage | ForcedWithdrawMessage | ForcedCancelMessage | SetMarketMessage;

export interface MarketParams {
  baseAsset: number;
  quoteAsset: number;
  /** Base asset units per lot. */
  lotSize: number;
  /** Quote asset units per tick per lot: notional(quote units) = price * size * tickSize. */
  tickSize: number;
  /** Minimum order size in lots. */
  minSize: number;
  /** Maker fee in millionths of notional; negative is a rebate. Invariant: makerFeePpm >= -takerFeePpm. */
  makerFeePpm: number;
  /** Taker fee in millionths of notional, 0..100_000. */
  takerFeePpm: number;
  status: MarketStatus;
}
