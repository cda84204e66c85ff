// Blob transaction network wrappers: v0 (EIP-4844) byte-identical to viem's serializer, v1 (EIP-7594) checked
// byte by byte against the layout of the spec (hand-computed RLP headers) and against viem's independent RLP
// encoder, decode round trips, cell proofs verified with c-kzg, tampering detected, wrapper selection rules.
import { expect } from "chai";
import { bytesToHex, fromRlp, hexToBytes, keccak256, recoverTransactionAddress, toRlp, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import {
  CELLS_PER_EXT_BLOB,
  OSAKA_TIMES,
  P256VERIFY_ADDRESS,
  cellProofs,
  computeSidecars,
  decodeBlobTx,
  detectBlobWrapper,
  isWrapperRejection,
  loadKzg,
  packBlobs,
  verifyBlobTx,
  verifyCellProofs,
  wrapBlobTx,
  type BlobSidecars,
} from "../../../node/da/index.ts";
import { ANVIL_DEV_KEY } from "../../../node/l1/anvil.ts";
import { testBytes } from "./helpers.ts";

const account = privateKeyToAccount(ANVIL_DEV_KEY);

/** The fields of the test's blob transaction carrying `sc`. */
function blobTxFields(sc: BlobSidecars, nonce: number) {
  return {
    type: "eip4844",
    chainId: 31337,
    nonce,
    gas: 90_000n,
    to: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    data: "0xdeadbeef",
    maxFeePerGas: 3_000_000_000n,
    maxPriorityFeePerGas: 1_000_000_000n,
    maxFeePerBlobGas: 2_000_000_000n,
    blobVersionedHashes: sc.versionedHashes,
  } as const;
}

function signedBlobTx(sc: BlobSidecars, nonce = 7): Promise<Hex> {
  return account.signTransaction(blobTxFields(sc, nonce));
}

describe("da/blobtx network wrappers", function () {
  this.timeout(60_000);
  let sc: BlobSidecars;
  let signed: Hex;
  let v0: Uint8Array;
  let v1: Uint8Array;

  before(async () => {
    loadKzg();
    sc = computeSidecars(packBlobs(testBytes(200_000, 3)), "v1"); // 2 blobs
    signed = await signedBlobTx(sc);
    v1 = wrapBlobTx(signed, sc, "v1");
    v0 = wrapBlobTx(signed, sc, "v0"); // computes the blob proofs on demand
  });

  it("v0 is byte-identical to viem's EIP-4844 network serialization", async () => {
    const sidecars = sc.blobs.map((b, i) => ({ blob: bytesToHex(b), commitment: bytesToHex(sc.commitments[i]!), proof: bytesToHex(sc.proofs[i]!) }));
    const viemV0 = await account.signTransaction({ ...blobTxFields(sc, 7), sidecars });
    expect(bytesToHex(v0) === viemV0).to.equal(true);
  });

  it("v1 follows the EIP-7594 layout byte by byte: 0x03 ‖ rlp([tx_payload_body, 0x01, blobs, commitments, cell_proofs])", () => {
    const payload = hexToBytes(signed).subarray(1); // rlp(tx_payload_body) of the signed transaction
    const k = sc.blobs.length;
    // every length below is computed by hand from the RLP rules, not by the encoder under test
    const blobsLen = k * (4 + 131072); // each blob: 0xba 0x02 0x00 0x00 ‖ 131072 bytes
    const commLen = k * 49; // each commitment: 0xb0 ‖ 48 bytes
    const proofsLen = k * CELLS_PER_EXT_BLOB * 49;
    const inner = payload.length + 1 + (4 + blobsLen) + (2 + commLen) + (3 + proofsLen);
    expect(v1.length).to.equal(1 + 4 + inner);
    expect([...v1.subarray(0, 5)]).to.deep.equal([0x03, 0xfa, (inner >> 16) & 0xff, (inner >> 8) & 0xff, inner & 0xff]);
    let at = 5;
    expect(Buffer.from(v1.subarray(at, at + payload.length)).equals(Buffer.from(payload))).to.equal(true); // the signed body, untouched
    at += payload.length;
    expect(v1[at++]).to.equal(0x01); // wrapper_version = 1: a single byte < 0x80 encodes as itself
    expect([...v1.subarray(at, at + 4)]).to.deep.equal([0xfa, (blobsLen >> 16) & 0xff, (blobsLen >> 8) & 0xff, blobsLen & 0xff]);
    at += 4;
    for (let i = 0; i < k; i++) {
      expect([...v1.subarray(at, at + 4)]).to.deep.equal([0xba, 0x02, 0x00, 0x00]);
      expect(Buffer.from(v1.subarray(at + 4, at + 4 + 131072)).equals(Buffer.from(sc.blobs[i]!))).to.equal(true);
      at += 4 + 131072;
    }
    expect([...v1.subarray(at, at + 2)]).to.deep.equal([0xf8, commLen]);
    at += 2;
    for (let i = 0; i < k; i++) {
      expect(v1[at]).to.equal(0xb0);
      expect(Buffer.from(v1.subarray(at + 1, at + 49)).equals(Buffer.from(sc.commitments[i]!))).to.equal(true);
      at += 49;
    }
    expect([...v1.subarray(at, at + 3)]).to.deep.equal([0xf9, (proofsLen >> 8) & 0xff, proofsLen & 0xff]);
    at += 3;
    for (let i = 0; i < k; i++) {
      const expected = cellProofs(sc.blobs[i]!); // recomputed independently of the sidecar
      for (let j = 0; j < CELLS_PER_EXT_BLOB; j++) {
        expect(v1[at]).to.equal(0xb0);
        expect(Buffer.from(v1.subarray(at + 1, at + 49)).equals(Buffer.from(expected[j]!))).to.equal(true);
        at += 49;
      }
    }
    expect(at).to.equal(v1.length);
    // and viem's own RLP encoder produces the same bytes from the same five elements
    const body = fromRlp(bytesToHex(payload), "hex");
    const viemV1 = toRlp([body, "0x01", sc.blobs.map((b) => bytesToHex(b)), sc.commitments.map((c) => bytesToHex(c)), sc.cellProofs!.flat().map((p) => bytesToHex(p))]);
    expect(bytesToHex(v1) === `0x03${viemV1.slice(2)}`).to.equal(true);
    // v0 and v1 share everything but the version byte and the proofs
    expect(Buffer.from(v0.subarray(5, 5 + payload.length)).equals(Buffer.from(payload))).to.equal(true);
  });

  it("decodes both wrappers back to the signed transaction (same hash, same signer, same fields)", async () => {
    for (const [raw, wrapper] of [[v0, "v0"], [v1, "v1"]] as const) {
      const d = decodeBlobTx(raw);
      expect(d.ok, JSON.stringify(d.ok ? "" : d)).to.equal(true);
      if (!d.ok) continue;
      expect(d.wrapper).to.equal(wrapper);
      expect(bytesToHex(d.signed)).to.equal(signed);
      expect(d.txHash).to.equal(keccak256(signed));
      expect(await recoverTransactionAddress({ serializedTransaction: bytesToHex(d.signed) as `0x03${string}` })).to.equal(account.address);
      expect(d.chainId).to.equal(31337n);
      expect(d.nonce).to.equal(7n);
      expect(d.gas).to.equal(90_000n);
      expect(d.maxFeePerGas).to.equal(3_000_000_000n);
      expect(d.maxPriorityFeePerGas).to.equal(1_000_000_000n);
      expect(d.maxFeePerBlobGas).to.equal(2_000_000_000n);
      expect(d.to).to.equal("0x5fbdb2315678afecb367f032d93f642f64180aa3");
      expect(d.data).to.equal("0xdeadbeef");
      expect(d.blobVersionedHashes).to.deep.equal(sc.versionedHashes);
      expect(d.blobs.map((b) => bytesToHex(b))).to.deep.equal(sc.blobs.map((b) => bytesToHex(b)));
      expect(d.proofs).to.have.length(wrapper === "v0" ? 2 : 2 * CELLS_PER_EXT_BLOB);
      // re-wrapping the decoded transaction reproduces the input exactly
      expect(Buffer.from(wrapBlobTx(d.signed, sc, wrapper)).equals(Buffer.from(raw))).to.equal(true);
    }
  });

  it("verifyBlobTx checks versioned hashes and proofs: blob proofs (v0) and all 256 cell proofs (v1)", () => {
    expect(verifyBlobTx(v0)).to.deep.include({ ok: true, wrapper: "v0" });
    expect(verifyBlobTx(v1)).to.deep.include({ ok: true, wrapper: "v1", txHash: keccak256(signed) });
    expect(verifyCellProofs(sc.blobs, sc.commitments, sc.cellProofs!).ok).to.equal(true); // per-blob form
    expect(verifyCellProofs(sc.blobs, sc.commitments, sc.cellProofs!.flat()).ok).to.equal(true); // flat form
  });

  it("rejects tampered or malformed wrappers with a typed code, never throwing", () => {
    const d = decodeBlobTx(v1);
    if (!d.ok) throw new Error("decode");
    const proofsAt = v1.length - 2 * CELLS_PER_EXT_BLOB * 49;
    const swapped = new Uint8Array(v1);
    swapped.set(v1.subarray(proofsAt + 1, proofsAt + 49), proofsAt + 49 + 1); // cell 1's proof := cell 0's
    expect(verifyBlobTx(swapped)).to.deep.include({ ok: false, code: "INVALID_PROOF" });
    const blobByte = new Uint8Array(v1);
    blobByte[5 + (hexToBytes(signed).length - 1) + 1 + 4 + 4 + 1000] ^= 0x01; // one data bit of blob 0
    expect(verifyBlobTx(blobByte)).to.deep.include({ ok: false, code: "INVALID_PROOF" });
    const otherCommitment = wrapBlobTx(signed, { ...sc, commitments: [sc.commitments[1]!, sc.commitments[0]!] }, "v1");
    expect(verifyBlobTx(otherCommitment)).to.deep.include({ ok: false, code: "HASH_MISMATCH" });
    const version2 = new Uint8Array(v1);
    version2[5 + hexToBytes(signed).length - 1] = 0x02;
    expect(decodeBlobTx(version2)).to.deep.include({ ok: false, code: "WRAPPER_VERSION" });
    expect(decodeBlobTx(hexToBytes(signed))).to.deep.include({ ok: false, code: "NO_SIDECAR" });
    expect(decodeBlobTx(v1.subarray(0, v1.length - 1))).to.deep.include({ ok: false, code: "RLP" });
    expect(decodeBlobTx(Uint8Array.of(0x02, 0xc0))).to.deep.include({ ok: false, code: "NOT_BLOB_TX" });
    expect(decodeBlobTx("0xzz" as Hex).ok).to.equal(false);
    // one cell proof short: a v1 wrapper must carry exactly 128 per blob
    const short = `0x03${toRlp([fromRlp(bytesToHex(d.signed.subarray(1)), "hex"), "0x01", d.blobs.map((b) => bytesToHex(b)), d.commitments.map((c) => bytesToHex(c)), d.proofs.slice(1).map((p) => bytesToHex(p))]).slice(2)}` as Hex;
    expect(decodeBlobTx(short)).to.deep.include({ ok: false, code: "SHAPE" });
    // random mutations of the framing bytes: always a result, never an exception
    let seed = 99;
    for (let i = 0; i < 300; i++) {
      const m = new Uint8Array(v1.subarray(0, 400 + (i % 7) * 50));
      seed = (seed * 1103515245 + 12345) % 2147483648;
      m[seed % m.length] ^= 1 + (seed % 255);
      const r = decodeBlobTx(m);
      expect(r.ok === false && typeof r.code === "string").to.equal(true);
    }
  });

  it("wrapBlobTx refuses sidecars that do not match the signed versioned hashes, and already-wrapped input", async () => {
    const other = computeSidecars(packBlobs(testBytes(1000, 4)), "v1");
    expect(() => wrapBlobTx(signed, other, "v1")).to.throw(/blob_versioned_hashes/);
    expect(() => wrapBlobTx(v0, sc, "v1")).to.throw(/tx_payload_body/);
    const type2 = await account.signTransaction({ type: "eip1559", chainId: 1, nonce: 0, gas: 21000n, to: account.address, maxFeePerGas: 1n, maxPriorityFeePerGas: 1n });
    expect(() => wrapBlobTx(type2, sc, "v1")).to.throw(/type-3/);
  });
});

describe("da/blobtx wrapper selection", () => {
  const rpcWith = (config: unknown) => async (method: string) => {
    if (method !== "eth_config") throw new Error(`unexpected ${method}`);
    if (config instanceof Error) throw config;
    return config;
  };
  const precompiles = (osaka: boolean) => ({ ECREC: "0x0000000000000000000000000000000000000001", ...(osaka ? { P256VERIFY: P256VERIFY_ADDRESS } : {}) });

  it("eth_config (EIP-7910): Osaka iff the current fork has the P256VERIFY precompile; a scheduled Osaka bounds the decision", async () => {
    expect(await detectBlobWrapper(rpcWith({ current: { activationTime: 0, precompiles: precompiles(true) }, next: null }), 31337, 0)).to.deep.include({ wrapper: "v1", source: "eth_config" });
    const pre = await detectBlobWrapper(rpcWith({ current: { activationTime: 0, precompiles: precompiles(false) }, next: null }), 31337, 0);
    expect(pre).to.deep.include({ wrapper: "v0", source: "eth_config" });
    expect(pre.validUntil).to.equal(undefined);
    const scheduled = await detectBlobWrapper(rpcWith({ current: { activationTime: 0, precompiles: precompiles(false) }, next: { activationTime: 1_900_000_000, precompiles: precompiles(true) } }), 31337, 0);
    expect(scheduled).to.deep.include({ wrapper: "v0", source: "eth_config", validUntil: 1_900_000_000 });
  });

  it("without eth_config: known chains by their Osaka time, otherwise v1", async () => {
    const none = rpcWith(new Error("the method eth_config does not exist/is not available"));
    expect(await detectBlobWrapper(none, 1, OSAKA_TIMES[1]!)).to.deep.include({ wrapper: "v1", source: "chain" });
    expect(await detectBlobWrapper(none, 1, OSAKA_TIMES[1]! - 1)).to.deep.include({ wrapper: "v0", source: "chain", validUntil: OSAKA_TIMES[1] });
    expect(await detectBlobWrapper(none, 11155111, 1_770_000_000)).to.deep.include({ wrapper: "v1", source: "chain" });
    expect(await detectBlobWrapper(none, 424242, 0)).to.deep.include({ wrapper: "v1", source: "default" });
    expect(await detectBlobWrapper(rpcWith({ current: "garbage" }), 424242, 0)).to.deep.include({ wrapper: "v1", source: "default" });
  });

  it("recognises wrapper-version rejections (go-ethereum's texts, reth's, undecodable v1) and nothing else", () => {
    expect(isWrapperRejection("invalid sidecar version pre-osaka: 1", "v1")).to.equal(true); // geth core/txpool/validation.go
    expect(isWrapperRejection("invalid sidecar version post-osaka: 0", "v0")).to.equal(true);
    expect(isWrapperRejection("unexpected eip-4844 sidecar after osaka", "v0")).to.equal(true);
    expect(isWrapperRejection("unexpected eip-7594 sidecar before osaka", "v1")).to.equal(true);
    expect(isWrapperRejection("Failed to decode transaction", "v1")).to.equal(true); // anvil's answer to an undecodable wrapper
    expect(isWrapperRejection("rlp: expected input list for []kzg4844.Blob", "v1")).to.equal(true); // pre-Fusaka geth
    expect(isWrapperRejection("Failed to decode transaction", "v0")).to.equal(false);
    for (const m of ["invalid KZG proof", "replacement transaction underpriced", "nonce too low", "already known", "insufficient funds for gas * price + value", "max fee per blob gas less than block blob gas fee"]) {
      expect(isWrapperRejection(m, "v1"), m).to.equal(false);
      expect(isWrapperRejection(m, "v0"), m).to.equal(false);
    }
  });
});
