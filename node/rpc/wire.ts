// The JSON form of a signed transaction on the RPC (docs/api.md "Transactions"): the EIP-712 message of
// docs/stf.md as an object whose `kind` is its primary type name, plus `signature`, the 65-byte hex
// r ‖ s ‖ v that any EIP-712 signer (viem account, browser wallet) returns (v 27/28 or 0/1). Schemas,
// conversion both ways and the typed-data object to sign, all driven by EIP712_TYPES so a new primary type
// needs no second description. Browser-safe: imports only node/clob/types.ts.

import { EIP712_PRIMARY_TYPE, EIP712_TYPES, TxKind, type Address, type Eip712Domain, type Signature, type Tx } from "../clob/types.ts";
import { address, type Schema, u32, u64, u8 } from "./schema.ts";

export type PrimaryType = keyof typeof EIP712_TYPES;
export const KIND_OF: Readonly<Record<PrimaryType, TxKind>> = Object.fromEntries(
  Object.entries(EIP712_PRIMARY_TYPE).map(([k, p]) => [p, Number(k) as TxKind]),
) as Record<PrimaryType, TxKind>;

/** A signed transaction as JSON: the EIP-712 message fields, `kind` = primary type, `signature` hex. */
export type WireTx = { kind: PrimaryType; signature: `0x${string}` } & Record<string, string | number>;

/** Limits on the small enum fields (docs/stf.md: side 0..1, tif 0..4, stp 0..3). */
const ENUM_MAX: Record<string, number> = { side: 1, tif: 4, stp: 3 };
const FIELD_DOC: Record<string, string> = {
  account: "the trading account (the EIP-712 signer)",
  nonce: "the account's next nonce (rb_getNonce)",
  market: "market id",
  side: "0 buy, 1 sell",
  tif: "time in force: 0 GTC, 1 IOC, 2 FOK, 3 POST_ONLY, 4 MARKET (price = worst acceptable)",
  price: "price in ticks",
  size: "size in lots",
  expiry: "good-till L1 timestamp in seconds, 0 = none",
  clientId: "client order id, 0 = none",
  stp: "self-trade prevention: 0 expire maker, 1 expire taker, 2 expire both, 3 decrement",
  orderId: "order id",
  asset: "asset id",
  amount: "amount in L2 units of the asset",
  recipient: "L1 address that may claim the withdrawal",
};

export const SIGNATURE_SCHEMA: Schema = {
  type: "string",
  pattern: "^0x[0-9a-fA-F]{128}(1[bB]|1[cC]|00|01)$",
  description: "65-byte EIP-712 signature r ‖ s ‖ v (v 27/28 or 0/1), low-s",
};

function fieldSchema(name: string, type: string): Schema {
  const doc = FIELD_DOC[name] ?? name;
  if (type === "address") return address(doc);
  if (type === "uint64") return u64(doc);
  if (type === "uint32") return u32(doc);
  return u8(doc, ENUM_MAX[name] ?? 255);
}

/** One object schema per primary type (components.schemas names: the primary type). */
export const TX_SCHEMAS: Readonly<Record<PrimaryType, Schema>> = Object.fromEntries(
  (Object.keys(EIP712_TYPES) as PrimaryType[]).map((p) => {
    const properties: Record<string, Schema> = { kind: { const: p, description: `EIP-712 primary type ${p}` } };
    for (const f of EIP712_TYPES[p]) properties[f.name] = fieldSchema(f.name, f.type);
    properties.signature = SIGNATURE_SCHEMA;
    return [p, { type: "object", title: p, properties, required: Object.keys(properties), additionalProperties: false } satisfies Schema];
  }),
) as unknown as Record<PrimaryType, Schema>;

const HEX = "0123456789abcdef";
function hexByte(s: string, i: number): number {
  const hi = HEX.indexOf(s[i].toLowerCase());
  const lo = HEX.indexOf(s[i + 1].toLowerCase());
  return (hi << 4) | lo;
}
function bytesHex(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += HEX[x >> 4] + HEX[x & 15];
  return s;
}

/** Splits a 65-byte hex signature (already schema-checked) into the STF's form. */
export function parseSignature(sig: string): Signature {
  const r = new Uint8Array(32);
  const s = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    r[i] = hexByte(sig, 2 + 2 * i);
    s[i] = hexByte(sig, 66 + 2 * i);
  }
  const v = hexByte(sig, 130);
  return { r, s, v: (v >= 27 ? v - 27 : v) as 0 | 1 };
}

export function formatSignature(sig: Signature): `0x${string}` {
  return `0x${bytesHex(sig.r)}${bytesHex(sig.s)}${(27 + sig.v).toString(16)}`;
}

/** A schema-checked WireTx as the STF's Tx (addresses lowercased). */
export function fromWire(w: WireTx): Tx {
  const tx: Record<string, unknown> = { kind: KIND_OF[w.kind] };
  for (const f of EIP712_TYPES[w.kind]) {
    const v = w[f.name];
    tx[f.name] = f.type === "address" ? (v as string).toLowerCase() : v;
  }
  tx.sig = parseSignature(w.signature);
  return tx as unknown as Tx;
}

export function toWire(tx: Tx): WireTx {
  const p = EIP712_PRIMARY_TYPE[tx.kind];
  const w: Record<string, unknown> = { kind: p };
  for (const f of EIP712_TYPES[p]) w[f.name] = (tx as unknown as Record<string, unknown>)[f.name];
  w.signature = formatSignature(tx.sig);
  return w as WireTx;
}

/** An unsigned transaction: the message fields and its primary type. */
export type UnsignedTx = { kind: PrimaryType } & Record<string, string | number>;

/** The EIP-712 typed data of an unsigned tx, in the shape viem's signTypedData takes. */
export function typedData(domain: Eip712Domain, tx: UnsignedTx) {
  const message: Record<string, unknown> = {};
  for (const f of EIP712_TYPES[tx.kind]) {
    const v = tx[f.name];
    message[f.name] = f.type === "address" ? v : BigInt(v as number);
  }
  return {
    domain: { name: "Rollbook", version: "1", chainId: BigInt(domain.chainId), verifyingContract: domain.verifyingContract as Address },
    types: { [tx.kind]: EIP712_TYPES[tx.kind] } as Record<string, readonly { name: string; type: string }[]>,
    primaryType: tx.kind as string,
    message,
  };
}
