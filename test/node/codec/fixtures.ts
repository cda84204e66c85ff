// Shared fixtures for the codec tests.
import { TxKind, type Address, type Signature, type Tx } from "../../../node/clob/types.ts";
import type { BatchHeader } from "../../../node/codec/index.ts";

export const A = `0x${"ab".repeat(20)}` as Address;
export const B = `0x${"cd".repeat(20)}` as Address;
export const C = `0x${"0f".repeat(20)}` as Address;
export { HALF_N } from "../../../node/codec/tx.ts";

/** A deterministic low-s signature. */
export function sig(i: number, v: 0 | 1 = (i & 1) as 0 | 1): Signature {
  const s = new Uint8Array(32).fill((i * 7 + 3) & 0x3f);
  return { r: new Uint8Array(32).fill(i & 0xff), s, v };
}

export const HEADER: BatchHeader = {
  parentBatchHash: `0x${"11".repeat(32)}`,
  timestamp: 1_750_000_000,
  l1MsgStart: 10,
  l1MsgEnd: 12,
};

/** One tx of every kind. */
export function allKinds(): Tx[] {
  return [
    { kind: TxKind.PLACE, account: A, nonce: 5, market: 1, side: 0, tif: 3, price: 100_000, size: 10, expiry: 0, clientId: 1, stp: 0, sig: sig(1) },
    { kind: TxKind.CANCEL, account: A, nonce: 6, market: 1, orderId: 7_000_001, sig: sig(2) },
    { kind: TxKind.CANCEL_BY_CLIENT_ID, account: B, nonce: 0, market: 2, clientId: 44, sig: sig(3) },
    { kind: TxKind.CANCEL_ALL, account: B, nonce: 1, market: 2, sig: sig(4) },
    { kind: TxKind.AMEND, account: A, nonce: 7, market: 1, orderId: 7_000_002, price: 99_990, size: 20, sig: sig(5) },
    { kind: TxKind.WITHDRAW, account: C, nonce: 3, asset: 2, amount: 1_000_000, recipient: A, sig: sig(6) },
  ];
}

/** The v2 kinds: a BULK mixing every action op, then an agent approval and a revocation. */
export function v2Kinds(): Tx[] {
  return [
    {
      kind: TxKind.BULK, account: A, nonce: 8, sig: sig(7),
      actions: [
        { op: TxKind.CANCEL_ALL, market: 1 },
        { op: TxKind.PLACE, market: 1, side: 0, tif: 3, price: 99_995, size: 10, expiry: 1_750_000_060, clientId: 2, stp: 0 },
        { op: TxKind.PLACE, market: 1, side: 0, tif: 3, price: 99_994, size: 10, expiry: 1_750_000_060, clientId: 3, stp: 0 },
        { op: TxKind.PLACE, market: 2, side: 1, tif: 0, price: 500, size: 3, expiry: 0, clientId: 0, stp: 3 },
        { op: TxKind.AMEND, market: 2, orderId: 7_000_003, price: 501, size: 3 },
        { op: TxKind.CANCEL, market: 2, orderId: 7_000_004 },
        { op: TxKind.CANCEL_BY_CLIENT_ID, market: 1, clientId: 2 },
      ],
    },
    { kind: TxKind.APPROVE_AGENT, account: B, nonce: 2, agent: C, expiry: 1_750_086_400, sig: sig(8) },
    { kind: TxKind.REVOKE_AGENT, account: B, nonce: 3, agent: C, sig: sig(9) },
  ];
}
