// The full node's state commitment: the trie over all leaves of a ClobState, updated per batch by
// fastderive.ts from the books' change logs and the STF's dirty accounts (the generic derive.ts is what a
// stateless executor runs, and what witnesses are built with), plus shadow indexes of the committed state
// that the leaves do not hold directly (sorted non-empty level prices per market side, account address
// bytes). FIFO successors that a witness needs come from the books' change logs (unlinkSuccessors).
//
// The leaves are also the storage format: a ClobState is rebuilt from its leaves (stateFromLeaves), so the
// store persists leaf puts/deletes only and a restart or snapshot import rebuilds state and trie from them.

import { AssetState, ClobState, Market } from "../clob/state.ts";
import { Side, type Address } from "../clob/types.ts";
import { type Derived, type PreView, allLeaves, deriveChanges } from "./derive.ts";
import { type Shadow, buildShadow, fastDerive, lowerBound } from "./fastderive.ts";
import {
  type AccountLeaf,
  type GlobalsLeaf,
  type LevelLeaf,
  type MarketLeaf,
  NONE,
  type OrderLeaf,
  Tag,
  accountKey,
  decodeLeaf,
  keyLen,
  levelKey,
  marketKey,
  orderKey,
} from "./leaves.ts";
import { Trie } from "./trie.ts";

export function hex(b: Uint8Array): `0x${string}` {
  return `0x${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex")}`;
}

export class StateCommitment {
  readonly trie: Trie = new Trie(keyLen);
  /** Indexes of the committed state that the leaves do not hold directly (see fastderive.ts). */
  private shadow: Shadow;
  /** Stats of the last commitBatch, for benchmarks. */
  readonly stats = { deriveMs: 0, trieMs: 0, puts: 0, dels: 0 };

  private constructor(shadow: Shadow) {
    this.shadow = shadow;
  }

  /** Build from the leaves of a state and that state (any leaf order). */
  static fromLeaves(leaves: Iterable<Uint8Array>, state: ClobState): StateCommitment {
    const c = new StateCommitment(buildShadow(state));
    let n = 0;
    for (const e of leaves) {
      c.trie.put(e);
      if (++n % 200_000 === 0) c.trie.commit();
    }
    c.trie.commit();
    return c;
  }

  static fromState(state: ClobState): StateCommitment {
    return StateCommitment.fromLeaves(allLeaves(state), state);
  }

  root(): Uint8Array {
    return this.trie.rootHash();
  }

  /**
   * A view of the committed (pre-batch) state for derive(); `state` supplies account addresses. With
   * `record`, the key of every leaf looked up is appended to it (witness generation).
   */
  preView(state: ClobState, record?: Uint8Array[]): PreView {
    const trie = this.trie;
    const orders = new Map<number, OrderLeaf | undefined>();
    const accounts = new Map<number, AccountLeaf | undefined>();
    const levels = new Map<string, LevelLeaf | undefined>();
    const markets = new Map<number, MarketLeaf | undefined>();
    let succ: Map<number, number> | null = null;
    const touch = (k: Uint8Array) => {
      if (record !== undefined) record.push(k);
      return k;
    };
    const dec = <T>(e: Uint8Array | undefined): T | undefined => (e === undefined ? undefined : (decodeLeaf(e).v as T));
    return {
      prefetch(orderIds: number[], accountIndexes: number[]): void {
        const keys: Uint8Array[] = [];
        for (const id of orderIds) keys.push(orderKey(id));
        const idx = accountIndexes.filter((i) => i < state.accounts.length);
        for (const i of idx) keys.push(accountKey(state.accounts[i].address));
        const got = trie.getMany(keys);
        for (let i = 0; i < orderIds.length; i++) orders.set(orderIds[i], dec<OrderLeaf>(got[i]));
        for (let i = 0; i < idx.length; i++) accounts.set(idx[i], dec<AccountLeaf>(got[orderIds.length + i]));
        if (record !== undefined) for (const k of keys) record.push(k);
      },
      order(id: number): OrderLeaf | undefined {
        if (!orders.has(id)) {
          orders.set(id, dec<OrderLeaf>(trie.get(touch(orderKey(id)))));
        }
        return orders.get(id);
      },
      orderSucc(id: number): number {
        if (succ === null) succ = unlinkSuccessors(state);
        const s = succ.get(id);
        if (s === undefined) throw new Error(`derive: order ${id} did not leave its queue in this batch`);
        return s;
      },
      level(m: number, side: number, price: number): LevelLeaf | undefined {
        const k = `${m}:${side}:${price}`;
        if (!levels.has(k)) {
          levels.set(k, dec<LevelLeaf>(trie.get(touch(levelKey(m, side, price)))));
        }
        return levels.get(k);
      },
      levelBetter: (m: number, side: number, price: number): number => {
        const a = this.shadow.levelLists.get(`${m}:${side}`);
        if (a === undefined) return NONE;
        let r: number;
        if (side === Side.BUY) {
          const i = lowerBound(a, price + 1);
          r = i < a.length ? a[i] : NONE;
        } else {
          const i = lowerBound(a, price);
          r = i > 0 ? a[i - 1] : NONE;
        }
        if (r !== NONE && record !== undefined) record.push(levelKey(m, side, r));
        return r;
      },
      market(id: number): MarketLeaf | undefined {
        if (!markets.has(id)) {
          markets.set(id, dec<MarketLeaf>(trie.get(touch(marketKey(id)))));
        }
        return markets.get(id);
      },
      account(index: number): AccountLeaf | undefined {
        if (!accounts.has(index)) {
          const a = index < state.accounts.length ? state.accounts[index] : undefined;
          accounts.set(index, a === undefined ? undefined : dec<AccountLeaf>(trie.get(touch(accountKey(a.address)))));
        }
        return accounts.get(index);
      },
    };
  }

  /**
   * The batch's leaf changes by the generic derivation (pre-state leaves + dirty set), without applying
   * them: what the stateless executor computes. The node itself uses the fast path (commitBatch).
   */
  deriveGeneric(state: ClobState, record?: Uint8Array[]): Derived {
    return deriveChanges(state, this.preView(state, record));
  }

  /** After applyBatch(state, ...): commit the batch. Returns the new root and the leaf changes. */
  commitBatch(state: ClobState): { root: Uint8Array; derived: Derived } {
    const t0 = performance.now();
    const derived = fastDerive(state, this.shadow);
    const t1 = performance.now();
    for (const k of derived.dels) this.trie.delete(k);
    for (const e of derived.puts) this.trie.put(e);
    if (derived.putBatch !== undefined) this.trie.putBatch(derived.putBatch);
    const root = this.trie.commit();
    this.stats.deriveMs = t1 - t0;
    this.stats.trieMs = performance.now() - t1;
    this.stats.puts = derived.puts.length + (derived.putBatch?.count ?? 0);
    this.stats.dels = derived.dels.length;
    return { root, derived };
  }
}

/**
 * For each order unlinked from its queue since the batch started, the successor its first unlink recorded
 * (ChangeLog.unlinked): an order behind it in the pre-state queue with only departed orders in between,
 * or 0 (PreView.orderSucc).
 */
function unlinkSuccessors(state: ClobState): Map<number, number> {
  const succ = new Map<number, number>();
  for (const m of state.marketIds()) {
    const u = state.markets.get(m)!.book.changes()?.unlinked;
    if (u === undefined) continue;
    for (let k = 0; k < u.length; k += 2) if (!succ.has(u[k])) succ.set(u[k], u[k + 1]);
  }
  return succ;
}

/**
 * Rebuild a ClobState from leaves. With `partial` (witness execution) the leaves are a subset: accounts
 * not given stay holes in the dense table, books hold only the given orders, and each given account's
 * per-market open-order count is installed in the book so MAX_OPEN_ORDERS checks see the real count.
 */
export function stateFromLeaves(leaves: Iterable<Uint8Array>, partial = false): ClobState {
  let g: GlobalsLeaf | undefined;
  const assets: { id: number; supply: number }[] = [];
  const markets: MarketLeaf[] = [];
  const accounts: AccountLeaf[] = [];
  const orders: OrderLeaf[] = [];
  for (const e of leaves) {
    const d = decodeLeaf(e);
    switch (d.tag) {
      case Tag.GLOBALS:
        g = d.v;
        break;
      case Tag.ASSET:
        assets.push(d.v);
        break;
      case Tag.MARKET:
        markets.push(d.v);
        break;
      case Tag.ACCOUNT:
        accounts.push(d.v);
        break;
      case Tag.ORDER:
        orders.push(d.v);
        break;
      default:
        break; // LEVEL and CLIENT leaves are derived indexes
    }
  }
  if (g === undefined) throw new Error("state: no globals leaf");
  const s = new ClobState({
    domain: { chainId: g.chainId, verifyingContract: g.verifyingContract as Address },
    feeAccount: g.feeAccount as Address,
  });
  s.setCounters(g);
  for (const a of assets) {
    const x = new AssetState(a.id);
    x.supply = a.supply;
    s.assets.set(a.id, x);
  }
  accounts.sort((a, b) => a.index - b.index);
  if (!partial && accounts.length !== g.accountCount) throw new Error("state: account count mismatch");
  for (const a of accounts) {
    if (!partial && a.index !== s.accounts.length) throw new Error("state: account indexes not dense");
    const acct = s.addAccount(a.index, a.address);
    acct.nonce = a.nonce;
    if (a.agents.length > 0) acct.agents = a.agents;
    for (const [asset, av, lk] of a.balances) acct.setBalance(asset, av, lk);
  }
  if (partial) s.accounts.length = g.accountCount;
  for (const m of markets) s.markets.set(m.id, new Market(m.id, m.params));
  orders.sort((a, b) => a.priority - b.priority);
  for (const o of orders) {
    const m = s.markets.get(o.market);
    if (m === undefined) {
      // A witness may show an order only because a transaction named its id with another market.
      if (partial) continue;
      throw new Error(`state: order ${o.id} in unknown market ${o.market}`);
    }
    m.book.restore({
      id: o.id, owner: o.owner, side: o.side as Side, price: o.price, size: o.size,
      expiry: o.expiry, clientId: o.clientId, priority: o.priority,
    });
  }
  if (partial) {
    for (const a of accounts) {
      for (const [mid, count] of a.openOrders) {
        const m = s.markets.get(mid);
        if (m === undefined) continue;
        // The book holds only the witness orders; the owner's count must be the real one
        // (MAX_OPEN_ORDERS_PER_MARKET checks read it).
        m.book.setOwnerOrderCount(a.index, count);
      }
    }
  }
  s.dirty.clear();
  return s;
}
