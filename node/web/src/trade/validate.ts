// The order ticket's validation (docs/web.md "Order ticket"), a pure function run before anything is
// signed: prices are whole ticks, sizes whole lots at least the market's minimum, a market order becomes a
// MARKET order (tif 4) whose price is the worst acceptable one (best opposite price moved by the
// protection), GTT gives an expiry in L1 seconds, the client id is a whole number.

import type { MarketInfo, PlaceParams } from "../../../client/client.ts";

export type Tif = "GTC" | "IOC" | "FOK" | "POST_ONLY";
export const TIF_CODE: Readonly<Record<Tif | "MARKET", number>> = { GTC: 0, IOC: 1, FOK: 2, POST_ONLY: 3, MARKET: 4 };

export interface TicketInput {
  side: "buy" | "sell";
  type: "limit" | "market";
  tif: Tif;
  /** Ticks (limit orders). */
  price: string;
  /** Lots. */
  size: string;
  /** Market orders: how far past the best opposite price the order may fill, percent. */
  protectionPct: string;
  /** Good-till-time in minutes from now ("" = none); GTC and POST_ONLY only. */
  gttMinutes: string;
  clientId: string;
}

export type TicketResult = { ok: true; order: PlaceParams } | { ok: false; field: keyof TicketInput; error: string };

const WHOLE = /^[0-9]+$/;
const MAX = Number.MAX_SAFE_INTEGER;

function whole(v: string): number | null {
  const t = v.trim();
  if (!WHOLE.test(t)) return null;
  const n = Number(t);
  return n <= MAX ? n : null;
}

export function validateTicket(inp: TicketInput, m: MarketInfo, best: { bid: number | null; ask: number | null }, nowS: number): TicketResult {
  const bad = (field: keyof TicketInput, error: string): TicketResult => ({ ok: false, field, error });
  if (m.status !== "active") return bad("size", `market ${m.market} is ${m.status}`);
  const size = whole(inp.size);
  if (size === null || size === 0) return bad("size", "size must be a whole number of lots above 0");
  if (size < m.minSize) return bad("size", `size below the market minimum of ${m.minSize} lots`);
  let clientId = 0;
  if (inp.clientId.trim() !== "") {
    const c = whole(inp.clientId);
    if (c === null || c > 0xffffffff) return bad("clientId", "client id must be a whole number below 2^32");
    clientId = c;
  }
  if (inp.type === "market") {
    const pct = Number(inp.protectionPct);
    if (!Number.isFinite(pct) || pct < 0 || pct > 50) return bad("protectionPct", "protection must be between 0 and 50 %");
    const ref = inp.side === "buy" ? best.ask : best.bid;
    if (ref === null) return bad("size", `no ${inp.side === "buy" ? "asks" : "bids"} to trade against`);
    const price = inp.side === "buy" ? Math.ceil(ref * (1 + pct / 100)) : Math.max(1, Math.floor(ref * (1 - pct / 100)));
    return { ok: true, order: { market: m.market, side: inp.side, price, size, tif: TIF_CODE.MARKET, clientId } };
  }
  const price = whole(inp.price);
  if (price === null || price === 0) return bad("price", "price must be a whole number of ticks above 0");
  if (price * m.tickSize > MAX || size * m.lotSize > MAX || price * m.tickSize * size > MAX) return bad("size", "order notional too large");
  let expiry = 0;
  if (inp.gttMinutes.trim() !== "") {
    if (inp.tif !== "GTC" && inp.tif !== "POST_ONLY") return bad("gttMinutes", "good-till-time applies to resting orders (GTC, post-only)");
    const min = Number(inp.gttMinutes);
    if (!Number.isInteger(min) || min <= 0 || min > 525_600) return bad("gttMinutes", "good-till-time must be whole minutes (1 to a year)");
    expiry = nowS + min * 60;
  }
  if (inp.tif === "POST_ONLY") {
    if (inp.side === "buy" && best.ask !== null && price >= best.ask) return bad("price", `post-only buy at or above the best ask (${best.ask}) would cross`);
    if (inp.side === "sell" && best.bid !== null && price <= best.bid) return bad("price", `post-only sell at or below the best bid (${best.bid}) would cross`);
  }
  return { ok: true, order: { market: m.market, side: inp.side, price, size, tif: TIF_CODE[inp.tif], expiry, clientId } };
}
