//! The CLOB state transition function, docs/stf.md (STF v2): `apply(state, batch, messages)` executes the
//! expiry sweep, the L1 messages, every transaction kind (BULK and agent keys included) and the proposer
//! reward, producing receipts and withdrawal records. TS twin: node/clob/stf.ts; the shared vectors
//! (test/vectors/stf) check both bit for bit.
//!
//! Integers only (`u64`, fee products in `u128`), ordered collections only, every iteration in an order
//! defined by data. Checked arithmetic where the spec says "overflow"; an overflow after validation is an
//! invariant violation and panics (the proof is then impossible, never wrong).

pub mod book;
pub mod leaves;
pub mod state;

use crate::eip712::Hasher;
use crate::l1msg::{L1Message, MarketParams};
use crate::secp256k1::{check_signature, Recover};
use crate::tx::{Action, Address, Body, Tx, MAX_BULK_ACTIONS};
use alloc::vec::Vec;
use book::{Event, EventKind, Incoming, Outcome, BUY, STP_DECREMENT, TIF_GTC, TIF_MARKET, TIF_POST_ONLY};
use state::{Market, State};

pub const MAX_AMOUNT: u64 = (1 << 53) - 1;
pub const MAX_OPEN_ORDERS_PER_MARKET: u32 = 1000;
pub const MAX_AGENTS_PER_ACCOUNT: usize = 8;
pub const MAX_EXPIRIES_PER_BATCH: usize = 1024;
pub const PROPOSER_FEE_SHARE_PPM: u64 = 200_000;
pub const MAX_FEE_PPM: u32 = 100_000;
const PPM: u128 = 1_000_000;

/// Error codes (node/clob/errors.ts `ErrorCode`, docs/stf.md "Error codes").
pub mod code {
    pub const OK: u8 = 0;
    pub const MALFORMED: u8 = 1;
    pub const INVALID_SIGNATURE: u8 = 2;
    pub const WRONG_SIGNER: u8 = 3;
    pub const NONCE_TOO_LOW: u8 = 4;
    pub const NONCE_TOO_HIGH: u8 = 5;
    pub const UNKNOWN_MARKET: u8 = 10;
    pub const MARKET_HALTED: u8 = 11;
    pub const MARKET_CANCEL_ONLY: u8 = 12;
    pub const INVALID_SIDE: u8 = 13;
    pub const INVALID_TIF: u8 = 14;
    pub const INVALID_STP: u8 = 15;
    pub const INVALID_PRICE: u8 = 16;
    pub const INVALID_SIZE: u8 = 17;
    pub const BELOW_MIN_SIZE: u8 = 18;
    pub const EXPIRY_IN_PAST: u8 = 19;
    pub const DUPLICATE_CLIENT_ID: u8 = 20;
    pub const OVERFLOW: u8 = 21;
    pub const INSUFFICIENT_BALANCE: u8 = 22;
    pub const POST_ONLY_WOULD_CROSS: u8 = 23;
    pub const FOK_NOT_FILLED: u8 = 24;
    pub const ORDER_NOT_FOUND: u8 = 25;
    pub const INVALID_CLIENT_ID: u8 = 26;
    pub const INVALID_AMOUNT: u8 = 27;
    pub const INVALID_RECIPIENT: u8 = 28;
    pub const TOO_MANY_OPEN_ORDERS: u8 = 29;
    pub const ORDER_EXPIRED: u8 = 30;
    pub const AMEND_WOULD_CROSS: u8 = 31;
    pub const INVALID_AGENT: u8 = 32;
    pub const TOO_MANY_AGENTS: u8 = 33;
    pub const AGENT_NOT_FOUND: u8 = 34;
    pub const INVALID_MARKET_PARAMS: u8 = 40;
    pub const SUPPLY_OVERFLOW: u8 = 41;
}

pub const STATUS_ACCEPTED: u8 = 0;
pub const STATUS_FAILED: u8 = 1;
pub const STATUS_REJECTED: u8 = 2;

/// OrderUpdate statuses and reasons (node/clob/receipts.ts).
pub mod update {
    pub const NEW: u8 = 0;
    pub const PARTIALLY_FILLED: u8 = 1;
    pub const FILLED: u8 = 2;
    pub const CANCELLED: u8 = 3;
    pub const EXPIRED: u8 = 4;
    pub const AMENDED: u8 = 5;
    pub const DECREMENTED: u8 = 6;
    pub const REASON_NONE: u8 = 0;
    pub const REASON_USER: u8 = 1;
    pub const REASON_IOC_REMAINDER: u8 = 2;
    pub const REASON_SELF_TRADE: u8 = 3;
    pub const REASON_FORCED: u8 = 4;
    pub const REASON_FEE_RELOCK: u8 = 5;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fill {
    pub market: u32,
    pub price: u64,
    pub size: u64,
    pub taker_order_id: u64,
    pub maker_order_id: u64,
    pub taker: u64,
    pub maker: u64,
    pub taker_side: u8,
    pub notional: u64,
    pub taker_fee: u64,
    /// negative = rebate
    pub maker_fee: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderUpdate {
    pub order_id: u64,
    pub market: u32,
    pub account: u64,
    pub side: u8,
    pub price: u64,
    pub status: u8,
    pub size: u64,
    pub remaining: u64,
    pub client_id: u64,
    pub reason: u8,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionReceipt {
    pub op: u8,
    pub status: u8,
    pub code: u8,
    pub order_id: u64,
    pub fills: Vec<Fill>,
    pub updates: Vec<OrderUpdate>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxReceipt {
    pub kind: u8,
    pub account: Address,
    pub nonce: u64,
    pub status: u8,
    pub code: u8,
    pub order_id: u64,
    pub withdrawal_id: Option<u64>,
    /// The bulk's are the concatenation of its actions'.
    pub fills: Vec<Fill>,
    pub updates: Vec<OrderUpdate>,
    /// The agent that signed, `None` when the account itself did (or the signature did not authorize it).
    pub agent: Option<Address>,
    pub actions: Vec<ActionReceipt>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct L1Receipt {
    pub index: u64,
    pub kind: u8,
    pub code: u8,
    pub updates: Vec<OrderUpdate>,
    pub withdrawal_id: Option<u64>,
    pub amount: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Withdrawal {
    pub withdrawal_id: u64,
    pub recipient: Address,
    pub asset: u32,
    pub amount: u64,
}

#[derive(Clone, Debug, Default)]
pub struct BatchResult {
    /// The expiry sweep's updates (before every L1 and tx receipt).
    pub expired: Vec<OrderUpdate>,
    pub l1: Vec<L1Receipt>,
    pub txs: Vec<TxReceipt>,
    pub withdrawals: Vec<Withdrawal>,
    /// (asset, amount) ascending asset.
    pub rewards: Vec<(u32, u64)>,
}

/// The batch fields the STF reads (docs/stf.md "Batch processing").
#[derive(Clone, Debug)]
pub struct BatchInput<'a> {
    pub index: u64,
    pub timestamp: u64,
    pub proposer: Option<Address>,
    /// `None` entries are transactions that are not well-formed (a JSON vector's malformed value; the batch
    /// codec never produces one): REJECTED with MALFORMED.
    pub txs: &'a [Option<Tx>],
}

/// Stateless execution (crate::witness, docs/stf.md "Witness for stateless execution" 4): the partial
/// state of a witness answers a lookup that finds nothing only if the witness proves the key absent, and an
/// account by index only if its ACCOUNT leaf is shown. Each method returns normally when the read is
/// proven and panics (`WITNESS_INSUFFICIENT: ...`) otherwise: the program aborts, no proof exists (the
/// native runner reports the panic as that code). A full-state `apply` has no proofs.
pub trait Proofs {
    /// No market `id` in the partial state.
    fn market_missing(&self, id: u32);
    /// No asset `id` in the partial state.
    fn asset_missing(&self, id: u32);
    /// No account with this address in the partial state.
    fn account_missing(&self, address: &Address);
    /// Order `id` is not in market `market`'s partial book.
    fn order_missing(&self, market: u32, id: u64);
    /// No resting order of `owner` holds `client_id` in market `market`'s partial book.
    fn client_missing(&self, market: u32, owner: u64, client_id: u64);
    /// The balances of account `index` are read or written.
    fn account_at(&self, index: u64);
    /// CANCEL_ALL / FORCED_CANCEL of all: the book holds `present` of the owner's `count` orders.
    fn owner_orders(&self, present: usize, count: u32);
    /// The expiry sweep met an index entry whose order is not in its market's partial book.
    fn expiry_dangling(&self);
}

/// A precondition of `apply` broken by the caller (docs/stf.md: a caller bug, TS throws).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApplyError {
    BadIndex,
    ClockBackwards,
}

// ------------------------------------------------------------------------------------------- integers

pub fn ppm_floor(n: u64, rate: u64) -> u64 {
    (n as u128 * rate as u128 / PPM) as u64
}

pub fn ppm_ceil(n: u64, rate: u64) -> u64 {
    ((n as u128 * rate as u128).div_ceil(PPM)) as u64
}

fn mul(a: u64, b: u64) -> Option<u64> {
    let p = a as u128 * b as u128;
    (p <= MAX_AMOUNT as u128).then_some(p as u64)
}

fn add(a: u64, b: u64) -> Option<u64> {
    let s = a as u128 + b as u128;
    (s <= MAX_AMOUNT as u128).then_some(s as u64)
}

pub fn reserve_ppm(p: &MarketParams) -> u64 {
    p.taker_fee_ppm.max(0.max(p.maker_fee_ppm) as u32) as u64
}

/// Quote units locked per lot of a buy at `price`; `None` on overflow.
pub fn buy_unit_cost(price: u64, p: &MarketParams) -> Option<u64> {
    let pt = mul(price, p.tick_size)?;
    add(pt, ppm_ceil(pt, reserve_ppm(p)))
}

pub fn order_lock(side: u8, price: u64, size: u64, p: &MarketParams) -> Option<u64> {
    if side == BUY {
        mul(size, buy_unit_cost(price, p)?)
    } else {
        mul(size, p.lot_size)
    }
}

pub fn taker_fee(notional: u64, p: &MarketParams) -> u64 {
    ppm_ceil(notional, p.taker_fee_ppm as u64)
}

pub fn maker_fee(notional: u64, p: &MarketParams) -> i64 {
    if p.maker_fee_ppm >= 0 {
        ppm_ceil(notional, p.maker_fee_ppm as u64) as i64
    } else {
        -(ppm_floor(notional, p.maker_fee_ppm.unsigned_abs() as u64) as i64)
    }
}

pub fn valid_market_params(p: &MarketParams) -> bool {
    let amt = |x: u64| (1..=MAX_AMOUNT).contains(&x);
    p.base_asset != p.quote_asset
        && amt(p.lot_size)
        && amt(p.tick_size)
        && amt(p.min_size)
        && p.taker_fee_ppm <= MAX_FEE_PPM
        && p.maker_fee_ppm as i64 >= -(p.taker_fee_ppm as i64)
        && p.maker_fee_ppm <= MAX_FEE_PPM as i32
        && p.status <= 2
}

/// docs/stf.md "Authentication" 1 for a typed transaction: every u64 field `<= MAX_AMOUNT`, `v` in {0, 1},
/// a bulk of 1..=64 actions with `op` in 1..=5. (u8 / u32 fields and addresses are in range by type.)
pub fn is_well_formed(tx: &Tx) -> bool {
    let ok = |xs: &[u64]| xs.iter().all(|&x| x <= MAX_AMOUNT);
    if tx.sig.v > 1 || tx.nonce > MAX_AMOUNT {
        return false;
    }
    match &tx.body {
        Body::Place { price, size, expiry, client_id, .. } => ok(&[*price, *size, *expiry, *client_id]),
        Body::Cancel { order_id, .. } => ok(&[*order_id]),
        Body::CancelByClientId { client_id, .. } => ok(&[*client_id]),
        Body::CancelAll { .. } => true,
        Body::Amend { order_id, price, size, .. } => ok(&[*order_id, *price, *size]),
        Body::Withdraw { amount, .. } => ok(&[*amount]),
        // each action: the fields its op uses (docs/stf.md "BULK"); the others are ignored, here too
        Body::Bulk(acts) => {
            !acts.is_empty()
                && acts.len() <= MAX_BULK_ACTIONS
                && acts.iter().all(|a| match a.op {
                    1 => ok(&[a.price, a.size, a.expiry, a.client_id]),
                    2 => ok(&[a.order_id]),
                    3 => ok(&[a.client_id]),
                    4 => true,
                    5 => ok(&[a.order_id, a.price, a.size]),
                    _ => false,
                })
        }
        Body::ApproveAgent { expiry, .. } => ok(&[*expiry]),
        Body::RevokeAgent { .. } => true,
    }
}

fn is_trading(body: &Body) -> bool {
    !matches!(body, Body::Withdraw { .. } | Body::ApproveAgent { .. } | Body::RevokeAgent { .. })
}

// ------------------------------------------------------------------------------------------- executor

/// Where the current L1 message's / transaction's / action's fills and updates go.
#[derive(Default)]
struct Out {
    fills: Vec<Fill>,
    updates: Vec<OrderUpdate>,
    order_id: u64,
    withdrawal_id: Option<u64>,
    amount: u64,
}

struct Exec<'s, R: Recover + ?Sized> {
    st: &'s mut State,
    now: u64,
    hasher: Hasher,
    rec: &'s R,
    proofs: Option<&'s dyn Proofs>,
    out: Out,
    withdrawals: Vec<Withdrawal>,
    /// Fees credited to the fee account by this batch's fills, per quote asset.
    fees: alloc::collections::BTreeMap<u32, u128>,
}

/// Applies one batch in place (docs/stf.md "Batch processing").
pub fn apply<R: Recover + ?Sized>(st: &mut State, batch: &BatchInput, messages: &[L1Message], rec: &R) -> Result<BatchResult, ApplyError> {
    apply_with(st, batch, messages, rec, None)
}

/// [`apply`] on a partial state whose unproven reads `proofs` guards (crate::witness).
pub fn apply_with<R: Recover + ?Sized>(
    st: &mut State,
    batch: &BatchInput,
    messages: &[L1Message],
    rec: &R,
    proofs: Option<&dyn Proofs>,
) -> Result<BatchResult, ApplyError> {
    if batch.index != st.batch_index.wrapping_add(1) {
        return Err(ApplyError::BadIndex);
    }
    if batch.timestamp < st.timestamp {
        return Err(ApplyError::ClockBackwards);
    }
    let domain = crate::eip712::Domain { chain_id: st.chain_id, verifying_contract: st.verifying_contract };
    st.batch_index = batch.index;
    st.timestamp = batch.timestamp;
    let mut ex = Exec {
        now: batch.timestamp,
        hasher: Hasher::new(&domain),
        st,
        rec,
        proofs,
        out: Out::default(),
        withdrawals: Vec::new(),
        fees: alloc::collections::BTreeMap::new(),
    };
    let mut res = BatchResult::default();
    ex.sweep_expired();
    res.expired = core::mem::take(&mut ex.out.updates);
    for m in messages {
        res.l1.push(ex.apply_l1(m));
    }
    for tx in batch.txs {
        res.txs.push(ex.apply_tx(tx.as_ref()));
    }
    if let Some(proposer) = batch.proposer {
        res.rewards = ex.reward(&proposer);
    }
    res.withdrawals = ex.withdrawals;
    Ok(res)
}

impl<R: Recover + ?Sized> Exec<'_, R> {
    // ---------------------------------------------------------------------------------- balances

    fn entry(&mut self, a: u64, asset: u32) -> &mut (u64, u64) {
        if let Some(p) = self.proofs {
            p.account_at(a);
        }
        self.st.accounts[a as usize].balances.entry(asset).or_insert((0, 0))
    }
    fn lock(&mut self, a: u64, asset: u32, amount: u64) {
        if amount == 0 {
            return;
        }
        let e = self.entry(a, asset);
        e.0 = e.0.checked_sub(amount).expect("lock exceeds available");
        e.1 += amount;
    }
    fn unlock(&mut self, a: u64, asset: u32, amount: u64) {
        if amount == 0 {
            return;
        }
        let e = self.entry(a, asset);
        e.1 = e.1.checked_sub(amount).expect("unlock exceeds locked");
        e.0 += amount;
    }
    fn spend_locked(&mut self, a: u64, asset: u32, amount: u64) {
        let e = self.entry(a, asset);
        e.1 = e.1.checked_sub(amount).expect("spend exceeds locked");
    }
    fn credit(&mut self, a: u64, asset: u32, amount: u64) {
        if amount == 0 {
            return;
        }
        let e = self.entry(a, asset);
        e.0 = e.0.checked_add(amount).filter(|&x| x <= MAX_AMOUNT).expect("credit overflow");
    }
    fn debit(&mut self, a: u64, asset: u32, amount: u64) {
        if amount == 0 {
            return;
        }
        let e = self.entry(a, asset);
        e.0 = e.0.checked_sub(amount).expect("debit exceeds available");
    }
    fn available(&self, a: u64, asset: u32) -> u64 {
        if let Some(p) = self.proofs {
            p.account_at(a);
        }
        self.st.accounts[a as usize].available(asset)
    }

    // ---------------------------------------------------------------------------------- guarded lookups

    /// The account of `address`; a miss is proven absent on a partial state.
    fn account_of(&self, address: &Address) -> Option<u64> {
        let a = self.st.account_of(address);
        if let (None, Some(p)) = (a, self.proofs) {
            p.account_missing(address);
        }
        a
    }

    fn get_or_create_account(&mut self, address: &Address) -> u64 {
        self.account_of(address);
        self.st.get_or_create_account(address)
    }

    /// Whether market `id` exists; a miss is proven absent on a partial state.
    fn has_market(&self, id: u32) -> bool {
        let hit = self.st.markets.contains_key(&id);
        if let (false, Some(p)) = (hit, self.proofs) {
            p.market_missing(id);
        }
        hit
    }

    /// Resting order `id` of market `market` (which exists); a miss is proven on a partial state.
    fn order(&self, market: u32, id: u64) -> Option<book::Order> {
        let o = self.st.markets[&market].book.get(id).copied();
        if let (None, Some(p)) = (o, self.proofs) {
            p.order_missing(market, id);
        }
        o
    }

    /// The owner's resting order holding `client_id` (non-zero) in `market` (which exists).
    fn by_client_id(&self, market: u32, owner: u64, client_id: u64) -> Option<book::Order> {
        let o = self.st.markets[&market].book.find_by_client_id(owner, client_id).copied();
        if let (None, Some(p)) = (o, self.proofs) {
            p.client_missing(market, owner, client_id);
        }
        o
    }

    fn emit_withdrawal(&mut self, recipient: Address, asset: u32, amount: u64) -> u64 {
        let id = self.st.next_withdrawal_id;
        self.st.next_withdrawal_id += 1;
        self.withdrawals.push(Withdrawal { withdrawal_id: id, recipient, asset, amount });
        id
    }

    fn reduce_supply(&mut self, asset: u32, amount: u64) {
        if let (false, Some(p)) = (self.st.assets.contains_key(&asset), self.proofs) {
            p.asset_missing(asset);
        }
        let s = self.st.assets.get_mut(&asset).expect("supply of a held asset");
        *s = s.checked_sub(amount).expect("supply underflow");
    }

    fn release_order(&mut self, p: &MarketParams, owner: u64, side: u8, price: u64, size: u64) {
        let amt = order_lock(side, price, size, p).expect("lock overflow on release");
        self.unlock(owner, if side == BUY { p.quote_asset } else { p.base_asset }, amt);
    }

    fn push_update(&mut self, o: &book::Order, market: u32, status: u8, size: u64, remaining: u64, reason: u8) {
        self.out.updates.push(OrderUpdate {
            order_id: o.id,
            market,
            account: o.owner,
            side: o.side,
            price: o.price,
            status,
            size,
            remaining,
            client_id: o.client_id,
            reason,
        });
    }

    // ---------------------------------------------------------------------------------- batch steps

    /// docs/stf.md "Expiry (eager)": the first MAX_EXPIRIES_PER_BATCH due entries, each removed as CANCEL
    /// does, reported EXPIRED.
    fn sweep_expired(&mut self) {
        let mut taken = 0;
        while taken < MAX_EXPIRIES_PER_BATCH {
            let Some(&(expiry, id, market)) = self.st.expiries.first() else { break };
            if expiry > self.now {
                break;
            }
            self.st.expiries.pop_first();
            let live = self.st.markets.get(&market).and_then(|m| m.book.get(id)).is_some_and(|o| o.expiry == expiry);
            if !live {
                if let Some(p) = self.proofs {
                    p.expiry_dangling(); // a witness's index holds resting orders only
                }
                continue; // the order left its book earlier (the index drops such entries lazily)
            }
            taken += 1;
            self.cancel_one(market, id, update::REASON_NONE);
        }
    }

    fn reward(&mut self, proposer: &Address) -> Vec<(u32, u64)> {
        let mut out = Vec::new();
        let fees: Vec<(u32, u128)> = self.fees.iter().map(|(a, f)| (*a, *f)).collect();
        for (asset, total) in fees {
            let total = total.min(MAX_AMOUNT as u128) as u64;
            let r = ppm_floor(total, PROPOSER_FEE_SHARE_PPM).min(self.available(0, asset));
            if r == 0 || *proposer == self.st.fee_account {
                continue;
            }
            self.debit(0, asset, r);
            let p = self.get_or_create_account(proposer);
            self.credit(p, asset, r);
            out.push((asset, r));
        }
        out
    }

    // ---------------------------------------------------------------------------------- L1 messages

    fn apply_l1(&mut self, msg: &L1Message) -> L1Receipt {
        let index = self.st.l1_messages_consumed;
        self.st.l1_messages_consumed += 1;
        self.out = Out::default();
        let code = match *msg {
            L1Message::Deposit { account, asset, amount } => self.l1_deposit(account, asset, amount),
            L1Message::ForcedWithdraw { account, asset, amount } => self.l1_forced_withdraw(account, asset, amount),
            L1Message::ForcedCancel { account, market, order_id } => self.l1_forced_cancel(account, market, order_id),
            L1Message::SetMarket { market, params } => self.l1_set_market(market, params),
            L1Message::Invalid => code::MALFORMED,
        };
        let out = core::mem::take(&mut self.out);
        L1Receipt { index, kind: msg.kind(), code, updates: out.updates, withdrawal_id: out.withdrawal_id, amount: out.amount }
    }

    fn l1_deposit(&mut self, account: Address, asset: u32, amount: u64) -> u8 {
        if amount > MAX_AMOUNT {
            return code::MALFORMED;
        }
        if amount == 0 {
            return code::INVALID_AMOUNT;
        }
        let supply = self.st.assets.get(&asset).copied();
        if let (None, Some(p)) = (supply, self.proofs) {
            p.asset_missing(asset);
        }
        let supply = supply.unwrap_or(0);
        if supply + amount > MAX_AMOUNT {
            self.out.withdrawal_id = Some(self.emit_withdrawal(account, asset, amount));
            return code::SUPPLY_OVERFLOW;
        }
        let a = self.get_or_create_account(&account);
        self.st.assets.insert(asset, supply + amount);
        self.credit(a, asset, amount);
        self.out.amount = amount;
        code::OK
    }

    fn l1_forced_withdraw(&mut self, account: Address, asset: u32, amount: u64) -> u8 {
        if amount > MAX_AMOUNT {
            return code::MALFORMED;
        }
        let a = self.account_of(&account);
        let w = amount.min(a.map_or(0, |a| self.available(a, asset)));
        let Some(a) = a.filter(|_| w > 0) else { return code::INSUFFICIENT_BALANCE };
        self.debit(a, asset, w);
        self.reduce_supply(asset, w);
        self.out.withdrawal_id = Some(self.emit_withdrawal(account, asset, w));
        self.out.amount = w;
        code::OK
    }

    fn l1_forced_cancel(&mut self, account: Address, market: u32, order_id: u64) -> u8 {
        if order_id > MAX_AMOUNT {
            return code::MALFORMED;
        }
        if !self.has_market(market) {
            return code::UNKNOWN_MARKET;
        }
        let a = self.account_of(&account);
        if order_id == 0 {
            if let Some(a) = a {
                self.cancel_all_of(market, a, update::REASON_FORCED);
            }
            return code::OK;
        }
        let o = if a.is_some() { self.order(market, order_id) } else { None };
        match (a, o) {
            (Some(a), Some(o)) if o.owner == a => {
                self.cancel_one(market, order_id, update::REASON_FORCED);
                code::OK
            }
            _ => code::ORDER_NOT_FOUND,
        }
    }

    fn l1_set_market(&mut self, market: u32, params: MarketParams) -> u8 {
        if !valid_market_params(&params) {
            return code::INVALID_MARKET_PARAMS;
        }
        if !self.has_market(market) {
            self.st.markets.insert(market, Market { params, book: book::Book::new() });
            return code::OK;
        }
        let m = self.st.markets.get_mut(&market).unwrap();
        let old = m.params;
        if old.base_asset != params.base_asset || old.quote_asset != params.quote_asset || old.lot_size != params.lot_size || old.tick_size != params.tick_size {
            return code::INVALID_MARKET_PARAMS;
        }
        m.params = params;
        if reserve_ppm(&old) != reserve_ppm(&params) {
            self.relock_buys(market, &old);
        }
        code::OK
    }

    /// docs/stf.md SET_MARKET 4: re-lock every resting buy in canonical order (list taken first).
    fn relock_buys(&mut self, market: u32, old: &MarketParams) {
        let m = &self.st.markets[&market];
        let p = m.params;
        let quote = p.quote_asset;
        for o in m.book.bids_canonical() {
            let before = order_lock(BUY, o.price, o.size, old).expect("resting lock overflow");
            let after = order_lock(BUY, o.price, o.size, &p);
            match after {
                Some(after) if after <= before => self.unlock(o.owner, quote, before - after),
                Some(after) if self.available(o.owner, quote) >= after - before => self.lock(o.owner, quote, after - before),
                _ => {
                    self.st.markets.get_mut(&market).unwrap().book.remove(o.id);
                    self.unlock(o.owner, quote, before);
                    self.push_update(&o, market, update::CANCELLED, o.size, 0, update::REASON_FEE_RELOCK);
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------- transactions

    fn apply_tx(&mut self, tx: Option<&Tx>) -> TxReceipt {
        self.out = Out::default();
        let Some(tx) = tx.filter(|t| is_well_formed(t)) else {
            return TxReceipt {
                kind: tx.map_or(0, |t| t.body.kind()),
                account: tx.map_or([0; 20], |t| t.account),
                nonce: tx.map_or(0, |t| t.nonce),
                status: STATUS_REJECTED,
                code: code::MALFORMED,
                order_id: 0,
                withdrawal_id: None,
                fills: Vec::new(),
                updates: Vec::new(),
                agent: None,
                actions: Vec::new(),
            };
        };
        let mut agent = None;
        let a = self.account_of(&tx.account);
        let auth = self.authenticate(tx, a, &mut agent);
        let mut status = STATUS_REJECTED;
        let mut actions = Vec::new();
        let code = if auth == code::OK {
            let a = self.st.get_or_create_account(&tx.account);
            self.st.accounts[a as usize].nonce += 1;
            let c = match &tx.body {
                Body::Bulk(acts) => {
                    actions = self.bulk(acts, a);
                    code::OK
                }
                Body::Withdraw { asset, amount, recipient } => self.withdraw(a, *asset, *amount, *recipient),
                Body::ApproveAgent { agent, expiry } => self.approve_agent(a, *agent, *expiry),
                Body::RevokeAgent { agent } => self.revoke_agent(a, *agent),
                body => self.run_action(&action_of(body), a),
            };
            status = if c == code::OK { STATUS_ACCEPTED } else { STATUS_FAILED };
            c
        } else {
            auth // an agent that passed the signer check stays named when the nonce rejects (as TS)
        };
        let out = core::mem::take(&mut self.out);
        TxReceipt {
            kind: tx.body.kind(),
            account: tx.account,
            nonce: tx.nonce,
            status,
            code,
            order_id: if matches!(tx.body, Body::Bulk(_)) || code != code::OK { 0 } else { out.order_id },
            withdrawal_id: out.withdrawal_id,
            fills: out.fills,
            updates: out.updates,
            agent,
            actions,
        }
    }

    /// Signature, signer, nonce (docs/stf.md "Authentication" 2-3).
    fn authenticate(&mut self, tx: &Tx, a: Option<u64>, agent: &mut Option<Address>) -> u8 {
        if !check_signature(&tx.sig.r, &tx.sig.s, tx.sig.v) {
            return code::INVALID_SIGNATURE;
        }
        let digest = self.hasher.digest(tx);
        let Some(signer) = crate::eip712::signer(self.rec, &digest, tx) else { return code::INVALID_SIGNATURE };
        if signer != tx.account {
            let ok = is_trading(&tx.body) && a.is_some_and(|a| self.st.accounts[a as usize].agent_active(&signer, self.now));
            if !ok {
                return code::WRONG_SIGNER;
            }
            *agent = Some(signer);
        }
        let expected = a.map_or(0, |a| self.st.accounts[a as usize].nonce);
        if tx.nonce < expected {
            code::NONCE_TOO_LOW
        } else if tx.nonce > expected {
            code::NONCE_TOO_HIGH
        } else {
            code::OK
        }
    }

    fn bulk(&mut self, acts: &[Action], a: u64) -> Vec<ActionReceipt> {
        let mut receipts = Vec::with_capacity(acts.len());
        for act in acts {
            let fills0 = self.out.fills.len();
            let upd0 = self.out.updates.len();
            self.out.order_id = 0;
            let c = self.run_action(act, a);
            receipts.push(ActionReceipt {
                op: act.op,
                status: if c == code::OK { STATUS_ACCEPTED } else { STATUS_FAILED },
                code: c,
                order_id: if c == code::OK { self.out.order_id } else { 0 },
                fills: self.out.fills[fills0..].to_vec(),
                updates: self.out.updates[upd0..].to_vec(),
            });
        }
        receipts
    }

    fn run_action(&mut self, act: &Action, a: u64) -> u8 {
        match act.op {
            1 => self.place(act, a),
            2 => self.cancel(act.market, act.order_id, a),
            3 => self.cancel_by_client_id(act.market, act.client_id, a),
            4 => self.cancel_all(act.market, a),
            5 => self.amend(act, a),
            _ => unreachable!("well-formed ops are 1..=5"),
        }
    }

    fn withdraw(&mut self, a: u64, asset: u32, amount: u64, recipient: Address) -> u8 {
        if amount == 0 {
            return code::INVALID_AMOUNT;
        }
        if recipient == [0; 20] {
            return code::INVALID_RECIPIENT;
        }
        if self.available(a, asset) < amount {
            return code::INSUFFICIENT_BALANCE;
        }
        self.debit(a, asset, amount);
        self.reduce_supply(asset, amount);
        self.out.withdrawal_id = Some(self.emit_withdrawal(recipient, asset, amount));
        code::OK
    }

    fn approve_agent(&mut self, a: u64, agent: Address, expiry: u64) -> u8 {
        let now = self.now;
        let acc = &mut self.st.accounts[a as usize];
        if agent == [0; 20] || agent == acc.address {
            return code::INVALID_AGENT;
        }
        if expiry <= now {
            return code::EXPIRY_IN_PAST;
        }
        let mut listed = false;
        let mut kept: Vec<(Address, u64)> = Vec::with_capacity(acc.agents.len() + 1);
        for &(g, e) in &acc.agents {
            if g == agent {
                kept.push((agent, expiry));
                listed = true;
            } else if e > now {
                kept.push((g, e));
            }
        }
        if !listed {
            if kept.len() >= MAX_AGENTS_PER_ACCOUNT {
                return code::TOO_MANY_AGENTS;
            }
            let i = kept.iter().position(|(g, _)| *g > agent).unwrap_or(kept.len());
            kept.insert(i, (agent, expiry));
        }
        acc.agents = kept;
        code::OK
    }

    fn revoke_agent(&mut self, a: u64, agent: Address) -> u8 {
        let acc = &mut self.st.accounts[a as usize];
        if agent == [0; 20] || agent == acc.address {
            return code::INVALID_AGENT;
        }
        let Some(i) = acc.agents.iter().position(|(g, _)| *g == agent) else { return code::AGENT_NOT_FOUND };
        acc.agents.remove(i);
        code::OK
    }

    fn place(&mut self, t: &Action, a: u64) -> u8 {
        if !self.has_market(t.market) {
            return code::UNKNOWN_MARKET;
        }
        let m = &self.st.markets[&t.market];
        let p = m.params;
        match p.status {
            2 => return code::MARKET_HALTED,
            1 => return code::MARKET_CANCEL_ONLY,
            _ => {}
        }
        if t.side > 1 {
            return code::INVALID_SIDE;
        }
        if t.tif > TIF_MARKET {
            return code::INVALID_TIF;
        }
        if t.stp > STP_DECREMENT {
            return code::INVALID_STP;
        }
        if t.price < 1 {
            return code::INVALID_PRICE;
        }
        if t.size < 1 {
            return code::INVALID_SIZE;
        }
        if t.size < p.min_size {
            return code::BELOW_MIN_SIZE;
        }
        if t.expiry != 0 && t.expiry <= self.now {
            return code::EXPIRY_IN_PAST;
        }
        if t.client_id != 0 && self.by_client_id(t.market, a, t.client_id).is_some() {
            return code::DUPLICATE_CLIENT_ID;
        }
        let m = &self.st.markets[&t.market];
        if (t.tif == TIF_GTC || t.tif == TIF_POST_ONLY) && m.book.owner_order_count(a) >= MAX_OPEN_ORDERS_PER_MARKET {
            return code::TOO_MANY_OPEN_ORDERS;
        }
        if mul(t.price, p.tick_size).and_then(|pt| mul(pt, t.size)).is_none() || mul(t.size, p.lot_size).is_none() {
            return code::OVERFLOW;
        }
        let is_buy = t.side == BUY;
        let unit = if is_buy { buy_unit_cost(t.price, &p) } else { Some(0) };
        let lock_amt = match unit {
            Some(u) if is_buy => mul(t.size, u),
            Some(_) => mul(t.size, p.lot_size),
            None => None,
        };
        let (Some(unit), Some(lock_amt)) = (unit, lock_amt) else { return code::OVERFLOW };
        let lock_asset = if is_buy { p.quote_asset } else { p.base_asset };
        if self.available(a, lock_asset) < lock_amt {
            return code::INSUFFICIENT_BALANCE;
        }
        let order_id = self.st.next_order_id;
        let inc = Incoming {
            id: order_id,
            owner: a,
            side: t.side,
            tif: t.tif,
            price: t.price,
            size: t.size,
            stp: t.stp,
            expiry: t.expiry,
            client_id: t.client_id,
            priority: self.st.next_priority,
        };
        let now = self.now;
        let res = self.st.markets.get_mut(&t.market).unwrap().book.place(&inc, now);
        match res.outcome {
            Outcome::PostOnlyWouldCross => return code::POST_ONLY_WOULD_CROSS,
            Outcome::FokUnfillable => return code::FOK_NOT_FILLED,
            _ => {}
        }
        self.st.next_order_id += 1;
        self.st.next_priority += 1;
        self.out.order_id = order_id;
        self.lock(a, lock_asset, lock_amt);
        self.process_events(t.market, &p, &res.events, Some((a, t.side, unit, order_id)));
        let gone = t.size - res.filled - res.rested;
        if gone > 0 {
            self.unlock(a, lock_asset, if is_buy { gone * unit } else { gone * p.lot_size });
        }
        if res.rested > 0 && t.expiry != 0 {
            self.st.expiries.insert((t.expiry, order_id, t.market));
        }
        let (status, size, reason) = match res.outcome {
            Outcome::Filled => (update::FILLED, res.filled, update::REASON_NONE),
            Outcome::Rested if res.filled > 0 => (update::PARTIALLY_FILLED, res.filled, update::REASON_NONE),
            Outcome::Rested => (update::NEW, res.rested, update::REASON_NONE),
            Outcome::Cancelled { stp } => {
                (update::CANCELLED, res.cancelled + res.decremented, if stp { update::REASON_SELF_TRADE } else { update::REASON_IOC_REMAINDER })
            }
            _ => unreachable!(),
        };
        let o = book::Order { id: order_id, owner: a, side: t.side, price: t.price, size: 0, expiry: t.expiry, client_id: t.client_id, priority: 0 };
        self.push_update(&o, t.market, status, size, res.rested, reason);
        code::OK
    }

    /// Engine events -> balance changes and receipt entries. `taker`: (account, side, buy unit cost,
    /// order id) of the order that caused them (None for purges and cancels).
    fn process_events(&mut self, market: u32, p: &MarketParams, events: &[Event], taker: Option<(u64, u8, u64, u64)>) {
        for e in events {
            let o = &e.order;
            match e.kind {
                EventKind::Fill => {
                    let (t, side, unit, tid) = taker.expect("fill without taker");
                    self.settle(market, p, e, t, side, unit, tid);
                    let s = if e.remaining > 0 { update::PARTIALLY_FILLED } else { update::FILLED };
                    self.push_update(o, market, s, e.size, e.remaining, update::REASON_NONE);
                }
                EventKind::Expired => {
                    self.release_order(p, o.owner, o.side, o.price, e.size);
                    self.push_update(o, market, update::EXPIRED, e.size, e.remaining, update::REASON_NONE);
                }
                EventKind::StpCancelled => {
                    self.release_order(p, o.owner, o.side, o.price, e.size);
                    self.push_update(o, market, update::CANCELLED, e.size, e.remaining, update::REASON_SELF_TRADE);
                }
                EventKind::StpDecremented => {
                    self.release_order(p, o.owner, o.side, o.price, e.size);
                    self.push_update(o, market, update::DECREMENTED, e.size, e.remaining, update::REASON_SELF_TRADE);
                }
                EventKind::Cancelled => unreachable!("cancels are reported by cancel_one"),
            }
        }
    }

    /// Settlement of one fill (docs/stf.md "Funds").
    #[allow(clippy::too_many_arguments)]
    fn settle(&mut self, market: u32, p: &MarketParams, e: &Event, taker: u64, taker_side: u8, taker_unit: u64, taker_order_id: u64) {
        let q = e.size;
        let price = e.order.price;
        let maker = e.order.owner;
        let notional = mul(mul(price, q).expect("fill overflow"), p.tick_size).expect("fill overflow");
        let base_amt = mul(q, p.lot_size).expect("fill overflow");
        let t_fee = taker_fee(notional, p);
        let m_fee = maker_fee(notional, p);
        let (buyer, seller, buyer_fee, seller_fee, buyer_unit) = if taker_side == BUY {
            (taker, maker, t_fee as i64, m_fee, taker_unit)
        } else {
            (maker, taker, m_fee, t_fee as i64, buy_unit_cost(price, p).expect("resting unit cost"))
        };
        let buyer_lock = q * buyer_unit;
        let refund = buyer_lock as i128 - notional as i128 - buyer_fee as i128;
        assert!(refund >= 0, "buy reserve short");
        self.spend_locked(buyer, p.quote_asset, buyer_lock);
        self.credit(buyer, p.quote_asset, refund as u64);
        self.credit(buyer, p.base_asset, base_amt);
        self.spend_locked(seller, p.base_asset, base_amt);
        self.credit(seller, p.quote_asset, (notional as i64 - seller_fee) as u64);
        let fee_net = t_fee as i64 + m_fee;
        assert!(fee_net >= 0, "negative fee net");
        if fee_net > 0 {
            self.credit(0, p.quote_asset, fee_net as u64);
            *self.fees.entry(p.quote_asset).or_insert(0) += fee_net as u128;
        }
        self.out.fills.push(Fill {
            market,
            price,
            size: q,
            taker_order_id,
            maker_order_id: e.order.id,
            taker,
            maker,
            taker_side,
            notional,
            taker_fee: t_fee,
            maker_fee: m_fee,
        });
    }

    /// Removes resting order `id` as CANCEL does: releases its lock, reports CANCELLED (`reason`) or
    /// EXPIRED when its expiry has passed.
    fn cancel_one(&mut self, market: u32, id: u64, reason: u8) {
        let m = self.st.markets.get_mut(&market).unwrap();
        let p = m.params;
        let o = m.book.remove(id).expect("cancel of a resting order");
        self.release_order(&p, o.owner, o.side, o.price, o.size);
        let expired = o.expired(self.now);
        let (status, reason) = if expired { (update::EXPIRED, update::REASON_NONE) } else { (update::CANCELLED, reason) };
        self.push_update(&o, market, status, o.size, 0, reason);
    }

    fn cancel_all_of(&mut self, market: u32, a: u64, reason: u8) {
        let book = &self.st.markets[&market].book;
        let mine = book.orders_of(a);
        if let Some(p) = self.proofs {
            p.owner_orders(mine.len(), book.owner_order_count(a));
        }
        for o in mine {
            self.cancel_one(market, o.id, reason);
        }
    }

    /// UNKNOWN_MARKET, then MARKET_HALTED (the cancel kinds' common checks).
    fn cancellable(&self, market: u32) -> Result<&Market, u8> {
        if !self.has_market(market) {
            return Err(code::UNKNOWN_MARKET);
        }
        let m = &self.st.markets[&market];
        if m.params.status == 2 {
            return Err(code::MARKET_HALTED);
        }
        Ok(m)
    }

    fn cancel(&mut self, market: u32, order_id: u64, a: u64) -> u8 {
        if let Err(c) = self.cancellable(market) {
            return c;
        }
        if !self.order(market, order_id).is_some_and(|o| o.owner == a) {
            return code::ORDER_NOT_FOUND;
        }
        self.out.order_id = order_id;
        self.cancel_one(market, order_id, update::REASON_USER);
        code::OK
    }

    fn cancel_by_client_id(&mut self, market: u32, client_id: u64, a: u64) -> u8 {
        if let Err(c) = self.cancellable(market) {
            return c;
        }
        if client_id == 0 {
            return code::INVALID_CLIENT_ID;
        }
        let Some(id) = self.by_client_id(market, a, client_id).map(|o| o.id) else { return code::ORDER_NOT_FOUND };
        self.out.order_id = id;
        self.cancel_one(market, id, update::REASON_USER);
        code::OK
    }

    fn cancel_all(&mut self, market: u32, a: u64) -> u8 {
        if let Err(c) = self.cancellable(market) {
            return c;
        }
        self.cancel_all_of(market, a, update::REASON_USER);
        code::OK
    }

    fn amend(&mut self, t: &Action, a: u64) -> u8 {
        if !self.has_market(t.market) {
            return code::UNKNOWN_MARKET;
        }
        let p = self.st.markets[&t.market].params;
        match p.status {
            2 => return code::MARKET_HALTED,
            1 => return code::MARKET_CANCEL_ONLY,
            _ => {}
        }
        let Some(o) = self.order(t.market, t.order_id).filter(|o| o.owner == a) else { return code::ORDER_NOT_FOUND };
        if t.price < 1 {
            return code::INVALID_PRICE;
        }
        if t.size < 1 {
            return code::INVALID_SIZE;
        }
        let reduction = t.price == o.price && t.size <= o.size;
        if !reduction && t.size < p.min_size {
            return code::BELOW_MIN_SIZE;
        }
        if o.expired(self.now) {
            return code::ORDER_EXPIRED;
        }
        if mul(t.price, p.tick_size).and_then(|pt| mul(pt, t.size)).is_none() || mul(t.size, p.lot_size).is_none() {
            return code::OVERFLOW;
        }
        let old_lock = order_lock(o.side, o.price, o.size, &p).expect("resting lock overflow");
        let Some(new_lock) = order_lock(o.side, t.price, t.size, &p) else { return code::OVERFLOW };
        let asset = if o.side == BUY { p.quote_asset } else { p.base_asset };
        if new_lock > old_lock && self.available(a, asset) < new_lock - old_lock {
            return code::INSUFFICIENT_BALANCE;
        }
        let (now, prio) = (self.now, self.st.next_priority);
        let Ok((kept, purged)) = self.st.markets.get_mut(&t.market).unwrap().book.amend(o.id, t.price, t.size, prio, now) else {
            return code::AMEND_WOULD_CROSS;
        };
        if !kept {
            self.st.next_priority += 1;
        }
        if new_lock > old_lock {
            self.lock(a, asset, new_lock - old_lock);
        } else {
            self.unlock(a, asset, old_lock - new_lock);
        }
        self.out.order_id = o.id;
        self.process_events(t.market, &p, &purged, None);
        let after = book::Order { price: t.price, ..o };
        self.push_update(&after, t.market, update::AMENDED, t.size, t.size, update::REASON_NONE);
        code::OK
    }
}

/// A single trading transaction's fields as a BULK action (same handlers for both).
fn action_of(body: &Body) -> Action {
    match *body {
        Body::Place { market, side, tif, price, size, expiry, client_id, stp } => {
            Action { op: 1, market, side, tif, price, size, expiry, client_id, stp, order_id: 0 }
        }
        Body::Cancel { market, order_id } => Action { op: 2, market, order_id, ..Action::default() },
        Body::CancelByClientId { market, client_id } => Action { op: 3, market, client_id, ..Action::default() },
        Body::CancelAll { market } => Action { op: 4, market, ..Action::default() },
        Body::Amend { market, order_id, price, size } => Action { op: 5, market, order_id, price, size, ..Action::default() },
        _ => unreachable!("not a trading kind"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tx::{Action, Signature};

    fn bulk(a: Action) -> Tx {
        Tx { account: [1; 20], nonce: 0, body: Body::Bulk(alloc::vec![a]), sig: Signature { r: [0; 32], s: [0; 32], v: 0 } }
    }

    /// docs/stf.md "Authentication" 1 and "BULK": an action's fields outside its op's row are ignored, so
    /// only the used ones must be representable (as node/clob/eip712.ts `isWellFormed`).
    #[test]
    fn bulk_actions_are_well_formed_by_the_fields_their_op_uses() {
        let huge = MAX_AMOUNT + 1;
        assert!(is_well_formed(&bulk(Action { op: 2, order_id: 7, price: huge, size: huge, expiry: huge, client_id: huge, ..Default::default() })));
        assert!(!is_well_formed(&bulk(Action { op: 2, order_id: huge, ..Default::default() })));
        assert!(is_well_formed(&bulk(Action { op: 4, order_id: huge, client_id: huge, ..Default::default() })));
        assert!(is_well_formed(&bulk(Action { op: 3, client_id: 5, order_id: huge, ..Default::default() })));
        assert!(!is_well_formed(&bulk(Action { op: 1, price: 1, size: 1, expiry: huge, ..Default::default() })));
        assert!(is_well_formed(&bulk(Action { op: 1, price: 1, size: 1, order_id: huge, ..Default::default() })));
        assert!(!is_well_formed(&bulk(Action { op: 5, order_id: 1, price: 1, size: huge, ..Default::default() })));
        assert!(is_well_formed(&bulk(Action { op: 5, order_id: 1, price: 1, size: 1, expiry: huge, client_id: huge, ..Default::default() })));
        assert!(!is_well_formed(&bulk(Action { op: 6, ..Default::default() })));
        assert!(!is_well_formed(&bulk(Action { op: 0, ..Default::default() })));
    }
}
