//! The BLS12-381 base field Fp, p = 0x1a0111ea...ffffaaab (381 bits, p = 3 mod 4), in Montgomery form
//! (R = 2^384) over 6 little-endian 64-bit limbs.

use super::mont;

pub const MODULUS: [u64; 6] = [
    0xb9feffffffffaaab, 0x1eabfffeb153ffff, 0x6730d2a0f6b0f624, 0x64774b84f38512bf, 0x4b1ba7b6434bacd7, 0x1a0111ea397fe69a,
];
/// -p^(-1) mod 2^64
const INV: u64 = 0x89f3fffcfffcfffd;
/// R mod p (the Montgomery form of 1)
const R: [u64; 6] = [
    0x760900000002fffd, 0xebf4000bc40c0002, 0x5f48985753c758ba, 0x77ce585370525745, 0x5c071a97a256ec6d, 0x15f65ec3fa80e493,
];
/// R^2 mod p
const R2: [u64; 6] = [
    0xf4df1f341c341746, 0x0a76e6a609d104f1, 0x8de5476c4c95b6d5, 0x67eb88a9939d83c0, 0x9a793e85b519952d, 0x11988fe592cae3aa,
];

/// An element of Fp (Montgomery form, always reduced).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fp([u64; 6]);

impl Fp {
    pub const ZERO: Fp = Fp([0; 6]);
    pub const ONE: Fp = Fp(R);

    /// The canonical big-endian encoding (48 bytes); None if the value is >= p.
    pub fn from_be_bytes(b: &[u8; 48]) -> Option<Fp> {
        let l = mont::from_be::<6>(b);
        if !mont::lt(&l, &MODULUS) {
            return None;
        }
        Some(Fp(l).mul(&Fp(R2)))
    }

    /// The canonical integer (little-endian limbs).
    pub fn to_canonical(&self) -> [u64; 6] {
        let mut one = [0u64; 6];
        one[0] = 1;
        mont::mul(&self.0, &one, &MODULUS, INV)
    }

    pub fn to_be_bytes(&self) -> [u8; 48] {
        let mut out = [0u8; 48];
        mont::to_be(&self.to_canonical(), &mut out);
        out
    }

    pub fn from_u64(v: u64) -> Fp {
        let mut l = [0u64; 6];
        l[0] = v;
        Fp(l).mul(&Fp(R2))
    }

    pub fn is_zero(&self) -> bool {
        self.0 == [0; 6]
    }

    #[inline(always)]
    pub fn add(&self, o: &Fp) -> Fp {
        Fp(mont::add(&self.0, &o.0, &MODULUS))
    }

    #[inline(always)]
    pub fn sub(&self, o: &Fp) -> Fp {
        Fp(mont::sub(&self.0, &o.0, &MODULUS))
    }

    #[inline(always)]
    pub fn double(&self) -> Fp {
        self.add(self)
    }

    #[inline(always)]
    pub fn neg(&self) -> Fp {
        Fp::ZERO.sub(self)
    }

    #[inline(always)]
    pub fn mul(&self, o: &Fp) -> Fp {
        super::counters::fp_mul();
        Fp(mont::mul(&self.0, &o.0, &MODULUS, INV))
    }

    #[inline(always)]
    pub fn square(&self) -> Fp {
        self.mul(self)
    }

    /// self^e, e given as little-endian limbs (square and multiply, variable time: exponents are public).
    pub fn pow(&self, e: &[u64; 6]) -> Fp {
        let mut r = Fp::ONE;
        for i in (0..384).rev() {
            r = r.square();
            if mont::bit(e, i) {
                r = r.mul(self);
            }
        }
        r
    }

    /// The inverse (p - 2 power); zero maps to zero.
    pub fn invert(&self) -> Fp {
        let mut e = MODULUS;
        e[0] -= 2;
        self.pow(&e)
    }

    /// A square root if one exists: self^((p + 1) / 4), since p = 3 mod 4.
    pub fn sqrt(&self) -> Option<Fp> {
        // (p + 1) / 4: p + 1 does not carry out of limb 0 (it ends in ...aaab)
        let mut e = MODULUS;
        e[0] += 1;
        for i in 0..6 {
            e[i] = (e[i] >> 2) | if i < 5 { e[i + 1] << 62 } else { 0 };
        }
        let s = self.pow(&e);
        (s.square() == *self).then_some(s)
    }

    /// The ZCash serialization's sign: the canonical value is > (p - 1) / 2.
    pub fn lexicographically_largest(&self) -> bool {
        // (p - 1) / 2
        let mut half = MODULUS;
        half[0] -= 1;
        for i in 0..6 {
            half[i] = (half[i] >> 1) | if i < 5 { half[i + 1] << 63 } else { 0 };
        }
        mont::lt(&half, &self.to_canonical())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_laws() {
        let a = Fp::from_u64(123_456_789);
        let b = Fp::from_u64(987_654_321);
        assert_eq!(a.mul(&b), Fp::from_u64(123_456_789 * 987_654_321));
        assert_eq!(a.add(&b).sub(&b), a);
        assert_eq!(a.mul(&a.invert()), Fp::ONE);
        assert_eq!(Fp::ZERO.invert(), Fp::ZERO);
        assert_eq!(a.neg().add(&a), Fp::ZERO);
        // p - 1 = -1
        let mut pm1 = [0u8; 48];
        mont::to_be(&MODULUS, &mut pm1);
        assert!(Fp::from_be_bytes(&pm1).is_none());
        pm1[47] -= 1;
        assert_eq!(Fp::from_be_bytes(&pm1).unwrap(), Fp::ONE.neg());
        assert_eq!(Fp::ONE.neg().to_be_bytes(), pm1);
        assert!(Fp::ONE.neg().lexicographically_largest());
        assert!(!Fp::ONE.lexicographically_largest());
        let four = Fp::from_u64(4);
        let s = four.sqrt().unwrap();
        assert!(s == Fp::from_u64(2) || s == Fp::from_u64(2).neg());
        // -1 is not a square when p = 3 mod 4
        assert!(Fp::ONE.neg().sqrt().is_none());
    }
}
