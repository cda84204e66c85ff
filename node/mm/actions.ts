// The narrow interface between the market maker and an exchange: bulk lists of the STF's order actions
// (docs/stf.md "BULK": PLACE, CANCEL, CANCEL_BY_CLIENT_ID, CANCEL_ALL, AMEND; one bulk = one BULK
// transaction signed by the maker's agent key), own order and fill events with their confirmation level,
// the book's top. The node wires it to the typed client (node/client); tests drive it through an
// in-process exchange over the real STF. docs/market-maker.md "Exchange interface".

import { type BulkAction, SelfTradePrevention, TimeInForce, TxKind } from "../clob/types.ts";

/** Sides as in the STF (node/clob/types.ts Side): 0 buy, 1 sell. */
export type OrderSide = 0 | 1;

export type MakerAction =
  | { kind: "place"; market: number; side: OrderSide; price: number; size: number; clientId: number; postOnly: true }
  | { kind: "cancel"; market: number; orderId: number }
  | { kind: "cancelByClientId"; market: number; clientId: number }
  | { kind: "amend"; market: number; orderId: number; price: number; size: number }
  | { kind: "cancelAll"; market: number };

/** Most actions the maker puts in one bulk (the STF allows MAX_BULK_ACTIONS = 64; the maker's own cap). */
export const MAKER_BULK_ACTIONS = 32;

/** Confirmation levels of docs ARCHITECTURE "Confirmation levels", in order. */
export const ConfirmationLevel = { SOFT: 1, INCLUDED: 2, SAFE: 3, PROVEN: 4 } as const;
export type ConfirmationLevel = (typeof ConfirmationLevel)[keyof typeof ConfirmationLevel];
export const LEVEL_NAMES = ["pending", "soft", "included", "safe", "proven"] as const;

export interface ActionResult {
  ok: boolean;
  /** The STF's error code name when not ok (e.g. "POST_ONLY_WOULD_CROSS"), "OK" otherwise. */
  code: string;
  /** PLACE: the new order id (0 when it failed). */
  orderId: number;
}

export interface BulkAck {
  /** The batch the bulk executed in (soft). */
  batch: number;
  /** One per action, in order. */
  results: ActionResult[];
  /** The level the acknowledgement is at (at least soft). */
  level: ConfirmationLevel;
}

/** What happened to one of our orders. */
export interface OrderEvent {
  kind: "order";
  market: number;
  orderId: number;
  clientId: number;
  side: OrderSide;
  price: number;
  /** Lots still resting (0: the order left the book). */
  remaining: number;
  level: ConfirmationLevel;
}

/** One of our fills (we are the maker). Fees in quote units; negative = rebate. */
export interface FillEvent {
  kind: "fill";
  market: number;
  orderId: number;
  clientId: number;
  side: OrderSide;
  price: number;
  size: number;
  fee: number;
  /** A unique id of the fill (batch and position), for confirmation updates. */
  fillId: string;
  /** The batch the fill executed in. */
  batch: number;
  level: ConfirmationLevel;
}

/** A batch (and every bulk and fill in it) reached a higher confirmation level. */
export interface ConfirmEvent {
  kind: "confirm";
  batch: number;
  level: ConfirmationLevel;
}

export type ExchangeEvent = OrderEvent | FillEvent | ConfirmEvent;

export interface TopOfBook {
  /** Best bid / ask of the whole book (-1: none), ticks. */
  bestBid: number;
  bestAsk: number;
}

export interface MakerExchange {
  /** Sends one bulk (<= MAKER_BULK_ACTIONS actions, executed in order); resolves at soft confirmation. */
  submit(actions: readonly MakerAction[]): Promise<BulkAck>;
  /** Own order, fill and confirmation events; returns the unsubscribe function. */
  subscribe(listener: (e: ExchangeEvent) => void): () => void;
  /** The book's top (others' and ours). */
  top(market: number): TopOfBook;
}

/** Splits actions into bulks of at most MAKER_BULK_ACTIONS, keeping their order. */
export function chunkActions(actions: readonly MakerAction[], max = MAKER_BULK_ACTIONS): MakerAction[][] {
  const out: MakerAction[][] = [];
  for (let i = 0; i < actions.length; i += max) out.push(actions.slice(i, i + max));
  return out;
}

/**
 * The STF's BULK action of a maker action (docs/stf.md "BULK"): places are POST_ONLY, no expiry, self-trade
 * prevention EXPIRE_MAKER (a post-only order never trades, so it never applies).
 */
export function toBulkAction(a: MakerAction): BulkAction {
  switch (a.kind) {
    case "place":
      return { op: TxKind.PLACE, market: a.market, side: a.side, tif: TimeInForce.POST_ONLY, price: a.price, size: a.size, expiry: 0, clientId: a.clientId, stp: SelfTradePrevention.EXPIRE_MAKER };
    case "cancel":
      return { op: TxKind.CANCEL, market: a.market, orderId: a.orderId };
    case "cancelByClientId":
      return { op: TxKind.CANCEL_BY_CLIENT_ID, market: a.market, clientId: a.clientId };
    case "cancelAll":
      return { op: TxKind.CANCEL_ALL, market: a.market };
    case "amend":
      return { op: TxKind.AMEND, market: a.market, orderId: a.orderId, price: a.price, size: a.size };
  }
}
