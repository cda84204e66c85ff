//! Signed L2 transactions (node/clob/types.ts `Tx`; docs/stf.md "Transactions", docs/batch-format.md):
//! the kinds, their fields and the signature `(r, s, v)`.

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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body {
    Place { market: u32, side: u8, tif: u8, price: u64, size: u64, expiry: u64, client_id: u64, stp: u8 },
    Cancel { market: u32, order_id: u64 },
    CancelByClientId { market: u32, client_id: u64 },
    CancelAll { market: u32 },
    Amend { market: u32, order_id: u64, price: u64, size: u64 },
    Withdraw { asset: u32, amount: u64, recipient: Address },
}

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
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tx {
    pub account: Address,
    pub nonce: u64,
    pub body: Body,
    pub sig: Signature,
}
