// The JSON form of a signed transaction on the RPC (docs/api.md "Transactions"): the EIP-712 message of
// docs/stf.md as an object whose `kind` is its primary type name, plus `signature`, the 65-byte hex
// r ‖ s ‖ v that any EIP-712 signer (viem account, browser wallet) returns (v 27/28 or 0/1). Schemas,
// conversion both ways and the typed-data object to sign, all driven by EIP712_TYPES so a new primary type
// needs no second description. Browser-safe: imports only node/clob/types.ts.

import { EIP712_PRIMARY_TYPE, EIP712_TYPES, MAX_BULK_ACTIONS, TxKind, type Address, type Eip712Domain, type Signature, type Tx } from "../clob/types.ts";
import { address, type Schema, u32, u64, u8 } from "./schema.ts";

/** The primary types a transaction can have ("Action" is only a Bulk's member struct). */
export type PrimaryType = Exclude<keyof typeof EIP712_TYPES, "Action">;
export const KIND_OF: Readonly<Record<PrimaryType, TxKind>> = Object.fromEntries(
  Object.entries(EIP712_PRIMARY_TYPE).map(([k, p]) => [p, Number(k) as TxKind]),
) as Record<PrimaryType, TxKind>;

/** One action of a Bulk as JSON: the EIP-712 Action struct; fields its op does not use may be left out (0). */
export type WireAction = { op: number; market: number } & Record<string, number>;
/** A signed transaction as JSON: the EIP-712 message fields, `kind` = primary type, `signature` hex. */
export type WireTx = { kind: PrimaryType; signature: `0x${string}` } & Record<string, string | number | WireAction[]>;

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
  agent: "agent key address (may sign trading transactions for the account until expiry)",
  op: "action kind: 1 place, 2 cancel, 3 cancel by client id, 4 cancel all, 5 amend",
  actions: `1..${MAX_BULK_ACTIONS} actions, executed in order, each with its own receipt`,
};
/** Fields of each action op (the STF's BulkAction); the others are 0 in the signed Action struct. */
const ACTION_FIELDS: Record<number, readonly string[]> = {
  [TxKind.PLACE]: ["market", "side", "tif", "price", "size", "expiry", "clientId", "stp"],
  [TxKind.CANCEL]: ["market", "orderId"],
  [TxKind.CANCEL_BY_CLIENT_ID]: ["market", "clientId"],
  [TxKind.CANCEL_ALL]: ["market"],
  [TxKind.AMEND]: ["market", "orderId", "price", "size"],
};

export const SIGNATURE_SCHEMA: Schema = {
  type: "string",
  pattern: "^0x[0-9a-fA-F]{128}(1[bB]|1[cC]|00|01)$",
  description: "65-byte EIP-712 signature r ‖ s ‖ v (v 27/28 or 0/1), low-s",
};

const ACTION_SCHEMA: Schema = {
  type: "object",
  title: "Action",
  description: "one action of a Bulk (the EIP-712 Action struct; unused fields 0 or absent)",
  properties: Object.fromEntries(EIP712_TYPES.Action.map((f) => [f.name, f.name === "op" ? { type: "integer", minimum: 1, maximum: 5, description: FIELD_DOC.op } : fieldSchema(f.name, f.type)])),
  required: ["op", "market"],
  additionalProperties: false,
};

function fieldSchema(name: string, type: string): Schema {
  const doc = FIELD_DOC[name] ?? name;
  if (type === "Action[]") return { type: "array", items: { $ref: "#/components/schemas/Action" }, minItems: 1, maxItems: MAX_BULK_ACTIONS, description: doc };
  if (type === "address") return address(doc);
  if (type === "uint64") return u64(doc);
  if (type === "uint32") return u32(doc);
  return u8(doc, ENUM_MAX[name] ?? 255);
}

/** One object schema per primary type, and the Action struct (components.schemas names). */
export const TX_SCHEMAS: Readonly<Record<PrimaryType | "Action", Schema>> = Object.fromEntries(
  (Object.values(EIP712_PRIMARY_TYPE) as PrimaryType[]).map((p): [string, Schema] => {
    const properties: Record<string, Schema> = { kind: { const: p, description: `EIP-712 primary type ${p}` } };
    for (const f of EIP712_TYPES[p]) properties[f.name] = fieldSchema(f.name, f.type);
    properties.signature = SIGNATURE_SCHEMA;
    return [p, { type: "object", title: p, properties, required: Object.keys(properties), additionalProperties: false }];
  }).concat([["Action", ACTION_SCHEMA]]),
) as unknown as Record<PrimaryType | "Action", Schema>;

/** The primary types (not "Action"). */
export const PRIMARY_TYPES: readonly PrimaryType[] = Object.values(EIP712_PRIMARY_TYPE) as PrimaryType[];

const HEX = "0123456789abcdef";
/** Hex digit values by char code (schema-checked input: only 0-9a-fA-F reach it). */
const DIGIT = new Uint8Array(128);
for (let i = 0; i < 16; i++) {
  DIGIT[HEX.charCodeAt(i)] = i;
  DIGIT[HEX.toUpperCase().charCodeAt(i)] = i;
}
function hexByte(s: string, i: number): number {
  return (DIGIT[s.charCodeAt(i) & 127] << 4) | DIGIT[s.charCodeAt(i + 1) & 127];
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
    if (f.type === "Action[]") {
      tx[f.name] = (v as WireAction[]).map((a) => {
        const out: Record<string, number> = { op: a.op };
        for (const k of ACTION_FIELDS[a.op] ?? ["market"]) out[k] = a[k] ?? 0;
        return out;
      });
    } else tx[f.name] = f.type === "address" ? (v as string).toLowerCase() : v;
  }
  tx.sig = parseSignature(w.signature);
  return tx as unknown as Tx;
}

export function toWire(tx: Tx): WireTx {
  const p = EIP712_PRIMARY_TYPE[tx.kind];
  const w: Record<string, unknown> = { kind: p };
  for (const f of EIP712_TYPES[p]) {
    const v = (tx as unknown as Record<string, unknown>)[f.name];
    w[f.name] = f.type === "Action[]" ? (v as Record<string, number>[]).map(fullAction) : v;
  }
  w.signature = formatSignature(tx.sig);
  return w as WireTx;
}

/** The full Action struct of an action (unused fields 0), as signed. */
function fullAction(a: Record<string, number>): WireAction {
  const out: Record<string, number> = {};
  for (const f of EIP712_TYPES.Action) out[f.name] = a[f.name] ?? 0;
  return out as WireAction;
}

/** An unsigned transaction: the message fields and its primary type. */
export type UnsignedTx = { kind: PrimaryType } & Record<string, string | number | WireAction[]>;

/** The EIP-712 typed data of an unsigned tx, in the shape viem's signTypedData takes. */
export function typedData(domain: Eip712Domain, tx: UnsignedTx) {
  const message: Record<string, unknown> = {};
  for (const f of EIP712_TYPES[tx.kind]) {
    const v = tx[f.name];
    if (f.type === "Action[]") {
      message[f.name] = (v as WireAction[]).map((a) => Object.fromEntries(EIP712_TYPES.Action.map((af) => [af.name, BigInt(a[af.name] ?? 0)])));
    } else message[f.name] = f.type === "address" ? v : BigInt(v as number);
  }
  const types: Record<string, readonly { name: string; type: string }[]> = { [tx.kind]: EIP712_TYPES[tx.kind] };
  if (tx.kind === "Bulk") types.Action = EIP712_TYPES.Action;
  return {
    domain: { name: "Rollbook", version: "1", chainId: BigInt(domain.chainId), verifyingContract: domain.verifyingContract as Address },
    types,
    primaryType: tx.kind as string,
    message,
  };
}
