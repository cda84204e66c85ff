// `npm run bench -- follower [--orders N] [--mode bulk|single|both] [--kzg proof|recompute] [--recovery-threads N] [--leaf-log on|off] [--profile PREFIX]`: follower_resync_orders_per_s
// (issue 14 "Must show"): a fresh follower derives N orders already posted on anvil as blob batches:
// L1 blocks and Inbox logs, blob fetch from anvil's beacon route with the KZG check (by default the KZG
// records the proposer published in its archive are verified; `--kzg recompute`: commitments recomputed),
// unpack, decode, batch validity, signer recovery (on `--recovery-threads` workers for prefetched batches,
// default 2; 0 = inline in the STF), STF and state root, LevelDB commits (history mode: a write per group of
// up to 32 batches or 16,384 leaf operations, each final batch's leaf changes one record of the leaf log,
// no undo records below the L1 finalized block; the log is folded into leaves by deriver.stop(), timed apart).
//
// Workload: bench/workload.ts (the clob bench mix over 200 funded accounts, 2 markets, pre-filled
// books) with real EIP-712 signatures. "bulk": each account's consecutive actions in a batch go into BULK
// transactions of at most 32 actions under one signature (the grouping of the bytes_per_order_bulk stream);
// "single": one signature per order. Setup (deploying, enqueuing the deposits, signing, posting with KZG
// proofs) is not timed; only the fresh follower's resync is.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { pino } from "pino";
import { Registry } from "prom-client";
import { createPublicClient, createWalletClient, defineChain, http, zeroHash, type Address, type Hex, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { addressOfPrivateKey, signTx } from "../node/clob/eip712.ts";
import { encodeL1Message } from "../node/clob/l1messages.ts";
import { createGenesisState } from "../node/clob/state.ts";
import { applyBatch } from "../node/clob/stf.ts";
import { L1MessageKind, TxKind, type BulkAction, type BulkTx, type Tx } from "../node/clob/types.ts";
import { encodeBatch } from "../node/codec/index.ts";
import { ArchiveKzgSource, ArchiveStore, BeaconBlobSource, BlobFetcher, BlobPoster, blobCommitment, blobProof, computeVersionedHashes, loadKzg, packBlobs, startArchiveServer, verifyBlobProofs } from "../node/da/index.ts";
import { Deriver } from "../node/derive/index.ts";
import { inboxAbi } from "../node/l1/contracts.ts";
import { ANVIL_DEV_KEYS, startAnvil } from "../node/l1/anvil.ts";
import { StateStore } from "../node/state/store.ts";
import { Workload } from "./workload.ts";
import { loadArtifact } from "../scripts/deploy.ts";

const silent = pino({ level: "silent" });
const BULK_MAX = 32;

interface RunResult {
  mode: string;
  orders: number;
  txs: number;
  batches: number;
  blobs: number;
  bytes: number;
  seconds: number;
  ordersPerS: number;
  /** CPU of the resync, ms: the main thread, and the whole process (main thread, recovery workers, LevelDB and libuv threads). */
  mainCpuMs: number;
  processCpuMs: number;
  stats: Deriver["stats"];
  /** When each batch finished executing (ms after the resync started): the first is the start-up latency, seconds - the last is the tail. */
  batchAt: number[];
  /** Leaf operations (puts + deletes) of each batch. */
  batchLeaves: number[];
  /** Batches in the store's leaf log when the resync returned (folded by deriver.stop(), in stats.foldMs). */
  logged: number;
}

function keyOf(i: number): Uint8Array {
  return keccak_256(new TextEncoder().encode(`rollbook-follower-bench-${i}`));
}

/** Groups each account's actions of one batch into BULKs of at most BULK_MAX, in first-appearance order. */
export function toBulk(txs: readonly Tx[], nonces: Map<string, number>): BulkTx[] {
  const open = new Map<string, BulkTx>();
  const out: BulkTx[] = [];
  for (const tx of txs) {
    let action: BulkAction;
    if (tx.kind === TxKind.PLACE) action = { op: TxKind.PLACE, market: tx.market, side: tx.side, tif: tx.tif, price: tx.price, size: tx.size, expiry: tx.expiry, clientId: tx.clientId, stp: tx.stp };
    else if (tx.kind === TxKind.CANCEL) action = { op: TxKind.CANCEL, market: tx.market, orderId: tx.orderId };
    else if (tx.kind === TxKind.AMEND) action = { op: TxKind.AMEND, market: tx.market, orderId: tx.orderId, price: tx.price, size: tx.size };
    else if (tx.kind === TxKind.CANCEL_BY_CLIENT_ID) action = { op: TxKind.CANCEL_BY_CLIENT_ID, market: tx.market, clientId: tx.clientId };
    else if (tx.kind === TxKind.CANCEL_ALL) action = { op: TxKind.CANCEL_ALL, market: tx.market };
    else continue;
    let b = open.get(tx.account);
    if (b === undefined || b.actions.length >= BULK_MAX) {
      const nonce = nonces.get(tx.account) ?? 0;
      nonces.set(tx.account, nonce + 1);
      b = { kind: TxKind.BULK, account: tx.account, nonce, actions: [], sig: { r: new Uint8Array(32), s: new Uint8Array(32), v: 0 } };
      open.set(tx.account, b);
      out.push(b);
    }
    b.actions.push(action);
  }
  return out;
}

/** Profiles `fn` with the V8 CPU profiler into `file` (a .cpuprofile for Chrome DevTools / speedscope). */
async function profiled<T>(file: string | undefined, fn: () => Promise<T>): Promise<T> {
  if (file === undefined) return fn();
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
  try {
    return await fn();
  } finally {
    const { profile } = await session.post("Profiler.stop");
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
}

interface RunOptions {
  /** "proof": the proposer publishes KZG records in its archive and the follower verifies them; "recompute": no records. */
  kzg: "proof" | "recompute";
  /** Write a CPU profile of the resync here. */
  profile?: string;
  /** The follower's signer recovery threads (Deriver recoveryThreads). */
  recoveryThreads: number;
  /** Final batches' leaves as one record per batch (Deriver logLeaves, default) or one key per leaf (`--leaf-log off`). */
  logLeaves: boolean;
}

async function run(mode: "bulk" | "single", target: number, ro: RunOptions): Promise<RunResult> {
  const anvil = await startAnvil({ args: ["--gas-limit", "300000000"] });
  const dir = mkdtempSync(path.join(tmpdir(), "rollbook-follower-bench-"));
  const archive = new ArchiveStore(path.join(dir, "archive"));
  const archiveServer = await startArchiveServer(archive);
  try {
    const probe = createPublicClient({ transport: http(anvil.rpcUrl) });
    const chain = defineChain({ id: await probe.getChainId(), name: "anvil", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [anvil.rpcUrl] } } });
    const pub = createPublicClient({ chain, transport: http(anvil.rpcUrl, { timeout: 120_000 }) }) as PublicClient;
    const gov = privateKeyToAccount(ANVIL_DEV_KEYS[0]);
    const vault = privateKeyToAccount(ANVIL_DEV_KEYS[1]); // stands in for the Vault: enqueues the DEPOSIT messages
    const wallet = (a: typeof gov) => createWalletClient({ account: a, chain, transport: http(anvil.rpcUrl) });
    const art = loadArtifact("Inbox");
    const dh = await wallet(gov).deployContract({ abi: art.abi, bytecode: art.bytecode, args: [gov.address, 8192n, 65536n, 3600, 600, 0n] });
    const inbox = (await pub.waitForTransactionReceipt({ hash: dh })).contractAddress!;
    const startBlock = Number(await pub.getBlockNumber());
    await pub.waitForTransactionReceipt({ hash: await wallet(gov).writeContract({ address: inbox, abi: inboxAbi, functionName: "initialize", args: [vault.address] }) });
    const domain = { chainId: chain.id, verifyingContract: inbox.toLowerCase() as Address };

    const accounts = 200;
    const keys = Array.from({ length: accounts }, (_, i) => keyOf(i));
    const addresses = keys.map((k) => addressOfPrivateKey(k));
    const keyByAddress = new Map(addresses.map((a, i) => [a, keys[i]!]));
    const wl = new Workload({ seed: 5, accounts, markets: 2, depth: 10_000, batchSize: mode === "bulk" ? 16_000 : 10_000, addresses });
    const gen = createGenesisState({ domain, feeAccount: gov.address.toLowerCase() as Address });
    const poster = new BlobPoster({ client: pub, account: privateKeyToAccount(ANVIL_DEV_KEYS[2]), inbox, logger: silent, registry: new Registry(), pollIntervalMs: 20, timeoutMs: 300_000, archive: ro.kzg === "proof" ? archive : undefined });
    let chainValue: Hex = zeroHash;
    let consumed = 0;
    let enqueued = 0;
    let orders = 0;
    let txCount = 0;
    let blobs = 0;
    let bytesTotal = 0;
    let batches = 0;
    const bulkNonces = new Map<string, number>();
    process.stdout.write(`  [${mode}] posting`);
    while (orders < target) {
      const { batch, l1, admitted } = wl.next(gen);
      for (const m of l1) {
        const from = m.kind === L1MessageKind.DEPOSIT ? vault : gov;
        await wallet(from).writeContract({ address: inbox, abi: inboxAbi, functionName: "enqueue", args: [`0x${Buffer.from(encodeL1Message(m)).toString("hex")}`] });
        enqueued++;
      }
      let txs: Tx[];
      if (mode === "single" || batch.txs.length === 0) {
        txs = batch.txs.map((tx) => signTx(domain, tx, keyByAddress.get(tx.account)!));
        applyBatch(gen, batch, l1, { admitted, receipts: "none" });
      } else {
        txs = toBulk(batch.txs, bulkNonces).map((tx) => signTx(domain, tx, keyByAddress.get(tx.account)!));
        applyBatch(gen, { ...batch, txs }, l1, { receipts: "none" });
      }
      const block = await pub.getBlock();
      const bytes = encodeBatch({ header: { parentBatchHash: chainValue, timestamp: Number(block.timestamp), l1MsgStart: consumed, l1MsgEnd: enqueued }, txs });
      const r = await poster.propose(bytes, { l1MsgEnd: BigInt(enqueued), mode: "blob", ipfsCid: new Uint8Array(0) });
      chainValue = r.event!.batchChain;
      consumed = enqueued;
      orders += batch.txs.length;
      txCount += txs.length;
      blobs += r.versionedHashes.length;
      bytesTotal += bytes.length;
      batches++;
      process.stdout.write(".");
    }
    process.stdout.write("\n");
    // Bury the batches below L1 finality (anvil: head - 64) so the follower syncs them as history.
    await fetch(anvil.rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "anvil_mine", params: ["0x80"] }) });

    const store = await StateStore.open(path.join(dir, "follower"));
    const registry = new Registry();
    const deriver = await Deriver.open({
      client: pub, inbox, startBlock, genesis: { domain, feeAccount: gov.address.toLowerCase() as Address }, store,
      // Blobs from anvil's beacon route; KZG records from the proposer's archive (none with --kzg recompute).
      fetcher: new BlobFetcher({ sources: [new BeaconBlobSource({ url: anvil.rpcUrl })], kzgSources: ro.kzg === "proof" ? [new ArchiveKzgSource({ url: archiveServer.url })] : [], logger: silent, registry }),
      logger: silent, registry, recoveryThreads: ro.recoveryThreads, logLeaves: ro.logLeaves,
    });
    let invalid = 0;
    const batchAt: number[] = [];
    const batchLeaves: number[] = [];
    deriver.on("batch", (b) => {
      batchAt.push(performance.now() - t0);
      batchLeaves.push(b.derived.puts.length + (b.derived.putBatch?.count ?? 0) + b.derived.dels.length);
      if (!b.valid) invalid++;
    });
    const t0 = performance.now();
    const main0 = process.threadCpuUsage();
    const proc0 = process.cpuUsage();
    const status = await profiled(ro.profile, () => deriver.syncToHead());
    const seconds = (performance.now() - t0) / 1000;
    const main1 = process.threadCpuUsage(main0);
    const proc1 = process.cpuUsage(proc0);
    const logged = store.loggedBatches;
    await deriver.stop(); // folds the leaf log of the history just synced (timed apart: stats.foldMs)
    await store.close();
    if (status.batchIndex !== batches || invalid > 0 || deriver.stats.txs !== txCount) {
      throw new Error(`follower derived ${status.batchIndex} batches (${invalid} invalid, ${deriver.stats.txs} txs), posted ${batches} (${txCount} txs)`);
    }
    return {
      mode, orders, txs: txCount, batches, blobs, bytes: bytesTotal, seconds, ordersPerS: Math.round(orders / seconds), stats: { ...deriver.stats }, batchAt, batchLeaves, logged,
      mainCpuMs: (main1.user + main1.system) / 1000, processCpuMs: (proc1.user + proc1.system) / 1000,
    };
  } finally {
    await archiveServer.close();
    await anvil.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The two ways a follower can check a blob: recompute the commitment, or verify a supplied commitment + proof. */
function kzgCosts(): { recomputeMs: number; verifyMs: number } {
  const blob = packBlobs(new Uint8Array(120_000).map((_, i) => (i * 7) & 255))[0]!;
  const c = blobCommitment(blob);
  const p = blobProof(blob, c);
  let t = performance.now();
  for (let i = 0; i < 5; i++) computeVersionedHashes([blob]);
  const recomputeMs = (performance.now() - t) / 5;
  t = performance.now();
  for (let i = 0; i < 20; i++) verifyBlobProofs([blob], [c], [p]);
  const verifyMs = (performance.now() - t) / 20;
  return { recomputeMs, verifyMs };
}

/**
 * The issue-14 figures for `npm run bench -- node`: a fresh follower's resync of `orders` orders from bulk
 * and from single-signature transactions (default options: KZG records, 2 recovery threads, leaf log).
 */
export async function followerResync(orders = 100_000): Promise<{ bulk: number; single: number }> {
  loadKzg();
  const ro: RunOptions = { kzg: "proof", recoveryThreads: 2, logLeaves: true };
  const bulk = await run("bulk", orders, ro);
  const single = await run("single", orders, ro);
  for (const r of [bulk, single]) console.log(`follower resync [${r.mode}]: ${r.orders} orders in ${r.seconds.toFixed(2)} s -> ${r.ordersPerS} orders/s (CPU ${r.mainCpuMs.toFixed(0)} ms main thread, ${r.processCpuMs.toFixed(0)} ms process)`);
  return { bulk: bulk.ordersPerS, single: single.ordersPerS };
}

export async function main(args: string[]): Promise<void> {
  let target = 100_000;
  let modes: ("bulk" | "single")[] = ["bulk", "single"];
  let profile: string | undefined;
  let kzgCheck: RunOptions["kzg"] = "proof";
  let recoveryThreads = 2;
  let logLeaves = true;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--orders") target = Number(args[++i]);
    else if (args[i] === "--profile") profile = args[++i];
    else if (args[i] === "--recovery-threads") recoveryThreads = Number(args[++i]);
    else if (args[i] === "--leaf-log") logLeaves = args[++i] !== "off";
    else if (args[i] === "--kzg") kzgCheck = args[++i] === "recompute" ? "recompute" : "proof";
    else if (args[i] === "--mode") {
      const m = args[++i];
      modes = m === "both" ? ["bulk", "single"] : [m as "bulk" | "single"];
    }
  }
  loadKzg();
  console.log(`follower resync: a fresh follower derives ${target} orders already posted on anvil as blobs`);
  const results: RunResult[] = [];
  for (const mode of modes) results.push(await run(mode, target, { kzg: kzgCheck, recoveryThreads, logLeaves, profile: profile === undefined ? undefined : `${profile}-${mode}.cpuprofile` }));
  const kzg = kzgCosts();
  for (const r of results) {
    const s = r.stats;
    const other = r.seconds * 1000 - (s.l1Ms + s.fetchMs + s.recoveryWaitMs + s.decodeMs + s.stfMs + s.rootMs + s.commitMs);
    console.log(`\n[${r.mode}] ${r.orders} orders in ${r.txs} signed txs, ${r.batches} batches, ${r.blobs} blobs, ${(r.bytes / r.orders).toFixed(1)} B/order`);
    console.log(`  resync ${r.seconds.toFixed(2)} s -> ${r.ordersPerS} orders/s; CPU ${r.mainCpuMs.toFixed(0)} ms main thread, ${r.processCpuMs.toFixed(0)} ms whole process`);
    console.log("  where the time goes:");
    const row = (name: string, ms: number) => console.log(`    ${name.padEnd(44)} ${ms.toFixed(0).padStart(7)} ms  ${((100 * ms) / (r.seconds * 1000)).toFixed(1).padStart(5)} %`);
    row("L1 blocks + Inbox logs (RPC)", s.l1Ms);
    row(`blob fetch + KZG ${kzgCheck === "proof" ? "record verify" : "recompute"} (${r.blobs} blobs) + unpack`, s.fetchMs);
    row(`waiting for signer recovery (${recoveryThreads} threads)`, s.recoveryWaitMs);
    row("decode", s.decodeMs);
    row(recoveryThreads > 0 ? "STF (signers recovered ahead on workers)" : "STF (incl. signature recovery)", s.stfMs);
    row("state root (trie)", s.rootMs);
    row("LevelDB commits", s.commitMs);
    row("other (event handling, scheduling)", other);
    console.log(`  after the resync (not in its time): deriver.stop() folded the leaf log of ${r.logged} batches in ${s.foldMs.toFixed(0)} ms`);
    const at = r.batchAt;
    console.log(`  timeline: batches executed at ${at.map((x) => x.toFixed(0)).join(", ")} ms; durable at ${(r.seconds * 1000).toFixed(0)} ms (tail ${(r.seconds * 1000 - at[at.length - 1]!).toFixed(0)} ms); leaf operations per batch ${r.batchLeaves.join(", ")}`);
  }
  console.log(`\nKZG per blob: recompute commitment ${kzg.recomputeMs.toFixed(1)} ms (what the fetcher does), verify a supplied commitment + proof ${kzg.verifyMs.toFixed(1)} ms`);
  const bulk = results.find((r) => r.mode === "bulk");
  const single = results.find((r) => r.mode === "single");
  console.log(JSON.stringify({
    bench: "follower",
    follower_resync_orders_per_s: bulk?.ordersPerS ?? null,
    follower_resync_orders_per_s_single: single?.ordersPerS ?? null,
    orders: target,
    kzg_check: kzgCheck,
    recovery_threads: recoveryThreads,
    leaf_log: logLeaves,
    kzg_recompute_ms_per_blob: Number(kzg.recomputeMs.toFixed(2)),
    kzg_verify_proof_ms_per_blob: Number(kzg.verifyMs.toFixed(2)),
  }));
}
