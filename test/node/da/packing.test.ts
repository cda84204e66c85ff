import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { commitmentToVersionedHash, bytesToHex } from "viem";
import {
  packBlobs,
  unpackBlobs,
  blobsNeeded,
  BYTES_PER_BLOB,
  PAYLOAD_BYTES_PER_BLOB,
  MAX_PACKED_DATA_BYTES,
  PACKING_HEADER_BYTES,
} from "../../../node/da/packing.ts";
import { computeSidecars, checkBlob, versionedHash, loadKzg, computeVersionedHashes } from "../../../node/da/kzg.ts";
import { testBytes } from "./helpers.ts";

function topBitsClear(blob: Uint8Array): boolean {
  for (let i = 0; i < blob.length; i += 32) if ((blob[i]! & 0xc0) !== 0) return false;
  return true;
}

describe("da/packing", () => {
  const sizes = [0, 1, 30, 31, 126, 127, 128, 1000, PAYLOAD_BYTES_PER_BLOB - PACKING_HEADER_BYTES, PAYLOAD_BYTES_PER_BLOB - PACKING_HEADER_BYTES + 1, 300_000, 2 * PAYLOAD_BYTES_PER_BLOB, MAX_PACKED_DATA_BYTES];

  for (const size of sizes) {
    it(`round-trips ${size} bytes in the fewest blobs with every field element < 2^254`, () => {
      const data = testBytes(size, size + 7);
      const blobs = packBlobs(data);
      expect(blobs.length).to.equal(blobsNeeded(size));
      expect(blobs.length).to.equal(Math.max(1, Math.ceil((size + 5) / PAYLOAD_BYTES_PER_BLOB)));
      for (const b of blobs) {
        expect(b.length).to.equal(BYTES_PER_BLOB);
        expect(topBitsClear(b)).to.equal(true);
      }
      const r = unpackBlobs(blobs);
      expect(r.ok, JSON.stringify(!r.ok && r.error)).to.equal(true);
      if (r.ok) expect(Buffer.from(r.data).equals(Buffer.from(data))).to.equal(true);
    });
  }

  it("keeps trailing zeros of the data (length prefix)", () => {
    const data = new Uint8Array(500); // all zero
    data[0] = 9;
    const r = unpackBlobs(packBlobs(data));
    expect(r.ok && r.data.length).to.equal(500);
  });

  it("uses 6 blobs at most and refuses larger batches", () => {
    expect(blobsNeeded(MAX_PACKED_DATA_BYTES)).to.equal(6);
    expect(blobsNeeded(MAX_PACKED_DATA_BYTES + 1)).to.equal(-1);
    expect(() => packBlobs(new Uint8Array(MAX_PACKED_DATA_BYTES + 1))).to.throw(RangeError);
  });

  describe("hostile blobs never throw and get a typed error", () => {
    const good = () => packBlobs(testBytes(200_000, 3)); // 2 blobs
    const cases: [string, () => unknown, string][] = [
      ["no blobs", () => [], "BLOB_COUNT"],
      ["7 blobs", () => Array.from({ length: 7 }, () => new Uint8Array(BYTES_PER_BLOB)), "BLOB_COUNT"],
      ["short blob", () => [new Uint8Array(100)], "BLOB_SIZE"],
      ["not bytes", () => ["0x00"], "BLOB_SIZE"],
      ["not an array", () => "junk", "BLOB_COUNT"],
      ["null entry", () => [null], "BLOB_SIZE"],
      ["top bit set", () => { const b = good(); b[1]![32 * 77] |= 0x80; return b; }, "FIELD_ELEMENT_TOP_BITS"],
      ["second top bit set", () => { const b = good(); b[0]![0] |= 0x40; return b; }, "FIELD_ELEMENT_TOP_BITS"],
      ["all 0xff", () => [new Uint8Array(BYTES_PER_BLOB).fill(0xff)], "FIELD_ELEMENT_TOP_BITS"],
      ["zero blob (version 0)", () => [new Uint8Array(BYTES_PER_BLOB)], "VERSION"],
      ["length beyond capacity", () => { const b = packBlobs(new Uint8Array(10)); b[0]![2] = 0x3f; return b; }, "LENGTH"],
      ["non-minimal blob count", () => [...packBlobs(new Uint8Array(10)), new Uint8Array(BYTES_PER_BLOB)], "NOT_MINIMAL"],
      ["nonzero padding", () => { const b = packBlobs(new Uint8Array(10)); b[0]![BYTES_PER_BLOB - 1] = 1; return b; }, "NONZERO_PADDING"],
      ["nonzero padding in 6-bit piece", () => { const b = packBlobs(new Uint8Array(10)); b[0]![BYTES_PER_BLOB - 32] = 1; return b; }, "NONZERO_PADDING"],
    ];
    for (const [name, make, code] of cases) {
      it(name, () => {
        const r = unpackBlobs(make() as Uint8Array[]);
        expect(r.ok).to.equal(false);
        if (!r.ok) expect(r.error.code).to.equal(code);
      });
    }

    it("random and mutated blobs (2,000 inputs)", () => {
      const base = packBlobs(testBytes(1000, 5));
      let ok = 0;
      for (let i = 0; i < 2000; i++) {
        let blobs: Uint8Array[];
        if (i % 2 === 0) {
          blobs = [new Uint8Array(randomBytes(BYTES_PER_BLOB))];
          if (i % 4 === 0) for (let j = 0; j < BYTES_PER_BLOB; j += 32) blobs[0]![j]! &= 0x3f;
        } else {
          blobs = [new Uint8Array(base[0]!)];
          const n = 1 + (i % 5);
          for (let k = 0; k < n; k++) blobs[0]![(i * 7919 * (k + 1)) % BYTES_PER_BLOB] ^= 1 << (k % 8);
        }
        const r = unpackBlobs(blobs);
        if (r.ok) ok++;
        else expect(r.error.code).to.be.a("string");
      }
      // a mutation that only touches data bytes still unpacks (integrity is the versioned hash's job)
      expect(ok).to.be.lessThan(2000);
    });
  });
});

describe("da/kzg", function () {
  this.timeout(30_000);
  before(() => loadKzg());

  it("commitments, proofs and versioned hashes agree with c-kzg verification and viem", () => {
    const blobs = packBlobs(testBytes(150_000, 11));
    const sc = computeSidecars(blobs);
    expect(sc.versionedHashes).to.have.length(2);
    const ckzg = loadKzg();
    for (let i = 0; i < blobs.length; i++) {
      expect(sc.versionedHashes[i]!.startsWith("0x01")).to.equal(true);
      expect(sc.versionedHashes[i]).to.equal(commitmentToVersionedHash({ commitment: bytesToHex(sc.commitments[i]!) }));
      expect(ckzg.verifyBlobKzgProof(blobs[i]!, sc.commitments[i]!, sc.proofs[i]!)).to.equal(true);
      expect(versionedHash(sc.commitments[i]!)).to.equal(sc.versionedHashes[i]);
    }
    expect(ckzg.verifyBlobKzgProofBatch(blobs, sc.commitments, sc.proofs)).to.equal(true);
  });

  it("checkBlob accepts the right blob and rejects tampered or non-canonical ones without throwing", () => {
    const [blob] = packBlobs(testBytes(5000, 12));
    const [vh] = computeVersionedHashes([blob!]);
    expect(checkBlob(blob!, vh!).ok).to.equal(true);
    const tampered = new Uint8Array(blob!);
    tampered[100] ^= 1;
    const bad = checkBlob(tampered, vh!);
    expect(bad.ok === false && bad.reason).to.equal("HASH_MISMATCH");
    const nonCanonical = new Uint8Array(BYTES_PER_BLOB).fill(0xff);
    const nc = checkBlob(nonCanonical, vh!);
    expect(nc.ok === false && nc.reason).to.equal("BAD_BLOB");
    const short = checkBlob(new Uint8Array(3), vh!);
    expect(short.ok === false && short.reason).to.equal("BAD_BLOB");
  });
});
