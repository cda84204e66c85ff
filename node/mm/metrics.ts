// Prometheus metrics of the market maker (registry passed in, get-or-create so several makers and tests
// share one registry). Served on the node's admin listener only: counterparties must not see the maker's
// inventory. docs/market-maker.md "Metrics and alerts"; docker/prometheus/mm-alerts.yml uses them.
import { Counter, Gauge, type Registry } from "prom-client";

export interface MakerMetrics {
  inventory: Gauge<"market">;
  inventoryLimitRatio: Gauge<"market">;
  pnl: Gauge<"market" | "component">;
  drawdown: Gauge;
  quotedSpread: Gauge<"market">;
  fills: Counter<"market" | "side">;
  markout: Gauge<"market" | "side" | "horizon">;
  regime: Gauge<"market">;
  referenceAge: Gauge<"market">;
  killSwitch: Gauge;
  kills: Counter<"reason">;
  actions: Counter<"kind">;
  actionFailures: Counter<"code">;
  referenceIssues: Counter<"reference" | "kind">;
}

const cache = new WeakMap<Registry, MakerMetrics>();

function getOrCreate<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

export function makerMetrics(registry: Registry): MakerMetrics {
  const hit = cache.get(registry);
  if (hit) return hit;
  const registers = [registry];
  const g = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    getOrCreate(registry, name, () => new Gauge<L>({ name, help, labelNames, registers }));
  const c = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    getOrCreate(registry, name, () => new Counter<L>({ name, help, labelNames, registers }));
  const m: MakerMetrics = {
    inventory: g("rollbook_mm_inventory_lots", "Market maker inventory (lots, signed)", ["market"] as const),
    inventoryLimitRatio: g("rollbook_mm_inventory_limit_ratio", "|inventory| / position limit", ["market"] as const),
    pnl: g("rollbook_mm_pnl", "P&L attribution in quote units (component: spread, adverse, carry, fees, total)", ["market", "component"] as const),
    drawdown: g("rollbook_mm_drawdown", "Peak-to-current total P&L (quote units)", []),
    quotedSpread: g("rollbook_mm_quoted_spread_ticks", "Best ask - best bid of our quotes (ticks)", ["market"] as const),
    fills: c("rollbook_mm_fills_total", "Our fills by side", ["market", "side"] as const),
    markout: g("rollbook_mm_adverse_selection_ticks", "Adverse selection (negative markout) EWMA by side and horizon (ticks)", ["market", "side", "horizon"] as const),
    regime: g("rollbook_mm_regime", "Volatility regime (0 low, 1 normal, 2 high, 3 extreme)", ["market"] as const),
    referenceAge: g("rollbook_mm_reference_age_seconds", "Age of the market's reference price", ["market"] as const),
    killSwitch: g("rollbook_mm_kill_switch", "1 while the kill switch is tripped", []),
    kills: c("rollbook_mm_kills_total", "Kill switch trips by reason", ["reason"] as const),
    actions: c("rollbook_mm_actions_total", "Order actions sent by kind", ["kind"] as const),
    actionFailures: c("rollbook_mm_action_failures_total", "Failed order actions by STF error code", ["code"] as const),
    referenceIssues: c("rollbook_mm_reference_issues_total", "Reference data-quality issues (stale, crossed, gap, out_of_order, malformed)", ["reference", "kind"] as const),
  };
  cache.set(registry, m);
  return m;
}
