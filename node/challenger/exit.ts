// Desert mode from the node's side (docs/contracts.md "Desert mode", docs/disputes.md "Desert mode exit"):
// the exit proof of an account against the LAST FINALIZED state root, the one the frozen Vault checks
// (Settlement.lastStateRoot after batch Settlement.lastBatch), in the format StateProof.sol verifies: the
// account's ACCOUNT leaf and its trie siblings (node/state/proofs.ts getAccountProof).
//
// The node's store usually holds a later state (batches proposed after the last finalization). The state at
// the finalized batch F is then rebuilt from L1 alone: a Deriver over a fresh store, whose state is copied
// the moment batch F has executed (its "batch" event) and checked against the finalized root.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Address, Hex, PublicClient } from "viem";
import type { NodeConfig } from "../config.ts";
import type { Deriver } from "../derive/index.ts";
import { settlementAbi } from "../l1/contracts.ts";
import type { Logger } from "../log.ts";
import { StateCommitment, hex, stateFromLeaves } from "../state/commitment.ts";
import { getAccountProof, verifyAccountProof } from "../state/proofs.ts";
import type { StateStore } from "../state/store.ts";
import type { Deployment } from "../../scripts/deploy.ts";
import { ChallengerError } from "./errors.ts";
import { openDerivedSource } from "./source.ts";

/** An account's exit proof: what Vault.exit(account, assetId, leaf, siblings) takes, per asset. */
export interface ExitProof {
  account: Address;
  /** The finalized state root and batch it is against. */
  root: Hex;
  batch: number;
  /** The ACCOUNT leaf (docs/stf.md "Leaves"). */
  leaf: Hex;
  /** Three sibling hashes per level from the root down. */
  siblings: Hex[];
  /** What the leaf holds: per asset, available + locked is what exit pays (times the quantum). */
  balances: { asset: number; available: number; locked: number }[];
}

/** The finalized position on L1. */
export async function finalizedPosition(client: PublicClient, settlement: Address): Promise<{ batch: number; root: Hex; frozen: boolean }> {
  const [batch, root, frozen] = await Promise.all([
    client.readContract({ address: settlement, abi: settlementAbi, functionName: "lastBatch" }),
    client.readContract({ address: settlement, abi: settlementAbi, functionName: "lastStateRoot" }),
    client.readContract({ address: settlement, abi: settlementAbi, functionName: "frozen" }),
  ]);
  return { batch: Number(batch), root: root as Hex, frozen: frozen as boolean };
}

/** The exit proof of `account` in `sc` (whose root must be the finalized one); NOTHING_TO_EXIT if absent or empty. */
export function exitProofFrom(sc: StateCommitment, batch: number, account: Address): ExitProof {
  const p = getAccountProof(sc, account);
  const leaf = verifyAccountProof(p);
  if (leaf === null || p.leaf === null) throw new ChallengerError("NOTHING_TO_EXIT", `account ${account} has no leaf in the state of batch ${batch}`);
  const balances = leaf.balances.map(([asset, available, locked]) => ({ asset, available, locked })).filter((b) => b.available + b.locked > 0);
  if (balances.length === 0) throw new ChallengerError("NOTHING_TO_EXIT", `account ${account} holds nothing at batch ${batch}`);
  return { account: account.toLowerCase() as Address, root: p.root as Hex, batch, leaf: p.leaf as Hex, siblings: p.siblings as Hex[], balances };
}

/**
 * Captures the state right after batch `batch` while `deriver` derives (copy of every leaf), checks its root.
 * Resolves once captured; the caller drives the deriver (syncToHead).
 */
export function captureStateAt(deriver: Deriver, batch: number, root: Hex): { take(): StateCommitment | undefined } {
  let leaves: Uint8Array[] | undefined;
  let derived: Hex | undefined;
  const onBatch = (b: { batchIndex: number; root: Hex }) => {
    if (b.batchIndex !== batch) return;
    derived = b.root;
    leaves = [...deriver.current().commitment.trie.entries()].map((e) => e.slice());
    deriver.off("batch", onBatch);
  };
  deriver.on("batch", onBatch);
  return {
    take() {
      if (leaves === undefined) return undefined;
      if (derived?.toLowerCase() !== root.toLowerCase()) throw new ChallengerError("ROOT_MISMATCH", `batch ${batch} derives to ${derived}, L1 finalized ${root}`);
      const sc = StateCommitment.fromLeaves(leaves, stateFromLeaves(leaves));
      if (hex(sc.root()).toLowerCase() !== root.toLowerCase()) throw new ChallengerError("ROOT_MISMATCH", `rebuilt state of batch ${batch} has root ${hex(sc.root())}, L1 finalized ${root}`);
      return sc;
    },
  };
}

/**
 * The state at the last finalized batch: from `store` when its head is exactly that batch (root checked),
 * otherwise derived again from L1 into a temporary store.
 */
export async function finalizedState(
  o: { config: Pick<NodeConfig, "dataDir" | "l1" | "da">; deployment: Deployment; client: PublicClient; store?: StateStore; logger?: Logger },
): Promise<{ sc: StateCommitment; batch: number; root: Hex; frozen: boolean }> {
  const fin = await finalizedPosition(o.client, o.deployment.contracts.settlement);
  const head = o.store?.head();
  if (o.store !== undefined && head?.batchIndex === fin.batch && head.root.toLowerCase() === fin.root.toLowerCase()) {
    const loaded = await o.store.load();
    if (loaded !== null) return { sc: loaded.commitment, ...fin };
  }
  const dir = mkdtempSync(path.join(tmpdir(), "rollbook-exit-"));
  const src = await openDerivedSource(o.config, o.deployment, o.client, { dir: path.join(dir, "store"), proverInputs: false, logger: o.logger });
  try {
    let sc: StateCommitment | undefined;
    if (fin.batch === 0) sc = (await src.store.load())?.commitment;
    else {
      const cap = captureStateAt(src.deriver, fin.batch, fin.root);
      let failures = 0;
      while ((sc = cap.take()) === undefined) {
        try {
          if ((await src.deriver.step()) === "idle") break;
        } catch (err) {
          if (++failures > 20) throw err; // temporary L1/DA errors: retry a few times
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    }
    if (sc === undefined) throw new ChallengerError("NOT_DERIVED", `batch ${fin.batch} could not be derived from L1`);
    if (hex(sc.root()).toLowerCase() !== fin.root.toLowerCase()) throw new ChallengerError("ROOT_MISMATCH", `state of batch ${fin.batch} has root ${hex(sc.root())}, L1 finalized ${fin.root}`);
    return { sc, ...fin };
  } finally {
    await src.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
