//! The CLOB state of docs/stf.md "State" (TS: node/clob/state.ts) and its canonical serialization
//! ("Canonical state serialization"), whose keccak256 is the vectors' `stateDigest`.

use super::book::{Book, Order};
use crate::l1msg::MarketParams;
use crate::tx::Address;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;

pub const SERIAL_VERSION: u8 = 2;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub address: Address,
    pub nonce: u64,
    /// asset -> (available, locked); an entry exists once a positive amount was credited or locked.
    pub balances: BTreeMap<u32, (u64, u64)>,
    /// (agent, expiry), ascending agent, at most 8.
    pub agents: Vec<(Address, u64)>,
}

impl Account {
    pub fn available(&self, asset: u32) -> u64 {
        self.balances.get(&asset).map_or(0, |b| b.0)
    }

    /// `signer` is listed with `expiry > now`.
    pub fn agent_active(&self, signer: &Address, now: u64) -> bool {
        self.agents.iter().any(|(a, e)| a == signer && *e > now)
    }
}

#[derive(Clone, Debug)]
pub struct Market {
    pub params: MarketParams,
    pub book: Book,
}

#[derive(Clone, Debug)]
pub struct State {
    pub chain_id: u64,
    pub verifying_contract: Address,
    pub fee_account: Address,
    pub batch_index: u64,
    pub timestamp: u64,
    pub l1_messages_consumed: u64,
    pub next_order_id: u64,
    pub next_priority: u64,
    pub next_withdrawal_id: u64,
    /// asset -> supply
    pub assets: BTreeMap<u32, u64>,
    /// by dense index (0 = fee account)
    pub accounts: Vec<Account>,
    pub account_index: BTreeMap<Address, u64>,
    pub markets: BTreeMap<u32, Market>,
    /// The expiry index (docs/stf.md "Expiry (eager)"): `(expiry, orderId, market)` of resting orders with
    /// `expiry != 0`. Entries of orders that left their book are dropped lazily by the sweep.
    pub expiries: BTreeSet<(u64, u64, u32)>,
}

/// A serialization that is not a state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateDecodeError;

struct Reader<'a> {
    b: &'a [u8],
    o: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], StateDecodeError> {
        if self.b.len() - self.o < n {
            return Err(StateDecodeError);
        }
        let s = &self.b[self.o..self.o + n];
        self.o += n;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, StateDecodeError> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, StateDecodeError> {
        Ok(u32::from_be_bytes(self.take(4)?.try_into().unwrap()))
    }
    fn u64(&mut self) -> Result<u64, StateDecodeError> {
        Ok(u64::from_be_bytes(self.take(8)?.try_into().unwrap()))
    }
    fn addr(&mut self) -> Result<Address, StateDecodeError> {
        Ok(self.take(20)?.try_into().unwrap())
    }
}

impl State {
    /// `createGenesisState`: no markets, no assets, the fee account at index 0.
    pub fn genesis(chain_id: u64, verifying_contract: Address, fee_account: Address) -> State {
        let mut s = State {
            chain_id,
            verifying_contract,
            fee_account,
            batch_index: 0,
            timestamp: 0,
            l1_messages_consumed: 0,
            next_order_id: 1,
            next_priority: 1,
            next_withdrawal_id: 0,
            assets: BTreeMap::new(),
            accounts: Vec::new(),
            account_index: BTreeMap::new(),
            markets: BTreeMap::new(),
            expiries: BTreeSet::new(),
        };
        s.get_or_create_account(&fee_account);
        s
    }

    pub fn account_of(&self, address: &Address) -> Option<u64> {
        self.account_index.get(address).copied()
    }

    /// The account's index, created with the next dense index if missing.
    pub fn get_or_create_account(&mut self, address: &Address) -> u64 {
        if let Some(i) = self.account_index.get(address) {
            return *i;
        }
        let i = self.accounts.len() as u64;
        self.accounts.push(Account { address: *address, nonce: 0, balances: BTreeMap::new(), agents: Vec::new() });
        self.account_index.insert(*address, i);
        i
    }

    /// `serializeState` (docs/stf.md "Canonical state serialization").
    pub fn serialize(&self) -> Vec<u8> {
        let mut w = Vec::new();
        w.push(SERIAL_VERSION);
        w.extend_from_slice(&self.chain_id.to_be_bytes());
        w.extend_from_slice(&self.verifying_contract);
        w.extend_from_slice(&self.fee_account);
        for x in [self.batch_index, self.timestamp, self.l1_messages_consumed, self.next_order_id, self.next_priority, self.next_withdrawal_id] {
            w.extend_from_slice(&x.to_be_bytes());
        }
        w.extend_from_slice(&(self.assets.len() as u32).to_be_bytes());
        for (id, supply) in &self.assets {
            w.extend_from_slice(&id.to_be_bytes());
            w.extend_from_slice(&supply.to_be_bytes());
        }
        w.extend_from_slice(&(self.accounts.len() as u64).to_be_bytes());
        for a in &self.accounts {
            w.extend_from_slice(&a.address);
            w.extend_from_slice(&a.nonce.to_be_bytes());
            w.extend_from_slice(&(a.balances.len() as u32).to_be_bytes());
            for (asset, (av, lk)) in &a.balances {
                w.extend_from_slice(&asset.to_be_bytes());
                w.extend_from_slice(&av.to_be_bytes());
                w.extend_from_slice(&lk.to_be_bytes());
            }
            w.push(a.agents.len() as u8);
            for (agent, expiry) in &a.agents {
                w.extend_from_slice(agent);
                w.extend_from_slice(&expiry.to_be_bytes());
            }
        }
        w.extend_from_slice(&(self.markets.len() as u32).to_be_bytes());
        for (id, m) in &self.markets {
            let p = &m.params;
            w.extend_from_slice(&id.to_be_bytes());
            w.extend_from_slice(&p.base_asset.to_be_bytes());
            w.extend_from_slice(&p.quote_asset.to_be_bytes());
            w.extend_from_slice(&p.lot_size.to_be_bytes());
            w.extend_from_slice(&p.tick_size.to_be_bytes());
            w.extend_from_slice(&p.min_size.to_be_bytes());
            w.extend_from_slice(&p.maker_fee_ppm.to_be_bytes());
            w.extend_from_slice(&p.taker_fee_ppm.to_be_bytes());
            w.push(p.status);
            w.extend_from_slice(&(m.book.order_count() as u64).to_be_bytes());
            for o in m.book.canonical() {
                for x in [o.id, o.owner] {
                    w.extend_from_slice(&x.to_be_bytes());
                }
                w.push(o.side);
                for x in [o.price, o.size, o.expiry, o.client_id, o.priority] {
                    w.extend_from_slice(&x.to_be_bytes());
                }
            }
        }
        w
    }

    /// Inverse of [`State::serialize`] (`deserializeState`): the full pre-state a full-state run starts
    /// from. Rebuilds the expiry index from the orders.
    pub fn deserialize(b: &[u8]) -> Result<State, StateDecodeError> {
        let mut r = Reader { b, o: 0 };
        if r.u8()? != SERIAL_VERSION {
            return Err(StateDecodeError);
        }
        let chain_id = r.u64()?;
        let verifying_contract = r.addr()?;
        let fee_account = r.addr()?;
        let mut s = State {
            chain_id,
            verifying_contract,
            fee_account,
            batch_index: r.u64()?,
            timestamp: r.u64()?,
            l1_messages_consumed: r.u64()?,
            next_order_id: r.u64()?,
            next_priority: r.u64()?,
            next_withdrawal_id: r.u64()?,
            assets: BTreeMap::new(),
            accounts: Vec::new(),
            account_index: BTreeMap::new(),
            markets: BTreeMap::new(),
            expiries: BTreeSet::new(),
        };
        for _ in 0..r.u32()? {
            let id = r.u32()?;
            let supply = r.u64()?;
            s.assets.insert(id, supply);
        }
        let n = r.u64()?;
        for _ in 0..n {
            let address = r.addr()?;
            let i = s.get_or_create_account(&address);
            if i as usize != s.accounts.len() - 1 {
                return Err(StateDecodeError);
            }
            let a = &mut s.accounts[i as usize];
            a.nonce = r.u64()?;
            for _ in 0..r.u32()? {
                let asset = r.u32()?;
                let av = r.u64()?;
                let lk = r.u64()?;
                a.balances.insert(asset, (av, lk));
            }
            for _ in 0..r.u8()? {
                let agent = r.addr()?;
                let expiry = r.u64()?;
                a.agents.push((agent, expiry));
            }
        }
        for _ in 0..r.u32()? {
            let id = r.u32()?;
            let params = MarketParams {
                base_asset: r.u32()?,
                quote_asset: r.u32()?,
                lot_size: r.u64()?,
                tick_size: r.u64()?,
                min_size: r.u64()?,
                maker_fee_ppm: r.u32()? as i32,
                taker_fee_ppm: r.u32()?,
                status: r.u8()?,
            };
            let mut book = Book::new();
            for _ in 0..r.u64()? {
                let o = Order {
                    id: r.u64()?,
                    owner: r.u64()?,
                    side: r.u8()?,
                    price: r.u64()?,
                    size: r.u64()?,
                    expiry: r.u64()?,
                    client_id: r.u64()?,
                    priority: r.u64()?,
                };
                if o.side > 1 || o.size == 0 || book.get(o.id).is_some() || o.owner >= n || book.find_by_client_id(o.owner, o.client_id).is_some() {
                    return Err(StateDecodeError);
                }
                if o.expiry != 0 {
                    s.expiries.insert((o.expiry, o.id, id));
                }
                book.insert(o);
            }
            s.markets.insert(id, Market { params, book });
        }
        if r.o != b.len() {
            return Err(StateDecodeError);
        }
        Ok(s)
    }
}
