// A real signed order stream through the whole data path: codec (encodeBatch) -> blob packing + KZG ->
// Inbox.propose on anvil (BLOBHASH) -> beacon route -> KZG check -> unpack -> decodeBatch: the same
// transactions come back, byte for byte and field for field.
import { expect } from "chai";
import { pino } from "pino";
import { Registry } from "prom-client";
import { decodeBatch, encodeBatch, encodeTx, type Batch } from "../../../node/codec/index.ts";
import { BeaconBlobSource, BlobFetcher, BlobPoster, loadKzg } from "../../../node/da/index.ts";
import { generateMmStream } from "../../../node/sim/mm-stream.ts";
import { deployInbox, startL1, type L1 } from "../da/helpers.ts";

describe("e2e: signed order batch -> blobs -> Inbox -> beacon -> decode", function () {
  this.timeout(120_000);
  let l1: L1;

  before(async () => {
    loadKzg();
    l1 = await startL1();
  });
  after(async () => l1?.anvil.stop());

  it("a multi-blob batch of 6,000 signed market-maker txs decodes to the same transactions", async () => {
    const txs = generateMmStream({ seed: 7, orders: 6_000 });
    const inbox = await deployInbox(l1);
    const block = await l1.client.getBlock();
    const batch: Batch = {
      header: {
        parentBatchHash: `0x${"00".repeat(32)}`,
        timestamp: Number(block.timestamp),
        l1MsgStart: 0,
        l1MsgEnd: 0,
      },
      txs,
    };
    const bytes = encodeBatch(batch);
    expect(bytes.length / txs.length, "bytes per order").to.be.lessThan(80);

    const registry = new Registry();
    const logger = pino({ level: "silent" });
    const poster = new BlobPoster({ client: l1.client, account: l1.account, inbox, logger, registry, pollIntervalMs: 50 });
    const posted = await poster.propose(bytes, { l1MsgEnd: 0n, mode: "blob" });
    expect(posted.receipt.status).to.equal("success");
    expect(posted.versionedHashes.length, "blobs").to.be.greaterThan(1);
    expect([...posted.event!.blobHashes]).to.deep.equal(posted.versionedHashes);

    const fetcher = new BlobFetcher({ sources: [new BeaconBlobSource({ url: l1.anvil.rpcUrl })], logger, registry });
    const got = await fetcher.fetchBatch({
      versionedHashes: posted.event!.blobHashes,
      blockNumber: posted.receipt.blockNumber,
      blockHash: posted.receipt.blockHash,
      ipfsCid: posted.event!.ipfsCid,
    });
    expect(got.unpacked.ok).to.equal(true);
    if (!got.unpacked.ok) return;
    expect(Buffer.from(got.unpacked.data).equals(Buffer.from(bytes))).to.equal(true);

    const decoded = decodeBatch(got.unpacked.data);
    expect(decoded.ok).to.equal(true);
    if (!decoded.ok) return;
    expect(decoded.batch.header).to.deep.equal(batch.header);
    expect(decoded.batch.txs.length).to.equal(txs.length);
    for (let i = 0; i < txs.length; i++) {
      expect(Buffer.from(encodeTx(decoded.batch.txs[i]!)).equals(Buffer.from(encodeTx(txs[i]!))), `tx ${i}`).to.equal(true);
    }
  });
});
