//! The BLS12-381 G1 group, y^2 = x^3 + 4 over Fp: affine points, Jacobian points (X/Z^2, Y/Z^3; Z = 0 is the
//! point at infinity) with the a = 0 formulas of the Explicit-Formulas Database (dbl-2009-l: 2M + 5S,
//! add-2007-bl: 11M + 5S, madd-2007-bl: 7M + 4S), and the ZCash serialization (48-byte compressed, 96-byte
//! uncompressed; flag bits 7 = compressed, 6 = infinity, 5 = sign of y) that c-kzg and the consensus specs use.

use super::fp::Fp;
use super::fr;
use super::{counters, mont, KzgError};

const B: u64 = 4;

/// An affine point; `infinity` set means the identity (x, y ignored).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct G1Affine {
    pub x: Fp,
    pub y: Fp,
    pub infinity: bool,
}

/// A Jacobian point.
#[derive(Clone, Copy, Debug)]
pub struct G1 {
    x: Fp,
    y: Fp,
    z: Fp,
}

impl G1Affine {
    pub const IDENTITY: G1Affine = G1Affine { x: Fp::ZERO, y: Fp::ZERO, infinity: true };

    /// The standard generator (x, y of the BLS12-381 specification).
    pub fn generator() -> G1Affine {
        let hex48 = |s: &str| {
            let mut b = [0u8; 48];
            for (i, o) in b.iter_mut().enumerate() {
                *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex");
            }
            Fp::from_be_bytes(&b).expect("canonical")
        };
        G1Affine {
            x: hex48("17f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb"),
            y: hex48("08b3f481e3aaa0f1a09e30ed741d8ae4fcf5e095d5d00af600db18cb2c04b3edd03cc744a2888ae40caa232946c5e7e1"),
            infinity: false,
        }
    }

    pub fn is_on_curve(&self) -> bool {
        self.infinity || self.y.square() == self.x.square().mul(&self.x).add(&Fp::from_u64(B))
    }

    /// In the order-r subgroup: [r]P = O (double-and-add; used off the hot path, for the setup).
    pub fn is_torsion_free(&self) -> bool {
        G1::from(*self).mul_scalar(&fr::MODULUS).is_identity()
    }

    pub fn neg(&self) -> G1Affine {
        G1Affine { x: self.x, y: self.y.neg(), infinity: self.infinity }
    }

    /// 48-byte compressed form: x big-endian with the flags in the top three bits.
    pub fn to_compressed(&self) -> [u8; 48] {
        if self.infinity {
            let mut out = [0u8; 48];
            out[0] = 0xc0;
            return out;
        }
        let mut out = self.x.to_be_bytes();
        out[0] |= 0x80;
        if self.y.lexicographically_largest() {
            out[0] |= 0x20;
        }
        out
    }

    /// 96-byte uncompressed form: x ‖ y big-endian (infinity: 0x40 then zeros).
    pub fn to_uncompressed(&self) -> [u8; 96] {
        let mut out = [0u8; 96];
        if self.infinity {
            out[0] = 0x40;
            return out;
        }
        out[..48].copy_from_slice(&self.x.to_be_bytes());
        out[48..].copy_from_slice(&self.y.to_be_bytes());
        out
    }

    /// Decode a 48-byte compressed point with every check blst's `blst_p1_uncompress` plus c-kzg's
    /// subgroup check make: compression flag set, canonical infinity, x < p, x^3 + 4 a square, in G1.
    pub fn from_compressed(b: &[u8; 48]) -> Result<G1Affine, KzgError> {
        let flags = b[0] & 0xe0;
        if flags & 0x80 == 0 {
            return Err(KzgError::PointEncoding);
        }
        let infinity = flags & 0x40 != 0;
        let sign = flags & 0x20 != 0;
        let mut xb = *b;
        xb[0] &= 0x1f;
        if infinity {
            return if !sign && xb.iter().all(|&v| v == 0) { Ok(G1Affine::IDENTITY) } else { Err(KzgError::PointEncoding) };
        }
        let x = Fp::from_be_bytes(&xb).ok_or(KzgError::PointEncoding)?;
        let y = x.square().mul(&x).add(&Fp::from_u64(B)).sqrt().ok_or(KzgError::NotOnCurve)?;
        let y = if y.lexicographically_largest() == sign { y } else { y.neg() };
        let p = G1Affine { x, y, infinity: false };
        if !p.is_torsion_free() {
            return Err(KzgError::NotInSubgroup);
        }
        Ok(p)
    }

    /// Decode a 96-byte uncompressed point without curve or subgroup checks: only for data whose validity is
    /// established elsewhere (the embedded setup, checked by the tests against the official file).
    pub fn from_uncompressed_unchecked(b: &[u8]) -> Result<G1Affine, KzgError> {
        if b.len() != 96 {
            return Err(KzgError::PointEncoding);
        }
        if b[0] & 0xe0 == 0x40 {
            return Ok(G1Affine::IDENTITY);
        }
        if b[0] & 0xe0 != 0 {
            return Err(KzgError::PointEncoding);
        }
        let x = Fp::from_be_bytes(b[..48].try_into().unwrap()).ok_or(KzgError::PointEncoding)?;
        let y = Fp::from_be_bytes(b[48..].try_into().unwrap()).ok_or(KzgError::PointEncoding)?;
        Ok(G1Affine { x, y, infinity: false })
    }
}

impl From<G1Affine> for G1 {
    fn from(p: G1Affine) -> G1 {
        if p.infinity {
            G1::IDENTITY
        } else {
            G1 { x: p.x, y: p.y, z: Fp::ONE }
        }
    }
}

impl G1 {
    pub const IDENTITY: G1 = G1 { x: Fp::ONE, y: Fp::ONE, z: Fp::ZERO };

    pub fn is_identity(&self) -> bool {
        self.z.is_zero()
    }

    /// dbl-2009-l (a = 0): 2M + 5S.
    pub fn double(&self) -> G1 {
        if self.is_identity() {
            return *self;
        }
        counters::g1_double();
        let a = self.x.square();
        let b = self.y.square();
        let c = b.square();
        let d = self.x.add(&b).square().sub(&a).sub(&c).double();
        let e = a.double().add(&a);
        let f = e.square();
        let x3 = f.sub(&d.double());
        let y3 = e.mul(&d.sub(&x3)).sub(&c.double().double().double());
        let z3 = self.y.mul(&self.z).double();
        G1 { x: x3, y: y3, z: z3 }
    }

    /// add-2007-bl: 11M + 5S (equal points double, opposite points give the identity).
    pub fn add(&self, o: &G1) -> G1 {
        if self.is_identity() {
            return *o;
        }
        if o.is_identity() {
            return *self;
        }
        let z1z1 = self.z.square();
        let z2z2 = o.z.square();
        let u1 = self.x.mul(&z2z2);
        let u2 = o.x.mul(&z1z1);
        let s1 = self.y.mul(&o.z).mul(&z2z2);
        let s2 = o.y.mul(&self.z).mul(&z1z1);
        let h = u2.sub(&u1);
        let r = s2.sub(&s1).double();
        if h.is_zero() {
            return if r.is_zero() { self.double() } else { G1::IDENTITY };
        }
        counters::g1_add();
        let i = h.double().square();
        let j = h.mul(&i);
        let v = u1.mul(&i);
        let x3 = r.square().sub(&j).sub(&v.double());
        let y3 = r.mul(&v.sub(&x3)).sub(&s1.mul(&j).double());
        let z3 = self.z.add(&o.z).square().sub(&z1z1).sub(&z2z2).mul(&h);
        G1 { x: x3, y: y3, z: z3 }
    }

    /// madd-2007-bl, the second point affine: 7M + 4S.
    pub fn add_affine(&self, o: &G1Affine) -> G1 {
        if o.infinity {
            return *self;
        }
        if self.is_identity() {
            return G1::from(*o);
        }
        let z1z1 = self.z.square();
        let u2 = o.x.mul(&z1z1);
        let s2 = o.y.mul(&self.z).mul(&z1z1);
        let h = u2.sub(&self.x);
        let r = s2.sub(&self.y).double();
        if h.is_zero() {
            return if r.is_zero() { self.double() } else { G1::IDENTITY };
        }
        counters::g1_add_affine();
        let hh = h.square();
        let i = hh.double().double();
        let j = h.mul(&i);
        let v = self.x.mul(&i);
        let x3 = r.square().sub(&j).sub(&v.double());
        let y3 = r.mul(&v.sub(&x3)).sub(&self.y.mul(&j).double());
        let z3 = self.z.add(&h).square().sub(&z1z1).sub(&hh);
        G1 { x: x3, y: y3, z: z3 }
    }

    /// [k]P by double-and-add over the bits of k (little-endian limbs).
    pub fn mul_scalar(&self, k: &[u64; 4]) -> G1 {
        let mut acc = G1::IDENTITY;
        for i in (0..256).rev() {
            acc = acc.double();
            if mont::bit(k, i) {
                acc = acc.add(self);
            }
        }
        acc
    }

    /// One inversion (p - 2 power) and 3M + 1S.
    pub fn to_affine(&self) -> G1Affine {
        if self.is_identity() {
            return G1Affine::IDENTITY;
        }
        let zi = self.z.invert();
        let zi2 = zi.square();
        G1Affine { x: self.x.mul(&zi2), y: self.y.mul(&zi2).mul(&zi), infinity: false }
    }
}

impl PartialEq for G1 {
    /// Equality of the points (not of the representations).
    fn eq(&self, o: &G1) -> bool {
        match (self.is_identity(), o.is_identity()) {
            (true, true) => true,
            (false, false) => {
                let z1z1 = self.z.square();
                let z2z2 = o.z.square();
                self.x.mul(&z2z2) == o.x.mul(&z1z1) && self.y.mul(&o.z).mul(&z2z2) == o.y.mul(&self.z).mul(&z1z1)
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_laws() {
        let g = G1Affine::generator();
        assert!(g.is_on_curve());
        assert!(g.is_torsion_free());
        let gj = G1::from(g);
        let g2 = gj.double();
        assert_eq!(gj.add(&gj), g2);
        assert_eq!(gj.add_affine(&g), g2);
        let g3 = g2.add_affine(&g);
        assert_eq!(g3, gj.add(&g2));
        assert_eq!(g3, gj.mul_scalar(&[3, 0, 0, 0]));
        assert!(gj.add_affine(&g.neg()).is_identity());
        assert!(g3.to_affine().is_on_curve());
        // (r - 1) G = -G
        let mut rm1 = fr::MODULUS;
        rm1[0] -= 1;
        assert_eq!(gj.mul_scalar(&rm1).to_affine(), g.neg());
    }

    #[test]
    fn serialization() {
        let g = G1Affine::generator();
        // the generator's compressed form (ZCash serialization, as in the BLS12-381 specification)
        let c = g.to_compressed();
        let expected = "97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb";
        let hex: alloc::string::String = c.iter().map(|b| alloc::format!("{b:02x}")).collect();
        assert_eq!(hex, expected);
        assert_eq!(G1Affine::from_compressed(&c), Ok(g));
        let n = g.neg().to_compressed();
        assert_eq!(n[0] & 0x20, 0x20 ^ (c[0] & 0x20));
        assert_eq!(G1Affine::from_compressed(&n), Ok(g.neg()));
        assert_eq!(G1Affine::from_uncompressed_unchecked(&g.to_uncompressed()), Ok(g));
        let inf = G1Affine::IDENTITY.to_compressed();
        assert_eq!(G1Affine::from_compressed(&inf), Ok(G1Affine::IDENTITY));
        // flags: uncompressed bit clear, infinity with a sign or nonzero x, x >= p, x with no point
        let mut bad = c;
        bad[0] &= 0x7f;
        assert_eq!(G1Affine::from_compressed(&bad), Err(KzgError::PointEncoding));
        let mut bad = inf;
        bad[0] |= 0x20;
        assert_eq!(G1Affine::from_compressed(&bad), Err(KzgError::PointEncoding));
        let mut bad = inf;
        bad[47] = 1;
        assert_eq!(G1Affine::from_compressed(&bad), Err(KzgError::PointEncoding));
        let mut bad = [0xffu8; 48];
        bad[0] = 0x9f;
        assert_eq!(G1Affine::from_compressed(&bad), Err(KzgError::PointEncoding));
        // x = 0: 4 is a square (y = 2) but (0, 2) has order 3, not in G1; x = 1: 5 is not a square mod p
        let mut x0 = [0u8; 48];
        x0[0] = 0x80;
        assert_eq!(G1Affine::from_compressed(&x0), Err(KzgError::NotInSubgroup));
        let mut x1 = x0;
        x1[47] = 1;
        assert_eq!(G1Affine::from_compressed(&x1), Err(KzgError::NotOnCurve));
    }
}
