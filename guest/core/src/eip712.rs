//! EIP-712 hashing of transactions, docs/stf.md "Authorization": the domain separator, `hashStruct` of
//! each primary type, the signed digest `keccak256(0x19 ‖ 0x01 ‖ domainSeparator ‖ hashStruct(tx))` and
//! the transaction hash `keccak256(digest ‖ r ‖ s ‖ uint8(v))`.

use crate::keccak::{keccak256, Keccak256};
use crate::secp256k1::{recover_address, Recover};
use crate::tx::{Action, Address, Body, Tx};

pub const DOMAIN_TYPE: &str = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)";
pub const DOMAIN_NAME: &str = "Rollbook";
pub const DOMAIN_VERSION: &str = "1";

/// The primary type string of a tx kind (1..6).
pub fn type_string(kind: u8) -> &'static str {
    match kind {
        1 => "Place(address account,uint64 nonce,uint32 market,uint8 side,uint8 tif,uint64 price,uint64 size,uint64 expiry,uint64 clientId,uint8 stp)",
        2 => "Cancel(address account,uint64 nonce,uint32 market,uint64 orderId)",
        3 => "CancelByClientId(address account,uint64 nonce,uint32 market,uint64 clientId)",
        4 => "CancelAll(address account,uint64 nonce,uint32 market)",
        5 => "Amend(address account,uint64 nonce,uint32 market,uint64 orderId,uint64 price,uint64 size)",
        6 => "Withdraw(address account,uint64 nonce,uint32 asset,uint64 amount,address recipient)",
        // encodeType of Bulk: its own type, then the referenced Action type (EIP-712)
        7 => "Bulk(address account,uint64 nonce,Action[] actions)Action(uint8 op,uint32 market,uint8 side,uint8 tif,uint64 price,uint64 size,uint64 expiry,uint64 clientId,uint8 stp,uint64 orderId)",
        8 => "ApproveAgent(address account,uint64 nonce,address agent,uint64 expiry)",
        _ => "RevokeAgent(address account,uint64 nonce,address agent)",
    }
}

/// The type string of a BULK action.
pub const ACTION_TYPE: &str =
    "Action(uint8 op,uint32 market,uint8 side,uint8 tif,uint64 price,uint64 size,uint64 expiry,uint64 clientId,uint8 stp,uint64 orderId)";

fn word_u64(n: u64) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[24..].copy_from_slice(&n.to_be_bytes());
    w
}

fn word_addr(a: &Address) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[12..].copy_from_slice(a);
    w
}

/// The EIP-712 domain: L1 chain id and the Inbox address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Domain {
    pub chain_id: u64,
    pub verifying_contract: Address,
}

impl Domain {
    /// keccak256(typeHash ‖ keccak("Rollbook") ‖ keccak("1") ‖ uint256(chainId) ‖ uint256(verifyingContract))
    pub fn separator(&self) -> [u8; 32] {
        let mut h = Keccak256::new();
        h.update(&keccak256(DOMAIN_TYPE.as_bytes()))
            .update(&keccak256(DOMAIN_NAME.as_bytes()))
            .update(&keccak256(DOMAIN_VERSION.as_bytes()))
            .update(&word_u64(self.chain_id))
            .update(&word_addr(&self.verifying_contract));
        h.finalize()
    }
}

/// The nine type hashes, index kind - 1 (computed once by the caller and reused).
pub fn type_hashes() -> [[u8; 32]; 9] {
    let mut t = [[0u8; 32]; 9];
    for (i, h) in t.iter_mut().enumerate() {
        *h = keccak256(type_string(i as u8 + 1).as_bytes());
    }
    t
}

/// Hashes transactions for one domain (separator and type hashes precomputed).
#[derive(Clone, Debug)]
pub struct Hasher {
    separator: [u8; 32],
    type_hashes: [[u8; 32]; 9],
    action_type_hash: [u8; 32],
}

impl Hasher {
    pub fn new(domain: &Domain) -> Hasher {
        Hasher { separator: domain.separator(), type_hashes: type_hashes(), action_type_hash: keccak256(ACTION_TYPE.as_bytes()) }
    }

    /// hashStruct(action)
    pub fn action_hash(&self, a: &Action) -> [u8; 32] {
        let mut h = Keccak256::new();
        h.update(&self.action_type_hash);
        for v in [a.op as u64, a.market as u64, a.side as u64, a.tif as u64, a.price, a.size, a.expiry, a.client_id, a.stp as u64, a.order_id] {
            h.update(&word_u64(v));
        }
        h.finalize()
    }

    /// hashStruct(tx)
    pub fn struct_hash(&self, account: &Address, nonce: u64, body: &Body) -> [u8; 32] {
        let mut h = Keccak256::new();
        h.update(&self.type_hashes[body.kind() as usize - 1]).update(&word_addr(account)).update(&word_u64(nonce));
        match body {
            Body::Place { market, side, tif, price, size, expiry, client_id, stp } => {
                for v in [*market as u64, *side as u64, *tif as u64, *price, *size, *expiry, *client_id, *stp as u64] {
                    h.update(&word_u64(v));
                }
            }
            Body::Cancel { market, order_id } => {
                h.update(&word_u64(*market as u64)).update(&word_u64(*order_id));
            }
            Body::CancelByClientId { market, client_id } => {
                h.update(&word_u64(*market as u64)).update(&word_u64(*client_id));
            }
            Body::CancelAll { market } => {
                h.update(&word_u64(*market as u64));
            }
            Body::Amend { market, order_id, price, size } => {
                for v in [*market as u64, *order_id, *price, *size] {
                    h.update(&word_u64(v));
                }
            }
            Body::Withdraw { asset, amount, recipient } => {
                h.update(&word_u64(*asset as u64)).update(&word_u64(*amount)).update(&word_addr(recipient));
            }
            Body::Bulk(actions) => {
                // enc(Action[]) = keccak256 of the concatenated action struct hashes
                let mut arr = Keccak256::new();
                for a in actions {
                    arr.update(&self.action_hash(a));
                }
                h.update(&arr.finalize());
            }
            Body::ApproveAgent { agent, expiry } => {
                h.update(&word_addr(agent)).update(&word_u64(*expiry));
            }
            Body::RevokeAgent { agent } => {
                h.update(&word_addr(agent));
            }
        }
        h.finalize()
    }

    /// The digest the account signs.
    pub fn digest(&self, tx: &Tx) -> [u8; 32] {
        let mut b = [0u8; 66];
        b[0] = 0x19;
        b[1] = 0x01;
        b[2..34].copy_from_slice(&self.separator);
        b[34..].copy_from_slice(&self.struct_hash(&tx.account, tx.nonce, &tx.body));
        keccak256(&b)
    }
}

/// txHash = keccak256(digest ‖ r ‖ s ‖ uint8(v))
pub fn tx_hash(digest: &[u8; 32], tx: &Tx) -> [u8; 32] {
    let mut b = [0u8; 97];
    b[..32].copy_from_slice(digest);
    b[32..64].copy_from_slice(&tx.sig.r);
    b[64..96].copy_from_slice(&tx.sig.s);
    b[96] = tx.sig.v;
    keccak256(&b)
}

/// The recovered signer of a transaction's digest, or `None` (`INVALID_SIGNATURE`).
pub fn signer<R: Recover + ?Sized>(rec: &R, digest: &[u8; 32], tx: &Tx) -> Option<Address> {
    recover_address(rec, digest, &tx.sig.r, &tx.sig.s, tx.sig.v)
}
