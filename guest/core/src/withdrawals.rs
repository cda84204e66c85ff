//! Withdrawal tree (docs/l1-messages.md "Withdrawals", docs/stf.md "Withdrawal tree"): an OpenZeppelin
//! StandardMerkleTree over `[uint64 withdrawalId, address recipient, uint32 asset, uint64 amount]`.
//!
//! ```text
//! leaf   = H(H(abi.encode(withdrawalId, recipient, asset, amount)))
//! leaves sorted ascending by hash; tree array of 2n-1 nodes, sorted leaf i at index 2n-2-i,
//! node i = H(sort(node(2i+1), node(2i+2))); root = node 0; empty range: root 0x00*32
//! ```
//! Proofs are OpenZeppelin `MerkleProof` proofs (sibling hashes bottom-up, commutative pair hash).

use crate::keccak::{keccak256, keccak256_concat};
use alloc::vec::Vec;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WithdrawalRecord {
    pub withdrawal_id: u64,
    pub recipient: [u8; 20],
    pub asset: u32,
    /// L2 units.
    pub amount: u64,
}

impl WithdrawalRecord {
    /// `abi.encode(uint64, address, uint32, uint64)`: four 32-byte words.
    pub fn abi_encode(&self) -> [u8; 128] {
        let mut b = [0u8; 128];
        b[24..32].copy_from_slice(&self.withdrawal_id.to_be_bytes());
        b[44..64].copy_from_slice(&self.recipient);
        b[92..96].copy_from_slice(&self.asset.to_be_bytes());
        b[120..128].copy_from_slice(&self.amount.to_be_bytes());
        b
    }

    /// The StandardMerkleTree leaf hash (double keccak256).
    pub fn leaf_hash(&self) -> [u8; 32] {
        keccak256(&keccak256(&self.abi_encode()))
    }
}

/// OpenZeppelin `Hashes.commutativeKeccak256`: the smaller hash first.
pub fn hash_pair(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    if a <= b {
        keccak256_concat(&[a, b])
    } else {
        keccak256_concat(&[b, a])
    }
}

/// Building a tree failed: two records with one id (the Vault pays each id once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DuplicateWithdrawalId(pub u64);

/// The tree of one finalized range.
#[derive(Debug, Clone)]
pub struct WithdrawalTree {
    /// 2n-1 nodes, node 0 the root.
    nodes: Vec<[u8; 32]>,
    /// (withdrawalId, tree index), sorted by id.
    index: Vec<(u64, usize)>,
}

impl WithdrawalTree {
    pub fn new(records: &[WithdrawalRecord]) -> Result<WithdrawalTree, DuplicateWithdrawalId> {
        let mut leaves: Vec<([u8; 32], u64)> = records.iter().map(|r| (r.leaf_hash(), r.withdrawal_id)).collect();
        leaves.sort();
        let n = leaves.len();
        let size = if n == 0 { 0 } else { 2 * n - 1 };
        let mut nodes = alloc::vec![[0u8; 32]; size];
        let mut index = Vec::with_capacity(n);
        for (i, (h, id)) in leaves.iter().enumerate() {
            nodes[size - 1 - i] = *h;
            index.push((*id, size - 1 - i));
        }
        index.sort();
        if let Some(w) = index.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(DuplicateWithdrawalId(w[0].0));
        }
        for i in (0..size.saturating_sub(n)).rev() {
            nodes[i] = hash_pair(&nodes[2 * i + 1], &nodes[2 * i + 2]);
        }
        Ok(WithdrawalTree { nodes, index })
    }

    /// The root; 32 zero bytes for an empty range.
    pub fn root(&self) -> [u8; 32] {
        self.nodes.first().copied().unwrap_or([0u8; 32])
    }

    /// The MerkleProof siblings (bottom-up) of a withdrawal, as OpenZeppelin's `getProof` returns them.
    pub fn proof(&self, withdrawal_id: u64) -> Option<Vec<[u8; 32]>> {
        let pos = self.index.binary_search_by_key(&withdrawal_id, |e| e.0).ok()?;
        let mut i = self.index[pos].1;
        let mut out = Vec::new();
        while i > 0 {
            out.push(self.nodes[if i % 2 == 0 { i - 1 } else { i + 1 }]);
            i = (i - 1) / 2;
        }
        Some(out)
    }
}

/// OpenZeppelin `MerkleProof.verify` for a withdrawal record.
pub fn verify_withdrawal_proof(root: &[u8; 32], record: &WithdrawalRecord, proof: &[[u8; 32]]) -> bool {
    let mut h = record.leaf_hash();
    for p in proof {
        h = hash_pair(&h, p);
    }
    &h == root
}
