// The sequencer's segment-file WAL (node/sequencer/wal.ts) with the real sequencer, STF and LevelDB store:
// a torn or corrupt tail is ignored, rotation by size keeps the live state in one new segment, a batch
// whose store commit happened right before a crash (CANON record, no onCanonical) is not answered as
// dropped, and the LevelDB WAL records of the earlier version are replayed once.
import { expect } from "chai";
import { appendFileSync, readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { stateDigest } from "../../../node/clob/state.ts";
import { encodeTx } from "../../../node/codec/tx.ts";
import { RecordWriter, Sequencer, Wal, readSegment, type WalContents } from "../../../node/sequencer/index.ts";
import { Trader, makeKeys } from "../clob/stf-helpers.ts";
import { SequencerHarness, encodeSealed, genesis, landBatch, writeGenesis } from "./helpers.ts";

describe("sequencer WAL segments", function () {
  this.timeout(60_000);
  const keys = makeKeys(4, "sequencer-wal-test");
  let h: SequencerHarness;
  const walDir = (): string => path.join(h.dir, "db.wal");
  const segments = (): string[] => readdirSync(walDir()).filter((f) => f.endsWith(".wal")).sort();

  beforeEach(async () => {
    h = await SequencerHarness.open("seq-wal", keys);
  });
  afterEach(() => h.close());

  it("frames round-trip; a torn or corrupt last frame is ignored, the frames before it are kept", () => {
    const into = (): WalContents => ({ txs: new Map(), drops: new Map(), seals: new Map(), canon: new Map(), frames: 0, torn: false });
    const h = (i: number) => "0x" + i.toString(16).padStart(64, "0");
    const signer = "0x" + "ab".repeat(20);
    const a = new RecordWriter(16);
    a.tx(1, h(1), signer, new Uint8Array([1, 2, 3]));
    a.seal(JSON.stringify({ index: 3, txs: [h(1)] }));
    const b = new RecordWriter();
    b.tx(2, h(2), signer, new Uint8Array(300).fill(7));
    b.drop(h(1), JSON.stringify({ reason: "NONCE_TAKEN" }));
    b.canon(4, [h(5), h(6)]);
    b.unseal(3);
    const whole = Buffer.concat([a.frame(), b.frame()]);
    const all = into();
    expect(readSegment(whole, all)).to.equal(true);
    expect([...all.txs.keys()]).to.deep.equal([h(2)]);
    expect(all.txs.get(h(2))!.tx.length).to.equal(300);
    expect(all.txs.get(h(2))!.signer).to.equal(signer);
    expect(JSON.parse(all.drops.get(h(1))!)).to.deep.equal({ reason: "NONCE_TAKEN" });
    expect(all.canon.get(4)).to.deep.equal([h(5), h(6)]);
    expect(all.seals.size).to.equal(0);
    // torn: the second frame cut short
    for (const cut of [whole.length - 1, whole.length - 200, a.frame().length + 3]) {
      const c = into();
      expect(readSegment(whole.subarray(0, cut), c)).to.equal(false);
      expect([c.frames, [...c.txs.keys()], c.seals.size]).to.deep.equal([1, [h(1)], 1]);
    }
    // corrupt: a flipped byte in the second frame's payload fails its CRC
    const bad = Buffer.from(whole);
    bad[bad.length - 5]! ^= 0xff;
    const c = into();
    expect(readSegment(bad, c)).to.equal(false);
    expect(c.frames).to.equal(1);
  });

  it("a restart ignores a torn tail and starts a fresh segment holding exactly the live state", async () => {
    let s = await h.start();
    const t = new Trader(keys[0]!);
    for (let i = 0; i < 12; i++) expect((await s.submit(encodeTx(t.sell(100 + i, 1)))).verdict).to.equal("valid");
    const before = stateDigest(s.softState());
    await h.stop();
    // a crash in the middle of a later group write: half a frame at the end of the segment
    const seg = path.join(walDir(), segments().at(-1)!);
    const partial = new RecordWriter();
    partial.tx(99, "0x" + "cd".repeat(32), "0x" + "ab".repeat(20), new Uint8Array(100));
    appendFileSync(seg, partial.frame().subarray(0, 60));
    s = await h.start();
    expect(stateDigest(s.softState())).to.equal(before);
    expect(s.openBatch()!.txs.length).to.equal(12);
    expect(segments().length).to.equal(1);
    expect(path.join(walDir(), segments()[0]!)).to.not.equal(seg);
    const log = new Wal(walDir()).load();
    expect([log.txs.size, log.torn, log.frames]).to.deep.equal([12, false, 1]);
  });

  it("rotates by size: old segments are deleted once the snapshot is durable; nothing acknowledged is lost", async () => {
    let s = await h.start(genesis(), { walSegmentBytes: 4096 });
    const traders = keys.map((k) => new Trader(k));
    const acked: string[] = [];
    for (let round = 0; round < 6; round++) {
      const rs = await Promise.all(traders.flatMap((t) => [0, 1, 2, 3, 4].map(() => s.submit(encodeTx(t.sell(100 + round, 1))))));
      for (const r of rs) {
        expect(r.verdict).to.equal("valid");
        if (r.verdict === "valid") acked.push(r.hash);
      }
      if (round === 2) s.seal();
    }
    expect(s.wal.stats.rotations).to.be.greaterThan(2);
    expect(segments().length).to.be.at.most(2);
    const before = stateDigest(s.softState());
    const sealed = s.sealed().map((b) => [b.index, b.timestamp, b.txs.length]);
    s = await h.restart(genesis(), { walSegmentBytes: 4096 });
    expect(stateDigest(s.softState())).to.equal(before);
    expect(s.sealed().map((b) => [b.index, b.timestamp, b.txs.length])).to.deep.equal(sealed);
    for (const h of acked) expect(s.status(h)?.level).to.equal("soft");
  });

  it("a batch committed right before a crash (CANON written, onCanonical never called) is included, not NONCE_TAKEN", async () => {
    const canonical = await writeGenesis(h.store);
    let s = await h.start(canonical.state);
    const t = new Trader(keys[0]!);
    for (let i = 0; i < 6; i++) await s.submit(encodeTx(t.sell(100 + i, 1)));
    const b1 = s.seal()!;
    for (let i = 0; i < 2; i++) await s.submit(encodeTx(t.sell(200 + i, 1)));
    // what derivation does, minus telling the sequencer: commitKeys (CANON) then the store commit
    const fake = { ...s, onCanonical: () => ({ rebuilt: false, reexecuted: 0, dropped: 0 }), commitKeys: s.commitKeys.bind(s) } as unknown as Sequencer;
    await landBatch(fake, h.store, canonical, h.l1, encodeSealed(b1), b1.index);
    await s.wal.flush();
    // a record for a batch the store never committed (crash between CANON and the commit) is void
    s.commitKeys(2, [s.openBatch()!.txs[0]!.hash]);
    s = await h.restart(canonical.state);
    for (const p of b1.txs) expect(s.status(p.hash)).to.equal(undefined); // the store's to answer
    expect(s.openBatch()!.txs.length).to.equal(2);
    expect(s.openBatch()!.txs.every((p) => p.level === "soft")).to.equal(true);
    expect(s.sealed().length).to.equal(0);
  });

  it("replays the LevelDB WAL records of the earlier version once, then deletes them", async () => {
    let s = await h.start();
    const t = new Trader(keys[1]!);
    const tx = t.sell(120, 2);
    const r = await s.submit(encodeTx(tx));
    if (r.verdict !== "valid") throw new Error(JSON.stringify(r));
    const walBytes = Buffer.concat(segments().map((f) => readFileSync(path.join(walDir(), f))));
    const hash = new Wal(walDir()).load().txs.keys().next().value!;
    await h.stop();
    rmSync(walDir(), { recursive: true });
    // the same transaction as the earlier version stored it: p:t<hash> = be64 seq ‖ signer ‖ tx bytes
    const entry = Buffer.alloc(28);
    entry.writeUInt32BE(1, 4);
    Buffer.from(keys[1]!.address.slice(2), "hex").copy(entry, 8);
    await h.store.db.put(Buffer.from("p:t" + hash.slice(2)), Buffer.concat([entry, encodeTx(tx)]));
    expect(walBytes.length).to.be.greaterThan(0);
    s = await h.start();
    expect(s.status(hash)?.level).to.equal("soft");
    expect((await h.store.mempool()).length).to.equal(0);
    s = await h.restart();
    expect(s.status(hash)?.level).to.equal("soft");
  });

  it("group spacing: records of many turns share a group, starts stay apart, each record is in the file when acknowledged", async () => {
    /** Records arriving every ~1 ms for `ms`; each promise checks, when it resolves, that its record is in the files. */
    async function run(groupIntervalMs: number, sub: string, ms: number): Promise<{ groups: number; gaps: number[]; records: number }> {
      const wal = new Wal(path.join(h.dir, sub), { groupIntervalMs });
      await wal.rotate(); // the first write is a rotation (live state only): open the segment before the records
      const starts: number[] = [];
      wal.onWritten = (t) => starts.push(t);
      const signer = "0x" + "ab".repeat(20);
      const acks: Promise<void>[] = [];
      let n = 0;
      const until = performance.now() + ms;
      while (performance.now() < until) {
        const hash = "0x" + (++n).toString(16).padStart(64, "0");
        acks.push(wal.tx(n, hash, signer, new Uint8Array(120).fill(n & 255)).then(() => {
          expect(new Wal(path.join(h.dir, sub)).load().txs.has(hash), hash).to.equal(true);
        }));
        await new Promise((ok) => setTimeout(ok, 1));
      }
      await Promise.all(acks);
      wal.close();
      expect(new Wal(path.join(h.dir, sub)).load().txs.size).to.equal(n);
      return { groups: starts.length, gaps: starts.slice(1).map((t, i) => t - starts[i]!), records: n };
    }
    const spaced = await run(20, "spaced.wal", 300);
    // Node's timers run on the loop's millisecond clock: a start may come up to ~1 ms before 20 ms by performance.now().
    for (const g of spaced.gaps) expect(g).to.be.at.least(18.5);
    expect(spaced.groups).to.be.at.most(Math.ceil(300 / 20) + 2);
    expect(spaced.records).to.be.greaterThan(spaced.groups * 2);
    // Unspaced, a group starts every turn that has a record and no write in flight: more, smaller groups.
    const unspaced = await run(0, "unspaced.wal", 300);
    expect(unspaced.groups).to.be.greaterThan(spaced.groups * 2);
    // An idle log starts the first group at once (next turn), not after the spacing.
    const wal = new Wal(path.join(h.dir, "idle.wal"), { groupIntervalMs: 50 });
    await wal.rotate();
    await new Promise((ok) => setTimeout(ok, 60));
    let started = 0;
    wal.onWritten = (t) => (started = t);
    const asked = performance.now();
    await wal.tx(1, "0x" + "01".padStart(64, "0"), "0x" + "ab".repeat(20), new Uint8Array(8));
    expect(started - asked).to.be.lessThan(15);
    wal.close();
  });
});
