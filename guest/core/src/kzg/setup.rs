//! The EIP-4844 trusted setup's 4096 Lagrange-basis G1 points, embedded in the program.
//!
//! `g1_lagrange_brp.bin` is 4096 × 96 bytes: the uncompressed ZCash serialization (x ‖ y, big-endian) of
//! the `g1_lagrange` points of c-kzg's trusted_setup.txt (the Ethereum KZG ceremony output; file sha256
//! `SETUP_FILE_SHA256`), **in bit-reversed order**: entry i is the file's point brp(i), which is the point
//! blob field element i multiplies (c-kzg bit-reverses the file's points when it loads them). Uncompressed so
//! a zkVM does not pay 4096 square roots and subgroup checks per run: the bytes are part of the program
//! (and so of its verifying key), and their correctness is established outside it. Written by
//! guest/vectors-gen/kzg.ts (@noble/curves decompression and subgroup check); the runner's tests decompress
//! the official file again with this crate's own `G1Affine::from_compressed`, permute, and require the same
//! bytes (docs/guest.md "KZG").

use super::g1::G1Affine;
use alloc::vec::Vec;

pub const FIELD_ELEMENTS_PER_BLOB: usize = 4096;
/// sha256 of c-kzg's (and the consensus specs') trusted_setup.txt.
pub const SETUP_FILE_SHA256: &str = "d39b9f2d047cc9dca2de58f264b6a09448ccd34db967881a6713eacacf0f26b7";

/// The embedded points (uncompressed, bit-reversed order).
pub static G1_LAGRANGE_BRP: &[u8; FIELD_ELEMENTS_PER_BLOB * 96] = include_bytes!("g1_lagrange_brp.bin");

/// brp(i) over 12 bits (4096 = 2^12): the index with its 12 bits reversed.
pub fn bit_reverse(i: usize) -> usize {
    (i as u16).reverse_bits() as usize >> 4
}

/// The embedded points as affine points (8192 conversions into Montgomery form, no checks).
pub fn lagrange_points() -> Vec<G1Affine> {
    G1_LAGRANGE_BRP
        .chunks_exact(96)
        .map(|c| G1Affine::from_uncompressed_unchecked(c).expect("embedded setup point"))
        .collect()
}
