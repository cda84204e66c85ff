// KZG records (docs/da.md "KZG records"): a blob's commitment and blob proof published beside it let the
// fetcher check a blob with one proof verification instead of recomputing its commitment. A record is only a
// hint: a wrong proof, a wrong commitment or a blob that does not match its record falls back to recomputing,
// so hostile data is accepted, rejected or refetched exactly as without records.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { bytesToHex, type Hex } from "viem";
import { pino } from "pino";
import { Registry } from "prom-client";
import {
  ArchiveBlobSource,
  ArchiveKzgSource,
  ArchiveStore,
  BeaconBlobSource,
  BlobFetcher,
  DataUnavailableError,
  IpfsBlobSource,
  checkBlobsWithRecords,
  computeSidecars,
  decodeKzgRecord,
  encodeKzgRecord,
  loadKzg,
  packBlobs,
  startArchiveServer,
  type ArchiveServer,
  type IpfsBackup,
  type KzgRecord,
} from "../../../node/da/index.ts";
import { testBytes } from "./helpers.ts";

const silent = pino({ level: "silent" });

async function checks(registry: Registry): Promise<{ proof: number; recompute: number }> {
  const m = registry.getSingleMetric("rollbook_da_kzg_checks_total");
  const values = m === undefined ? [] : (await m.get()).values;
  const of = (method: string) => values.find((v) => v.labels.method === method)?.value ?? 0;
  return { proof: of("proof"), recompute: of("recompute") };
}

describe("da/kzg records (supplied commitment + proof)", function () {
  this.timeout(60_000);
  let data: Uint8Array;
  let blobs: Uint8Array[];
  let hashes: Hex[];
  let records: KzgRecord[];
  let dir: string;
  let archive: ArchiveStore;
  let archiveServer: ArchiveServer;
  const servers: Server[] = [];
  /** What the fake beacon answers with (blob hex strings), per test. */
  let beaconBlobs: () => Uint8Array[];
  let beaconUrl: string;

  before(async () => {
    loadKzg();
    data = testBytes(200_000, 7);
    blobs = packBlobs(data); // 2 blobs
    const sc = computeSidecars(blobs, "v0");
    hashes = sc.versionedHashes;
    records = sc.commitments.map((commitment, i) => ({ commitment, proof: sc.proofs[i]! }));
    dir = mkdtempSync(path.join(tmpdir(), "rollbook-kzg-records-"));
    archive = new ArchiveStore(dir);
    archiveServer = await startArchiveServer(archive);
    const server = createServer((_req: IncomingMessage, res: ServerResponse) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ data: beaconBlobs().map((b) => bytesToHex(b)) }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    servers.push(server);
    const a = server.address();
    beaconUrl = `http://127.0.0.1:${typeof a === "object" && a ? a.port : 0}`;
  });
  beforeEach(async () => {
    beaconBlobs = () => blobs;
    for (const h of hashes) await archive.delete(h);
  });
  after(async () => {
    await archiveServer?.close();
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const fetcherWith = (registry: Registry, extraSources: BlobFetcher extends never ? never : ConstructorParameters<typeof BlobFetcher>[0]["sources"] = []) =>
    new BlobFetcher({
      sources: [new BeaconBlobSource({ url: beaconUrl }), ...extraSources],
      kzgSources: [new ArchiveKzgSource({ url: archiveServer.url })],
      logger: silent,
      registry,
    });
  const same = (got: { unpacked: { ok: boolean } & ({ ok: true; data: Uint8Array } | { ok: false }) }) => got.unpacked.ok && Buffer.from(got.unpacked.data).equals(Buffer.from(data));

  it("encodes records as commitment ‖ proof (96 bytes) and checks blobs by proof: versioned hash of the commitment, then the blob proof", () => {
    const enc = encodeKzgRecord(records[0]!);
    expect(enc.length).to.equal(96);
    expect(decodeKzgRecord(enc)).to.deep.equal(records[0]);
    expect(decodeKzgRecord(enc.subarray(0, 95))).to.equal(undefined);
    expect(checkBlobsWithRecords(blobs, hashes, records)).to.deep.equal([true, true]);
    // swapped records: each commitment's versioned hash is the other blob's -> not shown
    expect(checkBlobsWithRecords(blobs, hashes, [records[1]!, records[0]!])).to.deep.equal([false, false]);
    // right commitment, other blob's proof: the batch verification fails, each blob is then checked alone
    expect(checkBlobsWithRecords(blobs, hashes, [{ commitment: records[0]!.commitment, proof: records[1]!.proof }, records[1]!])).to.deep.equal([false, true]);
    // not points at all, missing records, a short blob
    expect(checkBlobsWithRecords(blobs, hashes, [{ commitment: new Uint8Array(48).fill(1), proof: new Uint8Array(48).fill(2) }, undefined])).to.deep.equal([false, false]);
    expect(checkBlobsWithRecords([blobs[0]!.subarray(1)], hashes, records)).to.deep.equal([false]);
  });

  it("accepts beacon blobs by their published records without recomputing any commitment", async () => {
    for (let i = 0; i < 2; i++) await archive.putKzg(hashes[i]!, records[i]!);
    const registry = new Registry();
    const got = await fetcherWith(registry).fetchBatch({ versionedHashes: hashes, blockNumber: 1n });
    expect(same(got)).to.equal(true);
    expect(got.sources).to.deep.equal(["beacon", "beacon"]);
    expect(await checks(registry)).to.deep.equal({ proof: 2, recompute: 0 });
  });

  it("falls back to recomputing when there is no record, or the record source is down", async () => {
    await archive.putKzg(hashes[1]!, records[1]!);
    let registry = new Registry();
    expect(same(await fetcherWith(registry).fetchBatch({ versionedHashes: hashes, blockNumber: 1n }))).to.equal(true);
    expect(await checks(registry)).to.deep.equal({ proof: 1, recompute: 1 });
    registry = new Registry();
    const down = new BlobFetcher({ sources: [new BeaconBlobSource({ url: beaconUrl })], kzgSources: [new ArchiveKzgSource({ url: "http://127.0.0.1:1" })], logger: silent, registry });
    expect(same(await down.fetchBatch({ versionedHashes: hashes, blockNumber: 1n }))).to.equal(true);
    expect(await checks(registry)).to.deep.equal({ proof: 0, recompute: 2 });
  });

  it("a wrong proof or a wrong commitment is ignored: the commitment is recomputed and the right blob still accepted", async () => {
    await archive.putKzg(hashes[0]!, { commitment: records[0]!.commitment, proof: records[1]!.proof }); // wrong proof
    await archive.putKzg(hashes[1]!, records[0]!); // wrong commitment (another blob's)
    const registry = new Registry();
    const got = await fetcherWith(registry).fetchBatch({ versionedHashes: hashes, blockNumber: 1n });
    expect(same(got)).to.equal(true);
    expect(await checks(registry)).to.deep.equal({ proof: 0, recompute: 2 });
    expect((await registry.getSingleMetric("rollbook_da_rejected_total")!.get()).values).to.have.length(0);
  });

  it("a blob that does not match its (correct) record is rejected as before and refetched from the next source; with none left the data is unavailable", async () => {
    for (let i = 0; i < 2; i++) await archive.putKzg(hashes[i]!, records[i]!);
    const tampered = blobs[1]!.slice();
    tampered[1000] ^= 1;
    beaconBlobs = () => [blobs[0]!, tampered];
    for (let i = 0; i < 2; i++) await archive.put(hashes[i]!, blobs[i]!);
    let registry = new Registry();
    const got = await fetcherWith(registry, [new ArchiveBlobSource({ url: archiveServer.url, name: "archive" })]).fetchBatch({ versionedHashes: hashes, blockNumber: 1n });
    expect(same(got)).to.equal(true);
    expect(got.sources).to.deep.equal(["beacon", "archive"]);
    const rejected = (await registry.getSingleMetric("rollbook_da_rejected_total")!.get()).values;
    expect(rejected.map((v) => [v.labels.source, v.labels.reason, v.value])).to.deep.equal([["beacon", "HASH_MISMATCH", 1]]);
    expect(await checks(registry)).to.deep.equal({ proof: 2, recompute: 1 }); // blob 0 by proof, the tampered one recomputed, the archive's by proof

    registry = new Registry();
    let err: unknown;
    try {
      await fetcherWith(registry).fetchBatch({ versionedHashes: hashes, blockNumber: 1n });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(DataUnavailableError);
    expect((err as DataUnavailableError).missing).to.deep.equal([hashes[1]]);
  });

  it("checks IPFS batch bytes (re-packed) against records too, and rejects a wrong batch as before", async () => {
    for (let i = 0; i < 2; i++) await archive.putKzg(hashes[i]!, records[i]!);
    const ipfsOf = (bytes: Uint8Array): IpfsBackup => ({ kind: "kubo", get: async () => bytes }) as unknown as IpfsBackup;
    let registry = new Registry();
    const f = (bytes: Uint8Array, r: Registry) =>
      new BlobFetcher({ sources: [new IpfsBlobSource(ipfsOf(bytes))], kzgSources: [new ArchiveKzgSource({ url: archiveServer.url })], logger: silent, registry: r });
    const got = await f(data, registry).fetchBatch({ versionedHashes: hashes, blockNumber: 1n, ipfsCid: "0x01" });
    expect(same(got)).to.equal(true);
    expect(await checks(registry)).to.deep.equal({ proof: 2, recompute: 0 });
    registry = new Registry();
    const wrong = data.slice();
    wrong[150_000] ^= 1; // lands in blob 1
    let err: unknown;
    try {
      await f(wrong, registry).fetchBatch({ versionedHashes: hashes, blockNumber: 1n, ipfsCid: "0x01" });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(DataUnavailableError);
    expect(await checks(registry)).to.deep.equal({ proof: 1, recompute: 1 });
  });
});
