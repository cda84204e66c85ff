// Shared by the rpc bench's processes: deterministic trader keys, the market, the signed order stream.

import { keccak_256 } from "@noble/hashes/sha3.js";
import { addressOfPrivateKey, signTx } from "../node/clob/eip712.ts";
import { TxKind, type Address, type BulkAction, type BulkTx, type Eip712Domain, type PlaceOrderTx } from "../node/clob/types.ts";
import { XorShift32 } from "../node/sim/rng.ts";

export const DOMAIN: Eip712Domain = { chainId: 31337, verifyingContract: "0x5fbdb2315678afecb367f032d93f642f64180aa3" };
export const MID = 100_000;

export function benchKeys(n: number): { priv: Uint8Array; address: Address }[] {
  return Array.from({ length: n }, (_, i) => {
    const priv = keccak_256(new TextEncoder().encode(`rollbook-rpc-bench-${i}`));
    return { priv, address: addressOfPrivateKey(priv) };
  });
}

/**
 * `n` signed PLACE orders round-robin over the keys (nonces from `startNonce[i]`): prices around MID, a
 * tenth crossing the spread (trades), the rest resting (book changes). IOC for the crossing ones so the
 * book stays bounded.
 */
export function signedOrders(keys: { priv: Uint8Array; address: Address }[], nonces: number[], n: number, seed = 1): PlaceOrderTx[] {
  const r = new XorShift32(seed);
  const out: PlaceOrderTx[] = [];
  for (let i = 0; i < n; i++) {
    const k = i % keys.length;
    const side = r.int(2) as 0 | 1;
    const cross = r.int(10) === 0;
    const off = 1 + r.int(200);
    const price = cross ? (side === 0 ? MID + off : MID - off) : side === 0 ? MID - off : MID + off;
    const tx: PlaceOrderTx = {
      kind: TxKind.PLACE, account: keys[k].address, nonce: nonces[k]++, market: 1, side, tif: cross ? 1 : 0, price, size: 1 + r.int(5),
      expiry: 0, clientId: 0, stp: 0, sig: { r: new Uint8Array(32), s: new Uint8Array(32), v: 0 },
    };
    out.push(signTx(DOMAIN, tx, keys[k].priv));
  }
  return out;
}

/** `n` signed Bulk transactions of `per` PLACE actions each, round-robin over the keys (same price mix). */
export function signedBulks(keys: { priv: Uint8Array; address: Address }[], nonces: number[], n: number, per: number, seed = 3): BulkTx[] {
  const r = new XorShift32(seed);
  const out: BulkTx[] = [];
  for (let i = 0; i < n; i++) {
    const k = i % keys.length;
    const actions: BulkAction[] = [];
    for (let j = 0; j < per; j++) {
      const side = r.int(2) as 0 | 1;
      const cross = r.int(10) === 0;
      const off = 1 + r.int(200);
      const price = cross ? (side === 0 ? MID + off : MID - off) : side === 0 ? MID - off : MID + off;
      actions.push({ op: TxKind.PLACE, market: 1, side, tif: cross ? 1 : 0, price, size: 1 + r.int(5), expiry: 0, clientId: 0, stp: 0 });
    }
    const tx: BulkTx = { kind: TxKind.BULK, account: keys[k].address, nonce: nonces[k]++, actions, sig: { r: new Uint8Array(32), s: new Uint8Array(32), v: 0 } };
    out.push(signTx(DOMAIN, tx, keys[k].priv));
  }
  return out;
}
