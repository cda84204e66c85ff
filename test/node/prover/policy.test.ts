// The range aggregation policy (node/prover/policy.ts) as a table, and the policy envelope round trip.
import { expect } from "chai";
import { decideRange, type AggregationPolicy, type PendingView } from "../../../node/prover/policy.ts";
import { decodeEnvelope, encodeEnvelope } from "../../../node/prover/envelope.ts";

describe("prover: aggregation policy and envelope", () => {
  const p: AggregationPolicy = { maxBatches: 4, maxAgeMs: 10_000, maxGasPriceWei: 50n, maxGasWaitMs: 20_000 };
  const v = (o: Partial<PendingView>): PendingView => ({ nextBatch: 5, derivedBatch: 5, oldestAtMs: 100_000, gasPriceWei: 10n, nowMs: 100_000, ...o });
  const table: [string, Partial<PendingView>, AggregationPolicy, unknown][] = [
    ["nothing derived past the finalized batch", { derivedBatch: 4 }, p, { action: "wait", reason: "nothing" }],
    ["one young batch waits", {}, p, { action: "wait", reason: "young" }],
    ["a full range goes at once (size)", { derivedBatch: 8 }, p, { action: "prove", firstBatch: 5, lastBatch: 8, reason: "size" }],
    ["more than a full range: capped at maxBatches", { derivedBatch: 20 }, p, { action: "prove", firstBatch: 5, lastBatch: 8, reason: "size" }],
    ["an old batch goes alone (age)", { nowMs: 110_000 }, p, { action: "prove", firstBatch: 5, lastBatch: 5, reason: "age" }],
    ["due, but gas above the limit: held", { nowMs: 110_000, gasPriceWei: 51n }, p, { action: "wait", reason: "gas" }],
    ["held for gas at most maxGasWaitMs", { nowMs: 130_000, gasPriceWei: 1000n }, p, { action: "prove", firstBatch: 5, lastBatch: 5, reason: "age" }],
    ["no gas limit: never held", { derivedBatch: 8, gasPriceWei: 10n ** 12n }, { ...p, maxGasPriceWei: undefined }, { action: "prove", firstBatch: 5, lastBatch: 8, reason: "size" }],
    ["maxAgeMs 0: every derived batch goes", { derivedBatch: 6 }, { ...p, maxAgeMs: 0 }, { action: "prove", firstBatch: 5, lastBatch: 6, reason: "age" }],
  ];
  for (const [name, view, policy, want] of table) {
    it(name, () => expect(decideRange(policy, v(view))).to.deep.equal(want));
  }

  it("envelope: parts sorted by id, round trip; duplicates refused", () => {
    const env = encodeEnvelope([{ id: 2, proof: "0xbeef" }, { id: 0, proof: "0x01" }]);
    expect(env).to.equal("0x01" + "00" + "00000001" + "01" + "02" + "00000002" + "beef");
    expect(decodeEnvelope(env)).to.deep.equal([{ id: 0, proof: "0x01" }, { id: 2, proof: "0xbeef" }]);
    expect(() => encodeEnvelope([{ id: 1, proof: "0x" }, { id: 1, proof: "0x" }])).to.throw(/two proofs/);
    expect(decodeEnvelope("0x02")).to.equal(null);
    expect(decodeEnvelope("0x010000000005aa")).to.equal(null);
  });
});
