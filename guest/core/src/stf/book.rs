//! The order book of one market, docs/stf.md "Order book and matching" (TS: node/clob/engine.ts).
//! Balance-agnostic: it knows ids, owners (dense account indexes), sides, prices (ticks), sizes (lots),
//! expiries, client ids and priorities, and reports what happened as events the STF settles.
//!
//! Ordered collections only: a level is the set of its orders keyed by `(priority, id)` (an order joins
//! the tail with the next, larger, priority, so key order is FIFO order); bids iterate from the highest
//! price, asks from the lowest; an owner's orders are keyed `(owner, priority, id)`, the cancel-all order.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;

/// Sides: 0 BUY, 1 SELL.
pub const BUY: u8 = 0;

/// Times in force: 0 GTC, 1 IOC, 2 FOK, 3 POST_ONLY, 4 MARKET (IOC and MARKET match identically here).
pub const TIF_GTC: u8 = 0;
pub const TIF_FOK: u8 = 2;
pub const TIF_POST_ONLY: u8 = 3;
pub const TIF_MARKET: u8 = 4;

pub const STP_EXPIRE_MAKER: u8 = 0;
pub const STP_EXPIRE_TAKER: u8 = 1;
pub const STP_EXPIRE_BOTH: u8 = 2;
pub const STP_DECREMENT: u8 = 3;

/// A resting order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Order {
    pub id: u64,
    pub owner: u64,
    pub side: u8,
    pub price: u64,
    /// Remaining lots (>= 1 while resting).
    pub size: u64,
    pub expiry: u64,
    pub client_id: u64,
    pub priority: u64,
}

impl Order {
    pub fn expired(&self, now: u64) -> bool {
        self.expiry != 0 && self.expiry <= now
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    Fill,
    Expired,
    StpCancelled,
    StpDecremented,
    Cancelled,
}

/// One event on a resting order (engine.ts `MakerEvent`): `size` lots traded / decremented / removed,
/// `remaining` the maker's size afterwards (0: it left the book).
#[derive(Clone, Copy, Debug)]
pub struct Event {
    pub kind: EventKind,
    pub order: Order,
    pub size: u64,
    pub remaining: u64,
}

/// Final state of the incoming order of `place`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Filled,
    Rested,
    /// Remainder cancelled: `stp` = by self-trade prevention, else the IOC / MARKET remainder.
    Cancelled { stp: bool },
    PostOnlyWouldCross,
    FokUnfillable,
}

#[derive(Debug)]
pub struct PlaceResult {
    pub outcome: Outcome,
    pub filled: u64,
    pub decremented: u64,
    pub rested: u64,
    pub cancelled: u64,
    pub events: Vec<Event>,
}

/// The incoming order of `place` (validated by the STF before).
#[derive(Clone, Copy, Debug)]
pub struct Incoming {
    pub id: u64,
    pub owner: u64,
    pub side: u8,
    pub tif: u8,
    pub price: u64,
    pub size: u64,
    pub stp: u8,
    pub expiry: u64,
    pub client_id: u64,
    pub priority: u64,
}

#[derive(Clone, Debug, Default)]
pub struct Book {
    orders: BTreeMap<u64, Order>,
    /// price -> {(priority, id)}; never an empty level.
    bids: BTreeMap<u64, BTreeSet<(u64, u64)>>,
    asks: BTreeMap<u64, BTreeSet<(u64, u64)>>,
    by_owner: BTreeSet<(u64, u64, u64)>,
    owner_count: BTreeMap<u64, u32>,
    clients: BTreeMap<(u64, u64), u64>,
    /// Gap markers inserted so far (partial books of stateless execution only, `insert_gap`).
    gaps: u64,
}

/// Ids of gap markers count down from here (real order ids are at most 2^53 - 1).
const GAP_ID: u64 = u64::MAX;

fn crosses(taker_buy: bool, level: u64, price: u64) -> bool {
    if taker_buy {
        level <= price
    } else {
        level >= price
    }
}

impl Book {
    pub fn new() -> Book {
        Book::default()
    }

    pub fn order_count(&self) -> usize {
        self.orders.len()
    }

    /// The resting order behind a queue entry. An entry with no order is a gap marker of a partial book
    /// (`insert_gap`): a walk that reaches it needs what the witness does not prove, and the stateless
    /// execution rejects (docs/stf.md "Witness for stateless execution", 4: book walks).
    fn at(&self, id: u64) -> &Order {
        match self.orders.get(&id) {
            Some(o) => o,
            None => panic!("WITNESS_INSUFFICIENT: an unproven part of a queue is needed"),
        }
    }

    /// Every resting order, ascending id.
    pub fn orders(&self) -> impl Iterator<Item = &Order> + '_ {
        self.orders.values()
    }

    /// Partial books (stateless execution): marks an unproven place in the queue at `price` on `side`,
    /// right after the entries of priority `<= after_priority` (0: before every order). Every walk that
    /// reaches it panics (`at`); it is in no other index and never reported.
    pub fn insert_gap(&mut self, side: u8, price: u64, after_priority: u64) {
        self.gaps += 1;
        let id = GAP_ID - self.gaps;
        self.side_mut(side).entry(price).or_default().insert((after_priority, id));
    }

    /// Partial books (stateless execution): the owner's real number of resting orders (its ACCOUNT
    /// leaf), of which the book may hold only some. Later inserts and removes adjust it as usual.
    pub fn set_owner_count(&mut self, owner: u64, count: u32) {
        if count == 0 {
            self.owner_count.remove(&owner);
        } else {
            self.owner_count.insert(owner, count);
        }
    }

    pub fn get(&self, id: u64) -> Option<&Order> {
        self.orders.get(&id)
    }

    pub fn find_by_client_id(&self, owner: u64, client_id: u64) -> Option<&Order> {
        if client_id == 0 {
            return None;
        }
        self.clients.get(&(owner, client_id)).and_then(|id| self.orders.get(id))
    }

    pub fn owner_order_count(&self, owner: u64) -> u32 {
        self.owner_count.get(&owner).copied().unwrap_or(0)
    }

    /// The owner's orders, ascending (priority, id).
    pub fn orders_of(&self, owner: u64) -> Vec<Order> {
        self.by_owner.range((owner, 0, 0)..=(owner, u64::MAX, u64::MAX)).map(|k| *self.at(k.2)).collect()
    }

    /// Canonical order: bids best first, then asks best first, FIFO within a level.
    pub fn canonical(&self) -> Vec<Order> {
        let mut out = Vec::with_capacity(self.orders.len());
        for lvl in self.bids.values().rev() {
            out.extend(lvl.iter().map(|k| *self.at(k.1)));
        }
        for lvl in self.asks.values() {
            out.extend(lvl.iter().map(|k| *self.at(k.1)));
        }
        out
    }

    /// Resting buy orders in canonical order.
    pub fn bids_canonical(&self) -> Vec<Order> {
        let mut out = Vec::new();
        for lvl in self.bids.values().rev() {
            out.extend(lvl.iter().map(|k| *self.at(k.1)));
        }
        out
    }

    fn side_mut(&mut self, side: u8) -> &mut BTreeMap<u64, BTreeSet<(u64, u64)>> {
        if side == BUY {
            &mut self.bids
        } else {
            &mut self.asks
        }
    }

    /// Inserts a resting order at its place by priority (restoring or resting).
    pub fn insert(&mut self, o: Order) {
        self.side_mut(o.side).entry(o.price).or_default().insert((o.priority, o.id));
        self.by_owner.insert((o.owner, o.priority, o.id));
        *self.owner_count.entry(o.owner).or_insert(0) += 1;
        if o.client_id != 0 {
            self.clients.insert((o.owner, o.client_id), o.id);
        }
        self.orders.insert(o.id, o);
    }

    /// Removes a resting order from every structure and returns it.
    pub fn remove(&mut self, id: u64) -> Option<Order> {
        let o = self.orders.remove(&id)?;
        let side = self.side_mut(o.side);
        let lvl = side.get_mut(&o.price).expect("order's level");
        lvl.remove(&(o.priority, o.id));
        if lvl.is_empty() {
            side.remove(&o.price);
        }
        self.by_owner.remove(&(o.owner, o.priority, o.id));
        let c = self.owner_count.get_mut(&o.owner).expect("owner count");
        *c -= 1;
        if *c == 0 {
            self.owner_count.remove(&o.owner);
        }
        if o.client_id != 0 {
            self.clients.remove(&(o.owner, o.client_id));
        }
        Some(o)
    }

    fn set_size(&mut self, id: u64, size: u64) {
        self.orders.get_mut(&id).expect("resting order").size = size;
    }

    /// The head order of the best level of the side opposite to a taker (`taker_buy`: the asks), if that
    /// level's price crosses `price` (the level is checked first: a partial book may not know its queue).
    fn best_head(&self, taker_buy: bool, price: u64) -> Option<Order> {
        let lvl = if taker_buy { self.asks.iter().next() } else { self.bids.iter().next_back() };
        lvl.filter(|(p, _)| crosses(taker_buy, **p, price)).and_then(|(_, q)| q.iter().next()).map(|k| *self.at(k.1))
    }

    /// Opposite orders at prices crossing `price`, best first, FIFO (a lazy walk).
    fn crossing(&self, taker_buy: bool, price: u64) -> impl Iterator<Item = &Order> + '_ {
        let levels: alloc::boxed::Box<dyn Iterator<Item = (&u64, &BTreeSet<(u64, u64)>)>> =
            if taker_buy { alloc::boxed::Box::new(self.asks.iter()) } else { alloc::boxed::Box::new(self.bids.iter().rev()) };
        levels
            .take_while(move |(p, _)| crosses(taker_buy, **p, price))
            .flat_map(move |(_, q)| q.iter().map(move |k| self.at(k.1)))
    }

    /// A live (not expired) opposite order rests at a price crossing `price`.
    fn crosses_live(&self, taker_buy: bool, price: u64, now: u64) -> bool {
        self.crossing(taker_buy, price).any(|m| !m.expired(now))
    }

    /// Removes every opposite order at a crossing price (all expired: the caller checked crosses_live).
    fn purge_crossing(&mut self, taker_buy: bool, price: u64, events: &mut Vec<Event>) {
        while let Some(m) = self.best_head(taker_buy, price) {
            self.remove(m.id);
            events.push(Event { kind: EventKind::Expired, order: m, size: m.size, remaining: 0 });
        }
    }

    /// Would matching fill `size` completely by trades (the matching loop without mutation)?
    fn fok_fillable(&self, inc: &Incoming, now: u64) -> bool {
        let mut need = inc.size;
        for m in self.crossing(inc.side == BUY, inc.price) {
            if m.expired(now) {
                continue;
            }
            if m.owner == inc.owner {
                if inc.stp == STP_EXPIRE_MAKER {
                    continue;
                }
                return false;
            }
            if m.size >= need {
                return true;
            }
            need -= m.size;
        }
        false
    }

    fn rest(&mut self, inc: &Incoming, size: u64) {
        self.insert(Order {
            id: inc.id,
            owner: inc.owner,
            side: inc.side,
            price: inc.price,
            size,
            expiry: inc.expiry,
            client_id: inc.client_id,
            priority: inc.priority,
        });
    }

    /// Places a validated incoming order (the STF checked id, client id, expiry and every field).
    pub fn place(&mut self, inc: &Incoming, now: u64) -> PlaceResult {
        let mut r = PlaceResult { outcome: Outcome::Filled, filled: 0, decremented: 0, rested: 0, cancelled: 0, events: Vec::new() };
        let taker_buy = inc.side == BUY;
        if inc.tif == TIF_POST_ONLY {
            if self.crosses_live(taker_buy, inc.price, now) {
                r.outcome = Outcome::PostOnlyWouldCross;
                return r;
            }
            self.purge_crossing(taker_buy, inc.price, &mut r.events);
            self.rest(inc, inc.size);
            r.rested = inc.size;
            r.outcome = Outcome::Rested;
            return r;
        }
        if inc.tif == TIF_FOK && !self.fok_fillable(inc, now) {
            r.outcome = Outcome::FokUnfillable;
            return r;
        }
        let mut rem = inc.size;
        let mut taker_killed = false;
        while rem > 0 {
            let Some(mut m) = self.best_head(taker_buy, inc.price) else { break };
            if m.expired(now) {
                self.remove(m.id);
                r.events.push(Event { kind: EventKind::Expired, order: m, size: m.size, remaining: 0 });
            } else if m.owner == inc.owner {
                match inc.stp {
                    STP_DECREMENT => {
                        let q = m.size.min(rem);
                        m.size -= q;
                        rem -= q;
                        r.decremented += q;
                        if m.size == 0 {
                            self.remove(m.id);
                        } else {
                            self.set_size(m.id, m.size);
                        }
                        r.events.push(Event { kind: EventKind::StpDecremented, order: m, size: q, remaining: m.size });
                    }
                    STP_EXPIRE_TAKER => {
                        taker_killed = true;
                        break;
                    }
                    _ => {
                        self.remove(m.id);
                        r.events.push(Event { kind: EventKind::StpCancelled, order: m, size: m.size, remaining: 0 });
                        if inc.stp == STP_EXPIRE_BOTH {
                            taker_killed = true;
                            break;
                        }
                    }
                }
            } else {
                let q = m.size.min(rem);
                m.size -= q;
                rem -= q;
                r.filled += q;
                if m.size == 0 {
                    self.remove(m.id);
                } else {
                    self.set_size(m.id, m.size);
                }
                r.events.push(Event { kind: EventKind::Fill, order: m, size: q, remaining: m.size });
            }
        }
        if rem == 0 {
            r.outcome = if r.filled == 0 && r.decremented > 0 { Outcome::Cancelled { stp: true } } else { Outcome::Filled };
        } else if taker_killed {
            r.cancelled = rem;
            r.outcome = Outcome::Cancelled { stp: true };
        } else if inc.tif == TIF_GTC {
            self.rest(inc, rem);
            r.rested = rem;
            r.outcome = Outcome::Rested;
        } else {
            r.cancelled = rem;
            r.outcome = Outcome::Cancelled { stp: false };
        }
        r
    }

    /// Amends resting order `id` (validated by the STF: it rests, is not expired, sizes and prices in
    /// range). `Err(())` = AMEND_WOULD_CROSS (nothing changed). `Ok((priority_kept, purged))`.
    pub fn amend(&mut self, id: u64, new_price: u64, new_size: u64, new_priority: u64, now: u64) -> Result<(bool, Vec<Event>), ()> {
        let o = *self.orders.get(&id).expect("amend of a resting order");
        let mut events = Vec::new();
        if new_price == o.price && new_size <= o.size {
            self.set_size(id, new_size);
            return Ok((true, events));
        }
        let buy = o.side == BUY;
        if new_price != o.price {
            if self.crosses_live(buy, new_price, now) {
                return Err(());
            }
            self.purge_crossing(buy, new_price, &mut events);
        }
        self.remove(id);
        self.insert(Order { price: new_price, size: new_size, priority: new_priority, ..o });
        Ok((false, events))
    }
}
