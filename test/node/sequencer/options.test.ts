// The sequencer section of the node configuration: defaults validate, bad values are reported with their
// keys, environment overrides reach it, and the options the Sequencer gets follow from it.
import { expect } from "chai";
import { ConfigError, loadConfig } from "../../../node/config.ts";
import { sequencerOptionsFromConfig } from "../../../node/sequencer/index.ts";

describe("sequencer configuration", () => {
  it("maps the validated section onto the sealing policy, pool limits, threads and WAL sync", () => {
    const c = loadConfig(undefined, { ROLLBOOK_SEQUENCER_MAX_BATCH_TXS: "512", ROLLBOOK_SEQUENCER_MAX_BLOB_BASE_FEE_GWEI: "30" });
    const o = sequencerOptionsFromConfig(c.sequencer);
    expect(o.seal).to.deep.include({ maxTxs: 512, maxAgeMs: 2000, maxBlobBaseFee: 30_000_000_000n });
    expect(o.limits).to.deep.include({ maxNonceGap: 64, maxParkedPerAccount: 64 });
    expect(o).to.include({ threads: 2, sync: true });
  });
  it("reports every bad key, including a sealing window that would outlive MAX_DRIFT", () => {
    try {
      loadConfig(undefined, { ROLLBOOK_SEQUENCER_MAX_BATCH_TXS: "0", ROLLBOOK_SEQUENCER_MAX_FEE_WAIT_MS: "300000", ROLLBOOK_SEQUENCER_MAX_BATCH_AGE_MS: "300000", ROLLBOOK_SEQUENCER_WAL_SYNC: "maybe" });
      expect.fail("no error");
    } catch (e) {
      expect(e).to.be.instanceOf(ConfigError);
      const p = (e as ConfigError).problems.join("\n");
      expect(p).to.include("sequencer.maxBatchTxs");
      expect(p).to.include("MAX_DRIFT");
      expect(p).to.include("sequencer.walSync");
    }
  });
});
