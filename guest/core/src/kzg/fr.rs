//! The BLS12-381 scalar field Fr, r = 0x73eda753...00000001 (255 bits), in Montgomery form (R = 2^256) over
//! 4 little-endian 64-bit limbs. Blob field elements are canonical big-endian 32-byte values < r (c-kzg's
//! `bytes_to_bls_field` rejects anything else, and so does `Fr::from_be_bytes`).

use super::mont;

pub const MODULUS: [u64; 4] = [0xffffffff00000001, 0x53bda402fffe5bfe, 0x3339d80809a1d805, 0x73eda753299d7d48];
/// -r^(-1) mod 2^64
const INV: u64 = 0xfffffffeffffffff;
const R: [u64; 4] = [0x00000001fffffffe, 0x5884b7fa00034802, 0x998c4fefecbc4ff5, 0x1824b159acc5056f];
const R2: [u64; 4] = [0xc999e990f3f29c6d, 0x2b6cedcb87925c23, 0x05d314967254398f, 0x0748d9d99f59ff11];
/// A primitive 4096th root of unity, 7^((r - 1) / 4096) as c-kzg computes it (Montgomery form).
const ROOT_4096: [u64; 4] = [0xf2df262c09458a39, 0x048cdf5b99dff177, 0x16857bc5c7cce57b, 0x043b3dbca4a915ae];

/// An element of Fr (Montgomery form, always reduced).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fr([u64; 4]);

/// The canonical integer < r of a blob field element (what the MSM multiplies by), None if not canonical.
pub fn scalar_from_be_bytes(b: &[u8]) -> Option<[u64; 4]> {
    let l = mont::from_be::<4>(b);
    mont::lt(&l, &MODULUS).then_some(l)
}

impl Fr {
    pub const ZERO: Fr = Fr([0; 4]);
    pub const ONE: Fr = Fr(R);
    pub const ROOT_OF_UNITY_4096: Fr = Fr(ROOT_4096);

    /// A canonical big-endian 32-byte value; None if >= r.
    pub fn from_be_bytes(b: &[u8]) -> Option<Fr> {
        scalar_from_be_bytes(b).map(|l| Fr(l).mul(&Fr(R2)))
    }

    pub fn from_u64(v: u64) -> Fr {
        Fr([v, 0, 0, 0]).mul(&Fr(R2))
    }

    pub fn to_be_bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        mont::to_be(&mont::mul(&self.0, &[1, 0, 0, 0], &MODULUS, INV), &mut out);
        out
    }

    pub fn is_zero(&self) -> bool {
        self.0 == [0; 4]
    }

    #[inline(always)]
    pub fn add(&self, o: &Fr) -> Fr {
        Fr(mont::add(&self.0, &o.0, &MODULUS))
    }

    #[inline(always)]
    pub fn sub(&self, o: &Fr) -> Fr {
        Fr(mont::sub(&self.0, &o.0, &MODULUS))
    }

    #[inline(always)]
    pub fn mul(&self, o: &Fr) -> Fr {
        super::counters::fr_mul();
        Fr(mont::mul(&self.0, &o.0, &MODULUS, INV))
    }

    /// self^e (e little-endian limbs, public).
    pub fn pow(&self, e: &[u64; 4]) -> Fr {
        let mut r = Fr::ONE;
        for i in (0..256).rev() {
            r = r.mul(&r);
            if mont::bit(e, i) {
                r = r.mul(self);
            }
        }
        r
    }

    /// The inverse (r - 2 power); zero maps to zero.
    pub fn invert(&self) -> Fr {
        let mut e = MODULUS;
        e[0] -= 2;
        self.pow(&e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_laws_and_root_of_unity() {
        let a = Fr::from_u64(0xdead_beef);
        assert_eq!(a.mul(&a.invert()), Fr::ONE);
        assert_eq!(a.add(&Fr::ONE).sub(&Fr::ONE), a);
        let w = Fr::ROOT_OF_UNITY_4096;
        assert_eq!(w.pow(&[4096, 0, 0, 0]), Fr::ONE);
        assert_ne!(w.pow(&[2048, 0, 0, 0]), Fr::ONE);
        assert_eq!(w, Fr::from_u64(7).pow(&{
            // (r - 1) / 4096
            let mut e = MODULUS;
            e[0] -= 1;
            for i in 0..4 {
                e[i] = (e[i] >> 12) | if i < 3 { e[i + 1] << 52 } else { 0 };
            }
            e
        }));
        let mut rb = [0u8; 32];
        mont::to_be(&MODULUS, &mut rb);
        assert!(Fr::from_be_bytes(&rb).is_none());
        rb[31] -= 1;
        assert_eq!(Fr::from_be_bytes(&rb).unwrap().to_be_bytes(), rb);
        assert_eq!(Fr::from_be_bytes(&rb).unwrap().add(&Fr::ONE), Fr::ZERO);
    }
}
