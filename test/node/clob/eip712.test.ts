// EIP-712 hashing and recovery of node/clob/eip712.ts, cross-checked against viem's generic typed-data
// implementation (hashTypedData, signTypedData, recoverTypedDataAddress).

import { expect } from "chai";
import { hashTypedData, recoverTypedDataAddress, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import {
  bytesToHex,
  domainSeparator,
  hexToBytes,
  isCanonicalSignature,
  isWellFormed,
  recoverAddress,
  signTx,
  txHash,
  txSigningHash,
  typeString,
} from "../../../node/clob/eip712.ts";
import { EIP712_PRIMARY_TYPE, EIP712_TYPES, MAX_AMOUNT, type Tx, TxKind } from "../../../node/clob/types.ts";
import { DOMAIN, makeKeys } from "./stf-helpers.ts";

const viemDomain = { name: "Rollbook", version: "1", chainId: DOMAIN.chainId, verifyingContract: DOMAIN.verifyingContract };
const types = EIP712_TYPES as unknown as Record<string, { name: string; type: string }[]>;

function message(tx: Tx): Record<string, unknown> {
  const { kind: _k, sig: _s, ...rest } = tx as unknown as Record<string, unknown>;
  return rest;
}

function viemHash(tx: Tx): Hex {
  return hashTypedData({ domain: viemDomain, types, primaryType: EIP712_PRIMARY_TYPE[tx.kind], message: message(tx) });
}

const zsig = () => ({ r: new Uint8Array(32), s: new Uint8Array(32), v: 0 as const });
const A = "0x1234567890abcdef1234567890abcdef12345678" as const;
const B = "0xffffffffffffffffffffffffffffffffffffffff" as const;

function samples(): Tx[] {
  const big = MAX_AMOUNT;
  return [
    { kind: TxKind.PLACE, account: A, nonce: 0, sig: zsig(), market: 0, side: 0, tif: 0, price: 0, size: 0, expiry: 0, clientId: 0, stp: 0 },
    { kind: TxKind.PLACE, account: B, nonce: big, sig: zsig(), market: 0xffffffff, side: 1, tif: 4, price: big, size: big - 1, expiry: 2 ** 40 + 7, clientId: 2 ** 32, stp: 255 as 0 },
    { kind: TxKind.CANCEL, account: A, nonce: 7, sig: zsig(), market: 3, orderId: 123456789012 },
    { kind: TxKind.CANCEL_BY_CLIENT_ID, account: A, nonce: 8, sig: zsig(), market: 3, clientId: 0xdeadbeef },
    { kind: TxKind.CANCEL_ALL, account: B, nonce: 9, sig: zsig(), market: 65536 },
    { kind: TxKind.AMEND, account: A, nonce: 10, sig: zsig(), market: 1, orderId: 2 ** 33, price: 99, size: 2 ** 50 },
    { kind: TxKind.WITHDRAW, account: A, nonce: 11, sig: zsig(), asset: 2, amount: 2 ** 52 + 1, recipient: B },
  ];
}

describe("clob/eip712", () => {
  it("type strings match the pinned struct definitions", () => {
    expect(typeString("Place")).to.equal(
      "Place(address account,uint64 nonce,uint32 market,uint8 side,uint8 tif,uint64 price,uint64 size,uint64 expiry,uint64 clientId,uint8 stp)",
    );
    expect(typeString("Withdraw")).to.equal("Withdraw(address account,uint64 nonce,uint32 asset,uint64 amount,address recipient)");
  });

  it("signing hash equals viem hashTypedData for every kind and edge values", () => {
    for (const tx of samples()) expect(bytesToHex(txSigningHash(DOMAIN, tx))).to.equal(viemHash(tx));
    // a different domain changes the hash exactly as viem does
    const other = { chainId: 1, verifyingContract: B };
    const tx = samples()[2];
    const vh = hashTypedData({ domain: { name: "Rollbook", version: "1", ...other }, types, primaryType: "Cancel", message: message(tx) });
    expect(bytesToHex(txSigningHash(other, tx))).to.equal(vh);
    expect(bytesToHex(txSigningHash(domainSeparator(other), tx))).to.equal(vh);
  });

  it("random transactions hash like viem", () => {
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    for (let i = 0; i < 200; i++) {
      const tx = samples()[rnd(7)];
      const t = { ...tx } as Record<string, unknown>;
      for (const f of EIP712_TYPES[EIP712_PRIMARY_TYPE[tx.kind]]) {
        if (f.type === "address") continue;
        const max = f.type === "uint8" ? 255 : f.type === "uint32" ? 0xffffffff : MAX_AMOUNT;
        t[f.name] = rnd(4) === 0 ? max : rnd(2) === 0 ? Math.min(max, rnd(1000)) : Math.floor((rnd(2 ** 24) / 2 ** 24) * max);
      }
      expect(bytesToHex(txSigningHash(DOMAIN, t as unknown as Tx))).to.equal(viemHash(t as unknown as Tx));
    }
  });

  it("recovers viem signatures and viem recovers ours", async () => {
    const [k] = makeKeys(1);
    const acct = privateKeyToAccount(bytesToHex(k.priv));
    expect(acct.address.toLowerCase()).to.equal(k.address);
    for (const tx0 of samples()) {
      const tx = { ...tx0, account: k.address } as Tx;
      const sigHex = await acct.signTypedData({ domain: viemDomain, types, primaryType: EIP712_PRIMARY_TYPE[tx.kind], message: message(tx) });
      const b = hexToBytes(sigHex);
      const sig = { r: b.slice(0, 32), s: b.slice(32, 64), v: (b[64] - 27) as 0 | 1 };
      expect(recoverAddress(txSigningHash(DOMAIN, tx), sig)).to.equal(k.address);
      const mine = signTx(DOMAIN, { ...tx } as Tx, k.priv);
      const mineHex = (bytesToHex(mine.sig.r) + bytesToHex(mine.sig.s).slice(2) + (27 + mine.sig.v).toString(16)) as Hex;
      const rec = await recoverTypedDataAddress({ domain: viemDomain, types, primaryType: EIP712_PRIMARY_TYPE[tx.kind], message: message(tx), signature: mineHex });
      expect(rec.toLowerCase()).to.equal(k.address);
      expect(mineHex).to.equal(sigHex); // RFC 6979 deterministic: same signature
    }
  });

  it("rejects high-s, zero, out-of-range r/s and bad v", () => {
    const [k] = makeKeys(1);
    const tx = signTx(DOMAIN, { ...samples()[2], account: k.address } as Tx, k.priv);
    const d = txSigningHash(DOMAIN, tx);
    expect(recoverAddress(d, tx.sig)).to.equal(k.address);
    // malleated twin: s' = n - s, v' = 1 - v recovers the same key mathematically but must be refused
    const n = BigInt("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
    const s = BigInt(bytesToHex(tx.sig.s));
    const s2 = hexToBytes((n - s).toString(16).padStart(64, "0"));
    const twin = { r: tx.sig.r, s: s2, v: (1 - tx.sig.v) as 0 | 1 };
    expect(isCanonicalSignature(twin)).to.equal(false);
    expect(recoverAddress(d, twin)).to.equal(null);
    expect(recoverAddress(d, { ...tx.sig, r: new Uint8Array(32) })).to.equal(null);
    expect(recoverAddress(d, { ...tx.sig, s: new Uint8Array(32) })).to.equal(null);
    expect(recoverAddress(d, { ...tx.sig, r: hexToBytes(n.toString(16)) })).to.equal(null);
    expect(recoverAddress(d, { ...tx.sig, v: 27 as unknown as 0 })).to.equal(null);
    // a flipped v recovers some other address (or none), never the signer
    expect(recoverAddress(d, { ...tx.sig, v: (1 - tx.sig.v) as 0 | 1 })).to.not.equal(k.address);
  });

  it("well-formedness: integer ranges, addresses, signature lengths, kind", () => {
    const ok = samples()[0];
    expect(isWellFormed(ok)).to.equal(true);
    const bad: unknown[] = [
      { ...ok, nonce: -1 },
      { ...ok, nonce: 1.5 },
      { ...ok, nonce: MAX_AMOUNT + 1 },
      { ...ok, side: 256 },
      { ...ok, market: 2 ** 32 },
      { ...ok, price: Number.NaN },
      { ...ok, account: "0x1234" },
      { ...ok, account: "0xzz34567890abcdef1234567890abcdef12345678" },
      { ...ok, sig: { r: new Uint8Array(31), s: new Uint8Array(32), v: 0 } },
      { ...ok, sig: { r: new Uint8Array(32), s: new Uint8Array(32), v: 2 } },
      { ...ok, kind: 99 },
      { ...samples()[6], recipient: "0x0" },
      null,
    ];
    for (const b of bad) expect(isWellFormed(b as Tx)).to.equal(false);
  });

  it("tx hash commits to the signature", () => {
    const [k] = makeKeys(1);
    const tx = signTx(DOMAIN, { ...samples()[2], account: k.address } as Tx, k.priv);
    const h1 = txHash(DOMAIN, tx);
    const h2 = txHash(DOMAIN, { ...tx, sig: { ...tx.sig, v: (1 - tx.sig.v) as 0 | 1 } } as Tx);
    expect(h1).to.match(/^0x[0-9a-f]{64}$/);
    expect(h1).to.not.equal(h2);
  });
});
