// Undo records (docs/stf.md "Storage", docs/derivation.md "Reorgs"): what reverses one batch's leaf changes,
// written in the same atomic LevelDB commit as the batch (reth's execute/unwind), so the store can step back
// to an earlier batch after an L1 reorg.
//
//   record := count u32 ‖ count × entry
//   entry  := 1 ‖ len u16 ‖ leaf   the key held this leaf before the batch (restore it)
//           | 0 ‖ len u16 ‖ key    the key did not exist before the batch (delete it)
//
// Entries list every key the batch put or deleted, with its pre-batch value. Applying a record puts and
// deletes exactly those keys; applying the records of batches h, h-1, ..., t+1 in that order (later
// writes win) gives the state of batch t.
import { keyLen } from "./leaves.ts";

type Bytes = Uint8Array;

/** Encodes the pre-batch values `prev[i]` (undefined: absent) of `keys[i]`. */
export function encodeUndo(keys: readonly Bytes[], prev: readonly (Bytes | undefined)[]): Uint8Array {
  let size = 4;
  for (let i = 0; i < keys.length; i++) size += 3 + (prev[i]?.length ?? keys[i].length);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, keys.length);
  let p = 4;
  for (let i = 0; i < keys.length; i++) {
    const v = prev[i];
    const b = v ?? keys[i];
    out[p] = v === undefined ? 0 : 1;
    dv.setUint16(p + 1, b.length);
    out.set(b, p + 3);
    p += 3 + b.length;
  }
  return out;
}

export interface UndoEntry {
  /** Leaf key. */
  key: Bytes;
  /** The leaf to restore, or undefined: delete the key. */
  leaf: Bytes | undefined;
}

export class UndoDecodeError extends Error {
  readonly code = "UNDO_CORRUPT";
}

/** Decodes an undo record (throws UndoDecodeError on a corrupt record: the store is damaged). */
export function decodeUndo(rec: Bytes): UndoEntry[] {
  if (rec.length < 4) throw new UndoDecodeError("undo record truncated");
  const dv = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
  const n = dv.getUint32(0);
  const out: UndoEntry[] = [];
  let p = 4;
  for (let i = 0; i < n; i++) {
    if (p + 3 > rec.length) throw new UndoDecodeError("undo record truncated");
    const tag = rec[p];
    const len = dv.getUint16(p + 1);
    if (p + 3 + len > rec.length || tag > 1) throw new UndoDecodeError("undo record corrupt");
    const b = rec.subarray(p + 3, p + 3 + len);
    p += 3 + len;
    out.push(tag === 1 ? { key: b.subarray(0, keyLen(b[0])), leaf: b } : { key: b, leaf: undefined });
  }
  if (p !== rec.length) throw new UndoDecodeError("undo record has trailing bytes");
  return out;
}
