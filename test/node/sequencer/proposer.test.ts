// Proposing on anvil: sealed batches are encoded with the Inbox's batch chain as parent, backed up to IPFS
// (helia), posted as blobs through node/da's BlobPoster, and read back through the beacon route to the
// same header (clock inside the validity window) and transactions; a proposal waits while the Inbox is not
// right behind the batch.
import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pino } from "pino";
import { Registry } from "prom-client";
import type { Abi, Address, Hex } from "viem";
import { MAX_DRIFT } from "../../../node/clob/types.ts";
import { decodeBatch } from "../../../node/codec/batch.ts";
import { encodeTx } from "../../../node/codec/tx.ts";
import { BeaconBlobSource, BlobFetcher, BlobPoster, HeliaBackup, loadKzg } from "../../../node/da/index.ts";
import { StateStore } from "../../../node/state/store.ts";
import { Proposer, Sequencer, type InboxReader, type L1Head, type SequencerL1 } from "../../../node/sequencer/index.ts";
import { Trader, makeKeys } from "../clob/stf-helpers.ts";
import { deployInbox, startL1, type L1 } from "../da/helpers.ts";
import { genesis } from "./helpers.ts";

describe("sequencer proposer (anvil)", function () {
  this.timeout(180_000);
  let l1: L1;
  let dir: string;

  before(async () => {
    loadKzg();
    l1 = await startL1();
    dir = mkdtempSync(path.join(tmpdir(), "rollbook-seq-prop-"));
  });
  after(async () => {
    await l1?.anvil.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("proposes sealed batches in order, as blobs with an IPFS backup, and they read back equal", async () => {
    const inbox = await deployInbox(l1);
    const artifact = JSON.parse(readFileSync(new URL("../../../artifacts/contracts/Inbox.sol/Inbox.json", import.meta.url), "utf8")) as { abi: Abi };
    const reader: InboxReader = {
      batchCount: () => l1.client.readContract({ address: inbox, abi: artifact.abi, functionName: "batchCount" }) as Promise<bigint>,
      batchChainAt: (i) => l1.client.readContract({ address: inbox, abi: artifact.abi, functionName: "batchChainAt", args: [i] }) as Promise<Hex>,
    };
    let head: L1Head = { number: 0, hash: `0x${"00".repeat(32)}`, timestamp: 0 };
    const refresh = async () => {
      const b = await l1.client.getBlock();
      head = { number: Number(b.number), hash: b.hash, timestamp: Number(b.timestamp) };
    };
    await refresh();
    const view: SequencerL1 = { head: () => head, messages: () => [] };
    const store = await StateStore.open(path.join(dir, "db"));
    const ipfs = await HeliaBackup.create({ dir: path.join(dir, "ipfs") });
    const logger = pino({ level: "silent" });
    const registry = new Registry();
    const seq = await Sequencer.open({ db: store.db, canonical: genesis(), l1: view, proposer: l1.account.address as Address, seal: { maxTxs: 40, maxAgeMs: 100_000 } });
    try {
      const poster = new BlobPoster({ client: l1.client, account: l1.account, inbox, ipfs, logger, registry, pollIntervalMs: 50 });
      const proposer = new Proposer({ sequencer: seq, poster, inbox: reader, mode: "blob", logger });
      expect(await proposer.step()).to.equal(null); // nothing sealed
      const traders = makeKeys(4, "prop").map((k) => new Trader(k));
      for (let i = 0; i < 60; i++) {
        const t = traders[i % 4]!;
        const r = await seq.submit(encodeTx(i % 2 ? t.buy(100, 1) : t.sell(101, 1)));
        expect(r.verdict).to.equal("valid");
        if (i === 45) await refresh(); // the second batch opens on a later head
      }
      seq.seal();
      const [b1, b2] = seq.sealed();
      expect([b1!.txs.length, b2!.txs.length]).to.deep.equal([40, 20]);

      const p1 = (await proposer.step())!;
      const p2 = (await proposer.step())!;
      expect(await proposer.step()).to.equal(null); // both proposed, none left
      expect(p1.result.event!.batchIndex).to.equal(1n);
      expect(p2.result.event!.batchIndex).to.equal(2n);
      expect(p1.result.mode).to.equal("blob");
      expect(p1.result.ipfsCid.length).to.be.greaterThan(0);
      expect(Buffer.from(await ipfs.get(p1.result.ipfsCid)).equals(Buffer.from(p1.bytes))).to.equal(true);

      const fetcher = new BlobFetcher({ sources: [new BeaconBlobSource({ url: l1.anvil.rpcUrl })], logger, registry });
      for (const [p, b, parent] of [[p1, b1!, `0x${"00".repeat(32)}`], [p2, b2!, p1.result.event!.batchChain]] as const) {
        const got = await fetcher.fetchBatch({ versionedHashes: p.result.event!.blobHashes, blockNumber: p.result.receipt.blockNumber, blockHash: p.result.receipt.blockHash, ipfsCid: p.result.event!.ipfsCid });
        if (!got.unpacked.ok) throw new Error("blob data did not unpack");
        const d = decodeBatch(got.unpacked.data);
        if (!d.ok) throw new Error(d.reasonName);
        expect(d.batch.header.parentBatchHash).to.equal(parent);
        expect(d.batch.header.timestamp).to.equal(b.timestamp);
        const l1Ts = Number((await l1.client.getBlock({ blockNumber: p.result.receipt.blockNumber })).timestamp);
        expect(d.batch.header.timestamp).to.be.at.most(l1Ts); // V5
        expect(d.batch.header.timestamp + MAX_DRIFT).to.be.at.least(l1Ts); // V6
        expect(d.batch.txs.map((t) => Buffer.from(encodeTx(t)).toString("hex"))).to.deep.equal(b.txs.map((x) => Buffer.from(x.bytes).toString("hex")));
      }
    } finally {
      await seq.close();
      await ipfs.stop();
      await store.close();
    }
  });
});
