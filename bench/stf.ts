// `npm run bench -- stf [resting] [ops]`: throughput of the full STF (authentication with signers from a
// TxSignerCache, validation, locking, matching, settlement, receipts, dirty tracking) on the clob bench
// mix (60% limit near the touch, 25% cancel, 10% amend, 5% IOC/market), 10k accounts, one market, batches
// of 1000 transactions, at a given number of resting orders. Signature recovery is excluded (measured by
// `bench -- auth`). Last line: {"bench":"stf","resting":N,"tx_per_s":N,"fills_per_tx":x}

import { cloneState, createGenesisState } from "../node/clob/state.ts";
import { applyBatch, TxSignerCache } from "../node/clob/stf.ts";
import { L1MessageKind, MarketStatus, type Tx, TxKind, type Address, type L1Message } from "../node/clob/types.ts";
import { XorShift32 as Rng } from "../node/sim/rng.ts";

const DOMAIN = { chainId: 31337, verifyingContract: "0x5fbdb2315678afecb367f032d93f642f64180aa3" as Address };

export function main(args: string[]): void {
  const resting = Number(args[0] ?? 100_000);
  const ops = Number(args[1] ?? 200_000);
  const nAcc = 10_000;
  const rng = new Rng(7);
  const st = createGenesisState({ domain: DOMAIN });
  const accounts: Address[] = [];
  for (let i = 0; i < nAcc; i++) accounts.push(`0x${(i + 1).toString(16).padStart(40, "0")}` as Address);
  const msgs: L1Message[] = [{
    kind: L1MessageKind.SET_MARKET, market: 1,
    params: { baseAsset: 1, quoteAsset: 2, lotSize: 1, tickSize: 1, minSize: 1, makerFeePpm: -50, takerFeePpm: 300, status: MarketStatus.ACTIVE },
  }];
  for (const a of accounts) msgs.push({ kind: L1MessageKind.DEPOSIT, account: a, asset: 1, amount: 1e9 }, { kind: L1MessageKind.DEPOSIT, account: a, asset: 2, amount: 1e12 });
  let now = 1000;
  applyBatch(st, { index: 1, timestamp: now, txs: [] }, msgs);

  const nonces = new Array<number>(nAcc).fill(0);
  const sig = { r: new Uint8Array(32).fill(1), s: new Uint8Array(32).fill(1), v: 0 as const };
  const cache = new TxSignerCache();
  const live: { acc: number; id: number; price: number; size: number }[] = [];
  const MID = 100_000;

  const place = (acc: number, side: 0 | 1, price: number, size: number, tif: 0 | 1 | 4): Tx => {
    const tx: Tx = { kind: TxKind.PLACE, account: accounts[acc], nonce: nonces[acc]++, sig, market: 1, side, tif, price, size, expiry: 0, clientId: 0, stp: 0 };
    cache.set(tx, accounts[acc]);
    return tx;
  };
  const run = (txs: Tx[]) => {
    const r = applyBatch(st, { index: st.batchIndex + 1, timestamp: ++now, txs }, [], { signerCache: cache });
    let fills = 0;
    for (let i = 0; i < txs.length; i++) {
      const rc = r.receipts.tx(i);
      fills += rc.fills.length;
      const tx = txs[i];
      if (tx.kind === TxKind.PLACE && rc.code === 0) {
        const me = rc.orders[rc.orders.length - 1];
        if (me.remaining > 0) live.push({ acc: st.accountIndex.get(tx.account)! - 1, id: rc.orderId, price: me.price, size: me.remaining });
      }
    }
    return fills;
  };

  // Pre-fill: resting orders away from the touch on both sides.
  let batch: Tx[] = [];
  for (let i = 0; i < resting; i++) {
    const side = (i & 1) as 0 | 1;
    const off = 5 + rng.int(2000);
    batch.push(place(rng.int(nAcc), side, side === 0 ? MID - off : MID + off, 1 + rng.int(20), 0));
    if (batch.length === 1000) {
      run(batch);
      batch = [];
    }
  }
  if (batch.length > 0) run(batch);

  // Measured mix.
  const txsAll: Tx[][] = [];
  let b: Tx[] = [];
  const pending = live.slice();
  for (let i = 0; i < ops; i++) {
    const k = rng.int(100);
    if (k < 60 || pending.length === 0) {
      const side = rng.int(2) as 0 | 1;
      const off = rng.int(20) - 3;
      const acc = rng.int(nAcc);
      b.push(place(acc, side, side === 0 ? MID - off : MID + off, 1 + rng.int(10), 0));
    } else if (k < 85) {
      const j = rng.int(pending.length);
      const o = pending[j];
      pending[j] = pending[pending.length - 1];
      pending.pop();
      const tx: Tx = { kind: TxKind.CANCEL, account: accounts[o.acc], nonce: nonces[o.acc]++, sig, market: 1, orderId: o.id };
      cache.set(tx, accounts[o.acc]);
      b.push(tx);
    } else if (k < 95) {
      const o = pending[rng.int(pending.length)];
      const tx: Tx = { kind: TxKind.AMEND, account: accounts[o.acc], nonce: nonces[o.acc]++, sig, market: 1, orderId: o.id, price: o.price, size: Math.max(1, o.size - 1) };
      o.size = Math.max(1, o.size - 1);
      cache.set(tx, accounts[o.acc]);
      b.push(tx);
    } else {
      const side = rng.int(2) as 0 | 1;
      b.push(place(rng.int(nAcc), side, side === 0 ? MID + 50 : MID - 50, 1 + rng.int(5), rng.int(2) === 0 ? 1 : 4));
    }
    if (b.length === 1000) {
      txsAll.push(b);
      b = [];
    }
  }
  if (b.length > 0) txsAll.push(b);
  const restingNow = st.markets.get(1)!.book.orderCount;
  const admitted = txsAll.map((b) => b.map((tx) => ({ signer: tx.account, account: -1 })));
  const measure = (mode: "full" | "none" | "weakmap") => {
    const s = cloneState(st);
    let t = now;
    let fills = 0;
    const t0 = performance.now();
    for (let i = 0; i < txsAll.length; i++) {
      const opts = mode === "weakmap" ? { signerCache: cache } : { admitted: admitted[i], receipts: mode === "none" ? ("none" as const) : ("full" as const) };
      const r = applyBatch(s, { index: s.batchIndex + 1, timestamp: ++t, txs: txsAll[i] }, [], opts);
      fills += r.receipts.fillCount;
    }
    const ms = performance.now() - t0;
    return { perS: Math.round((ops / ms) * 1000), fills, ms };
  };
  const best = (mode: "full" | "none" | "weakmap") => {
    const a = measure(mode);
    const b = measure(mode);
    return a.perS > b.perS ? a : b;
  };
  measure("none"); // warm-up
  const full = best("full");
  const lean = best("none");
  const weak = best("weakmap");
  const out = {
    bench: "stf", resting: restingNow, tx_per_s: full.perS, tx_per_s_no_receipts: lean.perS,
    tx_per_s_weakmap_cache: weak.perS, fills_per_tx: Number((full.fills / ops).toFixed(3)),
  };
  console.log(`STF, ${restingNow} resting orders, ${ops} txs (signers known):`);
  console.log(`  receipts full:                ${out.tx_per_s} tx/s (${out.fills_per_tx} fills/tx)`);
  console.log(`  receipts none:                ${out.tx_per_s_no_receipts} tx/s`);
  console.log(`  receipts full, WeakMap cache: ${out.tx_per_s_weakmap_cache} tx/s`);
  console.log(JSON.stringify(out));
}
