//! Proving a range of batches (docs/proving.md "The program"): per batch input consistency I1-I4 and
//! validity V1-V6 (`validity`), the STF (`stf::apply`), `c(i)` and `b(i)`; at the end the proof public values
//! of docs/l1-messages.md, 320 bytes, exactly as Settlement decodes them.
//!
//! State mode implemented here: **full state**. The input carries the whole pre-state (its canonical
//! serialization, docs/stf.md); its root is computed from all its leaves (`stf::leaves`) and becomes
//! `prevStateRoot`, which Settlement only accepts if it is the last finalized root, so the input state is
//! bound completely. The cost is O(state) hashing per range; the witness mode (O(touched leaves), docs/stf.md
//! "Witness for stateless execution") is the next step (docs/guest.md "What remains").
//!
//! Input format (`RangeInput::decode`; all integers big-endian):
//!
//! ```text
//! "RBRANGE1" ‖ prover (20) ‖ prevBatchChain (32) ‖ u32 n ‖ pre-state serialization (n)
//! ‖ u32 batches ‖ per batch:
//!     u64 index ‖ u8 dataKind ‖ u64 l1MsgStart ‖ q(l1MsgStart) (32) ‖ u64 l1MsgEnd ‖ q(l1MsgEnd) (32)
//!     ‖ u64 l1Timestamp ‖ u64 l1BlockNumber ‖ proposer (20)
//!     ‖ dataKind 2 (calldata): u32 n ‖ calldata (n)
//!       dataKind 1 (blobs):    u8 k ‖ k × (KZG commitment (48) ‖ blob (131072))
//!       other kinds:           nothing (the batch fails I4)
//!     ‖ u32 m ‖ m × (u16 n ‖ L1 message bytes (n))
//! ```
//! `dataHash` is not read: it is recomputed (keccak of the calldata; for blobs from the versioned hashes
//! `0x01 ‖ sha256(commitment)[1..32]`), so `c(i)` is that of the data actually executed. Each carried
//! commitment must equal the one recomputed from its blob (`blob::check_commitments`, docs/proving.md
//! "Blob binding"), checked first for each batch: the range is refused otherwise.

use crate::batch::{blob_data_hash, calldata_data_hash, next_batch_chain, BatchHeader, DATA_KIND_BLOBS, DATA_KIND_CALLDATA};
use crate::blob::{check_commitments, unpack_blobs, BlobBindError, BlobCommitter, BYTES_PER_BLOB};
use crate::l1msg::L1Message;
use crate::public_values::PublicValues;
use crate::secp256k1::Recover;
use crate::stf::leaves::state_root;
use crate::stf::state::State;
use crate::stf::{apply, BatchInput, L1Receipt, TxReceipt, Withdrawal};
use crate::validity::{check_batch_validity, Committed, InputMismatch, Outcome, PreGlobals};
use crate::withdrawals::{WithdrawalRecord, WithdrawalTree};
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

pub const MAGIC: &[u8; 8] = b"RBRANGE1";
pub const KZG_COMMITMENT_BYTES: usize = 48;

/// One batch of the range: what `c(i)` commits, the data and the messages.
#[derive(Clone, Debug)]
pub struct RangeBatch {
    pub index: u64,
    pub data_kind: u8,
    pub l1_msg_start: u64,
    pub queue_hash_start: [u8; 32],
    pub l1_msg_end: u64,
    pub queue_hash: [u8; 32],
    pub l1_timestamp: u64,
    pub l1_block_number: u64,
    pub proposer: [u8; 20],
    /// Calldata (dataKind 2).
    pub calldata: Vec<u8>,
    /// (KZG commitment, blob) pairs (dataKind 1).
    pub blobs: Vec<([u8; KZG_COMMITMENT_BYTES], Vec<u8>)>,
    pub messages: Vec<Vec<u8>>,
}

#[derive(Clone, Debug)]
pub struct RangeInput {
    pub prover: [u8; 20],
    pub prev_batch_chain: [u8; 32],
    pub pre_state: State,
    pub batches: Vec<RangeBatch>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeError {
    /// The input bytes are not a range input (truncated, bad magic, bad state serialization, trailing bytes).
    MalformedInput,
    /// No batch.
    EmptyRange,
    /// Batch `index` breaks an input-consistency rule: the inputs are wrong, no proof.
    Input(u64, InputMismatch),
    /// The leaf set of a state is not a state's (cannot happen for a decoded state; kept typed).
    LeafSet,
    /// Two withdrawal records with one id (the STF never produces it).
    Withdrawals,
    /// Witness mode (crate::witness_range): batch `index`'s witness was rejected.
    Witness(u64, crate::witness::WitnessExecError),
    /// Batch `index`'s blobs are not the ones its versioned hashes (or carried commitments) commit.
    BlobBinding(u64, BlobBindError),
}

struct Reader<'a> {
    b: &'a [u8],
    o: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], RangeError> {
        if self.b.len() - self.o < n {
            return Err(RangeError::MalformedInput);
        }
        let s = &self.b[self.o..self.o + n];
        self.o += n;
        Ok(s)
    }
    fn arr<const N: usize>(&mut self) -> Result<[u8; N], RangeError> {
        Ok(self.take(N)?.try_into().unwrap())
    }
    fn u8(&mut self) -> Result<u8, RangeError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, RangeError> {
        Ok(u16::from_be_bytes(self.arr()?))
    }
    fn u32(&mut self) -> Result<u32, RangeError> {
        Ok(u32::from_be_bytes(self.arr()?))
    }
    fn u64(&mut self) -> Result<u64, RangeError> {
        Ok(u64::from_be_bytes(self.arr()?))
    }
}

impl RangeInput {
    pub fn decode(b: &[u8]) -> Result<RangeInput, RangeError> {
        let mut r = Reader { b, o: 0 };
        if r.take(8)? != MAGIC {
            return Err(RangeError::MalformedInput);
        }
        let prover = r.arr()?;
        let prev_batch_chain = r.arr()?;
        let n = r.u32()? as usize;
        let pre_state = State::deserialize(r.take(n)?).map_err(|_| RangeError::MalformedInput)?;
        let count = r.u32()?;
        let mut batches = Vec::new();
        for _ in 0..count {
            let mut rb = RangeBatch {
                index: r.u64()?,
                data_kind: r.u8()?,
                l1_msg_start: r.u64()?,
                queue_hash_start: r.arr()?,
                l1_msg_end: r.u64()?,
                queue_hash: r.arr()?,
                l1_timestamp: r.u64()?,
                l1_block_number: r.u64()?,
                proposer: r.arr()?,
                calldata: Vec::new(),
                blobs: Vec::new(),
                messages: Vec::new(),
            };
            match rb.data_kind {
                DATA_KIND_CALLDATA => {
                    let n = r.u32()? as usize;
                    rb.calldata = r.take(n)?.to_vec();
                }
                DATA_KIND_BLOBS => {
                    for _ in 0..r.u8()? {
                        let c = r.arr()?;
                        rb.blobs.push((c, r.take(BYTES_PER_BLOB)?.to_vec()));
                    }
                }
                _ => {}
            }
            for _ in 0..r.u32()? {
                let n = r.u16()? as usize;
                rb.messages.push(r.take(n)?.to_vec());
            }
            batches.push(rb);
        }
        if r.o != b.len() {
            return Err(RangeError::MalformedInput);
        }
        Ok(RangeInput { prover, prev_batch_chain, pre_state, batches })
    }
}

/// What proving a range produced besides the public values (for the runner and tests).
#[derive(Clone, Debug)]
pub struct RangeOutput {
    pub public_values: PublicValues,
    pub post_state: State,
    /// Per batch: validity outcome and post-state root.
    pub batches: Vec<(Outcome, [u8; 32])>,
    pub withdrawals: Vec<Withdrawal>,
    pub stats: RangeStats,
    /// Per batch its L1 and transaction receipts, kept only with `per_batch_roots` (diagnostics: the
    /// range vectors' receipts digest, docs/guest.md); empty otherwise, as in the zkVM programs.
    pub receipts: Vec<(Vec<L1Receipt>, Vec<TxReceipt>)>,
}

/// Counts over the range's receipts (coverage reports: `prove-range --stats`).
#[derive(Clone, Debug, Default)]
pub struct RangeStats {
    /// code -> count over transactions (a BULK counts as its own code, its actions below).
    pub tx_codes: BTreeMap<u8, u64>,
    /// code -> count over BULK actions.
    pub action_codes: BTreeMap<u8, u64>,
    /// code -> count over L1 messages.
    pub l1_codes: BTreeMap<u8, u64>,
    /// kind -> count over transactions.
    pub kinds: BTreeMap<u8, u64>,
    pub fills: u64,
    /// Orders removed by the expiry sweeps.
    pub swept: u64,
    /// Transactions signed by an agent.
    pub agent_signed: u64,
}

/// Executes the range and returns its public values. `per_batch_roots` (diagnostics): also compute each
/// batch's post-state root (a full-state root per batch) and keep every batch's receipts.
pub fn prove_range<R: Recover + ?Sized, C: BlobCommitter + ?Sized>(input: RangeInput, rec: &R, kzg: &C, per_batch_roots: bool) -> Result<RangeOutput, RangeError> {
    if input.batches.is_empty() {
        return Err(RangeError::EmptyRange);
    }
    let mut st = input.pre_state;
    let prev_state_root = state_root(&st).map_err(|_| RangeError::LeafSet)?;
    let mut chain = input.prev_batch_chain;
    let mut withdrawals = Vec::new();
    let mut outcomes = Vec::new();
    let mut stats = RangeStats::default();
    let mut prev_queue: Option<[u8; 32]> = None;
    let mut receipts = Vec::new();
    for b in &input.batches {
        // the blobs first: each carried commitment is the blob's own, else nothing of the batch is used
        let pairs: Vec<([u8; KZG_COMMITMENT_BYTES], &[u8])> = b.blobs.iter().map(|(c, x)| (*c, x.as_slice())).collect();
        let versioned = check_commitments(kzg, &pairs).map_err(|e| RangeError::BlobBinding(b.index, e))?;
        // the messages continue the previous batch's (node/derive/commitment.ts publicValuesFor); b(i) on L1
        // binds it too, this refuses such inputs early
        if prev_queue.is_some_and(|q| q != b.queue_hash_start) {
            return Err(RangeError::Input(b.index, InputMismatch::I3Messages));
        }
        prev_queue = Some(b.queue_hash);
        let data_hash = match b.data_kind {
            DATA_KIND_CALLDATA => calldata_data_hash(&b.calldata),
            DATA_KIND_BLOBS => blob_data_hash(&versioned),
            _ => [0u8; 32],
        };
        // Blob bytes (bound above): unpacked per docs/da.md; undecodable packing is an empty (hence
        // UNDECODABLE) batch.
        let data: Vec<u8> = match b.data_kind {
            DATA_KIND_BLOBS => {
                let refs: Vec<&[u8]> = pairs.iter().map(|(_, x)| *x).collect();
                unpack_blobs(&refs).unwrap_or_default()
            }
            _ => b.calldata.clone(),
        };
        let c = Committed {
            index: b.index,
            data_kind: b.data_kind,
            data_hash,
            l1_msg_start: b.l1_msg_start,
            queue_hash_start: b.queue_hash_start,
            l1_msg_end: b.l1_msg_end,
            queue_hash: b.queue_hash,
            l1_timestamp: b.l1_timestamp,
        };
        let pre = PreGlobals { batch_index: st.batch_index, timestamp: st.timestamp, l1_messages_consumed: st.l1_messages_consumed };
        let msg_refs: Vec<&[u8]> = b.messages.iter().map(|m| m.as_slice()).collect();
        let d = check_batch_validity(&c, &chain, &data, &versioned, &msg_refs, &pre).map_err(|e| RangeError::Input(b.index, e))?;
        let txs: Vec<Option<crate::tx::Tx>> = d.txs.into_iter().map(Some).collect();
        let messages: Vec<L1Message> = b.messages.iter().map(|m| L1Message::decode(m)).collect();
        let batch = BatchInput { index: b.index, timestamp: d.timestamp, proposer: Some(b.proposer), txs: &txs };
        // I1 was checked, and V4 keeps the clock monotone, so apply's preconditions hold.
        let res = apply(&mut st, &batch, &messages, rec).expect("validity checked the preconditions");
        withdrawals.extend(res.withdrawals);
        stats.swept += res.expired.len() as u64;
        for l in &res.l1 {
            *stats.l1_codes.entry(l.code).or_insert(0) += 1;
        }
        for t in &res.txs {
            *stats.tx_codes.entry(t.code).or_insert(0) += 1;
            *stats.kinds.entry(t.kind).or_insert(0) += 1;
            stats.fills += t.fills.len() as u64;
            stats.agent_signed += t.agent.is_some() as u64;
            for a in &t.actions {
                *stats.action_codes.entry(a.code).or_insert(0) += 1;
            }
        }
        let header = BatchHeader {
            index: b.index,
            data_kind: b.data_kind,
            data_hash,
            l1_msg_start: b.l1_msg_start,
            l1_msg_end: b.l1_msg_end,
            queue_hash: b.queue_hash,
            l1_timestamp: b.l1_timestamp,
            l1_block_number: b.l1_block_number,
            proposer: b.proposer,
            queue_hash_start: b.queue_hash_start,
        };
        chain = next_batch_chain(&chain, &header.commitment());
        let root = if per_batch_roots { state_root(&st).map_err(|_| RangeError::LeafSet)? } else { [0u8; 32] };
        outcomes.push((d.outcome, root));
        if per_batch_roots {
            receipts.push((res.l1, res.txs));
        }
    }
    let records: Vec<WithdrawalRecord> = withdrawals
        .iter()
        .map(|w| WithdrawalRecord { withdrawal_id: w.withdrawal_id, recipient: w.recipient, asset: w.asset, amount: w.amount })
        .collect();
    let withdrawal_root = WithdrawalTree::new(&records).map_err(|_| RangeError::Withdrawals)?.root();
    let first = &input.batches[0];
    let last = input.batches.last().unwrap();
    let public_values = PublicValues {
        prev_state_root,
        new_state_root: state_root(&st).map_err(|_| RangeError::LeafSet)?,
        first_batch: first.index,
        last_batch: last.index,
        prev_batch_chain: input.prev_batch_chain,
        new_batch_chain: chain,
        l1_messages_consumed: st.l1_messages_consumed,
        l1_queue_hash: last.queue_hash,
        withdrawal_root,
        prover: input.prover,
    };
    Ok(RangeOutput { public_values, post_state: st, batches: outcomes, withdrawals, stats, receipts })
}

/// The zkVM programs' body (guest/sp1, guest/zisk): decode the input, prove the range, return the 320
/// bytes to commit. Any error means no proof.
pub fn run_program<R: Recover + ?Sized, C: BlobCommitter + ?Sized>(input: &[u8], rec: &R, kzg: &C) -> Result<[u8; crate::public_values::PUBLIC_VALUES_LENGTH], RangeError> {
    let input = RangeInput::decode(input)?;
    Ok(prove_range(input, rec, kzg, false)?.public_values.encode())
}
