//! Every leaf of a full state (docs/stf.md "Leaves"; TS: node/state/derive.ts `allLeaves`) and the state
//! root over them. The full-state prover mode (crate::range) commits the pre- and post-state this way: the
//! root binds every byte of the state, so trusting nothing but the pre-state root is sound; the cost is
//! O(state) hashing per range, where a witness run (docs/stf.md "Witness for stateless execution") costs
//! O(what the batch touches).

use super::book::Order;
use super::state::{Account, State};
use crate::l1msg::MarketParams;
use crate::tx::Address;
use crate::trie::{root_of_leaves, LeafSetError, TAG_ACCOUNT, TAG_ASSET, TAG_CLIENT, TAG_EXPIRY, TAG_GLOBALS, TAG_LEVEL, TAG_MARKET, TAG_ORDER};
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

/// LEVEL leaf.
#[allow(clippy::too_many_arguments)]
pub fn level_leaf(market: u32, side: u8, price: u64, count: u32, total: u64, head: u64, tail: u64, next: u64) -> Vec<u8> {
    W::new(6, 50).u32(market).u8(side).u64(price).u32(count).u64(total).u64(head).u64(tail).u64(next).0
}

/// ORDER leaf of resting order `o` of `market` whose FIFO predecessor is `prev` (0: the level's head).
pub fn order_leaf(market: u32, o: &Order, prev: u64) -> Vec<u8> {
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

/// GLOBALS leaf of a state.
pub fn globals_leaf(st: &State) -> Vec<u8> {
    W::new(1, 105)
        .u64(st.chain_id)
        .bytes(&st.verifying_contract)
        .bytes(&st.fee_account)
        .u64(st.batch_index)
        .u64(st.timestamp)
        .u64(st.l1_messages_consumed)
        .u64(st.next_order_id)
        .u64(st.next_priority)
        .u64(st.next_withdrawal_id)
        .u64(st.accounts.len() as u64)
        .0
}

/// ASSET leaf.
pub fn asset_leaf(id: u32, supply: u64) -> Vec<u8> {
    W::new(2, 13).u32(id).u64(supply).0
}

/// MARKET leaf.
pub fn market_leaf(id: u32, p: &MarketParams, best_bid: u64, best_ask: u64) -> Vec<u8> {
    W::new(3, 62)
        .u32(id)
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
        .0
}

/// ACCOUNT leaf of account `index`; `open`: (market, resting orders) ascending market, counts > 0.
pub fn account_leaf(index: u64, a: &Account, open: &[(u32, u32)]) -> Vec<u8> {
    let mut w = W::new(4, 42 + 20 * a.balances.len() + 8 * open.len() + 28 * a.agents.len())
        .bytes(&a.address)
        .u64(index)
        .u64(a.nonce)
        .u16(a.balances.len() as u16);
    for (asset, (av, lk)) in &a.balances {
        w = w.u32(*asset).u64(*av).u64(*lk);
    }
    w = w.u16(open.len() as u16);
    for (m, c) in open {
        w = w.u32(*m).u32(*c);
    }
    w = w.u8(a.agents.len() as u8);
    for (agent, expiry) in &a.agents {
        w = w.bytes(agent).u64(*expiry);
    }
    w.0
}

/// CLIENT leaf.
pub fn client_leaf(market: u32, owner: u64, client_id: u64, order_id: u64) -> Vec<u8> {
    W::new(7, 25).u32(market).u32(owner as u32).u64(client_id).u64(order_id).0
}

/// EXPIRY leaf.
pub fn expiry_leaf(expiry: u64, order_id: u64, market: u32) -> Vec<u8> {
    W::new(8, 21).u64(expiry).u64(order_id).u32(market).0
}

// ---------------------------------------------------------------------------------------------- keys

pub fn globals_key() -> Vec<u8> {
    alloc::vec![TAG_GLOBALS]
}
pub fn asset_key(id: u32) -> Vec<u8> {
    W::new(TAG_ASSET, 5).u32(id).0
}
pub fn market_key(id: u32) -> Vec<u8> {
    W::new(TAG_MARKET, 5).u32(id).0
}
pub fn account_key(address: &Address) -> Vec<u8> {
    W::new(TAG_ACCOUNT, 21).bytes(address).0
}
pub fn order_key(id: u64) -> Vec<u8> {
    W::new(TAG_ORDER, 9).u64(id).0
}
pub fn level_key(market: u32, side: u8, price: u64) -> Vec<u8> {
    W::new(TAG_LEVEL, 14).u32(market).u8(side).u64(price).0
}
pub fn client_key(market: u32, owner: u64, client_id: u64) -> Vec<u8> {
    W::new(TAG_CLIENT, 17).u32(market).u32(owner as u32).u64(client_id).0
}
pub fn expiry_key(expiry: u64, order_id: u64) -> Vec<u8> {
    W::new(TAG_EXPIRY, 17).u64(expiry).u64(order_id).0
}

// ---------------------------------------------------------------------------------------------- decoding

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GlobalsLeaf {
    pub chain_id: u64,
    pub verifying_contract: Address,
    pub fee_account: Address,
    pub batch_index: u64,
    pub timestamp: u64,
    pub l1_messages_consumed: u64,
    pub next_order_id: u64,
    pub next_priority: u64,
    pub next_withdrawal_id: u64,
    pub account_count: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarketLeaf {
    pub id: u32,
    pub params: MarketParams,
    pub best_bid: u64,
    pub best_ask: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountLeaf {
    pub index: u64,
    pub account: Account,
    /// (market, resting orders), ascending market.
    pub open_orders: Vec<(u32, u32)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderLeaf {
    pub market: u32,
    pub order: Order,
    pub prev: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LevelLeaf {
    pub market: u32,
    pub side: u8,
    pub price: u64,
    pub count: u32,
    pub total: u64,
    pub head: u64,
    pub tail: u64,
    pub next: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Leaf {
    Globals(GlobalsLeaf),
    Asset { id: u32, supply: u64 },
    Market(MarketLeaf),
    Account(AccountLeaf),
    Order(OrderLeaf),
    Level(LevelLeaf),
    Client { market: u32, owner: u64, client_id: u64, order_id: u64 },
    Expiry { expiry: u64, order_id: u64, market: u32 },
}

struct Rd<'a>(&'a [u8]);
impl Rd<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (h, t) = (self.0.get(..N)?, self.0.get(N..)?);
        self.0 = t;
        h.try_into().ok()
    }
    fn u8(&mut self) -> Option<u8> {
        Some(self.take::<1>()?[0])
    }
    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_be_bytes(self.take()?))
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.take()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_be_bytes(self.take()?))
    }
}

/// Decodes a leaf encoding (the inverse of the encoders above); `None` if it is not one (unknown tag,
/// wrong length).
pub fn decode_leaf(b: &[u8]) -> Option<Leaf> {
    let mut r = Rd(b.get(1..)?);
    let leaf = match b[0] {
        TAG_GLOBALS => Leaf::Globals(GlobalsLeaf {
            chain_id: r.u64()?,
            verifying_contract: r.take()?,
            fee_account: r.take()?,
            batch_index: r.u64()?,
            timestamp: r.u64()?,
            l1_messages_consumed: r.u64()?,
            next_order_id: r.u64()?,
            next_priority: r.u64()?,
            next_withdrawal_id: r.u64()?,
            account_count: r.u64()?,
        }),
        TAG_ASSET => Leaf::Asset { id: r.u32()?, supply: r.u64()? },
        TAG_MARKET => Leaf::Market(MarketLeaf {
            id: r.u32()?,
            params: MarketParams {
                base_asset: r.u32()?,
                quote_asset: r.u32()?,
                lot_size: r.u64()?,
                tick_size: r.u64()?,
                min_size: r.u64()?,
                maker_fee_ppm: r.u32()? as i32,
                taker_fee_ppm: r.u32()?,
                status: r.u8()?,
            },
            best_bid: r.u64()?,
            best_ask: r.u64()?,
        }),
        TAG_ACCOUNT => {
            let address = r.take()?;
            let index = r.u64()?;
            let nonce = r.u64()?;
            let mut account = Account { address, nonce, balances: BTreeMap::new(), agents: Vec::new() };
            for _ in 0..r.u16()? {
                let asset = r.u32()?;
                account.balances.insert(asset, (r.u64()?, r.u64()?));
            }
            let mut open_orders = Vec::new();
            for _ in 0..r.u16()? {
                open_orders.push((r.u32()?, r.u32()?));
            }
            for _ in 0..r.u8()? {
                let agent = r.take()?;
                account.agents.push((agent, r.u64()?));
            }
            Leaf::Account(AccountLeaf { index, account, open_orders })
        }
        TAG_ORDER => {
            let id = r.u64()?;
            let market = r.u32()?;
            let owner = r.u32()? as u64;
            let order = Order { id, owner, side: r.u8()?, price: r.u64()?, size: r.u64()?, expiry: r.u64()?, client_id: r.u64()?, priority: r.u64()? };
            Leaf::Order(OrderLeaf { market, order, prev: r.u64()? })
        }
        TAG_LEVEL => Leaf::Level(LevelLeaf {
            market: r.u32()?,
            side: r.u8()?,
            price: r.u64()?,
            count: r.u32()?,
            total: r.u64()?,
            head: r.u64()?,
            tail: r.u64()?,
            next: r.u64()?,
        }),
        TAG_CLIENT => Leaf::Client { market: r.u32()?, owner: r.u32()? as u64, client_id: r.u64()?, order_id: r.u64()? },
        TAG_EXPIRY => Leaf::Expiry { expiry: r.u64()?, order_id: r.u64()?, market: r.u32()? },
        _ => return None,
    };
    r.0.is_empty().then_some(leaf)
}

/// All leaves of the state, in no particular order.
pub fn all_leaves(st: &State) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    out.push(globals_leaf(st));
    for (id, supply) in &st.assets {
        out.push(asset_leaf(*id, *supply));
    }
    // owner -> market -> open orders
    let mut open: BTreeMap<u64, BTreeMap<u32, u32>> = BTreeMap::new();
    for (&mid, m) in &st.markets {
        let p = &m.params;
        let orders = m.book.canonical();
        let best = |side: u8| orders.iter().find(|o| o.side == side).map_or(NONE, |o| o.price);
        let (best_bid, best_ask) = (best(0), best(1));
        out.push(market_leaf(mid, p, best_bid, best_ask));
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
                    out.push(client_leaf(mid, o.owner, o.client_id, o.id));
                }
                if o.expiry != 0 {
                    out.push(expiry_leaf(o.expiry, o.id, mid));
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
        let oo: Vec<(u32, u32)> = open.remove(&(idx as u64)).unwrap_or_default().into_iter().collect();
        out.push(account_leaf(idx as u64, a, &oo));
    }
    out
}

/// The state root (docs/stf.md "State commitment") of a full state.
pub fn state_root(st: &State) -> Result<[u8; 32], LeafSetError> {
    let leaves = all_leaves(st);
    let refs: Vec<&[u8]> = leaves.iter().map(|l| l.as_slice()).collect();
    root_of_leaves(&refs)
}
