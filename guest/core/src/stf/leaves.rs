//! Every leaf of a full state (docs/stf.md "Leaves"; TS: node/state/derive.ts `allLeaves`) and the state
//! root over them. The full-state prover mode (crate::range) commits the pre- and post-state this way: the
//! root binds every byte of the state, so trusting nothing but the pre-state root is sound; the cost is
//! O(state) hashing per range, where a witness run (docs/stf.md "Witness for stateless execution") costs
//! O(what the batch touches).

use super::book::Order;
use super::state::State;
use crate::trie::{root_of_leaves, LeafSetError};
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

/// `NONE` of u64 leaf fields: no price / no level.
pub const NONE: u64 = u64::MAX;

struct W(Vec<u8>);
impl W {
    fn new(tag: u8, cap: usize) -> W {
        let mut v = Vec::with_capacity(cap);
        v.push(tag);
        W(v)
    }
    fn u8(mut self, x: u8) -> W {
        self.0.push(x);
        self
    }
    fn u16(mut self, x: u16) -> W {
        self.0.extend_from_slice(&x.to_be_bytes());
        self
    }
    fn u32(mut self, x: u32) -> W {
        self.0.extend_from_slice(&x.to_be_bytes());
        self
    }
    fn u64(mut self, x: u64) -> W {
        self.0.extend_from_slice(&x.to_be_bytes());
        self
    }
    fn bytes(mut self, x: &[u8]) -> W {
        self.0.extend_from_slice(x);
        self
    }
}

fn level_leaf(market: u32, side: u8, price: u64, count: u32, total: u64, head: u64, tail: u64, next: u64) -> Vec<u8> {
    W::new(6, 50).u32(market).u8(side).u64(price).u32(count).u64(total).u64(head).u64(tail).u64(next).0
}

fn order_leaf(market: u32, o: &Order, prev: u64) -> Vec<u8> {
    W::new(5, 66)
        .u64(o.id)
        .u32(market)
        .u32(o.owner as u32)
        .u8(o.side)
        .u64(o.price)
        .u64(o.size)
        .u64(o.expiry)
        .u64(o.client_id)
        .u64(o.priority)
        .u64(prev)
        .0
}

/// All leaves of the state, in no particular order.
pub fn all_leaves(st: &State) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let g = W::new(1, 105)
        .u64(st.chain_id)
        .bytes(&st.verifying_contract)
        .bytes(&st.fee_account)
        .u64(st.batch_index)
        .u64(st.timestamp)
        .u64(st.l1_messages_consumed)
        .u64(st.next_order_id)
        .u64(st.next_priority)
        .u64(st.next_withdrawal_id)
        .u64(st.accounts.len() as u64);
    out.push(g.0);
    for (id, supply) in &st.assets {
        out.push(W::new(2, 13).u32(*id).u64(*supply).0);
    }
    // owner -> market -> open orders
    let mut open: BTreeMap<u64, BTreeMap<u32, u32>> = BTreeMap::new();
    for (&mid, m) in &st.markets {
        let p = &m.params;
        let orders = m.book.canonical();
        let best = |side: u8| orders.iter().find(|o| o.side == side).map_or(NONE, |o| o.price);
        let (best_bid, best_ask) = (best(0), best(1));
        out.push(
            W::new(3, 62)
                .u32(mid)
                .u32(p.base_asset)
                .u32(p.quote_asset)
                .u64(p.lot_size)
                .u64(p.tick_size)
                .u64(p.min_size)
                .u32(p.maker_fee_ppm as u32)
                .u32(p.taker_fee_ppm)
                .u8(p.status)
                .u64(best_bid)
                .u64(best_ask)
                .0,
        );
        // Levels: runs of equal (side, price) in canonical order; `next` = the next run's price on the same side.
        let mut i = 0;
        while i < orders.len() {
            let (side, price) = (orders[i].side, orders[i].price);
            let mut j = i;
            let mut total = 0u64;
            while j < orders.len() && orders[j].side == side && orders[j].price == price {
                let o = &orders[j];
                let prev = if j == i { 0 } else { orders[j - 1].id };
                out.push(order_leaf(mid, o, prev));
                if o.client_id != 0 {
                    out.push(W::new(7, 25).u32(mid).u32(o.owner as u32).u64(o.client_id).u64(o.id).0);
                }
                if o.expiry != 0 {
                    out.push(W::new(8, 21).u64(o.expiry).u64(o.id).u32(mid).0);
                }
                *open.entry(o.owner).or_default().entry(mid).or_insert(0) += 1;
                total += o.size;
                j += 1;
            }
            let next = if j < orders.len() && orders[j].side == side { orders[j].price } else { NONE };
            out.push(level_leaf(mid, side, price, (j - i) as u32, total, orders[i].id, orders[j - 1].id, next));
            i = j;
        }
    }
    for (idx, a) in st.accounts.iter().enumerate() {
        let oo = open.remove(&(idx as u64)).unwrap_or_default();
        let mut w = W::new(4, 42 + 20 * a.balances.len() + 8 * oo.len() + 28 * a.agents.len())
            .bytes(&a.address)
            .u64(idx as u64)
            .u64(a.nonce)
            .u16(a.balances.len() as u16);
        for (asset, (av, lk)) in &a.balances {
            w = w.u32(*asset).u64(*av).u64(*lk);
        }
        w = w.u16(oo.len() as u16);
        for (m, c) in &oo {
            w = w.u32(*m).u32(*c);
        }
        w = w.u8(a.agents.len() as u8);
        for (agent, expiry) in &a.agents {
            w = w.bytes(agent).u64(*expiry);
        }
        out.push(w.0);
    }
    out
}

/// The state root (docs/stf.md "State commitment") of a full state.
pub fn state_root(st: &State) -> Result<[u8; 32], LeafSetError> {
    let leaves = all_leaves(st);
    let refs: Vec<&[u8]> = leaves.iter().map(|l| l.as_slice()).collect();
    root_of_leaves(&refs)
}
