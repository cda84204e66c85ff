// The withdrawal tree of a batch range (docs/l1-messages.md "Withdrawals"): OpenZeppelin
// StandardMerkleTree over leaves [withdrawalId uint64, recipient address, asset uint32, amount uint64],
// so the Vault verifies claims with OpenZeppelin MerkleProof. Built exactly as the library does:
//   leaf      = keccak256(keccak256(abi.encode(withdrawalId, recipient, asset, amount)))
//   leaves sorted ascending by hash; tree array of 2n-1 nodes, leaf i (sorted) at index 2n-2-i,
//   node i = keccak256(sort(node 2i+1, node 2i+2)) (commutative pair hash); root = node 0.
// An empty range has root 0x00..00 (nothing to claim).

import { keccak256 } from "./keccak.ts";

export interface WithdrawalRecord {
  withdrawalId: number;
  recipient: string;
  asset: number;
  amount: number;
}

function putUint(b: Uint8Array, end: number, n: number): void {
  let v = BigInt(n);
  for (let i = end - 1; v > 0n; i--) {
    b[i] = Number(v & 255n);
    v >>= 8n;
  }
}

export function withdrawalLeafHash(w: WithdrawalRecord): Uint8Array {
  if (!/^0x[0-9a-fA-F]{40}$/.test(w.recipient)) throw new Error("withdrawal: bad recipient");
  const b = new Uint8Array(128);
  putUint(b, 32, w.withdrawalId);
  b.set(Buffer.from(w.recipient.slice(2), "hex"), 44);
  putUint(b, 96, w.asset);
  putUint(b, 128, w.amount);
  return keccak256(keccak256(b));
}

function cmp(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

function hashPair(a: Uint8Array, b: Uint8Array): Uint8Array {
  const buf = new Uint8Array(64);
  if (cmp(a, b) <= 0) {
    buf.set(a);
    buf.set(b, 32);
  } else {
    buf.set(b);
    buf.set(a, 32);
  }
  return keccak256(buf);
}

export class WithdrawalTree {
  private readonly tree: Uint8Array[];
  /** withdrawalId -> tree index */
  private readonly index = new Map<number, number>();
  readonly root: Uint8Array;

  constructor(withdrawals: readonly WithdrawalRecord[]) {
    const leaves = withdrawals.map((w) => ({ id: w.withdrawalId, h: withdrawalLeafHash(w) }));
    leaves.sort((a, b) => cmp(a.h, b.h));
    const n = leaves.length;
    this.tree = new Array(Math.max(0, 2 * n - 1));
    for (let i = 0; i < n; i++) {
      const ti = this.tree.length - 1 - i;
      this.tree[ti] = leaves[i].h;
      if (this.index.has(leaves[i].id)) throw new Error(`withdrawal: duplicate id ${leaves[i].id}`);
      this.index.set(leaves[i].id, ti);
    }
    for (let i = this.tree.length - 1 - n; i >= 0; i--) this.tree[i] = hashPair(this.tree[2 * i + 1], this.tree[2 * i + 2]);
    this.root = n === 0 ? new Uint8Array(32) : this.tree[0];
  }

  /** The MerkleProof siblings (bottom-up) of a withdrawal, as OpenZeppelin's getProof returns them. */
  proof(withdrawalId: number): Uint8Array[] {
    let i = this.index.get(withdrawalId);
    if (i === undefined) throw new Error(`withdrawal ${withdrawalId} not in this range`);
    const out: Uint8Array[] = [];
    while (i > 0) {
      out.push(this.tree[i % 2 === 0 ? i - 1 : i + 1]);
      i = Math.floor((i - 1) / 2);
    }
    return out;
  }
}

/** OpenZeppelin MerkleProof.verify (processProof with commutative pair hashing). */
export function verifyWithdrawalProof(root: Uint8Array, w: WithdrawalRecord, proof: readonly Uint8Array[]): boolean {
  let h = withdrawalLeafHash(w);
  for (const p of proof) h = hashPair(h, p);
  return cmp(h, root) === 0;
}
