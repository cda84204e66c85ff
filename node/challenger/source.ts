// Where the challenger's verdicts come from when it does not share the node's derivation: its own Deriver
// (node/derive) over its own LevelDB store at <dataDir>/challenger, following the deployment's Inbox from
// its deployment block with the node's DA sources (beacon, archives; IPFS off: the node's embedded IPFS
// holds its own blockstore lock). Used by `rollup-node claims` and by the role on a node without follower.
import path from "node:path";
import type { Address, PublicClient } from "viem";
import type { Registry } from "prom-client";
import type { NodeConfig } from "../config.ts";
import { createDa } from "../da/setup.ts";
import { Deriver } from "../derive/index.ts";
import type { Logger } from "../log.ts";
import { StateStore } from "../state/store.ts";
import type { Deployment } from "../../scripts/deploy.ts";

export interface DerivedSource {
  deriver: Deriver;
  store: StateStore;
  close(): Promise<void>;
}

/** The genesis EIP-712 domain and fee account of a deployment (what Settlement's genesis root commits to). */
export function genesisOf(d: Deployment): { domain: { chainId: number; verifyingContract: Address }; feeAccount: Address } {
  const fee = d.parameters.feeAccount === undefined ? d.deployer : (String(d.parameters.feeAccount) as Address);
  return { domain: { chainId: d.chainId, verifyingContract: d.contracts.inbox.toLowerCase() as Address }, feeAccount: fee.toLowerCase() as Address };
}

export async function openDerivedSource(
  config: Pick<NodeConfig, "dataDir" | "l1" | "da">,
  deployment: Deployment,
  client: PublicClient,
  /** `proverInputs` (default true): record each batch's prover input, so the store can back a proof later. */
  o: { dir?: string; proverInputs?: boolean; logger?: Logger; registry?: Registry } = {},
): Promise<DerivedSource> {
  const da = await createDa({ dataDir: config.dataDir, l1: config.l1, da: config.da, ipfs: { mode: "off", kuboUrl: "http://127.0.0.1:5001" } }, { logger: o.logger, registry: o.registry });
  const store = await StateStore.open(o.dir ?? path.join(config.dataDir, "challenger"));
  try {
    const deriver = await Deriver.open({
      client, inbox: deployment.contracts.inbox, startBlock: deployment.startBlock, genesis: genesisOf(deployment), store, fetcher: da.fetcher,
      confirmations: config.l1.confirmations, proverInputs: o.proverInputs ?? true, logger: o.logger, registry: o.registry,
    });
    return {
      deriver, store,
      async close() {
        await deriver.stop();
        await store.close();
        await da.stop();
      },
    };
  } catch (err) {
    await store.close();
    await da.stop();
    throw err;
  }
}
