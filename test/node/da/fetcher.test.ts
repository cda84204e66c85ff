// BlobFetcher against fake HTTP sources (no anvil): beacon slot addressing, hostile responses, timeouts,
// out-of-order answers and partial answers combined across sources.
import { expect } from "chai";
import { createServer, type Server, type IncomingMessage, type ServerResponse } from "node:http";
import { bytesToHex, type Hex } from "viem";
import { pino } from "pino";
import { Registry } from "prom-client";
import { ArchiveBlobSource, BeaconBlobSource, BlobFetcher, DataUnavailableError, computeVersionedHashes, loadKzg, packBlobs } from "../../../node/da/index.ts";
import { testBytes } from "./helpers.ts";

const silent = pino({ level: "silent" });

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const addr = server.address();
  return { url: `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`, server };
}

describe("da/fetcher with fake sources", function () {
  this.timeout(30_000);
  let blobs: Uint8Array[];
  let hashes: Hex[];
  let data: Uint8Array;
  const servers: Server[] = [];

  before(() => {
    loadKzg();
    data = testBytes(200_000, 3);
    blobs = packBlobs(data); // 2 blobs
    hashes = computeVersionedHashes(blobs);
  });
  after(() =>
    servers.forEach((s) => {
      s.closeAllConnections();
      s.close();
    }),
  );

  const start = async (handler: (req: IncomingMessage, res: ServerResponse) => void) => {
    const s = await serve(handler);
    servers.push(s.server);
    return s.url;
  };
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.statusCode = status;
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(body));
  };

  it("addresses a real beacon node by slot (from the block timestamp and genesis time) and accepts out-of-order answers", async () => {
    const seen: string[] = [];
    const url = await start((req, res) => {
      seen.push(req.url ?? "");
      if (req.url === "/eth/v1/beacon/genesis") return json(res, 200, { data: { genesis_time: "1000" } });
      if (req.url?.startsWith("/eth/v1/beacon/blobs/10?")) return json(res, 200, { data: [bytesToHex(blobs[1]!), bytesToHex(blobs[0]!)] });
      json(res, 404, { code: 404 });
    });
    const fetcher = new BlobFetcher({ sources: [new BeaconBlobSource({ url, blockId: "slot" })], logger: silent, registry: new Registry() });
    const got = await fetcher.fetchBatch({ versionedHashes: hashes, blockNumber: 5n, timestamp: 1000n + 12n * 10n + 3n });
    expect(got.unpacked.ok && Buffer.from(got.unpacked.data).equals(Buffer.from(data))).to.equal(true);
    expect(seen[1]).to.equal(`/eth/v1/beacon/blobs/10?versioned_hashes=${hashes.join(",")}`);
  });

  it("accepts a beacon node that ignores the filter and returns every blob of the block", async () => {
    const others = packBlobs(testBytes(300_000, 99)); // 3 blobs of another transaction in the same block
    const url = await start((_req, res) => json(res, 200, { data: [...others.slice(0, 2), ...blobs, others[2]!].map((b) => bytesToHex(b)) }));
    const registry = new Registry();
    const fetcher = new BlobFetcher({ sources: [new BeaconBlobSource({ url })], logger: silent, registry });
    const got = await fetcher.fetchBatch({ versionedHashes: hashes, blockNumber: 1n });
    expect(got.unpacked.ok && Buffer.from(got.unpacked.data).equals(Buffer.from(data))).to.equal(true);
    expect((await registry.getSingleMetric("rollbook_da_rejected_total")!.get()).values).to.have.length(0);
  });

  it("combines a partial answer from one source with the rest from the next", async () => {
    const beacon = await start((_req, res) => json(res, 200, { data: [bytesToHex(blobs[0]!)] }));
    const asked: string[] = [];
    const archive = await start((req, res) => {
      asked.push((req.url ?? "").slice(1));
      const i = hashes.indexOf((req.url ?? "").slice(1) as Hex);
      if (i < 0) return json(res, 404, {});
      res.end(Buffer.from(blobs[i]!));
    });
    const fetcher = new BlobFetcher({ sources: [new BeaconBlobSource({ url: beacon }), new ArchiveBlobSource({ url: archive, name: "archive" })], logger: silent, registry: new Registry() });
    const got = await fetcher.fetchBatch({ versionedHashes: hashes, blockNumber: 1n });
    expect(got.sources).to.deep.equal(["beacon", "archive"]);
    expect(asked).to.deep.equal([hashes[1]]); // only the missing one
  });

  it("survives hostile beacon answers (not JSON, no data, non-hex, wrong sizes, oversized bodies, hangs)", async () => {
    const registry = new Registry();
    const bad = [
      await start((_req, res) => res.end("not json")),
      await start((_req, res) => json(res, 200, { nope: 1 })),
      await start((_req, res) => json(res, 200, { data: ["zz"] })),
      await start((_req, res) => json(res, 200, { data: ["0x1234"] })),
      await start((_req, res) => json(res, 500, {})),
      await start((_req, res) => {
        res.setHeader("content-type", "application/json");
        const chunk = Buffer.alloc(1 << 20, 0x20);
        let n = 0;
        const push = () => {
          while (n++ < 40) if (!res.write(chunk)) return void res.once("drain", push);
          res.end();
        };
        push();
      }),
      await start(() => undefined), // never answers: the per-source timeout fires
    ];
    const good = await start((_req, res) => json(res, 200, { data: blobs.map((b) => bytesToHex(b)) }));
    const sources = bad.map((url, i) => new BeaconBlobSource({ url, name: `bad${i}`, timeoutMs: 500 }));
    const fetcher = new BlobFetcher({ sources: [...sources, new BeaconBlobSource({ url: good, name: "good" })], logger: silent, registry });
    const t0 = Date.now();
    const got = await fetcher.fetchBatch({ versionedHashes: hashes, blockNumber: 1n });
    expect(got.sources).to.deep.equal(["good", "good"]);
    expect(Date.now() - t0).to.be.lessThan(5000);
    const fetchTotal = await registry.getSingleMetric("rollbook_da_fetch_total")!.get();
    const byResult = Object.fromEntries(fetchTotal.values.map((v) => [`${v.labels.source}:${v.labels.result}`, v.value]));
    expect(byResult["bad6:timeout"]).to.equal(1);
    expect(byResult["bad0:error"]).to.equal(1);
    expect(byResult["bad3:rejected"]).to.equal(1); // 2-byte "blob": rejected as BAD_BLOB
    expect(byResult["good:ok"]).to.equal(1);
  });

  it("refuses requests with no or too many hashes, and reports an oversized archive blob as an error", async () => {
    const fetcher = new BlobFetcher({ sources: [], logger: silent, registry: new Registry() });
    expect(await fetcher.fetchBatch({ versionedHashes: [], blockNumber: 1n }).catch((e: unknown) => e)).to.be.instanceOf(DataUnavailableError);
    const big = await start((_req, res) => res.end(Buffer.alloc(131072 + 1)));
    const f2 = new BlobFetcher({ sources: [new ArchiveBlobSource({ url: big, name: "big" })], logger: silent, registry: new Registry() });
    const err = (await f2.fetchBatch({ versionedHashes: hashes, blockNumber: 1n }).catch((e: unknown) => e)) as DataUnavailableError;
    expect(err.attempts[0]!.result).to.equal("error");
  });
});

describe("da/setup from the node config", function () {
  this.timeout(30_000);
  it("builds helia + archive + fetcher in the standard order (beacon, archives, ipfs)", async () => {
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const path = await import("node:path");
    const { createDa } = await import("../../../node/da/index.ts");
    const dir = mkdtempSync(path.join(tmpdir(), "rollbook-da-setup-"));
    try {
      const da = await createDa(
        { dataDir: dir, l1: { rpcUrl: "http://127.0.0.1:1", beaconUrl: "http://127.0.0.1:1", archiveUrls: ["http://127.0.0.1:2"], confirmations: 0 }, ipfs: { mode: "helia", kuboUrl: "http://127.0.0.1:5001" } },
        { archive: true, logger: silent, registry: new Registry() },
      );
      expect(da.ipfs?.kind).to.equal("helia");
      expect(da.archive?.dir).to.equal(path.join(dir, "blobs"));
      const names = (da.fetcher as unknown as { sources: { name: string }[] }).sources.map((s) => s.name);
      expect(names).to.deep.equal(["beacon", "archive:http://127.0.0.1:2", "ipfs:helia"]);
      await da.stop();
      const off = await createDa({ dataDir: dir, l1: { rpcUrl: "http://x", beaconUrl: "http://x", archiveUrls: [], confirmations: 0 }, ipfs: { mode: "off", kuboUrl: "http://x" } }, { logger: silent, registry: new Registry() });
      expect(off.ipfs).to.equal(undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
