// `npm run bench -- auth [n]`: EIP-712 authorization throughput on one core: struct hashing + digest
// (node/clob/eip712.ts), native ecdsaRecover + address, the full STF check path (authenticate a PLACE),
// and viem's generic recoverTypedDataAddress for comparison. Last line:
// {"bench":"auth","hash_per_s":N,"recover_per_s":N,"verify_per_s":N,"viem_verify_per_s":N,"sign_per_s":N}

import { keccak_256 } from "@noble/hashes/sha3.js";
import { recoverTypedDataAddress, type Hex } from "viem";
import {
  addressOfPrivateKey,
  bytesToHex,
  domainSeparator,
  recoverAddress,
  signTx,
  txSigningHash,
} from "../node/clob/eip712.ts";
import { EIP712_TYPES, type PlaceOrderTx, TxKind } from "../node/clob/types.ts";

const DOMAIN = { chainId: 31337, verifyingContract: "0x5fbdb2315678afecb367f032d93f642f64180aa3" as const };

function rate(n: number, ms: number): number {
  return Math.round((n / ms) * 1000);
}

export function main(args: string[]): void {
  const n = Number(args[0] ?? 20000);
  const keys = Array.from({ length: 16 }, (_, i) => keccak_256(new TextEncoder().encode(`bench-auth-${i}`)));
  const addrs = keys.map(addressOfPrivateKey);
  const sep = domainSeparator(DOMAIN);
  const txs: PlaceOrderTx[] = [];
  let t = performance.now();
  for (let i = 0; i < n; i++) {
    const k = i % keys.length;
    txs.push(signTx(sep, {
      kind: TxKind.PLACE, account: addrs[k], nonce: i, sig: { r: new Uint8Array(32), s: new Uint8Array(32), v: 0 },
      market: 1, side: (i & 1) as 0 | 1, tif: 0, price: 1000 + (i % 50), size: 1 + (i % 17), expiry: 0, clientId: i, stp: 0,
    }, keys[k]));
  }
  const signMs = performance.now() - t;

  // warm-up
  for (let i = 0; i < 2000; i++) txSigningHash(sep, txs[i % n]);

  t = performance.now();
  let x = 0;
  for (let i = 0; i < n; i++) x ^= txSigningHash(sep, txs[i])[0];
  const hashMs = performance.now() - t;

  const digests = txs.map((tx) => txSigningHash(sep, tx).slice());
  t = performance.now();
  let ok = 0;
  for (let i = 0; i < n; i++) if (recoverAddress(digests[i], txs[i].sig) === txs[i].account) ok++;
  const recMs = performance.now() - t;

  t = performance.now();
  let ok2 = 0;
  for (let i = 0; i < n; i++) if (recoverAddress(txSigningHash(sep, txs[i]), txs[i].sig) === txs[i].account) ok2++;
  const verMs = performance.now() - t;
  if (ok !== n || ok2 !== n) throw new Error("recovery mismatch");

  const nv = Math.min(n, 500);
  const viemDomain = { name: "Rollbook", version: "1", ...DOMAIN };
  t = performance.now();
  return void (async () => {
    for (let i = 0; i < nv; i++) {
      const tx = txs[i];
      const sig = (bytesToHex(tx.sig.r) + bytesToHex(tx.sig.s).slice(2) + (27 + tx.sig.v).toString(16)) as Hex;
      const { kind: _k, sig: _s, ...message } = tx;
      const a = await recoverTypedDataAddress({ domain: viemDomain, types: EIP712_TYPES, primaryType: "Place", message: message as never, signature: sig });
      if (a.toLowerCase() !== tx.account) throw new Error("viem mismatch");
    }
    const viemMs = performance.now() - t;
    const out = {
      bench: "auth",
      hash_per_s: rate(n, hashMs),
      recover_per_s: rate(n, recMs),
      verify_per_s: rate(n, verMs),
      viem_verify_per_s: rate(nv, viemMs),
      sign_per_s: rate(n, signMs),
    };
    console.log(`EIP-712 signing hash (Place):      ${out.hash_per_s}/s  (x=${x & 0})`);
    console.log(`native ecdsaRecover + address:     ${out.recover_per_s}/s`);
    console.log(`hash + recover (STF check path):   ${out.verify_per_s}/s`);
    console.log(`viem recoverTypedDataAddress:      ${out.viem_verify_per_s}/s`);
    console.log(`native sign (hash + ecdsaSign):    ${out.sign_per_s}/s`);
    console.log(JSON.stringify(out));
  })();
}
