//! Proving a range of batches in **witness mode** (docs/proving.md "The program"): the input the node's
//! prover writes (node/prover/guest-input.ts), each batch executed statelessly from its pre-state witness
//! (crate::witness), exactly the steps of the node's attest backend (node/prover/execute.ts `executeRange`):
//! per batch the pre-state globals from the witness (GLOBALS proven by its root), input consistency I1-I4 and
//! validity V1-V6, the batch over the witness with every read proven, the post-state root becoming the
//! next batch's trusted pre-state root; then `c(i)`, `b(i)`, the withdrawal root and the public values.
//! The cost is O(what the range touches), against O(state) for the full-state mode (crate::range).
//!
//! Input: the magic `RBWRANG2` (8 bytes), then frames `be32(len) ‖ bytes`, in this order:
//!
//! ```text
//! base:      prevStateRoot (32) ‖ prevBatchChain (32) ‖ prover (20) ‖ be32(batch count)
//! per batch: c(i) preimage (157 bytes, crate::batch::BatchHeader::commitment_preimage)
//!            data: dataKind 1 (blobs): the blobs, k × 131,072 bytes, in the order of the versioned hashes;
//!                  any other kind: the calldata
//!            versioned hashes (32 × k; empty for calldata)
//!            messages: be32(n) ‖ n × (be32(len) ‖ message)
//!            witness (docs/stf.md "Witness for stateless execution")
//! ```
//! `prevStateRoot` is trusted only as far as Settlement trusts it: it must be the last finalized root.
//! Blob batches are bound inside the program (docs/proving.md "Blob binding", option A): before anything
//! else of a blob batch, each blob's KZG commitment is recomputed (`blob::BlobCommitter`) and its versioned
//! hash must be the committed one (whose hash c(i)'s `dataHash` is, I4); only then are the blobs unpacked
//! (`blob::unpack_blobs`; a packing error makes the batch UNDECODABLE, as in the node). The first version of
//! this format (no magic, the unpacked bytes in place of the blobs) left that binding to the node.

use crate::batch::{next_batch_chain, BatchHeader, COMMITMENT_PREIMAGE_LENGTH, DATA_KIND_BLOBS};
use crate::blob::{bind_blobs, unpack_blobs, BlobCommitter, BYTES_PER_BLOB};
use crate::l1msg::L1Message;
use crate::public_values::{PublicValues, PUBLIC_VALUES_LENGTH};
use crate::range::RangeError;
use crate::secp256k1::Recover;
use crate::stf::{BatchInput, Withdrawal};
use crate::trie::Witness;
use crate::validity::{check_batch_validity, Committed, InputMismatch, Outcome, PreGlobals};
use crate::withdrawals::{WithdrawalRecord, WithdrawalTree};
use crate::witness::{execute_witness, witness_globals, WitnessExecError};
use alloc::vec::Vec;

/// The first 8 bytes of a witness-mode input (format 2: blob batches carry their blobs).
pub const MAGIC: &[u8; 8] = b"RBWRANG2";

/// One batch of a witness-mode range.
#[derive(Clone, Debug)]
pub struct WitnessBatch {
    pub header: BatchHeader,
    /// The calldata (dataKind 2 and unknown kinds); empty for blob batches.
    pub data: Vec<u8>,
    /// dataKind 1: the blobs, 131,072 bytes each.
    pub blobs: Vec<Vec<u8>>,
    pub versioned_hashes: Vec<[u8; 32]>,
    pub messages: Vec<Vec<u8>>,
    pub witness: Vec<u8>,
}

#[derive(Clone, Debug)]
pub struct WitnessRangeInput {
    pub prev_state_root: [u8; 32],
    pub prev_batch_chain: [u8; 32],
    pub prover: [u8; 20],
    pub batches: Vec<WitnessBatch>,
}

struct Frames<'a> {
    b: &'a [u8],
    o: usize,
}

impl<'a> Frames<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], RangeError> {
        if self.b.len() - self.o < n {
            return Err(RangeError::MalformedInput);
        }
        let s = &self.b[self.o..self.o + n];
        self.o += n;
        Ok(s)
    }
    fn u32(&mut self) -> Result<u32, RangeError> {
        Ok(u32::from_be_bytes(self.take(4)?.try_into().unwrap()))
    }
    fn frame(&mut self) -> Result<Frames<'a>, RangeError> {
        let n = self.u32()? as usize;
        Ok(Frames { b: self.take(n)?, o: 0 })
    }
    fn rest(&mut self) -> &'a [u8] {
        let s = &self.b[self.o..];
        self.o = self.b.len();
        s
    }
    fn end(&self) -> Result<(), RangeError> {
        if self.o == self.b.len() {
            Ok(())
        } else {
            Err(RangeError::MalformedInput)
        }
    }
}

fn header_of(p: &[u8]) -> Result<BatchHeader, RangeError> {
    if p.len() != COMMITMENT_PREIMAGE_LENGTH {
        return Err(RangeError::MalformedInput);
    }
    let u64_at = |o: usize| u64::from_be_bytes(p[o..o + 8].try_into().unwrap());
    Ok(BatchHeader {
        index: u64_at(0),
        data_kind: p[8],
        data_hash: p[9..41].try_into().unwrap(),
        l1_msg_start: u64_at(41),
        l1_msg_end: u64_at(49),
        queue_hash: p[57..89].try_into().unwrap(),
        l1_timestamp: u64_at(89),
        l1_block_number: u64_at(97),
        proposer: p[105..125].try_into().unwrap(),
        queue_hash_start: p[125..157].try_into().unwrap(),
    })
}

impl WitnessRangeInput {
    /// Decodes the node's guest input; truncated frames, wrong lengths or trailing bytes are
    /// `MalformedInput`.
    pub fn decode(bytes: &[u8]) -> Result<WitnessRangeInput, RangeError> {
        let mut r = Frames { b: bytes, o: 0 };
        if r.take(MAGIC.len())? != MAGIC {
            return Err(RangeError::MalformedInput);
        }
        let mut base = r.frame()?;
        let prev_state_root = base.take(32)?.try_into().unwrap();
        let prev_batch_chain = base.take(32)?.try_into().unwrap();
        let prover = base.take(20)?.try_into().unwrap();
        let count = base.u32()?;
        base.end()?;
        let mut batches = Vec::new();
        for _ in 0..count {
            let header = header_of(r.frame()?.rest())?;
            let payload = r.frame()?.rest();
            let (data, blobs) = if header.data_kind == DATA_KIND_BLOBS {
                if payload.len() % BYTES_PER_BLOB != 0 {
                    return Err(RangeError::MalformedInput);
                }
                (Vec::new(), payload.chunks(BYTES_PER_BLOB).map(|b| b.to_vec()).collect())
            } else {
                (payload.to_vec(), Vec::new())
            };
            let vh = r.frame()?.rest();
            if vh.len() % 32 != 0 {
                return Err(RangeError::MalformedInput);
            }
            let versioned_hashes = vh.chunks(32).map(|c| c.try_into().unwrap()).collect();
            let mut mf = r.frame()?;
            let mut messages = Vec::new();
            for _ in 0..mf.u32()? {
                messages.push(mf.frame()?.rest().to_vec());
            }
            mf.end()?;
            let witness = r.frame()?.rest().to_vec();
            batches.push(WitnessBatch { header, data, blobs, versioned_hashes, messages, witness });
        }
        r.end()?;
        Ok(WitnessRangeInput { prev_state_root, prev_batch_chain, prover, batches })
    }
}

/// What a witness-mode range produced besides the public values.
#[derive(Clone, Debug)]
pub struct WitnessRangeOutput {
    pub public_values: PublicValues,
    /// Per batch: validity outcome and post-state root.
    pub batches: Vec<(Outcome, [u8; 32])>,
    pub withdrawals: Vec<Withdrawal>,
    pub txs: u64,
}

/// Executes the range statelessly. A witness that does not prove what its batch needs is
/// `RangeError::Witness` (or, for an unproven read inside the STF, a `WITNESS_INSUFFICIENT` panic:
/// crate::witness).
pub fn prove_witness_range<R: Recover + ?Sized, C: BlobCommitter + ?Sized>(input: &WitnessRangeInput, rec: &R, kzg: &C) -> Result<WitnessRangeOutput, RangeError> {
    if input.batches.is_empty() {
        return Err(RangeError::EmptyRange);
    }
    let mut root = input.prev_state_root;
    let mut chain = input.prev_batch_chain;
    let mut withdrawals = Vec::new();
    let mut outcomes = Vec::new();
    let mut consumed = 0;
    let mut txs = 0;
    let mut prev: Option<&BatchHeader> = None;
    for b in &input.batches {
        let h = &b.header;
        // a blob batch's blobs first: they must be the ones its versioned hashes commit
        let unpacked;
        let data: &[u8] = if h.data_kind == DATA_KIND_BLOBS {
            let refs: Vec<&[u8]> = b.blobs.iter().map(|x| x.as_slice()).collect();
            bind_blobs(kzg, &refs, &b.versioned_hashes).map_err(|e| RangeError::BlobBinding(h.index, e))?;
            unpacked = unpack_blobs(&refs).unwrap_or_default();
            &unpacked
        } else {
            &b.data
        };
        // the range is contiguous and its messages continue (node/derive/commitment.ts publicValuesFor)
        if let Some(p) = prev {
            if p.index.checked_add(1) != Some(h.index) {
                return Err(RangeError::Input(h.index, InputMismatch::I1Index));
            }
            if h.l1_msg_start != p.l1_msg_end || h.queue_hash_start != p.queue_hash {
                return Err(RangeError::Input(h.index, InputMismatch::I3Messages));
            }
        }
        prev = Some(h);
        let w = Witness::parse(&b.witness).map_err(|e| RangeError::Witness(h.index, WitnessExecError::Malformed(e)))?;
        let g = witness_globals(&w).map_err(|e| RangeError::Witness(h.index, e))?;
        let pre = PreGlobals { batch_index: g.batch_index, timestamp: g.timestamp, l1_messages_consumed: g.l1_messages_consumed };
        let c = Committed {
            index: h.index,
            data_kind: h.data_kind,
            data_hash: h.data_hash,
            l1_msg_start: h.l1_msg_start,
            queue_hash_start: h.queue_hash_start,
            l1_msg_end: h.l1_msg_end,
            queue_hash: h.queue_hash,
            l1_timestamp: h.l1_timestamp,
        };
        let msg_refs: Vec<&[u8]> = b.messages.iter().map(|m| m.as_slice()).collect();
        let d = check_batch_validity(&c, &chain, data, &b.versioned_hashes, &msg_refs, &pre).map_err(|e| RangeError::Input(h.index, e))?;
        let batch_txs: Vec<Option<crate::tx::Tx>> = d.txs.into_iter().map(Some).collect();
        let messages: Vec<L1Message> = b.messages.iter().map(|m| L1Message::decode(m)).collect();
        let batch = BatchInput { index: h.index, timestamp: d.timestamp, proposer: Some(h.proposer), txs: &batch_txs };
        let (post, res) = execute_witness(&b.witness, &root, &batch, &messages, rec).map_err(|e| RangeError::Witness(h.index, e))?;
        root = post;
        withdrawals.extend(res.withdrawals);
        consumed = g.l1_messages_consumed + b.messages.len() as u64;
        txs += batch_txs.len() as u64;
        chain = next_batch_chain(&chain, &h.commitment());
        outcomes.push((d.outcome, post));
    }
    let last = input.batches.last().unwrap().header;
    if consumed != last.l1_msg_end {
        return Err(RangeError::Input(last.index, InputMismatch::I3Messages));
    }
    let records: Vec<WithdrawalRecord> = withdrawals
        .iter()
        .map(|w| WithdrawalRecord { withdrawal_id: w.withdrawal_id, recipient: w.recipient, asset: w.asset, amount: w.amount })
        .collect();
    let withdrawal_root = WithdrawalTree::new(&records).map_err(|_| RangeError::Withdrawals)?.root();
    let public_values = PublicValues {
        prev_state_root: input.prev_state_root,
        new_state_root: root,
        first_batch: input.batches[0].header.index,
        last_batch: last.index,
        prev_batch_chain: input.prev_batch_chain,
        new_batch_chain: chain,
        l1_messages_consumed: last.l1_msg_end,
        l1_queue_hash: last.queue_hash,
        withdrawal_root,
        prover: input.prover,
    };
    Ok(WitnessRangeOutput { public_values, batches: outcomes, withdrawals, txs })
}

/// The zkVM programs' body in witness mode: decode the node's guest input, prove the range, return the 320
/// bytes to commit. Any error (or panic) means no proof.
pub fn run_witness_program<R: Recover + ?Sized, C: BlobCommitter + ?Sized>(input: &[u8], rec: &R, kzg: &C) -> Result<[u8; PUBLIC_VALUES_LENGTH], RangeError> {
    let input = WitnessRangeInput::decode(input)?;
    Ok(prove_witness_range(&input, rec, kzg)?.public_values.encode())
}
