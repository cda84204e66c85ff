// End-to-end DA on anvil: post to the real Inbox, fetch back through the beacon route, recover from IPFS when
// blobs are gone, reject tampered data, replace a stuck transaction with bumped fees; blob transactions in both
// network wrappers (v0 EIP-4844 blob proofs, v1 EIP-7594 cell proofs) and the "auto" wrapper choice.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { keccak256, bytesToHex, createPublicClient, http, type Address, type Hex, type PublicClient } from "viem";
import { pino } from "pino";
import { CID } from "multiformats/cid";
import { Registry } from "prom-client";
import {
  ArchiveBlobSource,
  ArchiveKzgSource,
  checkBlobsWithRecords,
  ArchiveStore,
  BeaconBlobSource,
  BlobFetcher,
  BlobPoster,
  DataUnavailableError,
  HeliaBackup,
  IpfsBlobSource,
  KuboBackup,
  IpfsError,
  PostError,
  calldataBatchFromInput,
  rawCid,
  retentionPolicy,
  type PinInfo,
  loadKzg,
  packBlobs,
  startArchiveServer,
  type ArchiveServer,
  type BlobRequest,
  type ProposeResult,
  decodeBlobTx,
  verifyBlobTx,
  wrapBlobTx,
  computeSidecars,
  CELLS_PER_EXT_BLOB,
} from "../../../node/da/index.ts";
import { startL1, deployInbox, testBytes, type L1 } from "./helpers.ts";

const silent = pino({ level: "silent" });

function requestFrom(r: ProposeResult): BlobRequest {
  expect(r.event, "BatchProposed event").to.not.equal(undefined);
  return {
    versionedHashes: r.event!.blobHashes,
    blockNumber: r.receipt.blockNumber,
    blockHash: r.receipt.blockHash,
    ipfsCid: r.event!.ipfsCid,
  };
}

async function metricValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const m = await registry.getSingleMetric(name)?.get();
  return (m?.values ?? []).filter((v) => Object.entries(labels).every(([k, val]) => (v.labels as Record<string, unknown>)[k] === val)).reduce((a, v) => a + v.value, 0);
}

/** A client for `rpcUrl` that records every raw transaction it sends (the bytes anvil received). */
function recordingClient(rpcUrl: string): { client: PublicClient; raws: Hex[] } {
  const raws: Hex[] = [];
  const client = createPublicClient({
    transport: http(rpcUrl, {
      timeout: 60_000,
      onFetchRequest: async (req) => {
        const body = (await req.clone().text()) as string;
        if (!body.includes("eth_sendRawTransaction")) return;
        const msgs = [JSON.parse(body)].flat() as { method: string; params: Hex[] }[];
        for (const m of msgs) if (m.method === "eth_sendRawTransaction") raws.push(m.params[0]!);
      },
    }),
  }) as PublicClient;
  return { client, raws };
}

/**
 * A JSON-RPC proxy in front of `upstream` that behaves like a go-ethereum node on the other side of the Osaka
 * fork for blob wrappers: `reject(wrapper)` decides which wrapper version it refuses, with geth's exact error
 * text (core/txpool/validation.go); eth_config is answered "method not found" (an older node), so the poster
 * cannot detect the fork and must rely on the rejection. Everything else is forwarded.
 */
async function forkBoundaryProxy(upstream: string, reject: () => "v0" | "v1" | undefined): Promise<{ url: string; server: Server; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const msg = JSON.parse(body.toString()) as { id: number; method: string; params: unknown[] };
    const answer = (o: object) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ jsonrpc: "2.0", id: msg.id, ...o }));
    };
    if (msg.method === "eth_config") return answer({ error: { code: -32601, message: "the method eth_config does not exist/is not available" } });
    if (msg.method === "eth_sendRawTransaction") {
      const d = decodeBlobTx(msg.params[0] as Hex);
      if (d.ok) {
        seen.push(d.wrapper);
        if (reject() === d.wrapper) return answer({ error: { code: -32000, message: `invalid sidecar version ${d.wrapper === "v1" ? "pre" : "post"}-osaka: ${d.wrapper === "v1" ? 1 : 0}` } });
      }
    }
    const up = await fetch(upstream, { method: "POST", headers: { "content-type": "application/json" }, body });
    res.setHeader("content-type", "application/json");
    res.end(await up.text());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const addr = server.address();
  return { url: `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`, server, seen };
}

/** A fake blob server answering every GET with `body(hash)`: a hostile or broken archive. */
async function fakeArchive(body: (hash: string) => Uint8Array | undefined): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const b = body((req.url ?? "/").slice(1));
    if (!b) {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.setHeader("content-type", "application/octet-stream");
    res.end(Buffer.from(b));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const addr = server.address();
  return { url: `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`, server };
}

describe("da on anvil", function () {
  this.timeout(60_000);
  let l1: L1;
  let other: L1; // a second L1 node that never saw the blobs ("expired" beacon source)
  let inbox: Address;
  let ipfsDir: string;
  let helia: HeliaBackup;
  let archive: ArchiveStore;
  let archiveServer: ArchiveServer;
  let poster: BlobPoster;
  let registry: Registry;
  let posted: ProposeResult;
  let batch: Uint8Array;

  before(async () => {
    loadKzg();
    [l1, other] = await Promise.all([startL1(), startL1()]);
    inbox = await deployInbox(l1);
    ipfsDir = mkdtempSync(path.join(tmpdir(), "rollbook-da-"));
    helia = await HeliaBackup.create({ dir: path.join(ipfsDir, "ipfs") });
    archive = new ArchiveStore(path.join(ipfsDir, "archive"));
    archiveServer = await startArchiveServer(archive);
    registry = new Registry();
    poster = new BlobPoster({ client: l1.client, account: l1.account, inbox, ipfs: helia, archive, logger: silent, registry, pollIntervalMs: 50 });
  });

  after(async () => {
    await archiveServer?.close();
    await helia?.stop();
    await Promise.all([l1?.anvil.stop(), other?.anvil.stop()]);
    if (ipfsDir) rmSync(ipfsDir, { recursive: true, force: true });
  });

  it("posts a 3-blob batch to the Inbox and reads it back through the beacon route, verified and unpacked", async () => {
    batch = testBytes(300_000, 42);
    posted = await poster.propose(batch, { l1MsgEnd: 0n, mode: "auto" });
    expect(posted.mode).to.equal("blob");
    expect(posted.receipt.status).to.equal("success");
    expect(posted.versionedHashes).to.have.length(3);
    const ev = posted.event!;
    expect(ev.batchIndex).to.equal(1n);
    expect(ev.dataKind).to.equal(1);
    expect(ev.proposer.toLowerCase()).to.equal(l1.account.address.toLowerCase());
    expect([...ev.blobHashes]).to.deep.equal(posted.versionedHashes); // BLOBHASH in the Inbox == our KZG
    expect(ev.ipfsCid).to.equal(bytesToHex(posted.ipfsCid));
    expect(posted.ipfsCid.length).to.be.greaterThan(30);
    expect(posted.receipt.blobGasUsed).to.equal(3n * 131072n);

    const fetcher = new BlobFetcher({ sources: [new BeaconBlobSource({ url: l1.anvil.rpcUrl })], logger: silent, registry });
    const got = await fetcher.fetchBatch(requestFrom(posted));
    expect(got.sources).to.deep.equal(["beacon", "beacon", "beacon"]);
    expect(got.unpacked.ok).to.equal(true);
    if (got.unpacked.ok) expect(Buffer.from(got.unpacked.data).equals(Buffer.from(batch))).to.equal(true);
  });

  it("addresses the block by hash too", async () => {
    const fetcher = new BlobFetcher({ sources: [new BeaconBlobSource({ url: l1.anvil.rpcUrl, blockId: "hash" })], logger: silent, registry });
    const got = await fetcher.fetchBatch(requestFrom(posted));
    expect(got.unpacked.ok).to.equal(true);
  });

  it("recovers the batch from IPFS (helia) by the CID in BatchProposed when the blob sources have expired", async () => {
    const emptyArchive = await fakeArchive(() => undefined);
    try {
      const fetcher = new BlobFetcher({
        sources: [new BeaconBlobSource({ url: other.anvil.rpcUrl }), new ArchiveBlobSource({ url: emptyArchive.url, name: "archive:empty" }), new IpfsBlobSource(helia)],
        logger: silent,
        registry,
      });
      const got = await fetcher.fetchBatch(requestFrom(posted));
      expect(got.sources).to.deep.equal(["ipfs:helia", "ipfs:helia", "ipfs:helia"]);
      expect(got.unpacked.ok && Buffer.from(got.unpacked.data).equals(Buffer.from(batch))).to.equal(true);
      expect(await metricValue(registry, "rollbook_da_fetch_total", { source: "beacon", result: "not_found" })).to.be.greaterThan(0);
      expect(await metricValue(registry, "rollbook_da_fetch_total", { source: "archive:empty", result: "not_found" })).to.equal(1);
    } finally {
      emptyArchive.server.close();
    }
  });

  it("serves posted blobs from the operator archive (GET <base>/<versionedHash>)", async () => {
    const fetcher = new BlobFetcher({ sources: [new BeaconBlobSource({ url: other.anvil.rpcUrl }), new ArchiveBlobSource({ url: archiveServer.url, name: "archive" })], logger: silent, registry });
    const got = await fetcher.fetchBatch(requestFrom(posted));
    expect(got.sources).to.deep.equal(["archive", "archive", "archive"]);
    expect(got.unpacked.ok).to.equal(true);
    const bad = await fetch(`${archiveServer.url}/not-a-hash`);
    expect(bad.status).to.equal(400);
    const unknown = await fetch(`${archiveServer.url}/0x01${"ab".repeat(31)}`);
    expect(unknown.status).to.equal(404);    // The poster published each blob's KZG record (commitment + blob proof) beside it; it verifies.
    const blobs = packBlobs(batch);
    const records = await new ArchiveKzgSource({ url: archiveServer.url }).records(posted.versionedHashes, AbortSignal.timeout(10_000));
    expect(records.size).to.equal(3);
    expect(checkBlobsWithRecords(blobs, posted.versionedHashes, posted.versionedHashes.map((h) => records.get(h)))).to.deep.equal([true, true, true]);
    expect((await fetch(`${archiveServer.url}/0x01${"ab".repeat(31)}/kzg`)).status).to.equal(404);
  });

  it("rejects blobs that do not match their versioned hash (tampered, non-canonical) and uses the next source", async () => {
    const blobs = packBlobs(batch);
    const tamperedArchive = await fakeArchive((hash) => {
      const i = posted.versionedHashes.indexOf(hash as Hex);
      if (i < 0) return undefined;
      const t = new Uint8Array(blobs[i]!);
      t[1000] ^= 0x01; // one bit of data, still field-element safe
      return t;
    });
    const junkArchive = await fakeArchive(() => new Uint8Array(131072).fill(0xff)); // not even a valid blob
    const logs: { msg: string; reason?: string }[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    try {
      const fetcher = new BlobFetcher({
        sources: [
          new ArchiveBlobSource({ url: tamperedArchive.url, name: "archive:tampered" }),
          new ArchiveBlobSource({ url: junkArchive.url, name: "archive:junk" }),
          new BeaconBlobSource({ url: l1.anvil.rpcUrl }),
        ],
        logger,
        registry,
      });
      const got = await fetcher.fetchBatch(requestFrom(posted));
      expect(got.sources).to.deep.equal(["beacon", "beacon", "beacon"]);
      expect(got.unpacked.ok && Buffer.from(got.unpacked.data).equals(Buffer.from(batch))).to.equal(true);
      expect(await metricValue(registry, "rollbook_da_rejected_total", { source: "archive:tampered", reason: "HASH_MISMATCH" })).to.equal(3);
      expect(await metricValue(registry, "rollbook_da_rejected_total", { source: "archive:junk", reason: "BAD_BLOB" })).to.equal(3);
      expect(logs.filter((l) => l.reason === "HASH_MISMATCH")).to.have.length(3);
    } finally {
      tamperedArchive.server.close();
      junkArchive.server.close();
    }
  });

  it("rejects IPFS content that is not the batch committed on L1", async () => {
    const otherCid = await helia.put(testBytes(1000, 9));
    const fetcher = new BlobFetcher({ sources: [new IpfsBlobSource(helia)], logger: silent, registry });
    const err = await fetcher.fetchBatch({ ...requestFrom(posted), ipfsCid: otherCid.bytes }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(DataUnavailableError);
    expect((err as DataUnavailableError).missing).to.have.length(3);
    expect(await metricValue(registry, "rollbook_da_rejected_total", { source: "ipfs:helia" })).to.be.greaterThan(0);
  });

  it("reports unavailability with every attempt when no source has the data", async () => {
    const kubo = await KuboBackup.create({ url: "http://127.0.0.1:9", timeoutMs: 2000 });
    const fetcher = new BlobFetcher({ sources: [new BeaconBlobSource({ url: other.anvil.rpcUrl }), new IpfsBlobSource(kubo)], logger: silent, registry });
    const err = (await fetcher.fetchBatch(requestFrom(posted)).catch((e: unknown) => e)) as DataUnavailableError;
    expect(err).to.be.instanceOf(DataUnavailableError);
    expect(err.attempts.map((a) => a.result)).to.deep.equal(["not_found", "error"]);
  });

  it("posts through proposeCalldata, and serializes concurrent proposals over consecutive nonces", async () => {
    const small = testBytes(3000, 7);
    const [a, b] = await Promise.all([
      poster.propose(small, { l1MsgEnd: 0n, mode: "calldata" }),
      poster.propose(testBytes(1000, 8), { l1MsgEnd: 0n, mode: "blob" }),
    ]);
    expect(a.mode).to.equal("calldata");
    expect(a.event!.dataKind).to.equal(2);
    expect(a.event!.calldataHash).to.equal(keccak256(small));
    expect(a.event!.blobHashes).to.have.length(0);
    expect(b.event!.dataKind).to.equal(1);
    expect(b.event!.batchIndex).to.equal(a.event!.batchIndex + 1n);
    const [ta, tb] = await Promise.all([l1.client.getTransaction({ hash: a.txHash }), l1.client.getTransaction({ hash: b.txHash })]);
    expect(tb.nonce).to.equal(ta.nonce + 1);
    // derivation reads calldata batches from the transaction input, checked against calldataHash
    expect(Buffer.from(calldataBatchFromInput(ta.input, a.event!.calldataHash)!).equals(Buffer.from(small))).to.equal(true);
    expect(calldataBatchFromInput(ta.input, keccak256("0x01"))).to.equal(undefined);
    expect(calldataBatchFromInput("0xdeadbeef", a.event!.calldataHash)).to.equal(undefined);
  });

  it("a proposal the Inbox would revert is refused before sending (WOULD_REVERT) and its backup unpinned", async () => {
    const data = testBytes(100, 1);
    const nonceBefore = await l1.client.getTransactionCount({ address: l1.account.address });
    const err = (await poster.propose(data, { l1MsgEnd: 5n, mode: "calldata" }).catch((e: unknown) => e)) as PostError;
    expect(err).to.be.instanceOf(PostError);
    expect(err.code).to.equal("WOULD_REVERT");
    expect(await l1.client.getTransactionCount({ address: l1.account.address })).to.equal(nonceBefore);
    expect(await helia.isPinned(await rawCid(data))).to.equal(false);
  });

  it("records the batch index on the IPFS pin and prunes by the retention policy", async () => {
    const pins: PinInfo[] = [];
    for await (const p of helia.pins()) pins.push(p);
    const first = pins.find((p) => p.cid.equals(CID.decode(posted.ipfsCid)));
    expect(first?.metadata.batchIndex).to.equal(1);
    expect(first?.metadata.size).to.equal(300_000);
    const orphan = await helia.put(testBytes(50, 77)); // a backup whose proposal never landed
    const now = Date.now() + 2 * 3600_000;
    // batch 1 finalized, retention 1 h, orphans after 1 h: drops batch 1 and the orphan, keeps later batches
    const dropped = await helia.prune(retentionPolicy({ finalizedBatch: 1n, retentionMs: 3600_000, orphanAfterMs: 3600_000, now }));
    const droppedStr = dropped.map(String).sort();
    expect(droppedStr).to.include(String(CID.decode(posted.ipfsCid)));
    expect(droppedStr).to.include(String(orphan));
    const left: PinInfo[] = [];
    for await (const p of helia.pins()) left.push(p);
    expect(left.length).to.be.greaterThan(0);
    expect(left.every((p) => typeof p.metadata.batchIndex === "number" && p.metadata.batchIndex > 1)).to.equal(true);
    const gone = await helia.get(posted.ipfsCid).catch((e: unknown) => e);
    expect((gone as IpfsError).code).to.equal("NOT_FOUND");
  });

  it("sends plain blob transactions to an EOA (development mode: no event, blobs still served)", async () => {
    const eoa = "0x000000000000000000000000000000000000dEaD" as Address;
    const devPoster = new BlobPoster({ client: l1.client, account: l1.account, inbox: eoa, logger: silent, registry, pollIntervalMs: 50 });
    const data = testBytes(5000, 21);
    const r = await devPoster.sendBlobs(packBlobs(data));
    expect(r.event).to.equal(undefined);
    expect(r.receipt.status).to.equal("success");
    const fetcher = new BlobFetcher({ sources: [new BeaconBlobSource({ url: l1.anvil.rpcUrl })], logger: silent, registry });
    const got = await fetcher.fetchBatch({ versionedHashes: r.versionedHashes, blockNumber: r.receipt.blockNumber });
    expect(got.unpacked.ok && Buffer.from(got.unpacked.data).equals(Buffer.from(data))).to.equal(true);
  });

  it("kubo backup fails fast and typed when the daemon is unreachable", async () => {
    const kubo = await KuboBackup.create({ url: "http://127.0.0.1:9", timeoutMs: 2000 });
    const t0 = Date.now();
    const err = await kubo.put(new Uint8Array([1, 2, 3])).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(IpfsError);
    expect((err as IpfsError).code).to.equal("UNREACHABLE");
    expect(Date.now() - t0).to.be.lessThan(2500);
  });

  it("tracks the transaction by its locally computed hash and still returns the receipt and event", async () => {
    // a JSON-RPC proxy that forwards everything but never answers eth_sendRawTransaction
    const proxy = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = Buffer.concat(chunks);
      const upstream = await fetch(l1.anvil.rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body });
      const text = await upstream.text();
      if (body.includes("eth_sendRawTransaction")) return; // swallow the answer: the client times out
      res.setHeader("content-type", "application/json");
      res.end(text);
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", () => r()));
    const addr = proxy.address();
    const { createPublicClient, http } = await import("viem");
    const client = createPublicClient({ transport: http(`http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`, { timeout: 1500, retryCount: 0 }) });
    try {
      const poster = new BlobPoster({ client: client as never, account: l1.account, inbox, logger: silent, registry: new Registry(), pollIntervalMs: 50, replaceAfterMs: 30_000 });
      for (const mode of ["blob", "calldata"] as const) {
        const r = await poster.propose(testBytes(2000, 2), { l1MsgEnd: 0n, mode });
        expect(r.receipt.status).to.equal("success");
        expect(r.replacements).to.equal(0);
        expect(r.event!.dataKind).to.equal(mode === "blob" ? 1 : 2);
      }
    } finally {
      proxy.closeAllConnections();
      proxy.close();
    }
  });

  it("posts a 4-blob batch with the v1 (EIP-7594 cell proof) wrapper: mined, BLOBHASH == our hashes, beacon route serves the blobs", async () => {
    const rec = recordingClient(l1.anvil.rpcUrl);
    const v1Poster = new BlobPoster({ client: rec.client, account: l1.account, inbox, logger: silent, registry, pollIntervalMs: 50, blobWrapper: "v1" });
    const data = testBytes(450_000, 77); // 4 blobs
    const r = await v1Poster.propose(data, { l1MsgEnd: 0n, mode: "blob" });
    expect(r.receipt.status).to.equal("success");
    expect(r.blobWrapper).to.equal("v1");
    expect(r.versionedHashes).to.have.length(4);
    expect(r.receipt.blobGasUsed).to.equal(4n * 131072n);
    expect([...r.event!.blobHashes]).to.deep.equal(r.versionedHashes); // BLOBHASH in the Inbox == our commitments
    const tx = await l1.client.getTransaction({ hash: r.txHash });
    expect(tx.type).to.equal("eip4844");
    expect([...tx.blobVersionedHashes!]).to.deep.equal(r.versionedHashes);
    // the bytes anvil accepted: a v1 wrapper with 4 x 128 cell proofs that verify, whose hash is the mined tx
    expect(rec.raws).to.have.length(1);
    const d = decodeBlobTx(rec.raws[0]!);
    expect(d.ok && d.wrapper).to.equal("v1");
    expect(d.ok && d.proofs.length).to.equal(4 * CELLS_PER_EXT_BLOB);
    expect(verifyBlobTx(rec.raws[0]!)).to.deep.equal({ ok: true, wrapper: "v1", txHash: r.txHash });
    // the beacon route returns the blobs; verified against the L1 hashes and unpacked to the batch
    const fetcher = new BlobFetcher({ sources: [new BeaconBlobSource({ url: l1.anvil.rpcUrl })], logger: silent, registry });
    const got = await fetcher.fetchBatch(requestFrom(r));
    expect(got.sources).to.deep.equal(["beacon", "beacon", "beacon", "beacon"]);
    expect(got.unpacked.ok && Buffer.from(got.unpacked.data).equals(Buffer.from(data))).to.equal(true);
    expect(got.blobs.map((b) => bytesToHex(b))).to.deep.equal(d.ok ? d.blobs.map((b) => bytesToHex(b)) : []);
  });

  it("anvil verifies v1 cell proofs: a wrapper with one wrong cell proof is refused (\"invalid KZG proof\"), the correct one accepted", async () => {
    const sc = computeSidecars(packBlobs(testBytes(5000, 84)), "v1");
    const nonce = await l1.client.getTransactionCount({ address: l1.account.address, blockTag: "pending" });
    const signed = await l1.account.signTransaction({
      type: "eip4844", chainId: await l1.client.getChainId(), nonce, gas: 50_000n, to: "0x000000000000000000000000000000000000dEaD",
      maxFeePerGas: 10_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n, maxFeePerBlobGas: 10_000_000_000n, blobVersionedHashes: sc.versionedHashes,
    });
    const good = wrapBlobTx(signed, sc, "v1");
    const bad = new Uint8Array(good);
    const last = good.length - 49; // the last cell proof's RLP item (0xb0 ‖ 48 bytes)
    bad.set(good.subarray(last - 49 + 1, last), last + 1); // cell 127's proof := cell 126's
    const refused = await l1.rpc("eth_sendRawTransaction", [bytesToHex(bad)]).catch((e: Error) => e);
    expect(refused).to.be.instanceOf(Error);
    expect((refused as Error).message).to.match(/invalid KZG proof/);
    const hash = await l1.rpc<Hex>("eth_sendRawTransaction", [bytesToHex(good)]);
    expect(hash).to.equal(keccak256(signed));
    const receipt = await l1.client.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    expect(receipt.status).to.equal("success");
  });

  it("still posts the v0 (EIP-4844 blob proof) wrapper when configured", async () => {
    const rec = recordingClient(l1.anvil.rpcUrl);
    const v0Poster = new BlobPoster({ client: rec.client, account: l1.account, inbox, logger: silent, registry, pollIntervalMs: 50, blobWrapper: "v0" });
    const data = testBytes(140_000, 78); // 2 blobs
    const r = await v0Poster.propose(data, { l1MsgEnd: 0n, mode: "blob" });
    expect(r.blobWrapper).to.equal("v0");
    expect([...r.event!.blobHashes]).to.deep.equal(r.versionedHashes);
    expect(verifyBlobTx(rec.raws[0]!)).to.deep.equal({ ok: true, wrapper: "v0", txHash: r.txHash });
    const got = await new BlobFetcher({ sources: [new BeaconBlobSource({ url: l1.anvil.rpcUrl })], logger: silent, registry }).fetchBatch(requestFrom(r));
    expect(got.unpacked.ok && Buffer.from(got.unpacked.data).equals(Buffer.from(data))).to.equal(true);
  });

  it("auto: detects the fork from eth_config (anvil's default Bpo1 -> v1, --hardfork prague -> v0 and posts it)", async () => {
    const auto = new BlobPoster({ client: l1.client, account: l1.account, inbox, logger: silent, registry: new Registry() });
    expect(await auto.wrapperFor()).to.deep.equal({ wrapper: "v1", source: "eth_config" });
    const prague = await startL1({ args: ["--hardfork", "prague"] });
    try {
      const rec = recordingClient(prague.anvil.rpcUrl);
      const pPoster = new BlobPoster({ client: rec.client, account: prague.account, inbox: "0x000000000000000000000000000000000000dEaD", logger: silent, registry: new Registry(), pollIntervalMs: 50 });
      expect(await pPoster.wrapperFor()).to.deep.equal({ wrapper: "v0", source: "eth_config" });
      const r = await pPoster.sendBlobs(packBlobs(testBytes(3000, 79)));
      expect(r.receipt.status).to.equal("success");
      expect(r.blobWrapper).to.equal("v0");
      expect(decodeBlobTx(rec.raws[0]!)).to.deep.include({ ok: true, wrapper: "v0" });
    } finally {
      await prague.anvil.stop();
    }
  });

  it("auto: a node that refuses the wrapper version (geth's pre/post-Osaka errors) gets the other one, remembered until refused again", async () => {
    let refuse: "v0" | "v1" | undefined = "v1"; // a pre-Osaka geth
    const proxy = await forkBoundaryProxy(l1.anvil.rpcUrl, () => refuse);
    const reg = new Registry();
    try {
      const client = createPublicClient({ transport: http(proxy.url, { timeout: 60_000 }) }) as PublicClient;
      const auto = new BlobPoster({ client, account: l1.account, inbox, logger: silent, registry: reg, pollIntervalMs: 50 });
      expect(await auto.wrapperFor()).to.deep.equal({ wrapper: "v1", source: "default" }); // no eth_config, unknown chain 31337
      const a = await auto.propose(testBytes(2000, 80), { l1MsgEnd: 0n, mode: "blob" });
      expect(a.receipt.status).to.equal("success");
      expect(a.blobWrapper).to.equal("v0");
      expect(proxy.seen).to.deep.equal(["v1", "v0"]);
      const b = await auto.propose(testBytes(2000, 81), { l1MsgEnd: 0n, mode: "blob" });
      expect(b.blobWrapper).to.equal("v0");
      expect(proxy.seen).to.deep.equal(["v1", "v0", "v0"]); // remembered: no second v1 attempt
      refuse = "v0"; // Osaka activates
      const c = await auto.propose(testBytes(2000, 82), { l1MsgEnd: 0n, mode: "blob" });
      expect(c.blobWrapper).to.equal("v1");
      expect(proxy.seen).to.deep.equal(["v1", "v0", "v0", "v0", "v1"]);
      expect([...c.event!.blobHashes]).to.deep.equal(c.versionedHashes);
      expect(await metricValue(reg, "rollbook_da_blob_wrapper_switches_total", { from: "v1", to: "v0" })).to.equal(1);
      expect(await metricValue(reg, "rollbook_da_blob_wrapper_switches_total", { from: "v0", to: "v1" })).to.equal(1);
      // an explicit wrapper is never switched: the refusal is the caller's answer
      const fixed = new BlobPoster({ client, account: l1.account, inbox, logger: silent, registry: reg, pollIntervalMs: 50, blobWrapper: "v0" });
      const err = (await fixed.propose(testBytes(2000, 83), { l1MsgEnd: 0n, mode: "blob" }).catch((e: unknown) => e)) as PostError;
      expect(err).to.be.instanceOf(PostError);
      expect(err.code).to.equal("SEND_FAILED");
      expect(err.message).to.match(/invalid sidecar version post-osaka: 0/);
    } finally {
      proxy.server.closeAllConnections();
      proxy.server.close();
    }
  });

  for (const wrapper of ["v0", "v1"] as const) {
    it(`replaces the blob transaction (${wrapper} wrapper) with >= +100% fees on every field until mined`, async () => {
      await l1.rpc("evm_setAutomine", [false]);
      try {
        const registry = new Registry();
        const poster = new BlobPoster({ client: l1.client, account: l1.account, inbox, logger: silent, registry, replaceAfterMs: 400, pollIntervalMs: 50, blobWrapper: wrapper });
        const batch = testBytes(140_000, 5); // 2 blobs
        const pending = poster.propose(batch, { l1MsgEnd: 0n, mode: "blob" });
        // let it send and replace at least twice (the pool holds a version with >= 4x the initial blob fee), then mine
        const initialBlobFee = 1_000_000_000n; // policy floor (anvil's blob base fee is 1 wei)
        type PoolTx = { maxFeePerBlobGas?: Hex };
        const poolTxs = async () => Object.values((await l1.rpc<{ pending: Record<string, Record<string, PoolTx>> }>("txpool_content")).pending).flatMap((byNonce) => Object.values(byNonce));
        const deadline = Date.now() + 30_000;
        while (!(await poolTxs()).some((t) => BigInt(t.maxFeePerBlobGas ?? 0) >= 4n * initialBlobFee) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        expect(await poolTxs()).to.have.length(1); // replaced, not queued twice
        await l1.rpc("evm_mine");
        const r = await pending;
        expect(r.replacements).to.be.greaterThanOrEqual(2);
        expect(r.blobWrapper).to.equal(wrapper);
        expect(r.event!.dataKind).to.equal(1);
        const tx = await l1.client.getTransaction({ hash: r.txHash });
        expect(tx.maxFeePerBlobGas).to.equal(r.fees.maxFeePerBlobGas);
        // every replacement at least doubled each fee field: after >= 2 bumps, >= 4x the initial values
        expect(tx.maxFeePerBlobGas! >= 4n * initialBlobFee).to.equal(true);
        expect(tx.maxPriorityFeePerGas! >= 4n * 1_000_000_000n).to.equal(true);
        const block = await l1.client.getBlock({ blockNumber: r.receipt.blockNumber });
        expect(block.transactions).to.have.length(1);
      } finally {
        await l1.rpc("evm_setAutomine", [true]);
      }
    });
  }
});

