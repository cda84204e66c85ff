//! The SP1 program: reads one prover input (the node's node/prover/guest-input.ts, witness mode:
//! guest/core src/witness_range.rs), proves the range statelessly with rollbook-guest-core and commits the 320 public-value bytes verbatim (docs/proving.md). Not built here
//! (no SP1 toolchain on the development machine).

#![no_main]
sp1_zkvm::entrypoint!(main);

use k256::ecdsa::{RecoveryId, Signature, VerifyingKey};
use rollbook_guest_core::blob::CoreKzg;
use rollbook_guest_core::witness_range::run_witness_program;
use rollbook_guest_core::secp256k1::Recover;

/// secp256k1 recovery through SP1's patched k256 (its precompile); the range and low-s rules stay in
/// `rollbook_guest_core::secp256k1::recover_address`, which calls this only for in-range signatures.
struct Sp1Recover;

impl Recover for Sp1Recover {
    fn recover_pubkey(&self, digest: &[u8; 32], r: &[u8; 32], s: &[u8; 32], v: u8) -> Option<[u8; 64]> {
        let sig = Signature::from_scalars(*r, *s).ok()?;
        let id = RecoveryId::from_byte(v)?;
        let key = VerifyingKey::recover_from_prehash(digest, &sig, id).ok()?;
        let point = key.to_encoded_point(false);
        let mut out = [0u8; 64];
        out.copy_from_slice(&point.as_bytes()[1..65]);
        Some(out)
    }
}

// Blob commitments: the core's portable BLS12-381 (`CoreKzg`: correct, its curve arithmetic as plain
// RISC-V). The faster committer routes the 4096-point G1 MSM to SP1's BLS12-381 add/double precompiles
// through the patched `bls12_381` (sp1_bls12_381, as kzg-rs does for verification): docs/proving.md
// "Blob binding".

pub fn main() {
    let input = sp1_zkvm::io::read_vec();
    let pv = run_witness_program(&input, &Sp1Recover, &CoreKzg).expect("the inputs do not make a provable range");
    // commit_slice, not commit: commit would serialize a length prefix in front of the 320 bytes
    sp1_zkvm::io::commit_slice(&pv);
}
