// End-to-end DA on anvil: post to the real Inbox, fetch back through the beacon route, recover from IPFS when
// blobs are gone, reject tampered data, replace a stuck transaction with bumped fees.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { keccak256, bytesToHex, type Address, type Hex } from "viem";
import { pino } from "pino";
import { CID } from "multiformats/cid";
import { Registry } from "prom-client";
import {
  ArchiveBlobSource,
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
    expect(unknown.status).to.equal(404);
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

  it("replaces the blob transaction with >= +100% fees on every field until mined", async () => {
    await l1.rpc("evm_setAutomine", [false]);
    const registry = new Registry();
    const poster = new BlobPoster({ client: l1.client, account: l1.account, inbox, logger: silent, registry, replaceAfterMs: 400, pollIntervalMs: 50 });
    const batch = testBytes(140_000, 5); // 2 blobs
    const pending = poster.propose(batch, { l1MsgEnd: 0n, mode: "blob" });
    // let it send and replace twice, then mine
    const deadline = Date.now() + 20_000;
    while ((await metricValue(registry, "rollbook_da_replacements_total", { mode: "blob" })) < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const pool = await l1.rpc<{ pending: Record<string, Record<string, unknown>> }>("txpool_content");
    expect(Object.values(pool.pending).flatMap((byNonce) => Object.keys(byNonce))).to.have.length(1); // replaced, not queued twice
    await l1.rpc("evm_mine");
    const r = await pending;
    expect(r.replacements).to.be.greaterThanOrEqual(2);
    expect(r.event!.dataKind).to.equal(1);
    const tx = await l1.client.getTransaction({ hash: r.txHash });
    expect(tx.maxFeePerBlobGas).to.equal(r.fees.maxFeePerBlobGas);
    // every replacement at least doubled each fee field: after >= 2 bumps, >= 4x the initial values
    const initialBlobFee = 1_000_000_000n; // policy floor (anvil's blob base fee is 1 wei)
    expect(tx.maxFeePerBlobGas! >= 4n * initialBlobFee).to.equal(true);
    expect(tx.maxPriorityFeePerGas! >= 4n * 1_000_000_000n).to.equal(true);
    const block = await l1.client.getBlock({ blockNumber: r.receipt.blockNumber });
    expect(block.transactions).to.have.length(1);
    await l1.rpc("evm_setAutomine", [true]);
  });
});

