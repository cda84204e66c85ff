// Synthetic orders for warming the order path at start (warmup.ts on the main thread, admission-worker.ts
// in each admission thread): two traders, prices around a mid, types only (the workers load nothing more).
import { L1MessageKind, MarketStatus, TxKind, type Address, type L1Message, type PlaceOrderTx } from "../clob/types.ts";

const MID = 100_000;
export const SYNTHETIC_TRADERS: readonly Address[] = ["0x00000000000000000000000000000000000a11ce", "0x0000000000000000000000000000000000000b0b"];

/** L1 messages listing market 1 (assets 1/2, lot, tick and min size 1, no fees) and funding `accounts` in both assets. */
export function syntheticMarket(accounts: readonly Address[]): L1Message[] {
  const out: L1Message[] = [{
    kind: L1MessageKind.SET_MARKET, market: 1,
    params: { baseAsset: 1, quoteAsset: 2, lotSize: 1, tickSize: 1, minSize: 1, makerFeePpm: 0, takerFeePpm: 0, status: MarketStatus.ACTIVE },
  }];
  for (const account of accounts) {
    out.push({ kind: L1MessageKind.DEPOSIT, account, asset: 1, amount: 1_000_000_000_000 });
    out.push({ kind: L1MessageKind.DEPOSIT, account, asset: 2, amount: 1_000_000_000_000 });
  }
  return out;
}

/**
 * `n` PLACE orders alternating between two synthetic traders (nonces from 0): resting orders around a mid,
 * one in eight crossing it as IOC. The signature is a well-formed placeholder: admission is told the signer.
 */
export function syntheticOrders(n: number): PlaceOrderTx[] {
  const out: PlaceOrderTx[] = [];
  const r = new Uint8Array(32).fill(0x11);
  const s = new Uint8Array(32).fill(0x22);
  for (let i = 0; i < n; i++) {
    const side = (i & 1) as 0 | 1;
    const cross = i % 8 === 7;
    const off = 1 + ((i * 37) % 150);
    out.push({
      kind: TxKind.PLACE, account: SYNTHETIC_TRADERS[(i >> 1) & 1]!, nonce: ((i >> 2) << 1) | (i & 1), market: 1, side, tif: cross ? 1 : 0,
      price: cross ? (side === 0 ? MID + off : MID - off) : side === 0 ? MID - off : MID + off, size: 1 + (i % 5),
      expiry: 0, clientId: 0, stp: 0, sig: { r, s, v: (i & 1) as 0 | 1 },
    });
  }
  return out;
}

