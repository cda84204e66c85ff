//! Batch commitments and the batch chain (docs/l1-messages.md "Batch commitment", v2):
//!
//! ```text
//! blobs:    dataHash = H(versionedHash_0 ‖ ... ‖ versionedHash_{k-1})   dataKind = 1
//! calldata: dataHash = H(batchBytes)                                    dataKind = 2
//! c(i) = H(be(i,8) ‖ be(dataKind,1) ‖ dataHash ‖ be(l1MsgStart,8) ‖ be(l1MsgEnd,8) ‖ q(l1MsgEnd)
//!          ‖ be(l1Timestamp,8) ‖ be(l1BlockNumber,8) ‖ proposer (20) ‖ q(l1MsgStart))
//! b(0) = 0x00..00,  b(i) = H(b(i-1) ‖ c(i))
//! ```

use crate::keccak::{keccak256, keccak256_concat, Keccak256};

pub const DATA_KIND_BLOBS: u8 = 1;
pub const DATA_KIND_CALLDATA: u8 = 2;

/// `b(0)`: 32 zero bytes.
pub const BATCH_CHAIN_GENESIS: [u8; 32] = [0u8; 32];

/// Everything the Inbox commits to for one batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchHeader {
    /// Batch number `i`, from 1.
    pub index: u64,
    pub data_kind: u8,
    pub data_hash: [u8; 32],
    pub l1_msg_start: u64,
    pub l1_msg_end: u64,
    /// `q(l1_msg_end)`.
    pub queue_hash: [u8; 32],
    pub l1_timestamp: u64,
    pub l1_block_number: u64,
    /// `msg.sender` of the proposing call: credited the proposer reward (docs/stf.md).
    pub proposer: [u8; 20],
    /// `q(l1_msg_start)`: the queue hash the batch's messages chain from.
    pub queue_hash_start: [u8; 32],
}

/// Length of the preimage of `c(i)`: 8 + 1 + 32 + 8 + 8 + 32 + 8 + 8 + 20 + 32.
pub const COMMITMENT_PREIMAGE_LENGTH: usize = 157;

impl BatchHeader {
    /// The preimage of `c(i)` (abi.encodePacked of the fields, as the Inbox hashes them).
    pub fn commitment_preimage(&self) -> [u8; COMMITMENT_PREIMAGE_LENGTH] {
        let mut b = [0u8; COMMITMENT_PREIMAGE_LENGTH];
        b[0..8].copy_from_slice(&self.index.to_be_bytes());
        b[8] = self.data_kind;
        b[9..41].copy_from_slice(&self.data_hash);
        b[41..49].copy_from_slice(&self.l1_msg_start.to_be_bytes());
        b[49..57].copy_from_slice(&self.l1_msg_end.to_be_bytes());
        b[57..89].copy_from_slice(&self.queue_hash);
        b[89..97].copy_from_slice(&self.l1_timestamp.to_be_bytes());
        b[97..105].copy_from_slice(&self.l1_block_number.to_be_bytes());
        b[105..125].copy_from_slice(&self.proposer);
        b[125..157].copy_from_slice(&self.queue_hash_start);
        b
    }

    /// `c(i)`.
    pub fn commitment(&self) -> [u8; 32] {
        keccak256(&self.commitment_preimage())
    }
}

/// `dataHash` of a blob batch: keccak256 of the concatenated versioned hashes.
pub fn blob_data_hash(versioned_hashes: &[[u8; 32]]) -> [u8; 32] {
    let mut h = Keccak256::new();
    for v in versioned_hashes {
        h.update(v);
    }
    h.finalize()
}

/// `dataHash` of a calldata batch: keccak256 of the batch bytes (empty bytes allowed: a no-op batch).
pub fn calldata_data_hash(batch: &[u8]) -> [u8; 32] {
    keccak256(batch)
}

/// `b(i) = H(b(i-1) ‖ c(i))`.
pub fn next_batch_chain(prev: &[u8; 32], commitment: &[u8; 32]) -> [u8; 32] {
    keccak256_concat(&[prev, commitment])
}
