//! Option B's in-proof work (docs/proving.md "Blob binding"), kept to measure its cost against option A:
//! y = p(z) for the polynomial given by the blob's evaluations over the 4096th roots of unity in bit-reversed
//! order, by the barycentric formula c-kzg's `evaluate_polynomial_in_evaluation_form` uses:
//! p(z) = (z^4096 - 1) / 4096 · Σ f_i · ω_i / (z - ω_i), with one batched inversion (Montgomery's trick).

use super::fr::Fr;
use super::setup::{bit_reverse, FIELD_ELEMENTS_PER_BLOB};
use super::{KzgError, BYTES_PER_BLOB};
use alloc::vec::Vec;

/// ω^brp(i) for i in 0..4096 (4095 multiplications).
pub fn brp_roots_of_unity() -> Vec<Fr> {
    let mut roots = Vec::with_capacity(FIELD_ELEMENTS_PER_BLOB);
    let mut x = Fr::ONE;
    for _ in 0..FIELD_ELEMENTS_PER_BLOB {
        roots.push(x);
        x = x.mul(&Fr::ROOT_OF_UNITY_4096);
    }
    (0..FIELD_ELEMENTS_PER_BLOB).map(|i| roots[bit_reverse(i)]).collect()
}

/// p(z) of the blob (c-kzg `compute_kzg_proof`'s y); z must be canonical (< r), as c-kzg requires.
pub fn evaluate_blob(blob: &[u8], z: &[u8; 32]) -> Result<[u8; 32], KzgError> {
    if blob.len() != BYTES_PER_BLOB {
        return Err(KzgError::BlobSize);
    }
    let z = Fr::from_be_bytes(z).ok_or(KzgError::NonCanonicalEvaluationPoint)?;
    let f = blob
        .chunks_exact(32)
        .enumerate()
        .map(|(index, b)| Fr::from_be_bytes(b).ok_or(KzgError::NonCanonicalFieldElement { index }))
        .collect::<Result<Vec<Fr>, KzgError>>()?;
    let roots = brp_roots_of_unity();
    let mut diffs = Vec::with_capacity(FIELD_ELEMENTS_PER_BLOB);
    for (i, w) in roots.iter().enumerate() {
        if *w == z {
            return Ok(f[i].to_be_bytes());
        }
        diffs.push(z.sub(w));
    }
    // batched inversion: prefix products, one inversion, then back
    let mut prefix = Vec::with_capacity(FIELD_ELEMENTS_PER_BLOB);
    let mut acc = Fr::ONE;
    for d in &diffs {
        prefix.push(acc);
        acc = acc.mul(d);
    }
    let mut inv = acc.invert();
    let mut sum = Fr::ZERO;
    for i in (0..FIELD_ELEMENTS_PER_BLOB).rev() {
        let inv_i = inv.mul(&prefix[i]);
        inv = inv.mul(&diffs[i]);
        sum = sum.add(&inv_i.mul(&roots[i]).mul(&f[i]));
    }
    let n_inv = Fr::from_u64(FIELD_ELEMENTS_PER_BLOB as u64).invert();
    let zn = z.pow(&[FIELD_ELEMENTS_PER_BLOB as u64, 0, 0, 0]).sub(&Fr::ONE);
    Ok(sum.mul(&n_inv).mul(&zn).to_be_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_and_domain_points() {
        let mut blob = alloc::vec![0u8; BYTES_PER_BLOB];
        blob[32 * 3 + 31] = 9;
        // z = r is refused; z = ω^brp(3) (a domain point) gives element 3 itself; z = 0 gives p(0)
        let mut r = [0u8; 32];
        super::super::mont::to_be(&super::super::fr::MODULUS, &mut r);
        assert_eq!(evaluate_blob(&blob, &r), Err(KzgError::NonCanonicalEvaluationPoint));
        let w3 = brp_roots_of_unity()[3].to_be_bytes();
        assert_eq!(evaluate_blob(&blob, &w3).unwrap(), Fr::from_u64(9).to_be_bytes());
        assert_eq!(evaluate_blob(&blob[1..], &w3), Err(KzgError::BlobSize));
        // the constant polynomial: every element 5 evaluates to 5 anywhere
        let five: alloc::vec::Vec<u8> = (0..FIELD_ELEMENTS_PER_BLOB).flat_map(|_| Fr::from_u64(5).to_be_bytes()).collect();
        assert_eq!(evaluate_blob(&five, &[0x22; 32]).unwrap(), Fr::from_u64(5).to_be_bytes());
    }
}
