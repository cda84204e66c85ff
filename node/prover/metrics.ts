// Prometheus metrics of the prover (docs/operator.md "Metrics", docs/proving.md "Metrics"), get-or-create per
// registry like node/derive/metrics.ts.
import { Counter, Gauge, Histogram, register as defaultRegistry, type Registry } from "prom-client";

export interface ProverMetrics {
  /** Jobs per state (proving | proven | submitted | finalized | failed), as in the job store. */
  jobs: Gauge<"state">;
  /** Seconds a backend took for one range, by system and outcome (ok | error). */
  proveSeconds: Histogram<"system" | "outcome">;
  /** Seconds from the newest batch of a range being proposed on L1 to its finalization on L1. */
  finalitySeconds: Histogram;
  /** Last batch finalized on Settlement (as the prover last read it). */
  finalizedBatch: Gauge;
  /** Last batch the node has derived (with a prover input). */
  derivedBatch: Gauge;
  /** L1 gas used by the prover's transactions, by kind (finalize | propose_claim | resolve | prove_claim | withdraw). */
  gasUsed: Counter<"kind">;
  /** L1 fees paid, in gwei, by kind. */
  feesGwei: Counter<"kind">;
  /** Bonds this prover has locked in the DisputeGame (wei as a float). */
  bondsAtStake: Gauge;
  /** The prover key's L1 balance (wei as a float). */
  balanceWei: Gauge;
  /** 1 while the balance is below prover.minBalanceGwei (plus the proposer bond when claiming), else 0. */
  balanceLow: Gauge;
  /** This prover's claims on the DisputeGame by last status read (pending, challenged, accepted, ...). */
  claims: Gauge<"status">;
  /** Wei withdrawn from the DisputeGame (returned and won bonds). */
  bondsWithdrawnWei: Counter;
  /** Ranges finalized by this prover's submissions, by path (validity | optimistic). */
  rangesFinalized: Counter<"path">;
  /** Prover errors by code. */
  errors: Counter<"code">;
}

const cache = new WeakMap<Registry, ProverMetrics>();

function getOrCreate<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

export function proverMetrics(registry: Registry = defaultRegistry): ProverMetrics {
  const hit = cache.get(registry);
  if (hit) return hit;
  const registers = [registry];
  const gauge = <L extends string>(name: string, help: string, labelNames: L[] = []) =>
    getOrCreate(registry, name, () => new Gauge<L>({ name, help, labelNames, registers }));
  const counter = <L extends string>(name: string, help: string, labelNames: L[] = []) =>
    getOrCreate(registry, name, () => new Counter<L>({ name, help, labelNames, registers }));
  const m: ProverMetrics = {
    jobs: gauge("rollbook_prover_jobs", "Proof jobs by state", ["state"]),
    proveSeconds: getOrCreate(registry, "rollbook_prover_prove_seconds", () => new Histogram({
      name: "rollbook_prover_prove_seconds", help: "Seconds to prove one range, by system and outcome", labelNames: ["system", "outcome"] as const,
      buckets: [0.01, 0.05, 0.25, 1, 5, 30, 120, 600, 3600], registers,
    })),
    finalitySeconds: getOrCreate(registry, "rollbook_prover_finality_seconds", () => new Histogram({
      name: "rollbook_prover_finality_seconds", help: "Seconds from a range's newest batch on L1 to its finalization",
      buckets: [1, 2, 5, 10, 20, 60, 300, 1800, 3600, 14400], registers,
    })),
    finalizedBatch: gauge("rollbook_prover_finalized_batch", "Last batch finalized on Settlement"),
    derivedBatch: gauge("rollbook_prover_derived_batch", "Last batch derived with a prover input"),
    gasUsed: counter("rollbook_prover_gas_used_total", "L1 gas used by the prover's transactions", ["kind"]),
    feesGwei: counter("rollbook_prover_fees_gwei_total", "L1 fees paid by the prover, gwei", ["kind"]),
    bondsAtStake: gauge("rollbook_prover_bonds_at_stake_wei", "Bonds locked by this prover in the DisputeGame (wei)"),
    balanceWei: gauge("rollbook_prover_balance_wei", "L1 balance of the prover key (wei)"),
    balanceLow: gauge("rollbook_prover_balance_low", "1 while the prover key's balance is below its minimum margin"),
    claims: gauge("rollbook_prover_claims", "This prover's DisputeGame claims by status", ["status"]),
    bondsWithdrawnWei: counter("rollbook_prover_bonds_withdrawn_wei_total", "Wei withdrawn from the DisputeGame by the prover"),
    rangesFinalized: counter("rollbook_prover_ranges_finalized_total", "Ranges finalized by this prover", ["path"]),
    errors: counter("rollbook_prover_errors_total", "Prover errors by code", ["code"]),
  };
  cache.set(registry, m);
  return m;
}
