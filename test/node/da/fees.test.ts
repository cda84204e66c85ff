import { expect } from "chai";
import { chooseDataMode, bumpFees, initialFees, calldataGas, DEFAULT_FEE_POLICY, GAS_PER_BLOB } from "../../../node/da/fees.ts";

const gwei = 1_000_000_000n;

describe("da/fees", () => {
  it("calldata gas follows EIP-2028 and the EIP-7623 floor", () => {
    const g = calldataGas(new Uint8Array([0, 0, 1, 2]));
    expect(g.tokens).to.equal(2n + 8n);
    expect(g.standard).to.equal(40n);
    expect(g.floor).to.equal(100n);
  });

  it("small batch with a blob fee spike goes to calldata", () => {
    const d = chooseDataMode(new Uint8Array(2000).fill(7), { baseFee: 10n * gwei, priorityFee: gwei, blobBaseFee: 50n * gwei });
    expect(d.mode).to.equal("calldata");
    expect(d.reason).to.equal("cheaper");
    expect(d.calldataCostWei < d.blobCostWei).to.equal(true);
    expect(d.blobCostWei).to.equal(d.blobTxGas * 11n * gwei + GAS_PER_BLOB * 50n * gwei);
  });

  it("the same batch with cheap blobs goes to blobs", () => {
    const d = chooseDataMode(new Uint8Array(2000).fill(7), { baseFee: 10n * gwei, priorityFee: gwei, blobBaseFee: 1n });
    expect(d.mode).to.equal("blob");
  });

  it("a batch over the calldata limit always goes to blobs, and one over 6 blobs is flagged", () => {
    const big = chooseDataMode(new Uint8Array(200_000), { baseFee: 1n, priorityFee: 1n, blobBaseFee: 10n ** 15n });
    expect(big.mode).to.equal("blob");
    expect(big.reason).to.equal("too-large-for-calldata");
    expect(big.blobCount).to.equal(2);
    const huge = chooseDataMode(new Uint8Array(800_000), { baseFee: 1n, priorityFee: 1n, blobBaseFee: 1n });
    expect(huge.reason).to.equal("too-large");
  });

  it("zero bytes are cheaper in calldata than nonzero bytes", () => {
    const snap = { baseFee: 10n * gwei, priorityFee: gwei, blobBaseFee: gwei };
    expect(chooseDataMode(new Uint8Array(5000), snap).calldataCostWei < chooseDataMode(new Uint8Array(5000).fill(1), snap).calldataCostWei).to.equal(true);
  });

  it("initial fees add headroom and respect floors", () => {
    const f = initialFees({ baseFee: 10n * gwei, priorityFee: 0n, blobBaseFee: 1n }, true);
    expect(f.maxPriorityFeePerGas).to.equal(DEFAULT_FEE_POLICY.minPriorityFee);
    expect(f.maxFeePerGas).to.equal(20n * gwei + gwei);
    expect(f.maxFeePerBlobGas).to.equal(DEFAULT_FEE_POLICY.minBlobFee);
  });

  it("replacement bumps every field: +100% for blob txs, +10% for calldata txs, never below a fresh estimate", () => {
    const old = { maxFeePerGas: 100n, maxPriorityFeePerGas: 10n, maxFeePerBlobGas: 50n };
    const b = bumpFees(old, { maxFeePerGas: 1n, maxPriorityFeePerGas: 1n, maxFeePerBlobGas: 1n }, true);
    expect([b.maxFeePerGas, b.maxPriorityFeePerGas, b.maxFeePerBlobGas]).to.deep.equal([200n, 20n, 100n]);
    const c = bumpFees({ maxFeePerGas: 100n, maxPriorityFeePerGas: 10n }, { maxFeePerGas: 1n, maxPriorityFeePerGas: 1n }, false);
    expect([c.maxFeePerGas, c.maxPriorityFeePerGas]).to.deep.equal([110n, 11n]);
    const fresh = bumpFees(old, { maxFeePerGas: 1000n, maxPriorityFeePerGas: 30n, maxFeePerBlobGas: 500n }, true);
    expect([fresh.maxFeePerGas, fresh.maxPriorityFeePerGas, fresh.maxFeePerBlobGas]).to.deep.equal([1000n, 30n, 500n]);
    const tiny = bumpFees({ maxFeePerGas: 1n, maxPriorityFeePerGas: 0n, maxFeePerBlobGas: 1n }, { maxFeePerGas: 0n, maxPriorityFeePerGas: 0n, maxFeePerBlobGas: 0n }, false);
    expect(tiny.maxFeePerGas).to.equal(2n);
    expect(tiny.maxPriorityFeePerGas).to.equal(1n);
  });

  it("bumping stops at the caps", () => {
    const policy = { ...DEFAULT_FEE_POLICY, maxFeePerGasCap: 150n, maxFeePerBlobGasCap: 60n };
    const b = bumpFees({ maxFeePerGas: 100n, maxPriorityFeePerGas: 100n, maxFeePerBlobGas: 50n }, { maxFeePerGas: 0n, maxPriorityFeePerGas: 0n, maxFeePerBlobGas: 0n }, true, policy);
    expect(b.capped).to.equal(true);
    expect(b.maxFeePerGas).to.equal(150n);
    expect(b.maxPriorityFeePerGas).to.equal(150n);
    expect(b.maxFeePerBlobGas).to.equal(60n);
  });
});
