//! Blob unpacking, docs/da.md "Packing format (version 1, 254-bit dense)": 1..6 blobs of 4096 field
//! elements; each group of 4 FEs (128 bytes) carries 127 payload bytes (31 in bytes 1..31 of each FE, the
//! last 3 cut into four 6-bit pieces in the low bits of the FEs' byte 0); the payload is
//! `0x01 ‖ be4(length) ‖ data ‖ zero padding`, in the fewest blobs that hold it. Everything is validated,
//! so one batch has exactly one packing (and so one list of versioned hashes).

use alloc::vec::Vec;

pub const BYTES_PER_BLOB: usize = 131_072;
pub const PAYLOAD_BYTES_PER_BLOB: usize = 130_048;
pub const MAX_BLOBS_PER_BATCH: usize = 6;
pub const PACKING_VERSION: u8 = 1;
pub const PACKING_HEADER_BYTES: usize = 5;
const GROUPS_PER_BLOB: usize = 1024;

/// Why blobs do not unpack (docs/da.md codes; any of them makes the batch data invalid).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnpackError {
    BlobCount,
    BlobSize,
    FieldElementTopBits,
    Version,
    Length,
    NotMinimal,
    NonzeroPadding,
}

impl UnpackError {
    /// The code as docs/da.md names it.
    pub fn code(&self) -> &'static str {
        match self {
            UnpackError::BlobCount => "BLOB_COUNT",
            UnpackError::BlobSize => "BLOB_SIZE",
            UnpackError::FieldElementTopBits => "FIELD_ELEMENT_TOP_BITS",
            UnpackError::Version => "VERSION",
            UnpackError::Length => "LENGTH",
            UnpackError::NotMinimal => "NOT_MINIMAL",
            UnpackError::NonzeroPadding => "NONZERO_PADDING",
        }
    }
}

/// Number of blobs the packing needs for `length` data bytes, or `None` if it does not fit in 6.
pub fn blobs_needed(length: usize) -> Option<usize> {
    let n = core::cmp::max(1, (length + PACKING_HEADER_BYTES).div_ceil(PAYLOAD_BYTES_PER_BLOB));
    (n <= MAX_BLOBS_PER_BATCH).then_some(n)
}

/// The batch bytes carried by `blobs`, checked in the order of node/da/packing.ts `unpackBlobs`: count,
/// then every blob's size and FE top bits (blob by blob), version, length, minimality, padding.
pub fn unpack_blobs(blobs: &[&[u8]]) -> Result<Vec<u8>, UnpackError> {
    if blobs.is_empty() || blobs.len() > MAX_BLOBS_PER_BATCH {
        return Err(UnpackError::BlobCount);
    }
    for blob in blobs {
        if blob.len() != BYTES_PER_BLOB {
            return Err(UnpackError::BlobSize);
        }
        if blob.iter().step_by(32).any(|&b| b & 0xc0 != 0) {
            return Err(UnpackError::FieldElementTopBits);
        }
    }
    let mut payload = alloc::vec![0u8; blobs.len() * PAYLOAD_BYTES_PER_BLOB];
    for (b, blob) in blobs.iter().enumerate() {
        for g in 0..GROUPS_PER_BLOB {
            let i = b * PAYLOAD_BYTES_PER_BLOB + g * 127;
            let o = g * 128;
            for j in 0..4 {
                payload[i + 31 * j..i + 31 * j + 31].copy_from_slice(&blob[o + 32 * j + 1..o + 32 * j + 32]);
            }
            let x = (blob[o] as u32) << 18 | (blob[o + 32] as u32) << 12 | (blob[o + 64] as u32) << 6 | blob[o + 96] as u32;
            payload[i + 124] = (x >> 16) as u8;
            payload[i + 125] = (x >> 8) as u8;
            payload[i + 126] = x as u8;
        }
    }
    if payload[0] != PACKING_VERSION {
        return Err(UnpackError::Version);
    }
    let length = u32::from_be_bytes([payload[1], payload[2], payload[3], payload[4]]) as usize;
    if length > payload.len() - PACKING_HEADER_BYTES {
        return Err(UnpackError::Length);
    }
    if blobs_needed(length) != Some(blobs.len()) {
        return Err(UnpackError::NotMinimal);
    }
    let end = PACKING_HEADER_BYTES + length;
    if payload[end..].iter().any(|&b| b != 0) {
        return Err(UnpackError::NonzeroPadding);
    }
    payload.truncate(end);
    payload.drain(..PACKING_HEADER_BYTES);
    Ok(payload)
}

/// Binding blobs to the versioned hashes the Inbox committed (docs/proving.md "Blob binding", option A): the
/// program recomputes each blob's KZG commitment `C` and checks `0x01 ‖ sha256(C)[1..32]` against the
/// committed hash, before the blob's bytes are used. The commitment function is behind this trait so that
/// each build brings its own BLS12-381: the native runner the core's portable one ([`CoreKzg`]), the zkVM
/// programs theirs (docs/proving.md).
pub trait BlobCommitter {
    /// The 48-byte compressed KZG commitment of a 131,072-byte blob (EIP-4844 `blob_to_kzg_commitment`).
    /// Refuses (`NotCommittable`) what is not a blob: another size, or a field element not below the
    /// BLS12-381 scalar modulus (no blob on L1 has one).
    fn commit(&self, blob: &[u8]) -> Result<[u8; 48], BlobBindError>;
}

/// Why blobs are not the ones L1 committed. Any of them means no proof: the prover's input is wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlobBindError {
    /// Blob `i` is not a blob: not 131,072 bytes, or a field element not below the BLS12-381 scalar modulus.
    NotCommittable(usize),
    /// A different number of blobs and versioned hashes.
    Count { blobs: usize, hashes: usize },
    /// Blob `i`'s recomputed versioned hash is not the committed one (a changed byte, another blob, or the
    /// blobs in another order).
    VersionedHash(usize),
    /// RBRANGE1 (crate::range): the commitment carried with blob `i` is not the recomputed one.
    Commitment(usize),
}

impl BlobBindError {
    /// A stable code for the runner's messages and the node's prover (node/prover/native.ts).
    pub fn code(&self) -> &'static str {
        match self {
            BlobBindError::NotCommittable(_) => "BLOB_NOT_COMMITTABLE",
            BlobBindError::Count { .. } => "BLOB_COUNT_MISMATCH",
            BlobBindError::VersionedHash(_) => "BLOB_VERSIONED_HASH_MISMATCH",
            BlobBindError::Commitment(_) => "BLOB_COMMITMENT_MISMATCH",
        }
    }
}

pub use crate::kzg::versioned_hash;

/// Recomputes every blob's commitment (in order) and checks its versioned hash against `versioned_hashes[i]`.
/// On success the blobs are those the hashes commit, so their bytes may be unpacked and executed.
pub fn bind_blobs<C: BlobCommitter + ?Sized>(committer: &C, blobs: &[&[u8]], versioned_hashes: &[[u8; 32]]) -> Result<(), BlobBindError> {
    if blobs.len() != versioned_hashes.len() {
        return Err(BlobBindError::Count { blobs: blobs.len(), hashes: versioned_hashes.len() });
    }
    for (i, (blob, want)) in blobs.iter().zip(versioned_hashes).enumerate() {
        let c = commit_at(committer, blob, i)?;
        if versioned_hash(&c) != *want {
            return Err(BlobBindError::VersionedHash(i));
        }
    }
    Ok(())
}

/// Recomputes every blob's commitment and checks it equals the one carried with it (RBRANGE1); returns the
/// versioned hashes of the (now checked) commitments.
pub fn check_commitments<C: BlobCommitter + ?Sized>(committer: &C, blobs: &[([u8; 48], &[u8])]) -> Result<Vec<[u8; 32]>, BlobBindError> {
    let mut out = Vec::with_capacity(blobs.len());
    for (i, (carried, blob)) in blobs.iter().enumerate() {
        if commit_at(committer, blob, i)? != *carried {
            return Err(BlobBindError::Commitment(i));
        }
        out.push(versioned_hash(carried));
    }
    Ok(out)
}

fn commit_at<C: BlobCommitter + ?Sized>(committer: &C, blob: &[u8], i: usize) -> Result<[u8; 48], BlobBindError> {
    if blob.len() != BYTES_PER_BLOB {
        return Err(BlobBindError::NotCommittable(i));
    }
    committer.commit(blob).map_err(|e| match e {
        BlobBindError::NotCommittable(_) => BlobBindError::NotCommittable(i),
        e => e,
    })
}

/// The core's own commitment: BLS12-381 in portable Rust (guest/core src/kzg). The native runner uses it; a
/// zkVM program may too (correct, but its curve arithmetic then runs as plain instructions: the programs'
/// precompile-backed committers are docs/proving.md "Blob binding").
pub struct CoreKzg;

impl BlobCommitter for CoreKzg {
    fn commit(&self, blob: &[u8]) -> Result<[u8; 48], BlobBindError> {
        crate::kzg::blob_to_commitment(blob).map_err(|_| BlobBindError::NotCommittable(0))
    }
}
