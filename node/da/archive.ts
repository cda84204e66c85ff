// Blob archive: a directory of blobs keyed by versioned hash, and the small HTTP server operators run to
// serve it. HTTP API (docs/da.md, "Archive API"):
//   GET <base>/<versionedHash>   -> 200, application/octet-stream, the 131072 blob bytes; 404 if unknown;
//                                   400 if the path is not a 0x-prefixed 32-byte hex hash.
//   GET <base>/<versionedHash>/kzg -> 200, the blob's KZG record (commitment ‖ blob proof, 96 bytes) when the
//                                   proposer published one; 404 otherwise. Untrusted: readers verify it.
//   GET <base>/health            -> 200 {"ok":true,"blobs":N}
// Only verified blobs are stored (the writer computed or checked the versioned hash), and every reader
// verifies again, so a corrupted archive costs a retry, never a wrong batch.
import { mkdir, readFile, readdir, rename, writeFile, rm } from "node:fs/promises";
import path from "node:path";
import type { Hex } from "viem";
import { BYTES_PER_BLOB } from "./packing.ts";
import { KZG_RECORD_BYTES, computeVersionedHashes, encodeKzgRecord, type KzgRecord } from "./kzg.ts";

const HASH_RE = /^0x[0-9a-f]{64}$/;

/** Blobs on disk: `<dir>/<versionedHash>.blob`, written atomically (temp file + rename). */
export class ArchiveStore {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
  }

  private file(hash: string): string {
    return path.join(this.dir, `${hash}.blob`);
  }

  /** Stores a blob under its versioned hash. The caller vouches that `hash` is the blob's versioned hash. */
  async put(hash: Hex, blob: Uint8Array): Promise<void> {
    const h = hash.toLowerCase();
    if (!HASH_RE.test(h)) throw new Error(`archive: bad versioned hash ${hash}`);
    if (blob.length !== BYTES_PER_BLOB) throw new Error(`archive: blob must be ${BYTES_PER_BLOB} bytes`);
    await mkdir(this.dir, { recursive: true });
    const tmp = `${this.file(h)}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(tmp, blob);
    await rename(tmp, this.file(h));
  }

  /**
   * Stores the KZG record (commitment and blob proof) of the blob under `hash` (`<dir>/<hash>.kzg`), written
   * atomically. The proposer publishes it so followers verify a proof instead of recomputing the commitment.
   */
  async putKzg(hash: Hex, record: KzgRecord): Promise<void> {
    const h = hash.toLowerCase();
    if (!HASH_RE.test(h)) throw new Error(`archive: bad versioned hash ${hash}`);
    const bytes = encodeKzgRecord(record);
    await mkdir(this.dir, { recursive: true });
    const file = path.join(this.dir, `${h}.kzg`);
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, file);
  }

  /** The KZG record bytes stored under `hash`, or undefined. */
  async getKzg(hash: string): Promise<Uint8Array | undefined> {
    const h = hash.toLowerCase();
    if (!HASH_RE.test(h)) return undefined;
    try {
      const b = new Uint8Array(await readFile(path.join(this.dir, `${h}.kzg`)));
      return b.length === KZG_RECORD_BYTES ? b : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  /** Stores a blob, computing its versioned hash (KZG commitment) first. Returns the hash. */
  async putBlob(blob: Uint8Array): Promise<Hex> {
    const [hash] = computeVersionedHashes([blob]);
    await this.put(hash!, blob);
    return hash!;
  }

  /** The blob stored under `hash`, or undefined. */
  async get(hash: string): Promise<Uint8Array | undefined> {
    const h = hash.toLowerCase();
    if (!HASH_RE.test(h)) return undefined;
    try {
      return new Uint8Array(await readFile(this.file(h)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  async delete(hash: string): Promise<void> {
    await rm(this.file(hash.toLowerCase()), { force: true });
    await rm(path.join(this.dir, `${hash.toLowerCase()}.kzg`), { force: true });
  }

  /** Number of stored blobs. */
  async count(): Promise<number> {
    try {
      return (await readdir(this.dir)).filter((f) => f.endsWith(".blob")).length;
    } catch {
      return 0;
    }
  }
}

export interface ArchiveServer {
  /** Base URL to configure as an archive source, e.g. http://127.0.0.1:PORT */
  url: string;
  close(): Promise<void>;
}

/** Serves an ArchiveStore over HTTP (fastify). Listens on loopback unless `host` says otherwise. */
export async function startArchiveServer(store: ArchiveStore, options: { host?: string; port?: number } = {}): Promise<ArchiveServer> {
  const { default: Fastify } = await import("fastify");
  const app = Fastify({ logger: false });
  app.get("/health", async () => ({ ok: true, blobs: await store.count() }));
  app.get<{ Params: { hash: string } }>("/:hash", async (req, reply) => {
    const hash = req.params.hash.toLowerCase();
    if (!HASH_RE.test(hash)) return reply.code(400).send({ error: "expected a 0x-prefixed 32-byte versioned hash" });
    const blob = await store.get(hash);
    if (!blob) return reply.code(404).send({ error: "unknown blob" });
    return reply.header("content-type", "application/octet-stream").header("cache-control", "public, max-age=31536000, immutable").send(Buffer.from(blob));
  });
  app.get<{ Params: { hash: string } }>("/:hash/kzg", async (req, reply) => {
    const hash = req.params.hash.toLowerCase();
    if (!HASH_RE.test(hash)) return reply.code(400).send({ error: "expected a 0x-prefixed 32-byte versioned hash" });
    const record = await store.getKzg(hash);
    if (!record) return reply.code(404).send({ error: "no KZG record for this blob" });
    return reply.header("content-type", "application/octet-stream").header("cache-control", "public, max-age=31536000, immutable").send(Buffer.from(record));
  });
  const address = await app.listen({ host: options.host ?? "127.0.0.1", port: options.port ?? 0 });
  return { url: address, close: () => app.close() };
}
