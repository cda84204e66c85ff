//! The runner's blob committer (docs/proving.md "Blob binding"): the core's KZG commitment
//! (`blob::CoreKzg`, BLS12-381 in guest/core src/kzg). A build without it (before helper bls's module is
//! merged: `CoreKzg` answers `Unavailable`) can be given a **table of commitments computed by c-kzg**
//! (`--kzg-table`, tests only: the range vectors and the node's tests write it); a blob not in the table is
//! refused. With the core's KZG present the table is ignored, so every test then checks the real one.

use rollbook_guest_core::blob::{BlobBindError, BlobCommitter, CoreKzg};
use rollbook_guest_core::hex;
use rollbook_guest_core::range::RangeInput;
use rollbook_guest_core::sha256::sha256;
use std::collections::HashMap;

/// Commitments by sha256 of the blob (not keccak: the bench counts keccak-f permutations).
#[derive(Clone, Debug, Default)]
pub struct KzgTable(HashMap<[u8; 32], [u8; 48]>);

impl KzgTable {
    pub fn insert(&mut self, blob: &[u8], commitment: [u8; 48]) {
        self.0.insert(sha256(blob), commitment);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Parses the table file: one `<sha256(blob) hex> <commitment hex>` per line (guest/host/range.ts
    /// `writeKzgTable`).
    pub fn parse(text: &str) -> Result<KzgTable, String> {
        let mut t = KzgTable::default();
        for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let mut it = line.split_whitespace();
            let (Some(k), Some(c), None) = (it.next(), it.next(), it.next()) else {
                return Err(format!("kzg table line {}: expected `<sha256(blob)> <commitment>`", n + 1));
            };
            let key = hex::decode32(k).map_err(|_| format!("kzg table line {}: not 32 hex bytes", n + 1))?;
            let c: [u8; 48] = hex::decode(c).ok().and_then(|v| v.try_into().ok()).ok_or_else(|| format!("kzg table line {}: not 48 hex bytes", n + 1))?;
            t.0.insert(key, c);
        }
        Ok(t)
    }

    /// The (commitment, blob) pairs an RBRANGE1 input carries (the range vectors: c-kzg computed them).
    pub fn add_range_input(&mut self, input: &RangeInput) {
        for b in &input.batches {
            for (c, blob) in &b.blobs {
                self.insert(blob, *c);
            }
        }
    }

    pub fn load(path: &str) -> Result<KzgTable, String> {
        KzgTable::parse(&std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?)
    }
}

impl BlobCommitter for KzgTable {
    fn commit(&self, blob: &[u8]) -> Result<[u8; 48], BlobBindError> {
        self.0.get(&sha256(blob)).copied().ok_or(BlobBindError::NotCommittable(0))
    }
}

/// `CoreKzg`, or the table where the core has no KZG.
#[derive(Clone, Debug, Default)]
pub struct RunnerCommitter {
    pub table: Option<KzgTable>,
}

impl BlobCommitter for RunnerCommitter {
    fn commit(&self, blob: &[u8]) -> Result<[u8; 48], BlobBindError> {
        match (CoreKzg.commit(blob), &self.table) {
            (Err(BlobBindError::Unavailable), Some(t)) => t.commit(blob),
            (r, _) => r,
        }
    }
}
