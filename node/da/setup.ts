// Wiring of node/da from the node configuration (node/config.ts): IPFS backup, archive store, fetcher with
// the standard source order, and a poster factory.
import path from "node:path";
import type { Address, LocalAccount, PublicClient } from "viem";
import type { Registry } from "prom-client";
import type { NodeConfig } from "../config.ts";
import type { Logger } from "../log.ts";
import { createIpfsBackup, type IpfsBackup } from "./ipfs.ts";
import { ArchiveStore } from "./archive.ts";
import { ArchiveKzgSource, BlobFetcher, standardSources, type BeaconSourceOptions } from "./fetcher.ts";
import { BlobPoster, type BlobPosterOptions } from "./poster.ts";

export interface DaSetupOptions {
  /** How the beacon source names blocks ("number" for anvil, "slot" for a real beacon node). Default "number". */
  beaconBlockId?: BeaconSourceOptions["blockId"];
  /** Keep every verified blob in `<dataDir>/blobs` (serve it with startArchiveServer). Default false. */
  archive?: boolean;
  timeoutMs?: { beacon?: number; archive?: number; ipfs?: number };
  /** Blob transaction network wrapper for posters built here (BlobPosterOptions.blobWrapper). Default "auto". */
  blobWrapper?: BlobPosterOptions["blobWrapper"];
  logger?: Logger;
  registry?: Registry;
}

export interface Da {
  ipfs?: IpfsBackup;
  archive?: ArchiveStore;
  fetcher: BlobFetcher;
  /** A poster for `account` to `inbox` sharing this setup's IPFS backup and archive. */
  poster(client: PublicClient, account: LocalAccount, inbox: Address, extra?: Partial<BlobPosterOptions>): BlobPoster;
  stop(): Promise<void>;
}

/**
 * Builds node/da from `config.l1` (beaconUrl, archiveUrls), `config.ipfs` (mode, kuboUrl), `config.da`
 * (blobWrapper, beaconBlockId, archive) and `config.dataDir`; `options` override the `da` section.
 */
export async function createDa(config: Pick<NodeConfig, "dataDir" | "l1" | "ipfs"> & Partial<Pick<NodeConfig, "da">>, overrides: DaSetupOptions = {}): Promise<Da> {
  const options: DaSetupOptions = { ...config.da, ...overrides };
  const ipfs = await createIpfsBackup(config.ipfs, config.dataDir);
  const archive = options.archive ? new ArchiveStore(path.join(config.dataDir, "blobs")) : undefined;
  const fetcher = new BlobFetcher({
    sources: standardSources({ beaconUrl: config.l1.beaconUrl, archiveUrls: config.l1.archiveUrls, ipfs, beaconBlockId: options.beaconBlockId, timeoutMs: options.timeoutMs }),
    archive,
    // The archives also serve the KZG records proposers publish (GET <base>/<hash>/kzg): blobs from any source
    // are then checked by one proof verification instead of a recomputed commitment.
    kzgSources: (config.l1.archiveUrls ?? []).map((url) => new ArchiveKzgSource({ url, timeoutMs: options.timeoutMs?.archive })),
    logger: options.logger,
    registry: options.registry,
  });
  return {
    ipfs,
    archive,
    fetcher,
    poster: (client, account, inbox, extra = {}) => new BlobPoster({ client, account, inbox, ipfs, archive, blobWrapper: options.blobWrapper, logger: options.logger, registry: options.registry, ...extra }),
    stop: async () => {
      await ipfs?.stop();
    },
  };
}
