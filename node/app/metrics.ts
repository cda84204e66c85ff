// Node-level metrics (the admin listener's /metrics) beside those node/derive, node/da and node/rpc define
// on the same registry: mempool depth, admission outcomes (rate via rate()), sealed batch sizes, bytes
// proposed, proposals failing, the proposer's L1 balance.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { Sequencer } from "../sequencer/index.ts";

export interface NodeMetrics {
  admitted: Counter<"verdict">;
  batchTxs: Histogram;
  batchBytes: Histogram;
  proposedBytes: Counter;
  proposals: Counter<"result">;
  proposerBalance: Gauge;
}

export function nodeMetrics(registry: Registry, seq: () => Sequencer | undefined): NodeMetrics {
  const registers = [registry];
  new Gauge({ name: "rollbook_mempool_depth", help: "Transactions in the sequencer's pool (soft, not yet included, plus parked)", registers, collect() { this.set(seq()?.pool.count ?? 0); } });
  new Gauge({ name: "rollbook_mempool_parked", help: "Transactions parked behind a nonce gap", registers, collect() { this.set(seq()?.pool.parked ?? 0); } });
  new Gauge({ name: "rollbook_admission_queue", help: "Submissions waiting for an admission worker", registers, collect() { this.set(seq()?.admissionDepth ?? 0); } });
  new Gauge({ name: "rollbook_sealed_unproposed_batches", help: "Sealed batches not yet canonical", registers, collect() { this.set(seq()?.sealed().length ?? 0); } });
  return {
    admitted: new Counter({ name: "rollbook_admission_total", help: "Submitted transactions by verdict (valid, invalid, error)", labelNames: ["verdict"] as const, registers }),
    batchTxs: new Histogram({ name: "rollbook_batch_txs", help: "Transactions per sealed batch", buckets: [1, 4, 16, 64, 256, 1024, 4096, 16384], registers }),
    batchBytes: new Histogram({ name: "rollbook_batch_bytes", help: "Encoded bytes per proposed batch", buckets: [256, 1024, 4096, 16384, 65536, 131072, 262144, 786432], registers }),
    proposedBytes: new Counter({ name: "rollbook_da_bytes_proposed_total", help: "Batch bytes posted to L1 (blobs or calldata)", registers }),
    proposals: new Counter({ name: "rollbook_proposals_total", help: "Proposal attempts by result (posted, failed)", labelNames: ["result"] as const, registers }),
    proposerBalance: new Gauge({ name: "rollbook_proposer_balance_wei", help: "L1 balance of the proposer key (wei, as a float)", registers }),
  };
}
