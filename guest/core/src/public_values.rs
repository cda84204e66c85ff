//! Proof public values (docs/l1-messages.md "Proof public values"): `abi.encode` of
//!
//! ```text
//! (bytes32 prevStateRoot, bytes32 newStateRoot, uint64 firstBatch, uint64 lastBatch,
//!  bytes32 prevBatchChain, bytes32 newBatchChain, uint64 l1MessagesConsumed, bytes32 l1QueueHash,
//!  bytes32 withdrawalRoot, address prover)
//! ```
//!
//! All ten types are static, so the encoding is ten 32-byte words (320 bytes): bytes32 as is, uintN
//! right-aligned big-endian with zero padding on the left, address right-aligned (12 zero bytes first).
//! The ZisK guest commits `sha256(publicValues)` followed by zeros up to the verifier's publics length
//! (docs/contracts.md, `ZiskVerifierAdapter`).

use crate::sha256::sha256;
use alloc::vec::Vec;

/// Byte length of the encoded public values.
pub const PUBLIC_VALUES_LENGTH: usize = 320;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicValues {
    pub prev_state_root: [u8; 32],
    pub new_state_root: [u8; 32],
    pub first_batch: u64,
    pub last_batch: u64,
    pub prev_batch_chain: [u8; 32],
    pub new_batch_chain: [u8; 32],
    pub l1_messages_consumed: u64,
    pub l1_queue_hash: [u8; 32],
    pub withdrawal_root: [u8; 32],
    pub prover: [u8; 20],
}

/// Why 320 bytes are not a canonical encoding of the tuple.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicValuesError {
    /// Not exactly 320 bytes.
    Length(usize),
    /// Word `n` (0-based) has non-zero padding: a uint64 above 2^64-1 or an address above 2^160-1.
    Padding(usize),
}

fn word_u64(v: u64) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[24..].copy_from_slice(&v.to_be_bytes());
    w
}

impl PublicValues {
    /// `abi.encode` of the tuple.
    pub fn encode(&self) -> [u8; PUBLIC_VALUES_LENGTH] {
        let mut prover = [0u8; 32];
        prover[12..].copy_from_slice(&self.prover);
        let words: [[u8; 32]; 10] = [
            self.prev_state_root,
            self.new_state_root,
            word_u64(self.first_batch),
            word_u64(self.last_batch),
            self.prev_batch_chain,
            self.new_batch_chain,
            word_u64(self.l1_messages_consumed),
            self.l1_queue_hash,
            self.withdrawal_root,
            prover,
        ];
        let mut out = [0u8; PUBLIC_VALUES_LENGTH];
        for (i, w) in words.iter().enumerate() {
            out[32 * i..32 * i + 32].copy_from_slice(w);
        }
        out
    }

    /// Strict decoding, as Solidity's `abi.decode` with these types (it reverts on dirty padding).
    pub fn decode(b: &[u8]) -> Result<PublicValues, PublicValuesError> {
        if b.len() != PUBLIC_VALUES_LENGTH {
            return Err(PublicValuesError::Length(b.len()));
        }
        let word = |i: usize| -> [u8; 32] { b[32 * i..32 * i + 32].try_into().unwrap() };
        let uint = |i: usize| -> Result<u64, PublicValuesError> {
            let w = word(i);
            if w[..24].iter().any(|&x| x != 0) {
                return Err(PublicValuesError::Padding(i));
            }
            Ok(u64::from_be_bytes(w[24..].try_into().unwrap()))
        };
        let p = word(9);
        if p[..12].iter().any(|&x| x != 0) {
            return Err(PublicValuesError::Padding(9));
        }
        Ok(PublicValues {
            prev_state_root: word(0),
            new_state_root: word(1),
            first_batch: uint(2)?,
            last_batch: uint(3)?,
            prev_batch_chain: word(4),
            new_batch_chain: word(5),
            l1_messages_consumed: uint(6)?,
            l1_queue_hash: word(7),
            withdrawal_root: word(8),
            prover: p[12..].try_into().unwrap(),
        })
    }
}

/// The ZisK publics buffer for encoded public values: `sha256(publicValues)` then zeros up to `len`
/// bytes (`len` >= 32; 256 with current ZisK, the adapter's `publicsLength`).
pub fn zisk_publics(public_values: &[u8], len: usize) -> Vec<u8> {
    assert!(len >= 32, "zisk publics hold at least the 32-byte digest");
    let mut out = alloc::vec![0u8; len];
    out[..32].copy_from_slice(&sha256(public_values));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_strict_padding() {
        let pv = PublicValues {
            prev_state_root: [1; 32],
            new_state_root: [2; 32],
            first_batch: 3,
            last_batch: u64::MAX,
            prev_batch_chain: [4; 32],
            new_batch_chain: [5; 32],
            l1_messages_consumed: 6,
            l1_queue_hash: [7; 32],
            withdrawal_root: [8; 32],
            prover: [9; 20],
        };
        let b = pv.encode();
        assert_eq!(PublicValues::decode(&b), Ok(pv));
        assert_eq!(PublicValues::decode(&b[..319]), Err(PublicValuesError::Length(319)));
        let mut dirty = b;
        dirty[2 * 32 + 23] = 1;
        assert_eq!(PublicValues::decode(&dirty), Err(PublicValuesError::Padding(2)));
        let mut dirty = b;
        dirty[9 * 32] = 1;
        assert_eq!(PublicValues::decode(&dirty), Err(PublicValuesError::Padding(9)));
    }
}
