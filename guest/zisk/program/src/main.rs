//! The ZisK program: the same body as the SP1 program (rollbook_guest_core::witness_range::run_witness_program
//! on the node's prover input); ZisK's
//! publics are 64 u32 outputs, so it outputs `sha256(publicValues) ‖ zeros` (docs/contracts.md,
//! `ZiskVerifierAdapter`; `public_values::zisk_publics`). Not built here (no ZisK toolchain).
//!
//! Open point (docs/proving.md): the byte order in which ZisK maps u32 outputs to the publics the verifier
//! hashes; little-endian words are assumed below and must be confirmed with a real ZisK proof.

#![no_main]
ziskos::entrypoint!(main);

use k256::ecdsa::{RecoveryId, Signature, VerifyingKey};
use rollbook_guest_core::public_values::zisk_publics;
use rollbook_guest_core::blob::CoreKzg;
use rollbook_guest_core::witness_range::run_witness_program;
use rollbook_guest_core::secp256k1::Recover;

struct ZiskRecover;

impl Recover for ZiskRecover {
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

// Blob commitments: the core's portable BLS12-381 (`CoreKzg`); ZisK's `syscall_bls12_381_curve_add` /
// `_dbl` precompiles are the faster route for the MSM (docs/proving.md "Blob binding").

fn main() {
    let input: Vec<u8> = ziskos::read_input();
    let pv = run_witness_program(&input, &ZiskRecover, &CoreKzg).expect("the inputs do not make a provable range");
    let publics = zisk_publics(&pv, 256);
    for (i, w) in publics.chunks_exact(4).enumerate() {
        ziskos::set_output(i, u32::from_le_bytes(w.try_into().unwrap()));
    }
}
