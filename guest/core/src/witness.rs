//! Stateless execution of one batch from its witness (docs/stf.md "Witness for stateless execution"; TS
//! reference node/state/witness.ts `verifyWitness` and node/state/derive.ts `deriveChanges`). It returns the
//! true post-state root or rejects the witness, never anything else:
//!
//! 1. parse (`WITNESS_MALFORMED`), hash, compare with the trusted pre-state root (`WITNESS_ROOT_MISMATCH`);
//! 2. rebuild a partial state from the LEAF nodes (GLOBALS must be present): assets, markets, accounts
//!    (dense indexes with holes), orders in their market's book by priority, each present account's
//!    open-order counts from its ACCOUNT leaf, and per book side gap markers wherever the witness does not
//!    prove the queue or the level chain (`add_gaps`);
//! 3. read the expiry sweep's entries from the witness in key order (`sweep_entries`);
//! 4. run the full-state STF (`stf::apply_with`) with every unproven read guarded (`WitnessProofs`);
//! 5. derive the leaf changes from pre-state leaves and the batch's changes (`derive`), each pre-state read
//!    proven, and apply them (deletes, then puts) to the pruned trie (`ptrie`): its root is the post-state
//!    root.
//!
//! Rejections of steps 2, 3 and 5 are `Err(Insufficient)`. A read the STF needs in step 4 that the witness
//! does not prove panics with a message starting `WITNESS_INSUFFICIENT` (the STF is the full-state code with
//! guards, `stf::Proofs`): in a zkVM the program aborts and no proof exists; the native runner catches the
//! panic and reports that code (docs/stf.md: any failure of the execution on a witness whose root matched
//! is `WITNESS_INSUFFICIENT`).

use crate::l1msg::L1Message;
use crate::ptrie::PartialTrie;
use crate::secp256k1::Recover;
use crate::stf::book::{Book, Order, BUY};
use crate::stf::leaves::{
    account_key, account_leaf, asset_key, asset_leaf, client_key, client_leaf, decode_leaf, expiry_key, expiry_leaf, globals_key,
    globals_leaf, level_key, level_leaf, market_key, market_leaf, order_key, order_leaf, AccountLeaf, GlobalsLeaf, Leaf, LevelLeaf,
    MarketLeaf, OrderLeaf, NONE,
};
use crate::stf::state::{Account, Market, State};
use crate::stf::{apply_with, ApplyError, BatchInput, BatchResult, Proofs, MAX_EXPIRIES_PER_BATCH};
use crate::trie::{digit, key_path, Lookup, Witness, WitnessError, WitnessNode, TAG_EXPIRY};
use crate::tx::Address;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;

/// Why a witness was rejected (docs/stf.md stable codes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WitnessExecError {
    /// `WITNESS_MALFORMED`: the bytes are not a witness.
    Malformed(WitnessError),
    /// `WITNESS_ROOT_MISMATCH`: the witness does not hash to the pre-state root.
    RootMismatch,
    /// `WITNESS_INSUFFICIENT`: the batch needs something the witness does not prove.
    Insufficient(&'static str),
    /// The batch does not follow the witness's pre-state (index or clock): a caller error, as in TS.
    Apply(ApplyError),
}

impl WitnessExecError {
    /// The stable code of docs/stf.md.
    pub fn code(&self) -> &'static str {
        match self {
            WitnessExecError::Malformed(_) => "WITNESS_MALFORMED",
            WitnessExecError::RootMismatch => "WITNESS_ROOT_MISMATCH",
            WitnessExecError::Insufficient(_) => "WITNESS_INSUFFICIENT",
            WitnessExecError::Apply(_) => "BAD_BATCH",
        }
    }
}

type Res<T> = Result<T, WitnessExecError>;

fn insufficient<T>(why: &'static str) -> Res<T> {
    Err(WitnessExecError::Insufficient(why))
}

fn better(side: u8, a: u64, b: u64) -> bool {
    if side == BUY {
        a > b
    } else {
        a < b
    }
}

/// What `lookup` proves about a key, or `Insufficient` when it is hidden.
fn proven<'a>(w: &Witness<'a>, key: &[u8], why: &'static str) -> Res<Option<&'a [u8]>> {
    match w.lookup(key) {
        Lookup::Present(l) => Ok(Some(l)),
        Lookup::Absent => Ok(None),
        Lookup::Unknown => insufficient(why),
    }
}

/// The pre-state's GLOBALS leaf, which a witness must prove present.
pub fn witness_globals(w: &Witness) -> Res<GlobalsLeaf> {
    match proven(w, &globals_key(), "the GLOBALS leaf is hidden")?.and_then(decode_leaf) {
        Some(Leaf::Globals(g)) => Ok(g),
        _ => insufficient("no GLOBALS leaf"),
    }
}

/// The decoded LEAF nodes of a witness (pre-state leaves under the trusted root).
struct PreLeaves {
    globals: GlobalsLeaf,
    assets: Vec<(u32, u64)>,
    markets: BTreeMap<u32, MarketLeaf>,
    accounts: BTreeMap<u64, AccountLeaf>,
    orders: BTreeMap<u64, OrderLeaf>,
    /// prev -> the order whose `prev` it is
    succ: BTreeMap<u64, u64>,
    levels: BTreeMap<(u32, u8, u64), LevelLeaf>,
}

fn pre_leaves(w: &Witness) -> Res<PreLeaves> {
    let globals = witness_globals(w)?;
    let mut p = PreLeaves {
        globals,
        assets: Vec::new(),
        markets: BTreeMap::new(),
        accounts: BTreeMap::new(),
        orders: BTreeMap::new(),
        succ: BTreeMap::new(),
        levels: BTreeMap::new(),
    };
    for l in w.leaves() {
        match decode_leaf(l) {
            Some(Leaf::Asset { id, supply }) => p.assets.push((id, supply)),
            Some(Leaf::Market(m)) => {
                p.markets.insert(m.id, m);
            }
            Some(Leaf::Account(a)) => {
                if a.index >= globals.account_count {
                    return insufficient("an ACCOUNT leaf beyond the account count");
                }
                p.accounts.insert(a.index, a);
            }
            Some(Leaf::Order(o)) => {
                if o.prev != 0 {
                    p.succ.insert(o.prev, o.order.id);
                }
                p.orders.insert(o.order.id, o);
            }
            Some(Leaf::Level(l)) => {
                p.levels.insert((l.market, l.side, l.price), l);
            }
            Some(_) => {}
            None => return insufficient("a leaf that does not decode"),
        }
    }
    Ok(p)
}

// ------------------------------------------------------------------------------------------ partial state

/// The partial pre-state of a witness (docs/stf.md step 3) with its gap markers (step 4, book walks).
fn partial_state(p: &PreLeaves) -> (State, BTreeSet<u64>) {
    let g = &p.globals;
    let mut st = State {
        chain_id: g.chain_id,
        verifying_contract: g.verifying_contract,
        fee_account: g.fee_account,
        batch_index: g.batch_index,
        timestamp: g.timestamp,
        l1_messages_consumed: g.l1_messages_consumed,
        next_order_id: g.next_order_id,
        next_priority: g.next_priority,
        next_withdrawal_id: g.next_withdrawal_id,
        assets: p.assets.iter().copied().collect(),
        accounts: Vec::new(),
        account_index: BTreeMap::new(),
        markets: BTreeMap::new(),
        expiries: BTreeSet::new(),
    };
    // dense indexes with holes: a hole is a placeholder the Proofs refuse to read (`account_at`)
    let mut hidden = BTreeSet::new();
    for i in 0..g.account_count {
        match p.accounts.get(&i) {
            Some(a) => {
                st.account_index.insert(a.account.address, i);
                st.accounts.push(a.account.clone());
            }
            None => {
                hidden.insert(i);
                st.accounts.push(Account { address: [0; 20], nonce: 0, balances: BTreeMap::new(), agents: Vec::new() });
            }
        }
    }
    for (&id, m) in &p.markets {
        st.markets.insert(id, Market { params: m.params, book: Book::new() });
    }
    let mut by_priority: Vec<&OrderLeaf> = p.orders.values().filter(|o| p.markets.contains_key(&o.market)).collect();
    by_priority.sort_by_key(|o| o.order.priority);
    for o in &by_priority {
        st.markets.get_mut(&o.market).unwrap().book.insert(o.order);
    }
    for a in p.accounts.values() {
        for &(m, count) in &a.open_orders {
            if let Some(mk) = st.markets.get_mut(&m) {
                mk.book.set_owner_count(a.index, count);
            }
        }
    }
    for (&id, m) in &p.markets {
        let book = &mut st.markets.get_mut(&id).unwrap().book;
        for side in [0u8, 1u8] {
            add_gaps(book, id, side, if side == BUY { m.best_bid } else { m.best_ask }, &by_priority, &p.levels);
        }
    }
    (st, hidden)
}

/// Gaps for one side of a partial book (TS `addGaps`): the side's known prices (shown levels, shown
/// orders, the market's best price, each shown level's `next`) best first; a level is entered proven only
/// from the market's best price or from the shown level before it whose `next` names it; within a level an
/// order follows the one before it proven only if its `prev` names it, the first only if the level's `head`
/// names it and the last only if its `tail` does. Everything else is a gap.
fn add_gaps(book: &mut Book, m: u32, side: u8, best: u64, orders: &[&OrderLeaf], levels: &BTreeMap<(u32, u8, u64), LevelLeaf>) {
    let mut by_price: BTreeMap<u64, Vec<&OrderLeaf>> = BTreeMap::new();
    for o in orders.iter().filter(|o| o.market == m && o.order.side == side) {
        by_price.entry(o.order.price).or_default().push(o); // already in priority order
    }
    let mut prices: BTreeSet<u64> = by_price.keys().copied().collect();
    for l in levels.range((m, side, 0)..=(m, side, u64::MAX)).map(|(_, l)| l) {
        prices.insert(l.price);
        if l.next != NONE {
            prices.insert(l.next);
        }
    }
    if best != NONE {
        prices.insert(best);
    }
    let sorted: Vec<u64> = if side == BUY { prices.into_iter().rev().collect() } else { prices.into_iter().collect() };
    let lv = |p: u64| levels.get(&(m, side, p));
    for (i, &p) in sorted.iter().enumerate() {
        let l = lv(p);
        let Some(os) = by_price.get(&p) else {
            book.insert_gap(side, p, 0);
            continue;
        };
        let entered = if i == 0 { p == best } else { lv(sorted[i - 1]).is_some_and(|x| x.next == p) };
        if !entered || l.is_none_or(|l| l.head != os[0].order.id) {
            book.insert_gap(side, p, os[0].order.priority - 1);
        }
        for k in 1..os.len() {
            if os[k].prev != os[k - 1].order.id {
                book.insert_gap(side, p, os[k - 1].order.priority);
            }
        }
        let last = os[os.len() - 1];
        if l.is_none_or(|l| l.tail != last.order.id) {
            book.insert_gap(side, p, last.order.priority);
        }
    }
}

/// The sweep's entries (docs/stf.md step 4, the expiry sweep): the EXPIRY leaves in key order from the
/// witness, up to `MAX_EXPIRIES_PER_BATCH` due ones; reaching a HASH before the sweep has decided (taken the
/// maximum, seen an entry with `expiry > now`, or the end) rejects.
fn sweep_entries(w: &Witness, now: u64) -> Res<Vec<(u64, u64, u32)>> {
    let hidden = "a part of the expiry index the sweep reads is hidden";
    let prefix = key_path(&[TAG_EXPIRY]);
    let mut out = Vec::new();
    let mut n = w.root_index();
    for depth in 0..4 {
        match w.node(n) {
            (WitnessNode::Empty, _) => return Ok(out),
            (WitnessNode::Hash(_), _) => return insufficient(hidden),
            (WitnessNode::Leaf { .. }, leaf) => {
                if let Some(Leaf::Expiry { expiry, order_id, market }) = leaf.and_then(decode_leaf) {
                    if expiry <= now {
                        out.push((expiry, order_id, market));
                    }
                }
                return Ok(out);
            }
            (WitnessNode::Node(c), _) => n = c[digit(&prefix, depth)],
        }
    }
    // depth-first, children in order; `true` once decided
    fn visit(w: &Witness, n: usize, now: u64, out: &mut Vec<(u64, u64, u32)>) -> Res<bool> {
        if out.len() >= MAX_EXPIRIES_PER_BATCH {
            return Ok(true);
        }
        match w.node(n) {
            (WitnessNode::Empty, _) => Ok(false),
            (WitnessNode::Hash(_), _) => insufficient("a part of the expiry index the sweep reads is hidden"),
            (WitnessNode::Leaf { .. }, leaf) => match leaf.and_then(decode_leaf) {
                Some(Leaf::Expiry { expiry, order_id, market }) => {
                    if expiry > now {
                        return Ok(true);
                    }
                    out.push((expiry, order_id, market));
                    Ok(false)
                }
                _ => insufficient("a non-expiry leaf in the expiry index"),
            },
            (WitnessNode::Node(c), _) => {
                let c = *c;
                for k in c {
                    if visit(w, k, now, out)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
        }
    }
    visit(w, n, now, &mut out)?;
    Ok(out)
}

// ------------------------------------------------------------------------------------------ guarded reads

/// `stf::Proofs` over the pre-state witness (docs/stf.md step 4).
struct WitnessProofs<'w> {
    w: &'w Witness<'w>,
    /// GLOBALS.nextOrderId: no order with a larger or equal id rests.
    next_order_id: u64,
    /// GLOBALS.accountCount: no account with a larger or equal index has orders or client ids.
    account_count: u64,
    /// Account indexes below the count without an ACCOUNT leaf.
    hidden: BTreeSet<u64>,
    /// Ids of every ORDER leaf of the witness.
    present_orders: BTreeSet<u64>,
}

impl WitnessProofs<'_> {
    fn need(&self, key: &[u8], what: &str) -> Option<&[u8]> {
        match self.w.lookup(key) {
            Lookup::Present(l) => Some(l),
            Lookup::Absent => None,
            Lookup::Unknown => panic!("WITNESS_INSUFFICIENT: {what} is hidden"),
        }
    }
}

impl Proofs for WitnessProofs<'_> {
    fn market_missing(&self, id: u32) {
        self.need(&market_key(id), "a market");
    }
    fn asset_missing(&self, id: u32) {
        self.need(&asset_key(id), "an asset");
    }
    fn account_missing(&self, address: &Address) {
        self.need(&account_key(address), "an account");
    }
    fn order_missing(&self, _market: u32, id: u64) {
        // absent, or present in the pre-state (then the book held it and it left during the batch)
        if id < self.next_order_id {
            self.need(&order_key(id), "an order");
        }
    }
    fn client_missing(&self, market: u32, owner: u64, client_id: u64) {
        if owner >= self.account_count {
            return;
        }
        if let Some(c) = self.need(&client_key(market, owner, client_id), "a client id") {
            // the order holding it must be shown too (else the book never held it)
            match decode_leaf(c) {
                Some(Leaf::Client { order_id, .. }) if self.present_orders.contains(&order_id) => {}
                _ => panic!("WITNESS_INSUFFICIENT: the order holding a client id is hidden"),
            }
        }
    }
    fn account_at(&self, index: u64) {
        if self.hidden.contains(&index) {
            panic!("WITNESS_INSUFFICIENT: account {index} is needed but not in the witness");
        }
    }
    fn owner_orders(&self, present: usize, count: u32) {
        if present != count as usize {
            panic!("WITNESS_INSUFFICIENT: {} orders of an owner are missing", count as usize - present.min(count as usize));
        }
    }
    fn expiry_dangling(&self) {
        panic!("WITNESS_INSUFFICIENT: an expiry entry names no order of the witness");
    }
}

// ------------------------------------------------------------------------------------------ derivation

/// The pre-state as the derivation reads it (TS `witnessPreView`), every answer proven.
struct PreView<'a, 'w> {
    w: &'a Witness<'w>,
    p: &'a PreLeaves,
    /// (market, side) -> LEVEL leaves of the witness
    sides: BTreeMap<(u32, u8), Vec<LevelLeaf>>,
}

impl PreView<'_, '_> {
    fn order(&self, id: u64) -> Res<Option<OrderLeaf>> {
        let o = self.p.orders.get(&id).copied();
        if o.is_none() && id < self.p.globals.next_order_id {
            proven(self.w, &order_key(id), "an order is hidden")?;
        }
        Ok(o)
    }
    fn order_succ(&self, id: u64) -> Res<u64> {
        if let Some(&s) = self.p.succ.get(&id) {
            return Ok(s);
        }
        // no witness leaf follows it: only right if it was its level's tail
        let o = self.p.orders.get(&id);
        let l = o.and_then(|o| self.p.levels.get(&(o.market, o.order.side, o.order.price)));
        match l {
            Some(l) if l.tail == id => Ok(0),
            _ => insufficient("the order after a departed order is missing"),
        }
    }
    fn level(&self, m: u32, side: u8, price: u64) -> Res<Option<LevelLeaf>> {
        let l = self.p.levels.get(&(m, side, price)).copied();
        if l.is_none() {
            proven(self.w, &level_key(m, side, price), "a price level is hidden")?;
        }
        Ok(l)
    }
    fn market(&self, id: u32) -> Res<Option<MarketLeaf>> {
        let mk = self.p.markets.get(&id).copied();
        if mk.is_none() {
            proven(self.w, &market_key(id), "a market is hidden")?;
        }
        Ok(mk)
    }
    /// Price of the closest pre-state level strictly better than `price`, NONE if none.
    fn level_better(&self, m: u32, side: u8, price: u64) -> Res<u64> {
        let mut best: Option<&LevelLeaf> = None;
        for l in self.sides.get(&(m, side)).map_or(&[][..], |v| v.as_slice()) {
            if better(side, l.price, price) && best.is_none_or(|b| better(side, b.price, l.price)) {
                best = Some(l);
            }
        }
        if let Some(b) = best {
            if b.next != NONE && better(side, b.next, price) {
                return insufficient("a price level is missing");
            }
            return Ok(b.price);
        }
        let top = match self.market(m)? {
            None => NONE,
            Some(mk) => {
                if side == BUY {
                    mk.best_bid
                } else {
                    mk.best_ask
                }
            }
        };
        if top != NONE && better(side, top, price) {
            return insufficient("a price level is missing");
        }
        Ok(NONE)
    }
    fn account(&self, index: u64) -> Res<Option<&AccountLeaf>> {
        let a = self.p.accounts.get(&index);
        if a.is_none() && index < self.p.globals.account_count {
            return insufficient("an account is hidden");
        }
        Ok(a)
    }
}

/// Per-level work of the derivation (TS `LevelWork`).
struct LevelWork {
    price: u64,
    pre: Option<LevelLeaf>,
    d_count: i64,
    d_total: i128,
    /// insertion-ordered (TS Set)
    removed: Vec<u64>,
    removed_set: BTreeSet<u64>,
    appended: Vec<Order>,
    inplace: Vec<u64>,
    count: i64,
    total: i128,
    head: u64,
    tail: u64,
}

/// Insertion-ordered map (the TS derivation iterates Maps in insertion order; deletes keep that order).
struct Ordered<K: Ord + Copy, V> {
    keys: Vec<K>,
    map: BTreeMap<K, V>,
}

impl<K: Ord + Copy, V> Ordered<K, V> {
    fn new() -> Self {
        Ordered { keys: Vec::new(), map: BTreeMap::new() }
    }
    fn set(&mut self, k: K, v: V) {
        if self.map.insert(k, v).is_none() {
            self.keys.push(k);
        }
    }
}

/// The leaf changes of the batch (TS `deriveChanges`): deletes in TS order, then puts.
struct Changes {
    puts: Vec<Vec<u8>>,
    dels: Vec<Vec<u8>>,
}

/// What the batch changed, by comparing the partial state before and after it (the TS node marks the same
/// entities dirty while executing; an entity marked but unchanged re-encodes to its pre-state leaf).
fn derive(pre: &State, post: &State, pv: &PreView, hidden: &BTreeSet<u64>) -> Res<Changes> {
    let mut ch = Changes { puts: Vec::new(), dels: Vec::new() };
    // dirty orders, ascending id: (id, market)
    let mut dirty: BTreeMap<u64, u32> = BTreeMap::new();
    let markets: BTreeSet<u32> = pre.markets.keys().chain(post.markets.keys()).copied().collect();
    for &m in &markets {
        let a = pre.markets.get(&m).map(|x| &x.book);
        let b = post.markets.get(&m).map(|x| &x.book);
        for o in a.into_iter().flat_map(|bk| bk.orders()) {
            if b.and_then(|bk| bk.get(o.id)) != Some(o) {
                dirty.insert(o.id, m);
            }
        }
        for o in b.into_iter().flat_map(|bk| bk.orders()) {
            if a.and_then(|bk| bk.get(o.id)) != Some(o) {
                dirty.insert(o.id, m);
            }
        }
    }
    let mut accounts: BTreeSet<u64> = BTreeSet::new();
    for (i, a) in post.accounts.iter().enumerate() {
        if pre.accounts.get(i) != Some(a) {
            accounts.insert(i as u64);
        }
    }

    // 1. dirty orders -> per-level work
    let mut levels: Ordered<(u32, u8, u64), LevelWork> = Ordered::new();
    let mut pre_orders: BTreeMap<u64, OrderLeaf> = BTreeMap::new();
    let mut post_orders: BTreeMap<u64, (u32, Order)> = BTreeMap::new();
    let mut open_delta: BTreeMap<u64, BTreeMap<u32, i64>> = BTreeMap::new();
    fn work<'a>(levels: &'a mut Ordered<(u32, u8, u64), LevelWork>, pv: &PreView, m: u32, s: u8, p: u64) -> Res<&'a mut LevelWork> {
        if !levels.map.contains_key(&(m, s, p)) {
            let pre = pv.level(m, s, p)?;
            levels.set(
                (m, s, p),
                LevelWork {
                    price: p,
                    pre,
                    d_count: 0,
                    d_total: 0,
                    removed: Vec::new(),
                    removed_set: BTreeSet::new(),
                    appended: Vec::new(),
                    inplace: Vec::new(),
                    count: 0,
                    total: 0,
                    head: 0,
                    tail: 0,
                },
            );
        }
        Ok(levels.map.get_mut(&(m, s, p)).unwrap())
    }
    for (&id, &m) in &dirty {
        let pre_o = pv.order(id)?;
        let post_o = post.markets.get(&m).and_then(|x| x.book.get(id)).copied();
        if pre_o.is_none() && post_o.is_none() {
            continue;
        }
        if let Some(p) = pre_o {
            pre_orders.insert(id, p);
        }
        if let Some(o) = post_o {
            post_orders.insert(id, (m, o));
        }
        let moved = match (pre_o, post_o) {
            (Some(a), Some(b)) => a.order.price != b.price || a.order.priority != b.priority || a.order.side != b.side,
            _ => false,
        };
        if let Some(a) = pre_o {
            if post_o.is_none() || moved {
                let w = work(&mut levels, pv, a.market, a.order.side, a.order.price)?;
                if w.removed_set.insert(id) {
                    w.removed.push(id);
                }
                w.d_count -= 1;
                w.d_total -= a.order.size as i128;
            }
        }
        if let Some(b) = post_o {
            if pre_o.is_none() || moved {
                let w = work(&mut levels, pv, m, b.side, b.price)?;
                w.appended.push(b);
                w.d_count += 1;
                w.d_total += b.size as i128;
            }
        }
        if let (Some(a), Some(b), false) = (pre_o, post_o, moved) {
            let w = work(&mut levels, pv, m, b.side, b.price)?;
            w.inplace.push(id);
            w.d_total += b.size as i128 - a.order.size as i128;
        }
        if let Some(a) = pre_o {
            *open_delta.entry(a.order.owner).or_default().entry(a.market).or_insert(0) -= 1;
            accounts.insert(a.order.owner);
        }
        if let Some(b) = post_o {
            *open_delta.entry(b.owner).or_default().entry(m).or_insert(0) += 1;
            accounts.insert(b.owner);
        }
        if let Some(a) = pre_o {
            if a.order.client_id != 0 && !post_o.is_some_and(|b| b.client_id == a.order.client_id) {
                ch.dels.push(client_key(a.market, a.order.owner, a.order.client_id));
            }
        }
        if let Some(b) = post_o {
            if b.client_id != 0 && !pre_o.is_some_and(|a| a.order.client_id == b.client_id) {
                ch.puts.push(client_leaf(m, b.owner, b.client_id, id));
            }
        }
        // an order's expiry never changes: its entry appears and disappears with the order
        if let (Some(a), None) = (pre_o, post_o) {
            if a.order.expiry != 0 {
                ch.dels.push(expiry_key(a.order.expiry, id));
            }
        }
        if let (None, Some(b)) = (pre_o, post_o) {
            if b.expiry != 0 {
                ch.puts.push(expiry_leaf(b.expiry, id, m));
            }
        }
        if post_o.is_none() {
            ch.dels.push(order_key(id));
        }
    }

    // 2. per level: aggregates, head, tail, FIFO prev pointers
    let mut new_prev: Ordered<u64, u64> = Ordered::new();
    let pre_order = |id: u64| -> Res<OrderLeaf> {
        match pre_orders.get(&id) {
            Some(o) => Ok(*o),
            None => pv.order(id)?.ok_or(WitnessExecError::Insufficient("an order is missing from the pre-state")),
        }
    };
    for k in levels.keys.clone() {
        let w = levels.map.get_mut(&k).unwrap();
        let r = &w.removed_set;
        w.appended.sort_by_key(|o| o.priority);
        let staying_pred = |x: u64| -> Res<u64> {
            let mut p = pre_order(x)?.prev;
            while p != 0 && r.contains(&p) {
                p = pre_order(p)?.prev;
            }
            Ok(p)
        };
        let staying_succ = |x: u64| -> Res<u64> {
            let mut s = pv.order_succ(x)?;
            while s != 0 && r.contains(&s) {
                s = pv.order_succ(s)?;
            }
            Ok(s)
        };
        for &x in &w.inplace {
            let p = staying_pred(x)?;
            new_prev.set(x, p);
        }
        for &x in &w.removed {
            let s = staying_succ(x)?;
            if s != 0 && !new_prev.map.contains_key(&s) {
                let p = staying_pred(x)?;
                new_prev.set(s, p);
            }
        }
        let mut last = w.pre.map_or(0, |l| l.tail);
        if last != 0 && r.contains(&last) {
            last = staying_pred(last)?;
        }
        for i in 0..w.appended.len() {
            let p = if i > 0 { w.appended[i - 1].id } else { last };
            new_prev.set(w.appended[i].id, p);
        }
        let mut head = w.pre.map_or(0, |l| l.head);
        if head != 0 && r.contains(&head) {
            head = staying_succ(head)?;
        }
        w.count = w.pre.map_or(0, |l| l.count as i64) + w.d_count;
        w.total = w.pre.map_or(0, |l| l.total as i128) + w.d_total;
        w.head = if head != 0 { head } else { w.appended.first().map_or(0, |o| o.id) };
        w.tail = w.appended.last().map_or(last, |o| o.id);
        if w.count < 0 || w.total < 0 || (w.count == 0) != (w.head == 0) || (w.count == 0) != (w.tail == 0) {
            return insufficient("an inconsistent price level");
        }
    }
    for &id in &new_prev.keys {
        let prev = new_prev.map[&id];
        match post_orders.get(&id) {
            Some((m, o)) => ch.puts.push(order_leaf(*m, o, prev)),
            None => {
                let o = pre_order(id)?;
                ch.puts.push(order_leaf(o.market, &o.order, prev));
            }
        }
    }

    // 3. level lists per (market, side) and best prices
    let mut by_side: Ordered<(u32, u8), Vec<(u32, u8, u64)>> = Ordered::new();
    for k in &levels.keys {
        let s = (k.0, k.1);
        if !by_side.map.contains_key(&s) {
            by_side.set(s, Vec::new());
        }
        by_side.map.get_mut(&s).unwrap().push(*k);
    }
    let mut market_best: BTreeMap<u32, [u64; 2]> = BTreeMap::new();
    for s in &by_side.keys {
        let (m, side) = *s;
        let arr = &by_side.map[s];
        let pre_market = pv.market(m)?;
        let pre_best = pre_market.map_or(NONE, |mk| if side == BUY { mk.best_bid } else { mk.best_ask });
        let mut removed_lv: Vec<u64> = Vec::new();
        let mut created: Vec<u64> = Vec::new();
        for k in arr {
            let w = &levels.map[k];
            let (before, after) = (w.pre.is_some(), w.count > 0);
            if before && !after {
                removed_lv.push(w.price);
            }
            if !before && after {
                created.push(w.price);
            }
        }
        if side == BUY {
            created.sort_by(|a, b| b.cmp(a));
        } else {
            created.sort();
        }
        let removed_set: BTreeSet<u64> = removed_lv.iter().copied().collect();
        let pre_level = |p: u64| -> Res<LevelLeaf> {
            if let Some(l) = levels.map.get(&(m, side, p)).and_then(|w| w.pre) {
                return Ok(l);
            }
            pv.level(m, side, p)?.ok_or(WitnessExecError::Insufficient("a price level is missing from the pre-state"))
        };
        let skip_lv = |mut q: u64| -> Res<u64> {
            while q != NONE && removed_set.contains(&q) {
                q = pre_level(q)?.next;
            }
            Ok(q)
        };
        let closest_created_worse = |p: u64| created.iter().copied().find(|&c| better(side, p, c)).unwrap_or(NONE);
        let closest_created_better = |p: u64| created.iter().copied().filter(|&c| better(side, c, p)).last().unwrap_or(NONE);
        let pre_floor = |p: u64| -> Res<u64> {
            let mut b = pv.level_better(m, side, p)?;
            while b != NONE && removed_set.contains(&b) {
                b = pv.level_better(m, side, b)?;
            }
            Ok(b)
        };
        let post_next = |p: u64, pre: Option<LevelLeaf>| -> Res<u64> {
            let q = match pre {
                Some(l) => l.next,
                None => {
                    let b = pv.level_better(m, side, p)?;
                    if b == NONE {
                        pre_best
                    } else {
                        pre_level(b)?.next
                    }
                }
            };
            let q = skip_lv(q)?;
            let c = closest_created_worse(p);
            Ok(if c != NONE && (q == NONE || better(side, c, q)) { c } else { q })
        };
        let post_pred = |p: u64| -> Res<u64> {
            let b = pre_floor(p)?;
            let c = closest_created_better(p);
            Ok(if c != NONE && (b == NONE || better(side, b, c)) { c } else { b })
        };
        let mut written: BTreeSet<u64> = BTreeSet::new();
        for k in arr {
            let w = &levels.map[k];
            if w.count == 0 {
                ch.dels.push(level_key(m, side, w.price));
                continue;
            }
            written.insert(w.price);
            let next = post_next(w.price, w.pre)?;
            ch.puts.push(level_leaf(m, side, w.price, w.count as u32, w.total as u64, w.head, w.tail, next));
        }
        for &p in removed_lv.iter().chain(created.iter()) {
            let q = post_pred(p)?;
            if q == NONE || written.contains(&q) {
                continue;
            }
            written.insert(q);
            let l = pre_level(q)?;
            let next = post_next(q, Some(l))?;
            ch.puts.push(level_leaf(m, side, l.price, l.count, l.total, l.head, l.tail, next));
        }
        let mut best = skip_lv(pre_best)?;
        if let Some(&c) = created.first() {
            if best == NONE || better(side, c, best) {
                best = c;
            }
        }
        let mb = market_best.entry(m).or_insert_with(|| pre_market.map_or([NONE, NONE], |mk| [mk.best_bid, mk.best_ask]));
        mb[if side == BUY { 0 } else { 1 }] = best;
    }

    // 4. markets: created or changed ones, and those whose best prices were derived
    let mut market_set: BTreeSet<u32> = market_best.keys().copied().collect();
    for (id, mk) in &post.markets {
        if pre.markets.get(id).is_none_or(|x| x.params != mk.params) {
            market_set.insert(*id);
        }
    }
    for m in market_set {
        let Some(mk) = post.markets.get(&m) else { continue };
        let mb = match market_best.get(&m) {
            Some(b) => *b,
            None => pv.market(m)?.map_or([NONE, NONE], |x| [x.best_bid, x.best_ask]),
        };
        ch.puts.push(market_leaf(m, &mk.params, mb[0], mb[1]));
    }

    // 5. accounts
    for idx in accounts {
        if hidden.contains(&idx) {
            return insufficient("an account is missing");
        }
        let Some(acct) = post.accounts.get(idx as usize) else { return insufficient("an account is missing") };
        let mut counts: BTreeMap<u32, i64> = BTreeMap::new();
        if let Some(a) = pv.account(idx)? {
            for &(m, c) in &a.open_orders {
                counts.insert(m, c as i64);
            }
        }
        if let Some(d) = open_delta.get(&idx) {
            for (&m, &x) in d {
                *counts.entry(m).or_insert(0) += x;
            }
        }
        let mut open = Vec::new();
        for (m, c) in counts {
            if c < 0 {
                return insufficient("a negative open order count");
            }
            if c > 0 {
                open.push((m, c as u32));
            }
        }
        ch.puts.push(account_leaf(idx, acct, &open));
    }

    // 6. assets and globals
    for (&id, &supply) in &post.assets {
        if pre.assets.get(&id) != Some(&supply) {
            ch.puts.push(asset_leaf(id, supply));
        }
    }
    ch.puts.push(globals_leaf(post));
    Ok(ch)
}

// ------------------------------------------------------------------------------------------ the executor

/// Executes `batch` from `witness` alone (docs/stf.md "Witness for stateless execution"), the witness checked
/// against the trusted `pre_root`. Returns the post-state root and the batch's result, or the rejection.
/// Panics (`WITNESS_INSUFFICIENT: ...`) when the STF needs a read the witness does not prove (module doc).
pub fn execute_witness<R: Recover + ?Sized>(
    witness: &[u8],
    pre_root: &[u8; 32],
    batch: &BatchInput,
    messages: &[L1Message],
    rec: &R,
) -> Result<([u8; 32], BatchResult), WitnessExecError> {
    let w = Witness::parse(witness).map_err(WitnessExecError::Malformed)?;
    if w.root() != *pre_root {
        return Err(WitnessExecError::RootMismatch);
    }
    let leaves = pre_leaves(&w)?;
    let (mut st, hidden) = partial_state(&leaves);
    let proofs = WitnessProofs {
        w: &w,
        next_order_id: leaves.globals.next_order_id,
        account_count: leaves.globals.account_count,
        hidden: hidden.clone(),
        present_orders: leaves.orders.keys().copied().collect(),
    };
    if batch.timestamp >= st.timestamp {
        st.expiries = sweep_entries(&w, batch.timestamp)?.into_iter().collect();
    }
    let pre = st.clone();
    let result = apply_with(&mut st, batch, messages, rec, Some(&proofs)).map_err(WitnessExecError::Apply)?;
    let mut sides: BTreeMap<(u32, u8), Vec<LevelLeaf>> = BTreeMap::new();
    for l in leaves.levels.values() {
        sides.entry((l.market, l.side)).or_default().push(*l);
    }
    let pv = PreView { w: &w, p: &leaves, sides };
    let ch = derive(&pre, &st, &pv, &hidden)?;
    let mut pt = PartialTrie::from_witness(&w);
    for k in &ch.dels {
        pt.delete(k).map_err(|_| WitnessExecError::Insufficient("a deletion needs a hidden part of the trie"))?;
    }
    for e in &ch.puts {
        pt.put(e).map_err(|_| WitnessExecError::Insufficient("an update needs a hidden part of the trie"))?;
    }
    Ok((pt.root(), result))
}
