// Prometheus metrics of the challenger role (docs/operator.md "Challenger"), get-or-create per registry.
import { Counter, Gauge, register as defaultRegistry, type Registry } from "prom-client";

export interface ChallengerMetrics {
  /** Claims known on the DisputeGame, by status (pending, challenged, accepted, ...). */
  claimsWatched: Gauge<"status">;
  /** Verdicts reached on open claims, by result (valid | invalid | unknown). */
  verdictsTotal: Counter<"result">;
  /** Transactions sent, by action (challenge | prove | counter_prove | resolve | withdraw) and outcome (ok | failed). */
  actionsTotal: Counter<"action" | "outcome">;
  /** Challenges this node sent. */
  challengesTotal: Counter;
  /** Wei this node has at stake in open claims (its challenger bonds and proposer bonds). */
  bondsAtStakeWei: Gauge;
  /** Wei this node can withdraw from the DisputeGame. */
  creditWei: Gauge;
}

const cache = new WeakMap<Registry, ChallengerMetrics>();

function getOrCreate<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

export function challengerMetrics(registry: Registry = defaultRegistry): ChallengerMetrics {
  const hit = cache.get(registry);
  if (hit) return hit;
  const registers = [registry];
  const m: ChallengerMetrics = {
    claimsWatched: getOrCreate(registry, "rollbook_challenger_claims", () => new Gauge({ name: "rollbook_challenger_claims", help: "Claims known on the DisputeGame by status", labelNames: ["status"] as const, registers })),
    verdictsTotal: getOrCreate(registry, "rollbook_challenger_verdicts_total", () => new Counter({ name: "rollbook_challenger_verdicts_total", help: "Verdicts on open claims by result", labelNames: ["result"] as const, registers })),
    actionsTotal: getOrCreate(registry, "rollbook_challenger_actions_total", () => new Counter({ name: "rollbook_challenger_actions_total", help: "DisputeGame transactions by action and outcome", labelNames: ["action", "outcome"] as const, registers })),
    challengesTotal: getOrCreate(registry, "rollbook_challenger_challenges_total", () => new Counter({ name: "rollbook_challenger_challenges_total", help: "Challenges sent by this node", registers })),
    bondsAtStakeWei: getOrCreate(registry, "rollbook_challenger_bonds_at_stake_wei", () => new Gauge({ name: "rollbook_challenger_bonds_at_stake_wei", help: "Wei of this node's bonds in open claims", registers })),
    creditWei: getOrCreate(registry, "rollbook_challenger_credit_wei", () => new Gauge({ name: "rollbook_challenger_credit_wei", help: "Wei this node can withdraw from the DisputeGame", registers })),
  };
  cache.set(registry, m);
  return m;
}
