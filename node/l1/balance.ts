// L1 balances of the node's sending accounts (proposer, prover) as a Prometheus gauge, for the "balance
// low" alert (docker/prometheus/node-alerts.yml): whoever sends transactions records its balance with
// recordL1Balance around each send. Best effort: a failed read leaves the last value.
import { Gauge, register as defaultRegistry, type Registry } from "prom-client";
import type { Address, PublicClient } from "viem";

const NAME = "rollbook_l1_balance_eth";

/** The gauge `rollbook_l1_balance_eth{role,address}` in `registry` (get-or-create). */
export function l1BalanceGauge(registry: Registry = defaultRegistry): Gauge<"role" | "address"> {
  return (registry.getSingleMetric(NAME) as Gauge<"role" | "address"> | undefined) ??
    new Gauge({ name: NAME, help: "L1 balance (ETH) of an account the node sends transactions from, by role", labelNames: ["role", "address"] as const, registers: [registry] });
}

/** Reads `address`'s L1 balance and sets the gauge for `role`; returns the balance in wei (undefined on error). */
export async function recordL1Balance(client: Pick<PublicClient, "getBalance">, address: Address, role: string, registry?: Registry): Promise<bigint | undefined> {
  try {
    const wei = await client.getBalance({ address });
    l1BalanceGauge(registry).set({ role, address: address.toLowerCase() }, Number(wei) / 1e18);
    return wei;
  } catch {
    return undefined;
  }
}
