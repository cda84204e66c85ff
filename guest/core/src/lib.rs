//! Rollbook guest core: the commitments shared by the L1 contracts, the TypeScript node and the zkVM
//! guest, implemented exactly as docs/l1-messages.md and docs/stf.md "State commitment" specify
//! (docs/guest.md describes what is here and what remains).
//!
//! `no_std` + `alloc`, no external crates.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod batch;
pub mod blob;
pub mod codec;
pub mod eip712;
pub mod hex;
pub mod inflate;
pub mod keccak;
pub mod kzg;
pub mod l1msg;
pub mod ptrie;
pub mod public_values;
pub mod range;
pub mod secp256k1;
pub mod sha256;
pub mod stf;
pub mod trie;
pub mod tx;
pub mod validity;
pub mod withdrawals;
pub mod witness;
pub mod witness_range;

pub use keccak::keccak256;

/// Operation counters for cost estimates (feature `count`): keccak-f[1600] permutations and secp256k1
/// public-key recoveries since the process started.
#[cfg(feature = "count")]
pub mod counters {
    use core::sync::atomic::{AtomicU64, Ordering};

    pub static KECCAK_F: AtomicU64 = AtomicU64::new(0);
    pub static ECRECOVER: AtomicU64 = AtomicU64::new(0);

    /// (keccak-f permutations, recoveries)
    pub fn read() -> (u64, u64) {
        (KECCAK_F.load(Ordering::Relaxed), ECRECOVER.load(Ordering::Relaxed))
    }
}
