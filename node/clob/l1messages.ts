// Byte encoding of L1 messages (docs/l1-messages.md, "L1 messages"): the Vault/governance enqueue these
// bytes on L1; derivation decodes them into the `L1Message` values the STF consumes.
//
// decodeL1Message is total: bytes that are not a valid message (unknown kind byte, wrong length, empty)
// decode to `{ kind: 0 }` (INVALID_L1_MESSAGE), which the STF consumes with code MALFORMED and no effect, so
// message numbering never shifts. u64 fields above 2^53-1 decode to inexact numbers that the STF refuses
// (MALFORMED / INVALID_MARKET_PARAMS) except FORCED_WITHDRAW's amount, where any value above the balance
// means "everything available" (docs/stf.md).

import { keccak256 as keccak_256 } from "../state/keccak.ts";
import { addressFromBytes, writeAddress } from "./eip712.ts";
import { L1MessageKind, type L1Message, type MarketStatus } from "./types.ts";

/** The value an undecodable message decodes to (consumed by the STF with MALFORMED, no effect). */
export const INVALID_L1_MESSAGE = { kind: 0 } as unknown as L1Message;

// SET_MARKET: 1 + 4+4+4 + 8+8+8 + 4+4 + 1 = 46 bytes (the field list of docs/l1-messages.md; Inbox.SET_MARKET_LENGTH).
const LEN: Record<number, number> = { 1: 33, 2: 33, 3: 33, 4: 46 };

function rdU32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) >>> 0) + (b[o + 1] << 16) + (b[o + 2] << 8) + b[o + 3];
}
function rdU64(b: Uint8Array, o: number): number {
  return rdU32(b, o) * 0x100000000 + rdU32(b, o + 4);
}
function wrU32(b: Uint8Array, o: number, n: number): void {
  b[o] = (n >>> 24) & 0xff;
  b[o + 1] = (n >>> 16) & 0xff;
  b[o + 2] = (n >>> 8) & 0xff;
  b[o + 3] = n & 0xff;
}
function wrU64(b: Uint8Array, o: number, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`not a u53: ${n}`);
  wrU32(b, o, Math.floor(n / 0x100000000));
  wrU32(b, o + 4, n >>> 0);
}

export function decodeL1Message(m: Uint8Array): L1Message {
  if (m.length === 0 || LEN[m[0]] !== m.length) return INVALID_L1_MESSAGE;
  switch (m[0]) {
    case L1MessageKind.DEPOSIT:
    case L1MessageKind.FORCED_WITHDRAW:
      return { kind: m[0], account: addressFromBytes(m, 1), asset: rdU32(m, 21), amount: rdU64(m, 25) };
    case L1MessageKind.FORCED_CANCEL:
      return { kind: m[0], account: addressFromBytes(m, 1), market: rdU32(m, 21), orderId: rdU64(m, 25) };
    default: {
      const maker = rdU32(m, 37) | 0; // int32 two's complement
      return {
        kind: L1MessageKind.SET_MARKET,
        market: rdU32(m, 1),
        params: {
          baseAsset: rdU32(m, 5),
          quoteAsset: rdU32(m, 9),
          lotSize: rdU64(m, 13),
          tickSize: rdU64(m, 21),
          minSize: rdU64(m, 29),
          makerFeePpm: maker,
          takerFeePpm: rdU32(m, 41),
          status: m[45] as MarketStatus,
        },
      };
    }
  }
}

export function encodeL1Message(msg: L1Message): Uint8Array {
  const b = new Uint8Array(LEN[msg.kind]);
  b[0] = msg.kind;
  switch (msg.kind) {
    case L1MessageKind.DEPOSIT:
    case L1MessageKind.FORCED_WITHDRAW:
      writeAddress(b, 1, msg.account);
      wrU32(b, 21, msg.asset);
      wrU64(b, 25, msg.amount);
      break;
    case L1MessageKind.FORCED_CANCEL:
      writeAddress(b, 1, msg.account);
      wrU32(b, 21, msg.market);
      wrU64(b, 25, msg.orderId);
      break;
    case L1MessageKind.SET_MARKET: {
      const p = msg.params;
      wrU32(b, 1, msg.market);
      wrU32(b, 5, p.baseAsset);
      wrU32(b, 9, p.quoteAsset);
      wrU64(b, 13, p.lotSize);
      wrU64(b, 21, p.tickSize);
      wrU64(b, 29, p.minSize);
      wrU32(b, 37, p.makerFeePpm >>> 0);
      wrU32(b, 41, p.takerFeePpm);
      b[45] = p.status;
      break;
    }
    default:
      throw new Error("unknown L1 message kind");
  }
  return b;
}

/** Queue hash chain step: q(n+1) = keccak256(q(n) ‖ keccak256(m_n)). */
export function nextQueueHash(q: Uint8Array, m: Uint8Array): Uint8Array {
  const buf = new Uint8Array(64);
  buf.set(q, 0);
  buf.set(keccak_256(m), 32);
  return keccak_256(buf);
}
