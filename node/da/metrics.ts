// Prometheus metrics and logging for node/da. Metrics are created once per registry (get-or-create), so
// several fetchers/posters in one process (and tests) share them without "already registered" errors.
import { Counter, Histogram, register as defaultRegistry, type Registry } from "prom-client";
import { moduleLogger, type Logger } from "../log.ts";

export interface DaMetrics {
  /** Blob/batch fetch attempts per source and result (ok | not_found | timeout | error | rejected). */
  fetchTotal: Counter<"source" | "result">;
  /** Data from a source that failed verification, per source and reason (HASH_MISMATCH | BAD_BLOB | ...). */
  rejectedTotal: Counter<"source" | "reason">;
  /** Seconds spent per source attempt. */
  fetchSeconds: Histogram<"source">;
  /** Proposals per mode (blob | calldata) and result (included | reverted | failed). */
  postTotal: Counter<"mode" | "result">;
  /** Replacement transactions sent (fee bumps). */
  replacementsTotal: Counter<"mode">;
  /** Seconds from first send to receipt. */
  postSeconds: Histogram<"mode">;
  /** Blob wrapper switches after a node rejected the wrapper version (blobWrapper "auto"). */
  wrapperSwitchesTotal: Counter<"from" | "to">;
  /** Blobs checked against L1 by method: "proof" (a supplied KZG record verified) or "recompute" (commitment recomputed). */
  kzgChecksTotal: Counter<"method">;
}

const cache = new WeakMap<Registry, DaMetrics>();

function getOrCreate<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

/** The DA metrics registered in `registry` (default: prom-client's global registry). */
export function daMetrics(registry: Registry = defaultRegistry): DaMetrics {
  const hit = cache.get(registry);
  if (hit) return hit;
  const registers = [registry];
  const m: DaMetrics = {
    fetchTotal: getOrCreate(registry, "rollbook_da_fetch_total", () => new Counter({ name: "rollbook_da_fetch_total", help: "DA fetch attempts by source and result", labelNames: ["source", "result"] as const, registers })),
    rejectedTotal: getOrCreate(registry, "rollbook_da_rejected_total", () => new Counter({ name: "rollbook_da_rejected_total", help: "DA data rejected by verification, by source and reason", labelNames: ["source", "reason"] as const, registers })),
    fetchSeconds: getOrCreate(registry, "rollbook_da_fetch_seconds", () => new Histogram({ name: "rollbook_da_fetch_seconds", help: "Seconds per DA source attempt", labelNames: ["source"] as const, buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers })),
    postTotal: getOrCreate(registry, "rollbook_da_post_total", () => new Counter({ name: "rollbook_da_post_total", help: "Batch proposals by mode and result", labelNames: ["mode", "result"] as const, registers })),
    replacementsTotal: getOrCreate(registry, "rollbook_da_replacements_total", () => new Counter({ name: "rollbook_da_replacements_total", help: "Fee-bumped replacement transactions sent", labelNames: ["mode"] as const, registers })),
    postSeconds: getOrCreate(registry, "rollbook_da_post_seconds", () => new Histogram({ name: "rollbook_da_post_seconds", help: "Seconds from first send to inclusion", labelNames: ["mode"] as const, buckets: [1, 2, 5, 12, 24, 60, 120, 300, 600], registers })),
    wrapperSwitchesTotal: getOrCreate(registry, "rollbook_da_blob_wrapper_switches_total", () => new Counter({ name: "rollbook_da_blob_wrapper_switches_total", help: "Blob network wrapper switches after a wrapper-version rejection", labelNames: ["from", "to"] as const, registers })),
    kzgChecksTotal: getOrCreate(registry, "rollbook_da_kzg_checks_total", () => new Counter({ name: "rollbook_da_kzg_checks_total", help: "Blobs checked against their L1 versioned hash, by method (proof: supplied KZG record verified; recompute)", labelNames: ["method"] as const, registers })),
  };
  cache.set(registry, m);
  return m;
}

/** Default logger for node/da when the caller passes none. */
export function daLogger(): Logger {
  return moduleLogger("da");
}
