// The sequencer's options from the node configuration (node/config.ts `sequencer` section; docs/sequencer.md
// "Configuration"): sealing policy, mempool limits, admission threads, WAL fsync.
import type { NodeConfig } from "../config.ts";
import type { MempoolLimits } from "./mempool.ts";
import type { SealPolicy, SequencerOptions } from "./sequencer.ts";

export function sequencerOptionsFromConfig(c: NodeConfig["sequencer"]): Pick<SequencerOptions, "threads" | "sync" | "walGroupIntervalMs" | "warmUp"> & { seal: Partial<SealPolicy>; limits: Partial<MempoolLimits> } {
  return {
    threads: c.admissionThreads,
    sync: c.walSync,
    walGroupIntervalMs: c.walGroupIntervalMs,
    warmUp: c.warmUpOrders,
    seal: {
      maxTxs: c.maxBatchTxs,
      maxAgeMs: c.maxBatchAgeMs,
      maxFeeWaitMs: c.maxFeeWaitMs,
      ...(c.maxBlobBaseFeeGwei > 0 ? { maxBlobBaseFee: BigInt(c.maxBlobBaseFeeGwei) * 1_000_000_000n } : {}),
    },
    limits: {
      maxTxs: c.poolMaxTxs,
      maxPerAccount: c.poolMaxPerAccount,
      maxParked: c.maxParked,
      maxParkedPerAccount: c.maxParkedPerAccount,
      maxNonceGap: c.maxNonceGap,
      parkTimeoutMs: c.parkTimeoutMs,
    },
  };
}
