// Prometheus metrics of derivation (docs/operator.md "Metrics"), get-or-create per registry like node/da.
import { Counter, Gauge, Histogram, register as defaultRegistry, type Registry } from "prom-client";

export interface DeriveMetrics {
  /** Last L1 head seen / last L1 block derived / their difference (blocks). */
  l1Head: Gauge;
  l1Derived: Gauge;
  l1Lag: Gauge;
  /** Last derived batch index. */
  batchIndex: Gauge;
  /** Batches derived, by result (valid | invalid). */
  batchesTotal: Counter<"result">;
  /** Reorgs handled (rollbacks). */
  reorgsTotal: Counter;
  /** Derivation errors by level and code. */
  errorsTotal: Counter<"level" | "code">;
  /** Seconds to execute and commit one batch (STF + state root). */
  batchSeconds: Histogram;
}

const cache = new WeakMap<Registry, DeriveMetrics>();

function getOrCreate<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

export function deriveMetrics(registry: Registry = defaultRegistry): DeriveMetrics {
  const hit = cache.get(registry);
  if (hit) return hit;
  const registers = [registry];
  const gauge = (name: string, help: string) => getOrCreate(registry, name, () => new Gauge({ name, help, registers }));
  const m: DeriveMetrics = {
    l1Head: gauge("rollbook_derive_l1_head", "Last L1 head block number seen"),
    l1Derived: gauge("rollbook_derive_l1_block", "Last L1 block derived"),
    l1Lag: gauge("rollbook_derive_l1_lag_blocks", "L1 head minus last derived L1 block"),
    batchIndex: gauge("rollbook_derive_batch_index", "Last derived batch index"),
    batchesTotal: getOrCreate(registry, "rollbook_derive_batches_total", () => new Counter({ name: "rollbook_derive_batches_total", help: "Batches derived by result", labelNames: ["result"] as const, registers })),
    reorgsTotal: getOrCreate(registry, "rollbook_derive_reorgs_total", () => new Counter({ name: "rollbook_derive_reorgs_total", help: "L1 reorgs handled by rolling back", registers })),
    errorsTotal: getOrCreate(registry, "rollbook_derive_errors_total", () => new Counter({ name: "rollbook_derive_errors_total", help: "Derivation errors by level and code", labelNames: ["level", "code"] as const, registers })),
    batchSeconds: getOrCreate(registry, "rollbook_derive_batch_seconds", () => new Histogram({ name: "rollbook_derive_batch_seconds", help: "Seconds to execute and commit one batch", buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers })),
  };
  cache.set(registry, m);
  return m;
}
