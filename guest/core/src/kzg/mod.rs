//! EIP-4844 KZG commitments in the guest (docs/proving.md "Blob binding", option A): the proof recomputes
//! each blob's commitment C = Σ blob[i] · L_brp(i) over the trusted setup's Lagrange basis and its versioned
//! hash 0x01 ‖ sha256(C)[1..32], exactly as c-kzg's `blob_to_kzg_commitment` does.
//!
//!   mont.rs    Montgomery arithmetic over N 64-bit limbs (u128 products)
//!   fp.rs      the base field Fp (6 limbs): inversion, square root (p = 3 mod 4), ZCash sign
//!   fr.rs      the scalar field Fr (4 limbs): canonical field elements, the 4096th root of unity
//!   g1.rs      G1: Jacobian add / mixed add / double, compression, checked decompression
//!   msm.rs     Pippenger MSM with signed digits
//!   setup.rs   the embedded Lagrange points (bit-reversed, uncompressed)
//!   eval.rs    option B's cost reference: barycentric evaluation of a blob at a point (c-kzg's
//!              `evaluate_polynomial_in_evaluation_form`)

pub mod eval;
pub mod fp;
pub mod fr;
pub mod g1;
pub mod mont;
pub mod msm;
pub mod setup;

use crate::sha256::sha256;
use alloc::vec::Vec;
use setup::FIELD_ELEMENTS_PER_BLOB;

pub const BYTES_PER_BLOB: usize = FIELD_ELEMENTS_PER_BLOB * 32;

/// Why a blob or point is refused (stable codes, `KzgError::code`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KzgError {
    /// The blob is not 131,072 bytes.
    BlobSize,
    /// Field element `index` is >= r (not canonical: c-kzg rejects the blob).
    NonCanonicalFieldElement { index: usize },
    /// The evaluation point z of `eval::evaluate_blob` is >= r.
    NonCanonicalEvaluationPoint,
    /// A point's bytes: flags, infinity encoding or x >= p.
    PointEncoding,
    /// x^3 + 4 has no square root.
    NotOnCurve,
    /// The point is not in the order-r subgroup.
    NotInSubgroup,
}

impl KzgError {
    pub fn code(&self) -> &'static str {
        match self {
            KzgError::BlobSize => "KZG_BLOB_SIZE",
            KzgError::NonCanonicalFieldElement { .. } => "KZG_NON_CANONICAL_FIELD_ELEMENT",
            KzgError::NonCanonicalEvaluationPoint => "KZG_NON_CANONICAL_EVALUATION_POINT",
            KzgError::PointEncoding => "KZG_POINT_ENCODING",
            KzgError::NotOnCurve => "KZG_NOT_ON_CURVE",
            KzgError::NotInSubgroup => "KZG_NOT_IN_SUBGROUP",
        }
    }
}

/// The blob's 4096 field elements as canonical integers (each checked < r).
pub fn blob_scalars(blob: &[u8]) -> Result<Vec<[u64; 4]>, KzgError> {
    if blob.len() != BYTES_PER_BLOB {
        return Err(KzgError::BlobSize);
    }
    blob.chunks_exact(32)
        .enumerate()
        .map(|(index, b)| fr::scalar_from_be_bytes(b).ok_or(KzgError::NonCanonicalFieldElement { index }))
        .collect()
}

/// The blob's KZG commitment (48-byte compressed G1 point), as c-kzg `blob_to_kzg_commitment`.
pub fn blob_to_commitment(blob: &[u8]) -> Result<[u8; 48], KzgError> {
    let scalars = blob_scalars(blob)?;
    let points = setup::lagrange_points();
    Ok(msm::msm(&points, &scalars, msm::DEFAULT_WINDOW).to_affine().to_compressed())
}

/// EIP-4844 versioned hash: 0x01 ‖ sha256(commitment)[1..32].
pub fn versioned_hash(commitment: &[u8; 48]) -> [u8; 32] {
    let mut h = sha256(commitment);
    h[0] = 0x01;
    h
}

/// Operation counters (feature `count`, single-threaded native runs: plain load + store, no atomic
/// read-modify-write, so counting does not slow the field multiplication down measurably).
pub mod counters {
    #[cfg(feature = "count")]
    use core::sync::atomic::{AtomicU64, Ordering};

    #[cfg(feature = "count")]
    static FP_MUL: AtomicU64 = AtomicU64::new(0);
    #[cfg(feature = "count")]
    static FR_MUL: AtomicU64 = AtomicU64::new(0);
    #[cfg(feature = "count")]
    static G1_ADD: AtomicU64 = AtomicU64::new(0);
    #[cfg(feature = "count")]
    static G1_ADD_AFFINE: AtomicU64 = AtomicU64::new(0);
    #[cfg(feature = "count")]
    static G1_DOUBLE: AtomicU64 = AtomicU64::new(0);

    #[cfg(feature = "count")]
    #[inline(always)]
    fn bump(c: &AtomicU64) {
        c.store(c.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
    }

    macro_rules! counter {
        ($f:ident, $c:ident) => {
            #[inline(always)]
            pub fn $f() {
                #[cfg(feature = "count")]
                bump(&$c);
            }
        };
    }
    counter!(fp_mul, FP_MUL);
    counter!(fr_mul, FR_MUL);
    counter!(g1_add, G1_ADD);
    counter!(g1_add_affine, G1_ADD_AFFINE);
    counter!(g1_double, G1_DOUBLE);

    /// Counts since the process started.
    #[cfg(feature = "count")]
    #[derive(Clone, Copy, Debug, Default)]
    pub struct Counts {
        /// Fp multiplications and squarings
        pub fp_mul: u64,
        /// Fr multiplications
        pub fr_mul: u64,
        /// Jacobian + Jacobian additions (distinct points)
        pub g1_add: u64,
        /// Jacobian + affine additions (distinct points)
        pub g1_add_affine: u64,
        /// doublings
        pub g1_double: u64,
    }

    #[cfg(feature = "count")]
    pub fn read() -> Counts {
        Counts {
            fp_mul: FP_MUL.load(Ordering::Relaxed),
            fr_mul: FR_MUL.load(Ordering::Relaxed),
            g1_add: G1_ADD.load(Ordering::Relaxed),
            g1_add_affine: G1_ADD_AFFINE.load(Ordering::Relaxed),
            g1_double: G1_DOUBLE.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_reversal_and_errors() {
        assert_eq!(setup::bit_reverse(0), 0);
        assert_eq!(setup::bit_reverse(1), 2048);
        assert_eq!(setup::bit_reverse(4095), 4095);
        assert_eq!(setup::bit_reverse(setup::bit_reverse(1234)), 1234);
        assert_eq!(blob_to_commitment(&[0u8; 10]), Err(KzgError::BlobSize));
        let mut blob = alloc::vec![0u8; BYTES_PER_BLOB];
        blob[32 * 5] = 0x73;
        blob[32 * 5 + 1] = 0xee; // > r's top bytes 0x73ed
        assert_eq!(blob_to_commitment(&blob), Err(KzgError::NonCanonicalFieldElement { index: 5 }));
        // the zero blob commits to the point at infinity
        let zero = alloc::vec![0u8; BYTES_PER_BLOB];
        let mut inf = [0u8; 48];
        inf[0] = 0xc0;
        assert_eq!(blob_to_commitment(&zero), Ok(inf));
    }
}
