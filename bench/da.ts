// `npm run bench -- da [--orders N] [--seed S]`: data-availability cost of the batch format
// (docs/benchmarks.md, section "da").
//
// Workload: the seeded market-maker order stream of node/sim/mm-stream.ts (default 20,000 txs, seed 42: quote
// placements at the touch, amends of the oldest quote to the touch, cancels by id / client id / all, a few
// taker IOC/MARKET orders; 4 makers, 4 takers, 3 markets, sequential nonces), every tx signed for real
// (EIP-712 digest from node/clob/eip712.ts, native secp256k1).
// Method: the stream is cut into consecutive batches that each fill one blob (node/da dense packing:
// 130,048 payload bytes per blob minus the 5-byte packing header) using fitTxs with the default "auto"
// compression. Reported:
//   bytes_per_order      total encoded batch bytes / txs (headers, records, signatures, compression included)
//   bytes_per_order_bulk the same stream (same seed, same events) with each maker's actions grouped into BULKs
//                        of up to 32 actions (node/sim/mm-stream.ts `bulk`: a maker's quote cycle across all the
//                        markets it quotes, one signature and one nonce per bulk) and the takers' orders signed
//                        one by one; total batch bytes / orders (bulk actions + taker orders)
//   orders_per_blob      mean txs per full one-blob batch
//   encode_orders_per_s  encodeBatch (domain encoding + DEFLATE, keep it if smaller than NONE) over all batches
//   decode_orders_per_s  decodeBatch (decompression + domain decoding + signature unpacking) over all batches
//   kzg_ms_per_blob      c-kzg 4.1.0 blob commitment + blob proof per blob (node/da benchKzg, 6 blobs)
//   kzg_v1_ms_per_blob   the same with EIP-7594 cell proofs (v1 network wrapper, node/da benchCellProofs)
// Also printed: the same batches with each v1 compression forced (none / deflate), the sizes zstd and brotli
// would give on the same records (candidates not in format v1), and node/da packing throughput. The last
// line is the JSON summary.

import zlib from "node:zlib";
import { parseArgs } from "node:util";
import { benchCellProofs, benchKzg, benchPacking } from "../node/da/bench.ts";
import { PACKING_HEADER_BYTES, PAYLOAD_BYTES_PER_BLOB, packBlobs, unpackBlobs } from "../node/da/packing.ts";
import { Compression, decodeBatch, encodeBatch, fitTxs, type BatchHeader } from "../node/codec/index.ts";
import { envelopeLayout } from "../node/codec/fuzz.ts";
import type { Tx } from "../node/clob/types.ts";
import { STREAM_DEFAULTS, generateMmStream, orderCount } from "../node/sim/mm-stream.ts";

/** Actions per maker BULK in bytes_per_order_bulk (a quote cycle). */
export const BULK_ACTIONS = 32;

/** Batch bytes one blob carries with node/da's packing. */
export const BLOB_CAPACITY = PAYLOAD_BYTES_PER_BLOB - PACKING_HEADER_BYTES;

function header(i: number): BatchHeader {
  const h = (b: number) => `0x${b.toString(16).padStart(2, "0").repeat(32)}` as const;
  return {
    parentBatchHash: h(i & 0xff),
    timestamp: STREAM_DEFAULTS.timestamp + 12 * i,
    l1MsgStart: 100 + i,
    l1MsgEnd: 100 + i,
  };
}

/** Runs fn repeatedly for at least minMs (after one warm-up run); returns ms per run. */
function timeIt(fn: () => void, minMs = 1000): number {
  fn();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minMs || n < 2) {
    fn();
    n++;
  }
  return (performance.now() - t0) / n;
}

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { orders: { type: "string", default: String(STREAM_DEFAULTS.orders) }, seed: { type: "string", default: String(STREAM_DEFAULTS.seed) } },
  });
  const orders = Number(values.orders);
  const seed = Number(values.seed);

  let t0 = performance.now();
  const txs = generateMmStream({ orders, seed });
  const kinds: Record<string, number> = {};
  for (const t of txs) kinds[t.kind] = (kinds[t.kind] ?? 0) + 1;
  console.log(`stream: ${txs.length} signed txs (seed ${seed}) in ${Math.round(performance.now() - t0)} ms; by kind ${JSON.stringify(kinds)}`);

  // cut into one-blob batches
  t0 = performance.now();
  const cut = (stream: Tx[], step: number): { header: BatchHeader; txs: Tx[] }[] => {
    const out: { header: BatchHeader; txs: Tx[] }[] = [];
    for (let at = 0; at < stream.length; ) {
      const h = header(out.length);
      const n = fitTxs(h, stream.slice(at, at + step), BLOB_CAPACITY);
      if (n === 0) throw new Error("a single tx does not fit a blob");
      out.push({ header: h, txs: stream.slice(at, at + n) });
      at += n;
    }
    return out;
  };
  const batches = cut(txs, 4000);
  const full = batches.length > 1 ? batches.slice(0, -1) : batches;
  const ordersPerBlob = Math.floor(full.reduce((s, b) => s + b.txs.length, 0) / full.length);
  console.log(`batches: ${batches.length} (one blob each, capacity ${BLOB_CAPACITY} B), cut in ${Math.round(performance.now() - t0)} ms`);

  const encodeAll = (c: Compression | "auto") => batches.map((b) => encodeBatch(b, { compression: c }));
  // the v1 algorithms, through the codec
  for (const [name, c] of [["none", Compression.NONE], ["deflate", Compression.DEFLATE]] as const) {
    const enc = encodeAll(c);
    const bytes = enc.reduce((s, e) => s + e.length, 0);
    const encMs = timeIt(() => encodeAll(c), 500);
    const decMs = timeIt(() => enc.forEach((e) => decodeBatch(e)), 500);
    console.log(
      `  ${name.padEnd(10)} ${(bytes / txs.length).toFixed(2)} B/order (records+header ${(bytes / txs.length - 64).toFixed(2)} + signature 64), ` +
        `encode ${Math.round(txs.length / (encMs / 1000))} orders/s, decode ${Math.round(txs.length / (decMs / 1000))} orders/s`,
    );
  }
  // candidates not in v1, applied to the same records sections (sizes only; compression time per batch)
  const plain = encodeAll(Compression.NONE);
  for (const [name, fn] of [
    ["zstd-3", (r: Uint8Array) => zlib.zstdCompressSync(r, { params: { [zlib.constants.ZSTD_c_compressionLevel]: 3 } })],
    ["zstd-19", (r: Uint8Array) => zlib.zstdCompressSync(r, { params: { [zlib.constants.ZSTD_c_compressionLevel]: 19 } })],
    ["brotli-11", (r: Uint8Array) => zlib.brotliCompressSync(r, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } })],
  ] as const) {
    let bytes = 0;
    const t = performance.now();
    for (const e of plain) {
      const l = envelopeLayout(e)!;
      bytes += e.length - (l.sigAt - l.sectionAt) + fn(e.subarray(l.sectionAt, l.sigAt)).length;
    }
    const ms = (performance.now() - t) / plain.length;
    console.log(`  ${name.padEnd(10)} ${(bytes / txs.length).toFixed(2)} B/order (not in format v1; ${ms.toFixed(1)} ms per batch to compress)`);
  }

  const encoded = encodeAll("auto");
  const used = new Map<number, number>();
  for (const e of encoded) {
    const d = decodeBatch(e);
    if (!d.ok) throw new Error(`own batch rejected: ${d.reasonName}`);
    used.set(d.compression, (used.get(d.compression) ?? 0) + 1);
  }
  console.log(`auto picked: ${[...used].map(([c, n]) => `${["none", "deflate"][c]} x${n}`).join(", ")}`);
  const totalBytes = encoded.reduce((s, e) => s + e.length, 0);
  const bytesPerOrder = totalBytes / txs.length;
  const encMs = timeIt(() => encodeAll("auto"));
  const decMs = timeIt(() => encoded.forEach((e) => decodeBatch(e)));

  // full pipeline sanity: the first batch through node/da packing and back
  const blobs = packBlobs(encoded[0]!);
  const unpacked = unpackBlobs(blobs);
  if (blobs.length !== 1 || !unpacked.ok || !decodeBatch(unpacked.data).ok) throw new Error("batch does not survive blob packing");

  const packing = benchPacking();
  const kzg = benchKzg(6);
  const cells = await benchCellProofs(6);
  console.log(`packing (node/da dense): pack ${packing.pack_mb_s} MB/s, unpack ${packing.unpack_mb_s} MB/s`);
  console.log(`kzg (c-kzg 4.1.0): setup ${kzg.setup_ms} ms, commitment ${kzg.commit_ms_per_blob} ms/blob, commitment+proof ${kzg.kzg_ms_per_blob} ms/blob`);
  console.log(`kzg with EIP-7594 cell proofs (v1 wrapper, required from Osaka on): commitment+cell proofs ${cells.kzg_v1_ms_per_blob} ms/blob`);
  console.log(`result: ${bytesPerOrder.toFixed(2)} B/order (target <= 80), ${ordersPerBlob} orders/blob`);

  // the same stream with the makers' quote cycles as BULKs
  const bulkTxs = generateMmStream({ orders, seed, bulk: BULK_ACTIONS });
  const bulkOrders = orderCount(bulkTxs);
  const bulkBatches = cut(bulkTxs, 1000);
  const bulkEncoded = bulkBatches.map((b) => encodeBatch(b));
  for (const e of bulkEncoded) if (!decodeBatch(e).ok) throw new Error("own bulk batch rejected");
  const bulkBytes = bulkEncoded.reduce((s, e) => s + e.length, 0);
  const bulkPerOrder = bulkBytes / bulkOrders;
  const nBulks = bulkTxs.filter((t) => t.kind === 7).length;
  const bulkFull = bulkBatches.length > 1 ? bulkBatches.slice(0, -1) : bulkBatches;
  const bulkPerBlob = Math.floor(bulkFull.reduce((s, b) => s + orderCount(b.txs), 0) / bulkFull.length);
  console.log(
    `bulk: ${bulkOrders} orders as ${bulkTxs.length} txs (${nBulks} maker BULKs of <= ${BULK_ACTIONS} actions, ${bulkTxs.length - nBulks} single taker orders), ` +
      `${bulkBatches.length} blobs: ${bulkPerOrder.toFixed(2)} B/order (target <= 12), ${bulkPerBlob} orders/blob`,
  );
  console.log(
    JSON.stringify({
      bench: "da",
      bytes_per_order: Math.round(bytesPerOrder * 100) / 100,
      orders_per_blob: ordersPerBlob,
      bytes_per_order_bulk: Math.round(bulkPerOrder * 100) / 100,
      orders_per_blob_bulk: bulkPerBlob,
      encode_orders_per_s: Math.round(txs.length / (encMs / 1000)),
      decode_orders_per_s: Math.round(txs.length / (decMs / 1000)),
      kzg_ms_per_blob: kzg.kzg_ms_per_blob,
      kzg_v1_ms_per_blob: cells.kzg_v1_ms_per_blob,
    }),
  );
}
