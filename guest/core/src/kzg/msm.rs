//! Multi-scalar multiplication Σ k_i·P_i over affine bases (Pippenger's bucket method with signed digits).
//!
//! Each scalar (< r < 2^255) is cut into `floor(255 / c) + 1` windows of `c` bits, recoded to digits in
//! [-2^(c-1), 2^(c-1)] (a digit above 2^(c-1) becomes d - 2^c with a carry into the next window), so each
//! window needs only 2^(c-1) buckets: a negative digit adds -P_i (a free negation of y). Per window: one
//! mixed addition per nonzero digit into its bucket, then the running-sum pass (about 2 · 2^(c-1) Jacobian
//! additions); the windows are combined from the top with c doublings each. For 4096 points the addition
//! count is lowest at c = 9-10 (at most 29 · (4096 + 512) vs 26 · (4096 + 1024)); `DEFAULT_WINDOW` = 10 had
//! the fewest additions on random full blobs in the benchmark (119k vs 125k at c = 9; the additions are
//! what a zkVM's G1 add precompile charges) and no slower native time (docs/proving.md "Blob binding").

use super::g1::{G1Affine, G1};

/// The window in bits used by `blob_to_commitment`.
pub const DEFAULT_WINDOW: usize = 10;

/// Σ scalars[i] · bases[i]; scalars are canonical little-endian integers < 2^255. `window` in 2..=16.
pub fn msm(bases: &[G1Affine], scalars: &[[u64; 4]], window: usize) -> G1 {
    assert_eq!(bases.len(), scalars.len(), "msm: one scalar per base");
    assert!((2..=16).contains(&window), "msm: window 2..=16");
    let c = window;
    let windows = 255 / c + 1;
    // signed digits, window-major: digits[w * n + i]
    let n = bases.len();
    let mut digits = alloc::vec![0i32; windows * n];
    for (i, k) in scalars.iter().enumerate() {
        debug_assert!(k[3] >> 63 == 0, "msm: scalar >= 2^255");
        let mut carry = 0i64;
        for w in 0..windows {
            let d = window_bits(k, w * c, c) as i64 + carry;
            if d > 1 << (c - 1) {
                digits[w * n + i] = (d - (1 << c)) as i32;
                carry = 1;
            } else {
                digits[w * n + i] = d as i32;
                carry = 0;
            }
        }
        debug_assert_eq!(carry, 0);
    }
    let half = 1usize << (c - 1);
    let mut buckets = alloc::vec![G1::IDENTITY; half];
    let mut acc = G1::IDENTITY;
    for w in (0..windows).rev() {
        for _ in 0..c {
            acc = acc.double();
        }
        for b in buckets.iter_mut() {
            *b = G1::IDENTITY;
        }
        for (i, p) in bases.iter().enumerate() {
            let d = digits[w * n + i];
            if d > 0 {
                let b = &mut buckets[d as usize - 1];
                *b = b.add_affine(p);
            } else if d < 0 {
                let b = &mut buckets[(-d) as usize - 1];
                *b = b.add_affine(&p.neg());
            }
        }
        // Σ j · bucket[j] = Σ_j (bucket[half-1] + ... + bucket[j])
        let mut running = G1::IDENTITY;
        let mut sum = G1::IDENTITY;
        for b in buckets.iter().rev() {
            running = running.add(b);
            sum = sum.add(&running);
        }
        acc = acc.add(&sum);
    }
    acc
}

/// Bits [start, start + len) of k (little-endian limbs), len <= 16; bits past 255 read as zero.
fn window_bits(k: &[u64; 4], start: usize, len: usize) -> u64 {
    let limb = start / 64;
    if limb >= 4 {
        return 0;
    }
    let shift = start % 64;
    let mut v = k[limb] >> shift;
    if shift + len > 64 && limb + 1 < 4 {
        v |= k[limb + 1] << (64 - shift);
    }
    v & ((1u64 << len) - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn msm_equals_the_naive_sum() {
        // bases [j]G, scalars spread over the range (r - 1, small, zero, powers of two); any window
        let g = G1::from(G1Affine::generator());
        let mut bases = Vec::new();
        let mut p = g;
        for _ in 0..40 {
            bases.push(p.to_affine());
            p = p.add(&g).double();
        }
        let mut rm1 = super::super::fr::MODULUS;
        rm1[0] -= 1;
        let mut scalars: Vec<[u64; 4]> = Vec::new();
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for i in 0..bases.len() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            scalars.push(match i % 5 {
                0 => rm1,
                1 => [x, x.rotate_left(17), x.rotate_left(33), x >> 2],
                2 => [0; 4],
                3 => [1 << (i % 64), 0, 0, 0],
                _ => [x, 0, 0, 1 << 62],
            });
        }
        // the same base twice with the same scalar (equal points meet in one bucket)
        bases.push(bases[1]);
        scalars.push(scalars[1]);
        let mut naive = G1::IDENTITY;
        for (b, k) in bases.iter().zip(&scalars) {
            naive = naive.add(&G1::from(*b).mul_scalar(k));
        }
        for w in [2, 5, 8, 9, 10, 13, 16] {
            assert_eq!(msm(&bases, &scalars, w), naive, "window {w}");
        }
        assert!(msm(&bases[..2], &[[0; 4], [0; 4]], 9).is_identity());
    }
}
