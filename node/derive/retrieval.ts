// Stage 3, batch data retrieval (docs/derivation.md "Pipeline", docs/da.md "Retrieval"): the bytes of a
// proposal. Blob batches through node/da's BlobFetcher (beacon, archives, IPFS; every blob checked against
// its L1 versioned hash), calldata batches from the proposing transaction's input (keccak-checked against
// the event), falling back to the IPFS backup. Bad data is an outcome, not an error: packing errors come
// back as `{ ok: false }` and make the batch a no-op. Data that no source has yet is a temporary error
// (derivation waits; it never skips a batch).
import { hexToBytes, keccak256, type PublicClient } from "viem";
import { BlobFetcher, DataUnavailableError, calldataBatchFromInput, type IpfsBackup } from "../da/index.ts";
import { DATA_KIND_BLOBS, DATA_KIND_CALLDATA } from "../l1/contracts.ts";
import type { L1BlockRef } from "../l1/follower.ts";
import { temporary } from "./errors.ts";
import type { Proposal } from "./inbox-events.ts";

/** `blobs`: a blob batch's blobs as fetched and checked (the prover input carries them). */
export type BatchData = { ok: true; bytes: Uint8Array; blobs?: Uint8Array[] } | { ok: false; reason: string; blobs?: Uint8Array[] };

export interface RetrievalOptions {
  client: Pick<PublicClient, "getTransaction">;
  fetcher: BlobFetcher;
  /** IPFS backup for calldata batches proposed through a contract (their input is not a direct call). */
  ipfs?: IpfsBackup;
}

export class DataRetrieval {
  private readonly o: RetrievalOptions;

  constructor(options: RetrievalOptions) {
    this.o = options;
  }

  async fetch(p: Proposal, block: L1BlockRef): Promise<BatchData> {
    const ev = p.event;
    if (ev.dataKind === DATA_KIND_BLOBS) {
      try {
        const got = await this.o.fetcher.fetchBatch({
          versionedHashes: ev.blobHashes,
          blockNumber: BigInt(block.number),
          blockHash: block.hash,
          timestamp: BigInt(block.timestamp),
          ipfsCid: ev.ipfsCid,
        });
        return got.unpacked.ok ? { ok: true, bytes: got.unpacked.data, blobs: got.blobs } : { ok: false, reason: `PACKING_${got.unpacked.error.code}`, blobs: got.blobs };
      } catch (err) {
        if (err instanceof DataUnavailableError) throw temporary("DATA_UNAVAILABLE", `batch ${ev.batchIndex}: ${err.message}`, err);
        throw err;
      }
    }
    if (ev.dataKind === DATA_KIND_CALLDATA) {
      let input;
      try {
        input = (await this.o.client.getTransaction({ hash: p.txHash })).input;
      } catch (err) {
        throw temporary("L1_RPC", `transaction ${p.txHash}: ${(err as Error).message}`, err);
      }
      const direct = calldataBatchFromInput(input, ev.calldataHash);
      if (direct !== undefined) return { ok: true, bytes: direct };
      const cid = hexToBytes(ev.ipfsCid);
      if (this.o.ipfs !== undefined && cid.length > 0) {
        try {
          const data = await this.o.ipfs.get(cid);
          if (keccak256(data) === ev.calldataHash.toLowerCase()) return { ok: true, bytes: data };
        } catch (err) {
          throw temporary("DATA_UNAVAILABLE", `batch ${ev.batchIndex}: IPFS ${(err as Error).message}`, err);
        }
      }
      throw temporary("DATA_UNAVAILABLE", `batch ${ev.batchIndex}: calldata not in the proposing transaction's input and not in IPFS`);
    }
    // The Inbox only emits the two kinds; anything else is treated as no data, identically everywhere.
    return { ok: false, reason: `UNKNOWN_DATA_KIND_${ev.dataKind}` };
  }
}
