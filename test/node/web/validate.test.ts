// The order ticket's validation (node/web/src/trade/validate.ts), run before anything is signed.

import { expect } from "chai";
import type { MarketInfo } from "../../../node/client/client.ts";
import { type TicketInput, validateTicket } from "../../../node/web/src/trade/validate.ts";

const M: MarketInfo = { market: 1, baseAsset: 1, quoteAsset: 2, lotSize: 100, tickSize: 10, minSize: 2, makerFeePpm: -100, takerFeePpm: 500, status: "active" };
const BEST = { bid: 99_000, ask: 101_000 };
const NOW = 1_700_000_000;
const base: TicketInput = { side: "buy", type: "limit", tif: "GTC", price: "100000", size: "5", protectionPct: "1", gttMinutes: "", clientId: "" };
const v = (o: Partial<TicketInput>, m: MarketInfo = M, best: { bid: number | null; ask: number | null } = BEST) => validateTicket({ ...base, ...o }, m, best, NOW);

describe("order ticket validation", () => {
  it("builds a limit order in whole ticks and lots with its time in force, client id and good-till", () => {
    expect(v({})).to.deep.equal({ ok: true, order: { market: 1, side: "buy", price: 100_000, size: 5, tif: 0, expiry: 0, clientId: 0 } });
    expect(v({ tif: "IOC", clientId: "42" })).to.deep.include({ ok: true });
    expect((v({ tif: "FOK" }) as { order: { tif: number } }).order.tif).to.equal(2);
    expect((v({ gttMinutes: "30" }) as { order: { expiry: number } }).order.expiry).to.equal(NOW + 1800);
  });

  it("refuses fractional ticks or lots, sizes below the minimum, bad client ids, with the field named", () => {
    expect(v({ price: "100000.5" })).to.deep.include({ ok: false, field: "price" });
    expect(v({ price: "0" })).to.deep.include({ ok: false, field: "price" });
    expect(v({ price: "-3" })).to.deep.include({ ok: false, field: "price" });
    expect(v({ size: "2.5" })).to.deep.include({ ok: false, field: "size" });
    expect(v({ size: "1" })).to.deep.include({ ok: false, field: "size", error: "size below the market minimum of 2 lots" });
    expect(v({ clientId: "x" })).to.deep.include({ ok: false, field: "clientId" });
    expect(v({ clientId: String(2 ** 32) })).to.deep.include({ ok: false, field: "clientId" });
    expect(v({ price: "9007199254740991" })).to.deep.include({ ok: false, field: "size", error: "order notional too large" });
  });

  it("good-till only for resting orders; post-only that would cross is refused", () => {
    expect(v({ tif: "IOC", gttMinutes: "5" })).to.deep.include({ ok: false, field: "gttMinutes" });
    expect(v({ gttMinutes: "1.5" })).to.deep.include({ ok: false, field: "gttMinutes" });
    expect(v({ tif: "POST_ONLY", price: "101000" })).to.deep.include({ ok: false, field: "price" });
    expect(v({ tif: "POST_ONLY", side: "sell", price: "99000" })).to.deep.include({ ok: false, field: "price" });
    expect((v({ tif: "POST_ONLY", price: "100999" }) as { order: { tif: number } }).order.tif).to.equal(3);
  });

  it("a market order is MARKET (tif 4) at the best opposite price moved by the protection", () => {
    expect(v({ type: "market", protectionPct: "1" })).to.deep.equal({ ok: true, order: { market: 1, side: "buy", price: 102_010, size: 5, tif: 4, clientId: 0 } });
    expect((v({ type: "market", side: "sell", protectionPct: "2" }) as { order: { price: number } }).order.price).to.equal(97_020);
    expect(v({ type: "market" }, M, { bid: 99_000, ask: null })).to.deep.include({ ok: false, error: "no asks to trade against" });
    expect(v({ type: "market", protectionPct: "80" })).to.deep.include({ ok: false, field: "protectionPct" });
  });

  it("refuses every order on a market that is not active", () => {
    expect(v({}, { ...M, status: "cancel-only" })).to.deep.include({ ok: false, error: "market 1 is cancel-only" });
  });
});
