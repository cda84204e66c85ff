//! Signed L2 transactions (node/clob/types.ts `Tx`; docs/stf.md "Transactions", docs/batch-format.md):
//! the kinds, their fields and the signature `(r, s, v)`. STF v2: BULK (7), APPROVE_AGENT (8),
//! REVOKE_AGENT (9).

use alloc::vec::Vec;

/// A 20-byte address.
pub type Address = [u8; 20];

/// secp256k1 signature, `v` the recovery id (0 or 1 after decoding).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signature {
    pub r: [u8; 32],
    pub s: [u8; 32],
    pub v: u8,
}

/// The kind-specific fields of a transaction (field order of the EIP-712 structs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    Place { market: u32, side: u8, tif: u8, price: u64, size: u64, expiry: u64, client_id: u64, stp: u8 },
    Cancel { market: u32, order_id: u64 },
    CancelByClientId { market: u32, client_id: u64 },
    CancelAll { market: u32 },
    Amend { market: u32, order_id: u64, price: u64, size: u64 },
    Withdraw { asset: u32, amount: u64, recipient: Address },
    /// 1..=64 actions under one signature and one nonce (STF v2).
    Bulk(Vec<Action>),
    ApproveAgent { agent: Address, expiry: u64 },
    RevokeAgent { agent: Address },
}

/// One action of a BULK: `op` is a trading kind (1..5) and only that kind's fields are used (the others
/// are 0); EIP-712 type `Action`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Action {
    pub op: u8,
    pub market: u32,
    pub side: u8,
    pub tif: u8,
    pub price: u64,
    pub size: u64,
    pub expiry: u64,
    pub client_id: u64,
    pub stp: u8,
    pub order_id: u64,
}

/// Most actions in one BULK.
pub const MAX_BULK_ACTIONS: usize = 64;

impl Body {
    /// The kind byte (1 PLACE .. 6 WITHDRAW).
    pub fn kind(&self) -> u8 {
        match self {
            Body::Place { .. } => 1,
            Body::Cancel { .. } => 2,
            Body::CancelByClientId { .. } => 3,
            Body::CancelAll { .. } => 4,
            Body::Amend { .. } => 5,
            Body::Withdraw { .. } => 6,
            Body::Bulk(_) => 7,
            Body::ApproveAgent { .. } => 8,
            Body::RevokeAgent { .. } => 9,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tx {
    pub account: Address,
    pub nonce: u64,
    pub body: Body,
    pub sig: Signature,
}
