//! secp256k1 public-key recovery (ECDSA `ecrecover`) for the STF's signature check, docs/stf.md
//! "Authorization": `1 <= r < n`, `1 <= s <= n/2` (low-s), recovery id `v` in {0, 1},
//! `Q = r^-1 (s R - e G)`, signer = the last 20 bytes of `keccak256(Q.x ‖ Q.y)`.
//!
//! The range checks and the address derivation live here ([`recover_address`]); the elliptic-curve part
//! sits behind the [`Recover`] trait so that zkVM builds can plug in their precompile-backed crates (SP1
//! and ZisK patch `k256`), while the native build uses [`Native`]: a portable implementation with no
//! dependencies (4 × 64-bit limbs, u128 products, Jacobian coordinates, a 4-bit fixed-window double-scalar
//! multiplication). It is variable-time, which is fine for verification of public data.

use crate::keccak::keccak256;

/// The elliptic-curve step of recovery: the uncompressed public key `Q.x ‖ Q.y` (64 bytes, big-endian)
/// for a digest and a signature that already passed the range checks of [`check_signature`], or `None` when no key
/// exists (`r` is not the x of a curve point, or `Q` is the point at infinity).
pub trait Recover {
    fn recover_pubkey(&self, digest: &[u8; 32], r: &[u8; 32], s: &[u8; 32], v: u8) -> Option<[u8; 64]>;
}

/// The portable implementation of [`Recover`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Native;

impl Recover for Native {
    fn recover_pubkey(&self, digest: &[u8; 32], r: &[u8; 32], s: &[u8; 32], v: u8) -> Option<[u8; 64]> {
        recover_pubkey(digest, r, s, v)
    }
}

/// The group order n, big-endian.
pub const N: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xba, 0xae,
    0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
];
/// floor(n / 2), big-endian: the largest accepted `s`.
pub const HALF_N: [u8; 32] = [
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x5d, 0x57,
    0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
];

/// docs/stf.md "Authorization": `1 <= r < n`, `1 <= s <= n/2`, `v` in {0, 1}.
pub fn check_signature(r: &[u8; 32], s: &[u8; 32], v: u8) -> bool {
    v <= 1 && r.iter().any(|&b| b != 0) && r < &N && s.iter().any(|&b| b != 0) && s <= &HALF_N
}

/// Splits an EIP-2098 compact signature `r ‖ s'` into `(r, s, v)`: `v` is the top bit of `s'`, `s` is `s'`
/// with that bit cleared (docs/batch-format.md "Signatures").
pub fn split_compact(sig: &[u8; 64]) -> ([u8; 32], [u8; 32], u8) {
    let mut r = [0u8; 32];
    let mut s = [0u8; 32];
    r.copy_from_slice(&sig[..32]);
    s.copy_from_slice(&sig[32..]);
    let v = s[0] >> 7;
    s[0] &= 0x7f;
    (r, s, v)
}

/// The Ethereum address of an uncompressed public key `x ‖ y`.
pub fn pubkey_address(pubkey: &[u8; 64]) -> [u8; 20] {
    let h = keccak256(pubkey);
    let mut a = [0u8; 20];
    a.copy_from_slice(&h[12..]);
    a
}

/// The signer of `digest`, or `None` when the signature breaks the range rules or recovery fails
/// (both are `INVALID_SIGNATURE` in the STF).
pub fn recover_address<R: Recover + ?Sized>(rec: &R, digest: &[u8; 32], r: &[u8; 32], s: &[u8; 32], v: u8) -> Option<[u8; 20]> {
    if !check_signature(r, s, v) {
        return None;
    }
    #[cfg(feature = "count")]
    crate::counters::ECRECOVER.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
    rec.recover_pubkey(digest, r, s, v).map(|q| pubkey_address(&q))
}

// ---------------------------------------------------------------------------------------------------------
// 256-bit helpers: little-endian 64-bit limbs

type U256 = [u64; 4];

fn from_be(b: &[u8; 32]) -> U256 {
    let mut l = [0u64; 4];
    for (i, limb) in l.iter_mut().enumerate() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[24 - 8 * i..32 - 8 * i]);
        *limb = u64::from_be_bytes(w);
    }
    l
}

fn to_be(l: &U256) -> [u8; 32] {
    let mut b = [0u8; 32];
    for i in 0..4 {
        b[24 - 8 * i..32 - 8 * i].copy_from_slice(&l[i].to_be_bytes());
    }
    b
}

/// a >= b
fn geq(a: &U256, b: &U256) -> bool {
    for i in (0..4).rev() {
        if a[i] != b[i] {
            return a[i] > b[i];
        }
    }
    true
}

/// (a + b mod 2^256, carry)
fn add_raw(a: &U256, b: &U256) -> (U256, bool) {
    let mut r = [0u64; 4];
    let mut c = 0u128;
    for i in 0..4 {
        let t = a[i] as u128 + b[i] as u128 + c;
        r[i] = t as u64;
        c = t >> 64;
    }
    (r, c != 0)
}

/// (a - b mod 2^256, borrow)
fn sub_raw(a: &U256, b: &U256) -> (U256, bool) {
    let mut r = [0u64; 4];
    let mut borrow = false;
    for i in 0..4 {
        let (d1, b1) = a[i].overflowing_sub(b[i]);
        let (d2, b2) = d1.overflowing_sub(borrow as u64);
        r[i] = d2;
        borrow = b1 || b2;
    }
    (r, borrow)
}

fn mul_wide(a: &U256, b: &U256) -> [u64; 8] {
    let mut w = [0u64; 8];
    for i in 0..4 {
        let mut c = 0u128;
        for j in 0..4 {
            let t = a[i] as u128 * b[j] as u128 + w[i + j] as u128 + c;
            w[i + j] = t as u64;
            c = t >> 64;
        }
        w[i + 4] = c as u64;
    }
    w
}

fn is_zero(a: &U256) -> bool {
    (a[0] | a[1] | a[2] | a[3]) == 0
}

// ---------------------------------------------------------------------------------------------------------
// field arithmetic mod p = 2^256 - 2^32 - 977 (values always fully reduced)

const P: U256 = [0xffff_fffe_ffff_fc2f, u64::MAX, u64::MAX, u64::MAX];
/// 2^256 mod p
const PC: u64 = 0x1_0000_03d1;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Fe(U256);

impl Fe {
    const ZERO: Fe = Fe([0; 4]);
    const ONE: Fe = Fe([1, 0, 0, 0]);

    fn add(&self, b: &Fe) -> Fe {
        let (r, c) = add_raw(&self.0, &b.0);
        if c || geq(&r, &P) {
            Fe(sub_raw(&r, &P).0)
        } else {
            Fe(r)
        }
    }

    fn sub(&self, b: &Fe) -> Fe {
        let (r, borrow) = sub_raw(&self.0, &b.0);
        if borrow {
            Fe(add_raw(&r, &P).0)
        } else {
            Fe(r)
        }
    }

    fn neg(&self) -> Fe {
        Fe::ZERO.sub(self)
    }

    fn dbl(&self) -> Fe {
        self.add(self)
    }

    fn mul(&self, b: &Fe) -> Fe {
        Fe::reduce(&mul_wide(&self.0, &b.0))
    }

    fn sqr(&self) -> Fe {
        self.mul(self)
    }

    /// w mod p for a 512-bit w, using 2^256 = PC (mod p).
    fn reduce(w: &[u64; 8]) -> Fe {
        let mut t = [0u64; 4];
        let mut c = 0u128;
        for i in 0..4 {
            let v = w[i] as u128 + w[i + 4] as u128 * PC as u128 + c;
            t[i] = v as u64;
            c = v >> 64;
        }
        // value = t + c * 2^256, c < 2^34
        let v = t[0] as u128 + c * PC as u128;
        t[0] = v as u64;
        let mut c = v >> 64;
        for limb in t.iter_mut().skip(1) {
            let v = *limb as u128 + c;
            *limb = v as u64;
            c = v >> 64;
        }
        if c != 0 {
            // t wrapped past 2^256, so t is small now: adding PC cannot carry again
            let (r, _) = add_raw(&t, &[PC, 0, 0, 0]);
            t = r;
        }
        if geq(&t, &P) {
            t = sub_raw(&t, &P).0;
        }
        Fe(t)
    }

    fn pow(&self, e: &U256) -> Fe {
        let mut r = Fe::ONE;
        for i in (0..256).rev() {
            r = r.sqr();
            if (e[i / 64] >> (i % 64)) & 1 == 1 {
                r = r.mul(self);
            }
        }
        r
    }

    fn inv(&self) -> Fe {
        // p - 2
        self.pow(&[0xffff_fffe_ffff_fc2d, u64::MAX, u64::MAX, u64::MAX])
    }

    /// A square root if one exists ((p + 1) / 4 power, p = 3 mod 4).
    fn sqrt(&self) -> Option<Fe> {
        let r = self.pow(&[0xffff_ffff_bfff_ff0c, u64::MAX, u64::MAX, 0x3fff_ffff_ffff_ffff]);
        if r.sqr() == *self {
            Some(r)
        } else {
            None
        }
    }

    fn is_odd(&self) -> bool {
        self.0[0] & 1 == 1
    }
}

// ---------------------------------------------------------------------------------------------------------
// scalar arithmetic mod n

const NL: U256 = [0xbfd2_5e8c_d036_4141, 0xbaae_dce6_af48_a03b, 0xffff_ffff_ffff_fffe, u64::MAX];
/// 2^256 - n (129 bits)
const NC: [u64; 3] = [0x402d_a173_2fc9_bebf, 0x4551_2319_50b7_5fc4, 1];

fn sc_reduce(mut w: [u64; 8]) -> U256 {
    // fold the high half with 2^256 = NC (mod n) until it is zero; each fold removes ~127 bits
    while w[4] | w[5] | w[6] | w[7] != 0 {
        let mut nw = [0u64; 8];
        nw[..4].copy_from_slice(&w[..4]);
        for i in 0..4 {
            let mut c = 0u128;
            for j in 0..3 {
                let t = w[4 + i] as u128 * NC[j] as u128 + nw[i + j] as u128 + c;
                nw[i + j] = t as u64;
                c = t >> 64;
            }
            let mut k = i + 3;
            while c != 0 {
                let t = nw[k] as u128 + c;
                nw[k] = t as u64;
                c = t >> 64;
                k += 1;
            }
        }
        w = nw;
    }
    let mut r = [w[0], w[1], w[2], w[3]];
    while geq(&r, &NL) {
        r = sub_raw(&r, &NL).0;
    }
    r
}

fn sc_mul(a: &U256, b: &U256) -> U256 {
    sc_reduce(mul_wide(a, b))
}

fn sc_neg(a: &U256) -> U256 {
    if is_zero(a) {
        *a
    } else {
        sub_raw(&NL, a).0
    }
}

fn sc_inv(a: &U256) -> U256 {
    // n - 2
    let e: U256 = [0xbfd2_5e8c_d036_413f, 0xbaae_dce6_af48_a03b, 0xffff_ffff_ffff_fffe, u64::MAX];
    let mut r: U256 = [1, 0, 0, 0];
    for i in (0..256).rev() {
        r = sc_mul(&r, &r);
        if (e[i / 64] >> (i % 64)) & 1 == 1 {
            r = sc_mul(&r, a);
        }
    }
    r
}

// ---------------------------------------------------------------------------------------------------------
// points: Jacobian (X, Y, Z) = affine (X/Z^2, Y/Z^3); Z = 0 is the point at infinity

#[derive(Clone, Copy, Debug)]
struct Jac {
    x: Fe,
    y: Fe,
    z: Fe,
}

const INF: Jac = Jac { x: Fe::ONE, y: Fe::ONE, z: Fe::ZERO };

const GX: U256 = [0x59f2_815b_16f8_1798, 0x029b_fcdb_2dce_28d9, 0x55a0_6295_ce87_0b07, 0x79be_667e_f9dc_bbac];
const GY: U256 = [0x9c47_d08f_fb10_d4b8, 0xfd17_b448_a685_5419, 0x5da4_fbfc_0e11_08a8, 0x483a_da77_26a3_c465];

impl Jac {
    fn is_inf(&self) -> bool {
        is_zero(&self.z.0)
    }

    fn affine(x: Fe, y: Fe) -> Jac {
        Jac { x, y, z: Fe::ONE }
    }

    /// 2P (dbl-2009-l, a = 0)
    fn double(&self) -> Jac {
        if self.is_inf() || is_zero(&self.y.0) {
            return INF;
        }
        let a = self.x.sqr();
        let b = self.y.sqr();
        let c = b.sqr();
        let d = self.x.add(&b).sqr().sub(&a).sub(&c).dbl();
        let e = a.dbl().add(&a);
        let f = e.sqr();
        let x3 = f.sub(&d.dbl());
        let y3 = e.mul(&d.sub(&x3)).sub(&c.dbl().dbl().dbl());
        let z3 = self.y.mul(&self.z).dbl();
        Jac { x: x3, y: y3, z: z3 }
    }

    /// P + Q (general Jacobian addition, doubling and infinity handled)
    fn add(&self, q: &Jac) -> Jac {
        if self.is_inf() {
            return *q;
        }
        if q.is_inf() {
            return *self;
        }
        let z1z1 = self.z.sqr();
        let z2z2 = q.z.sqr();
        let u1 = self.x.mul(&z2z2);
        let u2 = q.x.mul(&z1z1);
        let s1 = self.y.mul(&q.z).mul(&z2z2);
        let s2 = q.y.mul(&self.z).mul(&z1z1);
        let h = u2.sub(&u1);
        let rr = s2.sub(&s1);
        if is_zero(&h.0) {
            return if is_zero(&rr.0) { self.double() } else { INF };
        }
        let hh = h.sqr();
        let hhh = h.mul(&hh);
        let v = u1.mul(&hh);
        let x3 = rr.sqr().sub(&hhh).sub(&v.dbl());
        let y3 = rr.mul(&v.sub(&x3)).sub(&s1.mul(&hhh));
        let z3 = self.z.mul(&q.z).mul(&h);
        Jac { x: x3, y: y3, z: z3 }
    }

    fn to_affine(&self) -> Option<(Fe, Fe)> {
        if self.is_inf() {
            return None;
        }
        let zi = self.z.inv();
        let zi2 = zi.sqr();
        Some((self.x.mul(&zi2), self.y.mul(&zi2).mul(&zi)))
    }
}

/// [0, P, 2P, ..., 15P]
fn table(p: &Jac) -> [Jac; 16] {
    let mut t = [INF; 16];
    t[1] = *p;
    for i in 2..16 {
        t[i] = t[i - 1].add(p);
    }
    t
}

/// a G + b P with 4-bit fixed windows, both scalars processed together (Shamir's trick).
fn double_mul(a: &U256, b: &U256, p: &Jac) -> Jac {
    let tg = table(&Jac::affine(Fe(GX), Fe(GY)));
    let tp = table(p);
    let mut acc = INF;
    for w in (0..64).rev() {
        for _ in 0..4 {
            acc = acc.double();
        }
        let da = ((a[w / 16] >> (4 * (w % 16))) & 15) as usize;
        let db = ((b[w / 16] >> (4 * (w % 16))) & 15) as usize;
        if da != 0 {
            acc = acc.add(&tg[da]);
        }
        if db != 0 {
            acc = acc.add(&tp[db]);
        }
    }
    acc
}

/// The recovery itself (no range checks beyond what the math needs): `Q = r^-1 (s R - e G)`.
pub fn recover_pubkey(digest: &[u8; 32], r: &[u8; 32], s: &[u8; 32], v: u8) -> Option<[u8; 64]> {
    let r = from_be(r);
    let s = from_be(s);
    if v > 1 || is_zero(&r) || geq(&r, &NL) || is_zero(&s) || geq(&s, &NL) {
        return None;
    }
    // R = (r, y) with y of parity v (r < n < p, so r is a field element)
    let x = Fe(r);
    let y2 = x.sqr().mul(&x).add(&Fe([7, 0, 0, 0]));
    let mut y = y2.sqrt()?;
    if y.is_odd() != (v == 1) {
        y = y.neg();
    }
    let big_r = Jac::affine(x, y);
    let mut e = from_be(digest);
    if geq(&e, &NL) {
        e = sub_raw(&e, &NL).0;
    }
    let rinv = sc_inv(&r);
    let u1 = sc_neg(&sc_mul(&e, &rinv));
    let u2 = sc_mul(&s, &rinv);
    let q = double_mul(&u1, &u2, &big_r);
    let (qx, qy) = q.to_affine()?;
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(&to_be(&qx.0));
    out[32..].copy_from_slice(&to_be(&qy.0));
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hex;

    fn h32(s: &str) -> [u8; 32] {
        hex::decode32(s).unwrap()
    }

    #[test]
    fn field_inverse_and_sqrt() {
        let a = Fe([12345, 678, 9, 0x7fff_0000_0000_0001]);
        assert_eq!(a.mul(&a.inv()), Fe::ONE);
        let sq = a.sqr();
        let r = sq.sqrt().unwrap();
        assert!(r == a || r == a.neg());
        // p - 1 squared is 1
        let m1 = Fe::ONE.neg();
        assert_eq!(m1.sqr(), Fe::ONE);
    }

    #[test]
    fn scalar_inverse() {
        let a: U256 = [0xdead_beef, 1, 2, 0xffff_ffff_ffff_fff0];
        let a = if geq(&a, &NL) { sub_raw(&a, &NL).0 } else { a };
        assert_eq!(sc_mul(&a, &sc_inv(&a)), [1, 0, 0, 0]);
        assert_eq!(sc_mul(&sc_neg(&[1, 0, 0, 0]), &sc_neg(&[1, 0, 0, 0])), [1, 0, 0, 0]);
    }

    #[test]
    fn generator_order() {
        // (n - 1) G = -G
        let g = Jac::affine(Fe(GX), Fe(GY));
        let nm1 = sub_raw(&NL, &[1, 0, 0, 0]).0;
        let (x, y) = double_mul(&nm1, &[0; 4], &g).to_affine().unwrap();
        assert_eq!(x, Fe(GX));
        assert_eq!(y, Fe(GY).neg());
        // n G = infinity
        let ng = double_mul(&nm1, &[0; 4], &g).add(&g);
        assert!(ng.is_inf());
    }

    #[test]
    fn known_key() {
        // private key 1 -> G; 2G from SEC test data
        let g = Jac::affine(Fe(GX), Fe(GY));
        let (x, _) = g.double().to_affine().unwrap();
        assert_eq!(to_be(&x.0), h32("c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5"));
        // the well-known address of private key 1
        let mut pk = [0u8; 64];
        pk[..32].copy_from_slice(&to_be(&GX));
        pk[32..].copy_from_slice(&to_be(&GY));
        assert_eq!(hex::encode(&pubkey_address(&pk)), "7e5f4552091a69125d5dfcb7b8c2659029395bdf");
    }

    #[test]
    fn range_checks() {
        let one = {
            let mut b = [0u8; 32];
            b[31] = 1;
            b
        };
        assert!(check_signature(&one, &one, 0));
        assert!(check_signature(&one, &HALF_N, 1));
        assert!(!check_signature(&one, &one, 2));
        assert!(!check_signature(&[0; 32], &one, 0));
        assert!(!check_signature(&N, &one, 0));
        assert!(!check_signature(&one, &[0; 32], 0));
        let mut above = HALF_N;
        above[31] += 1;
        assert!(!check_signature(&one, &above, 0));
    }
}
