//! Batch validity, docs/stf.md "Batch validity": input consistency I1-I4 (a violation means the inputs are
//! wrong: the guest aborts, no proof) and the validity rules V1-V6 (first failing rule wins; an invalid
//! batch is a no-op batch that still applies its L1 messages, with the previous clock). Same rules and
//! order as node/derive/validity.ts `checkBatchValidity`.

use crate::batch::{blob_data_hash, calldata_data_hash, DATA_KIND_BLOBS, DATA_KIND_CALLDATA};
use crate::codec::{decode_batch, Header, Reason};
use crate::l1msg::next_queue_hash;
use crate::tx::Tx;
use alloc::vec::Vec;

/// `MAX_DRIFT`: how far (seconds) a batch's clock may trail its proposing L1 block.
pub const MAX_DRIFT: u64 = 600;

/// The committed inputs of batch `i` (the preimage of `c(i)` minus what is recomputed).
#[derive(Clone, Copy, Debug)]
pub struct Committed {
    pub index: u64,
    pub data_kind: u8,
    pub data_hash: [u8; 32],
    pub l1_msg_start: u64,
    pub queue_hash_start: [u8; 32],
    pub l1_msg_end: u64,
    pub queue_hash: [u8; 32],
    pub l1_timestamp: u64,
}

/// The pre-state globals the rules read.
#[derive(Clone, Copy, Debug)]
pub struct PreGlobals {
    pub batch_index: u64,
    /// The previous clock.
    pub timestamp: u64,
    pub l1_messages_consumed: u64,
}

/// Which input-consistency rule failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputMismatch {
    I1Index,
    I2L1Start,
    I3Messages,
    I4Data,
}

/// The outcome code (docs/stf.md table; 0 = valid).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Valid = 0,
    Undecodable = 1,
    WrongParent = 2,
    WrongL1Range = 3,
    ClockBeforePrevious = 4,
    ClockAfterL1 = 5,
    ClockTooOld = 6,
}

/// What the STF runs: the transactions and the clock (none and the previous clock unless valid).
#[derive(Clone, Debug)]
pub struct Decision {
    pub outcome: Outcome,
    /// The codec's reason when `Undecodable`.
    pub reason: Option<Reason>,
    pub header: Option<Header>,
    pub timestamp: u64,
    pub txs: Vec<Tx>,
}

/// I1-I4, then V1-V6. `data` is the calldata or the bytes unpacked from the blobs; `versioned_hashes` the
/// blobs' versioned hashes (blob batches; their binding to the blobs is docs/proving.md "Blob binding").
pub fn check_batch_validity(
    c: &Committed,
    parent_chain: &[u8; 32],
    data: &[u8],
    versioned_hashes: &[[u8; 32]],
    messages: &[&[u8]],
    pre: &PreGlobals,
) -> Result<Decision, InputMismatch> {
    if pre.batch_index.checked_add(1) != Some(c.index) {
        return Err(InputMismatch::I1Index);
    }
    if c.l1_msg_start != pre.l1_messages_consumed {
        return Err(InputMismatch::I2L1Start);
    }
    if c.l1_msg_end.checked_sub(c.l1_msg_start) != Some(messages.len() as u64) {
        return Err(InputMismatch::I3Messages);
    }
    let mut q = c.queue_hash_start;
    for m in messages {
        q = next_queue_hash(&q, m);
    }
    if q != c.queue_hash {
        return Err(InputMismatch::I3Messages);
    }
    let data_ok = match c.data_kind {
        DATA_KIND_CALLDATA => calldata_data_hash(data) == c.data_hash,
        DATA_KIND_BLOBS => !versioned_hashes.is_empty() && blob_data_hash(versioned_hashes) == c.data_hash,
        _ => false,
    };
    if !data_ok {
        return Err(InputMismatch::I4Data);
    }
    let invalid = |outcome, reason, header| Decision { outcome, reason, header, timestamp: pre.timestamp, txs: Vec::new() };
    let b = match decode_batch(data) {
        Ok(b) => b,
        Err(r) => return Ok(invalid(Outcome::Undecodable, Some(r), None)),
    };
    let h = b.header;
    let rule = if h.parent_batch_hash != *parent_chain {
        Outcome::WrongParent
    } else if h.l1_msg_start != c.l1_msg_start || h.l1_msg_end != c.l1_msg_end {
        Outcome::WrongL1Range
    } else if h.timestamp < pre.timestamp {
        Outcome::ClockBeforePrevious
    } else if h.timestamp > c.l1_timestamp {
        Outcome::ClockAfterL1
    } else if h.timestamp + MAX_DRIFT < c.l1_timestamp {
        Outcome::ClockTooOld
    } else {
        Outcome::Valid
    };
    if rule != Outcome::Valid {
        return Ok(invalid(rule, None, Some(h)));
    }
    Ok(Decision { outcome: Outcome::Valid, reason: None, header: Some(h), timestamp: h.timestamp, txs: b.txs })
}
