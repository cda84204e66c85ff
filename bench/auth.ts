// `npm run bench -- auth [n]`: EIP-712 authorization throughput on one core: struct hashing + digest
// (node/clob/eip712.ts), native ecdsaRecover + address, the full STF check path (authenticate a PLACE),
// and viem's generic recoverTypedDataAddress for comparison; BULK verification (hash a 32-action bulk,
// recover once, per action). Hashing runs on the native keccak addon when built (node/state/keccak.ts says
// which backend; KECCAK_BACKEND=js forces @noble). Last line:
// {"bench":"auth","hash_per_s":N,"recover_per_s":N,"verify_per_s":N,"viem_verify_per_s":N,"sign_per_s":N,
//  "bulk_actions_verified_per_s":N,"bulk_hash_per_s":N,"keccak":"native-..."}

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
import { EIP712_TYPES, type BulkAction, type BulkTx, type PlaceOrderTx, TxKind } from "../node/clob/types.ts";
import { keccakBackend } from "../node/state/keccak.ts";

/** Actions per bulk in bulk_actions_verified_per_s. */
const BULK_ACTIONS = 32;

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

  // BULK: a market maker's quote cycle of 32 actions (places, amends, cancels) under one signature
  const nb = Math.max(64, Math.floor(n / 16));
  const bulks: BulkTx[] = [];
  for (let i = 0; i < nb; i++) {
    const k = i % keys.length;
    const actions: BulkAction[] = [];
    for (let j = 0; j < BULK_ACTIONS; j++) {
      const v = i * BULK_ACTIONS + j;
      if (j % 4 === 0) actions.push({ op: TxKind.CANCEL, market: 1 + (j % 3), orderId: 7_000_000 + v });
      else if (j % 4 === 1) actions.push({ op: TxKind.AMEND, market: 1 + (j % 3), orderId: 7_000_000 + v, price: 1000 + (v % 50), size: 10 });
      else actions.push({ op: TxKind.PLACE, market: 1 + (j % 3), side: (j & 1) as 0 | 1, tif: 3, price: 1000 + (v % 50), size: 10, expiry: 0, clientId: v, stp: 0 });
    }
    bulks.push(signTx(sep, { kind: TxKind.BULK, account: addrs[k], nonce: i, sig: { r: new Uint8Array(32), s: new Uint8Array(32), v: 0 }, actions }, keys[k]));
  }
  for (let i = 0; i < 200; i++) txSigningHash(sep, bulks[i % nb]);
  t = performance.now();
  for (let i = 0; i < nb; i++) x ^= txSigningHash(sep, bulks[i])[0];
  const bulkHashMs = performance.now() - t;
  t = performance.now();
  let okb = 0;
  for (let i = 0; i < nb; i++) if (recoverAddress(txSigningHash(sep, bulks[i]), bulks[i].sig) === bulks[i].account) okb++;
  const bulkMs = performance.now() - t;
  if (okb !== nb) throw new Error("bulk recovery mismatch");

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
      bulk_actions_verified_per_s: rate(nb * BULK_ACTIONS, bulkMs),
      bulk_hash_per_s: rate(nb, bulkHashMs),
      keccak: keccakBackend,
    };
    console.log(`EIP-712 signing hash (Place):      ${out.hash_per_s}/s  (x=${x & 0})`);
    console.log(`native ecdsaRecover + address:     ${out.recover_per_s}/s`);
    console.log(`hash + recover (STF check path):   ${out.verify_per_s}/s`);
    console.log(`viem recoverTypedDataAddress:      ${out.viem_verify_per_s}/s`);
    console.log(`native sign (hash + ecdsaSign):    ${out.sign_per_s}/s`);
    console.log(`BULK of ${BULK_ACTIONS}: signing hash ${out.bulk_hash_per_s} bulks/s; hash + one recovery: ${out.bulk_actions_verified_per_s} actions/s (keccak: ${keccakBackend})`);
    console.log(JSON.stringify(out));
  })();
}
