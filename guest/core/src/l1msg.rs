//! L1 messages (docs/l1-messages.md "L1 messages"): byte layouts and the queue hash chain
//! `q(0) = 0x00..00`, `q(n+1) = H(q(n) ‖ H(m_n))`.
//!
//! Decoding is total, like the TS `decodeL1Message`: bytes with an unknown kind byte or a wrong length
//! decode to [`L1Message::Invalid`], which the STF consumes with code MALFORMED and no effect. Integers
//! are decoded exactly as `u64` (the TS decoder holds numbers and is only exact up to 2^53-1; the STF
//! refuses larger values, see docs/stf.md "L1 messages").

use crate::keccak::{keccak256, keccak256_concat};
use alloc::vec::Vec;

pub const KIND_DEPOSIT: u8 = 1;
pub const KIND_FORCED_WITHDRAW: u8 = 2;
pub const KIND_FORCED_CANCEL: u8 = 3;
pub const KIND_SET_MARKET: u8 = 4;

/// Length (kind byte included) of DEPOSIT, FORCED_WITHDRAW and FORCED_CANCEL.
pub const ACCOUNT_MESSAGE_LENGTH: usize = 33;
/// Length (kind byte included) of SET_MARKET: 1 + 3x4 + 3x8 + 4 + 4 + 1.
pub const SET_MARKET_LENGTH: usize = 46;

/// Market parameters carried by SET_MARKET.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarketParams {
    pub base_asset: u32,
    pub quote_asset: u32,
    pub lot_size: u64,
    pub tick_size: u64,
    pub min_size: u64,
    pub maker_fee_ppm: i32,
    pub taker_fee_ppm: u32,
    pub status: u8,
}

/// A decoded L1 message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum L1Message {
    Deposit { account: [u8; 20], asset: u32, amount: u64 },
    ForcedWithdraw { account: [u8; 20], asset: u32, amount: u64 },
    /// `order_id` 0 = every order of the account in that market.
    ForcedCancel { account: [u8; 20], market: u32, order_id: u64 },
    SetMarket { market: u32, params: MarketParams },
    /// Unknown kind byte, wrong length or empty: consumed with MALFORMED, no effect.
    Invalid,
}

fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_be_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}

fn u64_at(b: &[u8], o: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[o..o + 8]);
    u64::from_be_bytes(w)
}

fn addr_at(b: &[u8], o: usize) -> [u8; 20] {
    let mut a = [0u8; 20];
    a.copy_from_slice(&b[o..o + 20]);
    a
}

impl L1Message {
    /// Total decoder: never fails, returns [`L1Message::Invalid`] for bytes that are not a message.
    pub fn decode(m: &[u8]) -> L1Message {
        let Some(&kind) = m.first() else { return L1Message::Invalid };
        match (kind, m.len()) {
            (KIND_DEPOSIT, ACCOUNT_MESSAGE_LENGTH) => {
                L1Message::Deposit { account: addr_at(m, 1), asset: u32_at(m, 21), amount: u64_at(m, 25) }
            }
            (KIND_FORCED_WITHDRAW, ACCOUNT_MESSAGE_LENGTH) => {
                L1Message::ForcedWithdraw { account: addr_at(m, 1), asset: u32_at(m, 21), amount: u64_at(m, 25) }
            }
            (KIND_FORCED_CANCEL, ACCOUNT_MESSAGE_LENGTH) => {
                L1Message::ForcedCancel { account: addr_at(m, 1), market: u32_at(m, 21), order_id: u64_at(m, 25) }
            }
            (KIND_SET_MARKET, SET_MARKET_LENGTH) => L1Message::SetMarket {
                market: u32_at(m, 1),
                params: MarketParams {
                    base_asset: u32_at(m, 5),
                    quote_asset: u32_at(m, 9),
                    lot_size: u64_at(m, 13),
                    tick_size: u64_at(m, 21),
                    min_size: u64_at(m, 29),
                    maker_fee_ppm: u32_at(m, 37) as i32,
                    taker_fee_ppm: u32_at(m, 41),
                    status: m[45],
                },
            },
            _ => L1Message::Invalid,
        }
    }

    /// Kind byte (0 for [`L1Message::Invalid`], as the TS decoder reports it).
    pub fn kind(&self) -> u8 {
        match self {
            L1Message::Deposit { .. } => KIND_DEPOSIT,
            L1Message::ForcedWithdraw { .. } => KIND_FORCED_WITHDRAW,
            L1Message::ForcedCancel { .. } => KIND_FORCED_CANCEL,
            L1Message::SetMarket { .. } => KIND_SET_MARKET,
            L1Message::Invalid => 0,
        }
    }

    /// The message bytes; `None` for [`L1Message::Invalid`] (it has no canonical bytes).
    pub fn encode(&self) -> Option<Vec<u8>> {
        let mut b = Vec::with_capacity(SET_MARKET_LENGTH);
        b.push(self.kind());
        match *self {
            L1Message::Deposit { account, asset, amount } | L1Message::ForcedWithdraw { account, asset, amount } => {
                b.extend_from_slice(&account);
                b.extend_from_slice(&asset.to_be_bytes());
                b.extend_from_slice(&amount.to_be_bytes());
            }
            L1Message::ForcedCancel { account, market, order_id } => {
                b.extend_from_slice(&account);
                b.extend_from_slice(&market.to_be_bytes());
                b.extend_from_slice(&order_id.to_be_bytes());
            }
            L1Message::SetMarket { market, params: p } => {
                b.extend_from_slice(&market.to_be_bytes());
                b.extend_from_slice(&p.base_asset.to_be_bytes());
                b.extend_from_slice(&p.quote_asset.to_be_bytes());
                b.extend_from_slice(&p.lot_size.to_be_bytes());
                b.extend_from_slice(&p.tick_size.to_be_bytes());
                b.extend_from_slice(&p.min_size.to_be_bytes());
                b.extend_from_slice(&p.maker_fee_ppm.to_be_bytes());
                b.extend_from_slice(&p.taker_fee_ppm.to_be_bytes());
                b.push(p.status);
            }
            L1Message::Invalid => return None,
        }
        Some(b)
    }
}

/// `q(0)`: 32 zero bytes.
pub const QUEUE_GENESIS: [u8; 32] = [0u8; 32];

/// One queue chain step: `q(n+1) = H(q(n) ‖ H(m_n))` over the message's raw bytes (valid or not).
pub fn next_queue_hash(q: &[u8; 32], message: &[u8]) -> [u8; 32] {
    keccak256_concat(&[q, &keccak256(message)])
}

/// `q` after appending `messages` to a queue whose hash is `q`.
pub fn queue_hash_after<'a, I: IntoIterator<Item = &'a [u8]>>(mut q: [u8; 32], messages: I) -> [u8; 32] {
    for m in messages {
        q = next_queue_hash(&q, m);
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_totality() {
        let msgs = [
            L1Message::Deposit { account: [0x11; 20], asset: 7, amount: (1 << 53) - 1 },
            L1Message::ForcedWithdraw { account: [0x22; 20], asset: u32::MAX, amount: u64::MAX },
            L1Message::ForcedCancel { account: [0x33; 20], market: 2, order_id: 0 },
            L1Message::SetMarket {
                market: 9,
                params: MarketParams {
                    base_asset: 1,
                    quote_asset: 2,
                    lot_size: 3,
                    tick_size: 4,
                    min_size: 5,
                    maker_fee_ppm: -200,
                    taker_fee_ppm: 500,
                    status: 1,
                },
            },
        ];
        for m in msgs {
            let b = m.encode().unwrap();
            assert_eq!(b.len(), if m.kind() == 4 { 46 } else { 33 });
            assert_eq!(L1Message::decode(&b), m);
            // one byte more or less, or another kind byte: Invalid
            assert_eq!(L1Message::decode(&b[..b.len() - 1]), L1Message::Invalid);
            let mut longer = b.clone();
            longer.push(0);
            assert_eq!(L1Message::decode(&longer), L1Message::Invalid);
            let mut other = b.clone();
            other[0] = 5;
            assert_eq!(L1Message::decode(&other), L1Message::Invalid);
        }
        assert_eq!(L1Message::decode(&[]), L1Message::Invalid);
        assert_eq!(L1Message::Invalid.encode(), None);
    }
}
