// Snapshot sync (docs/operator.md "Snapshots"): the derived state of a follower's store in one file, so a
// new follower starts at a finalized batch instead of replaying L1 from genesis.
//
// File layout (all integers big-endian):
//   "RBSNAP02"                                   magic and format version
//   be32 metaLength ‖ meta (JSON, utf8)           SnapshotMeta: chain, Inbox, batch, root, L1 cursor, counts
//   be64 bodyLength ‖ body                        the state trie's leaves (node/state/store.ts snapshot body)
//   be32 messageCount ‖ (be64 index ‖ be16 len ‖ bytes)*   L1 messages seen but not yet consumed
//   sha256 of everything above (32 bytes)
//
// Import trusts nothing in the file: the checksum catches damage; the state root must equal the root the
// Settlement contract finalized for that batch (Finalized event), the leaves must hash to it; the L1 cursor
// must be a canonical, L1-finalized block; the batch chain and queue hashes must match the Inbox's. Only
// then is everything written in one atomic write, and the Deriver (node/derive) resumes from the cursor as
// after a restart. `trust` (devnets) skips the L1 checks but still checks the checksum and the leaves.
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { once } from "node:events";
import { rename } from "node:fs/promises";
import { keccak256, type Address, type Hex, type PublicClient } from "viem";
import { inboxAbi, settlementAbi } from "../l1/contracts.ts";
import { hex } from "../state/commitment.ts";
import { decodeSnapshot, snapshotBodySize, snapshotChunks, type L1BlockRecord, type StateStore } from "../state/store.ts";
import { OpsError } from "./errors.ts";
import { logsInRanges } from "./l1.ts";

const MAGIC = Buffer.from("RBSNAP02");

export interface SnapshotMeta {
  format: 2;
  /** L1 chain id and Inbox of the state (its EIP-712 domain). */
  chainId: number;
  inbox: Address;
  batchIndex: number;
  stateRoot: Hex;
  /** The derivation position: the last L1 block derived, with batch chain and queue position after it. */
  l1: L1BlockRecord;
  leaves: number;
  messages: number;
}

export interface ExportResult {
  file: string;
  bytes: number;
  sha256: Hex;
  meta: SnapshotMeta;
}

export interface Progress {
  phase: "load" | "leaves" | "verify" | "write";
  done: number;
  total: number;
}

/**
 * Writes the state at the store's head with its L1 cursor and unconsumed L1 messages to `file` (through a
 * temporary file renamed at the end). The store's state is rebuilt and its root checked first.
 */
export async function exportSnapshot(store: StateStore, file: string, onProgress?: (p: Progress) => void): Promise<ExportResult> {
  const head = store.head();
  const cursor = (await store.l1Cursor()) as L1BlockRecord | undefined;
  if (head === null || cursor === undefined) throw new OpsError("NO_STATE", "the store holds no derived state (no head or no L1 cursor): nothing to export");
  if (cursor.batchIndex !== head.batchIndex) throw new OpsError("NO_STATE", `store head is batch ${head.batchIndex} but its L1 cursor says ${cursor.batchIndex}: not a derivation store`);
  onProgress?.({ phase: "load", done: 0, total: 1 });
  const loaded = await store.load();
  if (loaded === null) throw new OpsError("NO_STATE", "the store is empty");
  const { state, commitment } = loaded;
  const messages = (await store.l1Messages(state.l1MessagesConsumed)).filter(([i]) => i < cursor.messageCount);
  const meta: SnapshotMeta = {
    format: 2,
    chainId: state.config.domain.chainId,
    inbox: state.config.domain.verifyingContract,
    batchIndex: head.batchIndex,
    stateRoot: head.root,
    l1: cursor,
    leaves: commitment.trie.size,
    messages: messages.length,
  };
  const tmp = `${file}.partial`;
  const out = createWriteStream(tmp);
  const sha = createHash("sha256");
  let bytes = 0;
  const put = async (b: Buffer): Promise<void> => {
    sha.update(b);
    bytes += b.length;
    if (!out.write(b)) await once(out, "drain");
  };
  const metaBytes = Buffer.from(JSON.stringify(meta));
  const lens = Buffer.alloc(4);
  lens.writeUInt32BE(metaBytes.length);
  await put(Buffer.concat([MAGIC, lens, metaBytes]));
  const bodyLen = Buffer.alloc(8);
  bodyLen.writeBigUInt64BE(BigInt(snapshotBodySize(commitment)));
  await put(bodyLen);
  for (const c of snapshotChunks(commitment, head.batchIndex)) {
    await put(c.bytes);
    onProgress?.({ phase: "leaves", done: c.leaves, total: meta.leaves });
  }
  const mc = Buffer.alloc(4);
  mc.writeUInt32BE(messages.length);
  await put(mc);
  for (const [i, m] of messages) {
    const h = Buffer.alloc(10);
    h.writeBigUInt64BE(BigInt(i));
    h.writeUInt16BE(m.length, 8);
    await put(Buffer.concat([h, Buffer.from(m)]));
  }
  const digest = sha.digest();
  out.write(digest);
  bytes += digest.length;
  out.end();
  await once(out, "finish");
  await rename(tmp, file);
  return { file, bytes, sha256: `0x${digest.toString("hex")}`, meta };
}

export interface SnapshotFile {
  meta: SnapshotMeta;
  body: Buffer;
  messages: [number, Uint8Array][];
}

/** Reads a snapshot file and checks its checksum and layout (not its content: see verifyAgainstL1). */
export async function readSnapshotFile(file: string): Promise<SnapshotFile> {
  const parts: Buffer[] = [];
  try {
    for await (const c of createReadStream(file)) parts.push(c as Buffer);
  } catch (err) {
    throw new OpsError("BAD_SNAPSHOT", `cannot read ${file}: ${(err as Error).message}`);
  }
  const buf = Buffer.concat(parts);
  if (buf.length < 8 + 4 + 8 + 4 + 32 || !buf.subarray(0, 8).equals(MAGIC)) throw new OpsError("BAD_SNAPSHOT", `${file} is not a Rollbook snapshot (format RBSNAP02)`);
  const content = buf.subarray(0, buf.length - 32);
  if (!createHash("sha256").update(content).digest().equals(buf.subarray(buf.length - 32))) {
    throw new OpsError("CHECKSUM_MISMATCH", `${file}: checksum mismatch (damaged or truncated file)`);
  }
  const bad = (what: string): never => {
    throw new OpsError("BAD_SNAPSHOT", `${file}: ${what}`);
  };
  let p = 8;
  const metaLen = content.readUInt32BE(p);
  p += 4;
  if (p + metaLen > content.length) bad("truncated header");
  let meta: SnapshotMeta;
  try {
    meta = JSON.parse(content.subarray(p, p + metaLen).toString("utf8")) as SnapshotMeta;
  } catch {
    return bad("header is not JSON");
  }
  if (meta.format !== 2 || !Number.isSafeInteger(meta.batchIndex) || typeof meta.stateRoot !== "string" || typeof meta.l1?.hash !== "string") bad("header fields missing");
  p += metaLen;
  if (p + 8 > content.length) bad("truncated body length");
  const bodyLen = Number(content.readBigUInt64BE(p));
  p += 8;
  if (p + bodyLen + 4 > content.length) bad("truncated body");
  const body = content.subarray(p, p + bodyLen);
  p += bodyLen;
  const count = content.readUInt32BE(p);
  p += 4;
  const messages: [number, Uint8Array][] = [];
  for (let k = 0; k < count; k++) {
    if (p + 10 > content.length) bad("truncated messages");
    const index = Number(content.readBigUInt64BE(p));
    const len = content.readUInt16BE(p + 8);
    p += 10;
    if (p + len > content.length) bad("truncated messages");
    messages.push([index, new Uint8Array(content.subarray(p, p + len))]);
    p += len;
  }
  if (p !== content.length) bad("trailing bytes");
  if (count !== meta.messages) bad(`header says ${meta.messages} messages, file holds ${count}`);
  return { meta, body, messages };
}

export interface L1Check {
  client: PublicClient;
  inbox: Address;
  settlement: Address;
  /** First L1 block to search for the Settlement's events (the deployment's startBlock). */
  fromBlock: number;
}

export interface Finalization {
  /** The Settlement's Finalized event for the range ending at the snapshot's batch. */
  firstBatch: number;
  lastBatch: number;
  stateRoot: Hex;
  l1Block: number;
  txHash: Hex;
}

/**
 * Checks a snapshot's header against L1 and returns the finalization of its batch: the same chain and
 * Inbox; a Settlement `Finalized` event whose range ends at the batch, in an L1-finalized block, whose root
 * is the header's; the L1 cursor block canonical and L1-finalized; the batch chain b(batch) and the queue
 * hashes q(consumed) and q(seen) (the pending messages chained from it) equal to the Inbox's.
 */
export async function verifyAgainstL1(snap: SnapshotFile, l1: L1Check): Promise<Finalization> {
  const { meta } = snap;
  const { client } = l1;
  const chainId = await client.getChainId();
  if (chainId !== meta.chainId) throw new OpsError("WRONG_CHAIN", `snapshot is of chain ${meta.chainId}, L1 is chain ${chainId}`);
  if (meta.inbox.toLowerCase() !== l1.inbox.toLowerCase()) throw new OpsError("L1_MISMATCH", `snapshot is of Inbox ${meta.inbox}, the deployment's Inbox is ${l1.inbox}`);
  const finalizedBlock = await client.getBlock({ blockTag: "finalized" });
  const fin = Number(finalizedBlock.number);
  const logs = await logsInRanges(client, l1.fromBlock, (fromBlock, toBlock) =>
    client.getContractEvents({ address: l1.settlement, abi: settlementAbi, eventName: "Finalized", args: { lastBatch: BigInt(meta.batchIndex) }, fromBlock, toBlock, strict: true }));
  const last = await client.readContract({ address: l1.settlement, abi: settlementAbi, functionName: "lastBatch" });
  const ev = logs.at(-1);
  if (ev === undefined) {
    throw new OpsError("NOT_FINALIZED", `batch ${meta.batchIndex} is not the end of a range the Settlement finalized (Settlement.lastBatch = ${last}); export at a finalized batch`);
  }
  const f: Finalization = {
    firstBatch: Number(ev.args.firstBatch), lastBatch: Number(ev.args.lastBatch), stateRoot: ev.args.stateRoot,
    l1Block: Number(ev.blockNumber), txHash: ev.transactionHash,
  };
  if (f.stateRoot.toLowerCase() !== meta.stateRoot.toLowerCase()) {
    throw new OpsError("ROOT_MISMATCH", `the Settlement finalized batch ${meta.batchIndex} with root ${f.stateRoot}, the snapshot claims ${meta.stateRoot}`);
  }
  if (f.l1Block > fin) throw new OpsError("L1_NOT_FINAL", `the finalization of batch ${meta.batchIndex} is in L1 block ${f.l1Block}, above the L1 finalized block ${fin}: retry later`);
  if (meta.l1.number > fin) throw new OpsError("L1_NOT_FINAL", `the snapshot's L1 cursor (block ${meta.l1.number}) is above the L1 finalized block ${fin}: retry later or export at an older position`);
  const canonical = await client.getBlock({ blockNumber: BigInt(meta.l1.number) }).catch(() => undefined);
  if (canonical?.hash !== meta.l1.hash) throw new OpsError("L1_MISMATCH", `the snapshot's L1 block ${meta.l1.number} ${meta.l1.hash} is not canonical (L1 has ${canonical?.hash ?? "no such block"})`);
  const read = <T>(functionName: "batchChainAt" | "queueHashAt", n: number, what: string): Promise<T> =>
    (client.readContract({ address: l1.inbox, abi: inboxAbi, functionName, args: [BigInt(n)] }) as Promise<T>).catch((err: unknown) => {
      throw new OpsError("L1_MISMATCH", `cannot read ${what} from the Inbox (${(err as Error).message.split("\n")[0]})`);
    });
  const chain = await read<Hex>("batchChainAt", meta.batchIndex, `b(${meta.batchIndex})`);
  if (chain.toLowerCase() !== meta.l1.batchChain.toLowerCase()) throw new OpsError("L1_MISMATCH", `batch chain b(${meta.batchIndex}): Inbox ${chain}, snapshot ${meta.l1.batchChain}`);
  const consumed = meta.l1.messageCount - snap.messages.length;
  const q0 = await read<Hex>("queueHashAt", consumed, `q(${consumed})`);
  if (q0.toLowerCase() !== meta.l1.queueHash.toLowerCase()) throw new OpsError("L1_MISMATCH", `queue hash q(${consumed}): Inbox ${q0}, snapshot ${meta.l1.queueHash}`);
  let q = meta.l1.queueHash;
  for (const [k, [i, m]] of snap.messages.entries()) {
    if (i !== consumed + k) throw new OpsError("BAD_SNAPSHOT", `pending L1 messages are not contiguous from ${consumed} (found ${i})`);
    q = keccak256(Buffer.concat([Buffer.from(q.slice(2), "hex"), Buffer.from(keccak256(m).slice(2), "hex")]));
  }
  const qn = await read<Hex>("queueHashAt", meta.l1.messageCount, `q(${meta.l1.messageCount})`);
  if (qn.toLowerCase() !== q.toLowerCase()) throw new OpsError("L1_MISMATCH", `the pending L1 messages do not chain to the Inbox's q(${meta.l1.messageCount})`);
  return f;
}

export interface ImportResult {
  meta: SnapshotMeta;
  /** undefined with `trust`. */
  finalization?: Finalization;
  trusted: boolean;
}

/**
 * Imports a snapshot into an empty store: checks it (verifyAgainstL1 unless `l1` is "trust"), rebuilds the
 * state from the leaves and checks they hash to the verified root, then writes state, head, L1 cursor and
 * pending messages in one atomic write. A Deriver opened on the store resumes after the snapshot's L1 block.
 */
export async function importSnapshot(store: StateStore, file: string, l1: L1Check | "trust", onProgress?: (p: Progress) => void): Promise<ImportResult> {
  if (!(await store.isEmpty())) throw new OpsError("STORE_NOT_EMPTY", "the target store is not empty: import into a new data directory");
  const snap = await readSnapshotFile(file);
  const { meta } = snap;
  onProgress?.({ phase: "verify", done: 0, total: meta.leaves });
  const finalization = l1 === "trust" ? undefined : await verifyAgainstL1(snap, l1);
  const root = Buffer.from((finalization?.stateRoot ?? meta.stateRoot).slice(2), "hex");
  let decoded;
  try {
    decoded = decodeSnapshot(snap.body, root);
  } catch (err) {
    throw new OpsError("ROOT_MISMATCH", `snapshot state: ${(err as Error).message}`);
  }
  const { state, commitment } = decoded;
  if (decoded.batchIndex !== meta.batchIndex) throw new OpsError("BAD_SNAPSHOT", `body is of batch ${decoded.batchIndex}, header says ${meta.batchIndex}`);
  if (state.config.domain.chainId !== meta.chainId || state.config.domain.verifyingContract.toLowerCase() !== meta.inbox.toLowerCase()) {
    throw new OpsError("BAD_SNAPSHOT", "the state's EIP-712 domain differs from the header's chain and Inbox");
  }
  if (state.l1MessagesConsumed !== meta.l1.messageCount - snap.messages.length) {
    throw new OpsError("BAD_SNAPSHOT", `the state consumed ${state.l1MessagesConsumed} L1 messages, the cursor and pending messages say ${meta.l1.messageCount - snap.messages.length}`);
  }
  if (meta.l1.batchIndex !== meta.batchIndex) throw new OpsError("BAD_SNAPSHOT", "the L1 cursor's batch differs from the state's");
  onProgress?.({ phase: "write", done: 0, total: meta.leaves });
  await store.writeFullState(commitment, meta.batchIndex, (w) => {
    for (const [i, m] of snap.messages) w.message(i, m);
    w.l1Block(meta.l1);
  });
  if (hex(commitment.root()) !== store.head()?.root) throw new OpsError("BAD_SNAPSHOT", "store head differs after import");
  return { meta, finalization, trusted: l1 === "trust" };
}
