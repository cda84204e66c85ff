// Integer handles for the view's columnar records (node/app/order-store.ts, tx-store.ts): one slot per key,
// reused after removal (a free list), capacity doubled when full. A record kept as slots in typed arrays is
// no JS object per order: nothing for the scavenger to copy and promote (docs/benchmarks.md "rpc: columnar
// view records").

export class Slots<K> {
  /** key -> slot, in insertion order (callers iterate records in the order a Map of them would). */
  private readonly byKey = new Map<K, number>();
  private readonly free: number[] = [];
  /** Slots handed out so far (the next new one). */
  private used = 0;
  private cap: number;
  private readonly grow: (capacity: number) => void;

  /** `grow(capacity)` resizes the caller's columns to `capacity` slots (called with the first one here). */
  constructor(capacity: number, grow: (capacity: number) => void) {
    this.cap = capacity;
    this.grow = grow;
    grow(capacity);
  }

  get size(): number {
    return this.byKey.size;
  }

  /** `key`'s slot, -1 if none. */
  of(key: K): number {
    return this.byKey.get(key) ?? -1;
  }

  has(key: K): boolean {
    return this.byKey.has(key);
  }

  /** Keys in insertion order (deleting while iterating is allowed, as with a Map). */
  keys(): IterableIterator<K> {
    return this.byKey.keys();
  }

  /** `key`'s slot: its existing one (it keeps its place in the order), or a new one. */
  take(key: K): number {
    const s = this.byKey.get(key);
    if (s !== undefined) return s;
    let slot = this.free.pop();
    if (slot === undefined) {
      if (this.used === this.cap) this.grow((this.cap *= 2));
      slot = this.used++;
    }
    this.byKey.set(key, slot);
    return slot;
  }

  /** Frees `key`'s slot (returned, -1 if it had none): the caller clears what the slot references. */
  release(key: K): number {
    const s = this.byKey.get(key);
    if (s === undefined) return -1;
    this.byKey.delete(key);
    this.free.push(s);
    return s;
  }
}


/** `a` copied into a new Float64Array of `length` values. */
export function grownF64(a: Float64Array, length: number): Float64Array<ArrayBuffer> {
  const out = new Float64Array(length);
  out.set(a);
  return out;
}

const CHUNK_BITS = 12;
const CHUNK = 1 << CHUNK_BITS;

/**
 * A column of JS values (strings, references) by slot, in chunks of 4,096: growing adds a chunk and never
 * copies. An array grown by appending is copied at every growth, and once large each copy is a young
 * large object the next scavenge promotes (then garbage at the following growth).
 */
export class Column<T> {
  private readonly chunks: T[][] = [];
  private readonly empty: T;

  /** `empty`: what a slot holds before it is set (and what `clear` puts back, so nothing stays referenced). */
  constructor(empty: T) {
    this.empty = empty;
  }

  get(slot: number): T {
    return this.chunks[slot >> CHUNK_BITS]![slot & (CHUNK - 1)]!;
  }

  set(slot: number, value: T): void {
    const c = slot >> CHUNK_BITS;
    while (this.chunks.length <= c) this.chunks.push(new Array<T>(CHUNK).fill(this.empty));
    this.chunks[c]![slot & (CHUNK - 1)] = value;
  }

  clear(slot: number): void {
    this.set(slot, this.empty);
  }
}
