//! Keccak-f[1600] and keccak256 (the original Keccak padding `0x01`, as Ethereum uses; not SHA3-256).
//!
//! Plain scalar implementation, no tables beyond the round constants, no allocation.

/// Round constants of keccak-f[1600] (24 rounds).
const RC: [u64; 24] = [
    0x0000_0000_0000_0001,
    0x0000_0000_0000_8082,
    0x8000_0000_0000_808a,
    0x8000_0000_8000_8000,
    0x0000_0000_0000_808b,
    0x0000_0000_8000_0001,
    0x8000_0000_8000_8081,
    0x8000_0000_0000_8009,
    0x0000_0000_0000_008a,
    0x0000_0000_0000_0088,
    0x0000_0000_8000_8009,
    0x0000_0000_8000_000a,
    0x0000_0000_8000_808b,
    0x8000_0000_0000_008b,
    0x8000_0000_0000_8089,
    0x8000_0000_0000_8003,
    0x8000_0000_0000_8002,
    0x8000_0000_0000_0080,
    0x0000_0000_0000_800a,
    0x8000_0000_8000_000a,
    0x8000_0000_8000_8081,
    0x8000_0000_0000_8080,
    0x0000_0000_8000_0001,
    0x8000_0000_8000_8008,
];

/// Rotation offsets, indexed by lane `x + 5y`.
const RHO: [u32; 25] = [
    0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14,
];

/// The keccak-f[1600] permutation on 25 lanes, lane `(x, y)` at index `x + 5y`.
pub fn keccak_f1600(a: &mut [u64; 25]) {
    #[cfg(feature = "count")]
    crate::counters::KECCAK_F.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
    for rc in RC.iter() {
        // theta
        let mut c = [0u64; 5];
        for x in 0..5 {
            c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
        }
        for x in 0..5 {
            let d = c[(x + 4) % 5] ^ c[(x + 1) % 5].rotate_left(1);
            for y in 0..5 {
                a[x + 5 * y] ^= d;
            }
        }
        // rho and pi: B[y, 2x+3y] = rot(A[x, y], r[x, y])
        let mut b = [0u64; 25];
        for x in 0..5 {
            for y in 0..5 {
                let i = x + 5 * y;
                b[y + 5 * ((2 * x + 3 * y) % 5)] = a[i].rotate_left(RHO[i]);
            }
        }
        // chi
        for y in 0..5 {
            for x in 0..5 {
                a[x + 5 * y] = b[x + 5 * y] ^ (!b[(x + 1) % 5 + 5 * y] & b[(x + 2) % 5 + 5 * y]);
            }
        }
        // iota
        a[0] ^= rc;
    }
}

/// Rate of keccak256 in bytes (1600 - 2 * 256 bits).
const RATE: usize = 136;

/// Incremental keccak256.
#[derive(Clone)]
pub struct Keccak256 {
    state: [u64; 25],
    buf: [u8; RATE],
    len: usize,
}

impl Default for Keccak256 {
    fn default() -> Self {
        Self::new()
    }
}

impl Keccak256 {
    pub fn new() -> Self {
        Keccak256 { state: [0; 25], buf: [0; RATE], len: 0 }
    }

    fn absorb_block(state: &mut [u64; 25], block: &[u8]) {
        for (i, lane) in block.chunks_exact(8).enumerate() {
            let mut w = [0u8; 8];
            w.copy_from_slice(lane);
            state[i] ^= u64::from_le_bytes(w);
        }
        keccak_f1600(state);
    }

    pub fn update(&mut self, mut data: &[u8]) -> &mut Self {
        if self.len > 0 {
            let take = core::cmp::min(RATE - self.len, data.len());
            self.buf[self.len..self.len + take].copy_from_slice(&data[..take]);
            self.len += take;
            data = &data[take..];
            if self.len < RATE {
                return self;
            }
            let block = self.buf;
            Self::absorb_block(&mut self.state, &block);
            self.len = 0;
        }
        while data.len() >= RATE {
            Self::absorb_block(&mut self.state, &data[..RATE]);
            data = &data[RATE..];
        }
        self.buf[..data.len()].copy_from_slice(data);
        self.len = data.len();
        self
    }

    pub fn finalize(mut self) -> [u8; 32] {
        let mut block = [0u8; RATE];
        block[..self.len].copy_from_slice(&self.buf[..self.len]);
        block[self.len] ^= 0x01;
        block[RATE - 1] ^= 0x80;
        Self::absorb_block(&mut self.state, &block);
        let mut out = [0u8; 32];
        for i in 0..4 {
            out[8 * i..8 * i + 8].copy_from_slice(&self.state[i].to_le_bytes());
        }
        out
    }
}

/// keccak256 of `data`.
pub fn keccak256(data: &[u8]) -> [u8; 32] {
    let mut h = Keccak256::new();
    h.update(data);
    h.finalize()
}

/// keccak256 of the concatenation of `parts`.
pub fn keccak256_concat(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Keccak256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hex::encode;
    use alloc::vec::Vec;

    #[test]
    fn known_vectors() {
        assert_eq!(encode(&keccak256(b"")), "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
        assert_eq!(encode(&keccak256(b"abc")), "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
        // 200 bytes of 0xa3 (a multi-block input; the Keccak team's classic "1600-bit" message).
        assert_eq!(
            encode(&keccak256(&[0xa3u8; 200])),
            "3a57666b048777f2c953dc4456f45a2588e1cb6f2da760122d530ac2ce607d4a"
        );
        assert_eq!(
            encode(&keccak256(b"The quick brown fox jumps over the lazy dog")),
            "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15"
        );
    }

    #[test]
    fn permutation_of_zero_state() {
        // keccak-f[1600] applied to the all-zero state (first lanes, XKCP test vector).
        let mut a = [0u64; 25];
        keccak_f1600(&mut a);
        assert_eq!(a[0], 0xF1258F7940E1DDE7);
        assert_eq!(a[1], 0x84D5CCF933C0478A);
        assert_eq!(a[24], 0xEAF1FF7B5CECA249);
    }

    #[test]
    fn incremental_equals_one_shot_at_every_split() {
        let data: Vec<u8> = (0..600u32).map(|i| (i * 7 + 3) as u8).collect();
        for len in [0usize, 1, 135, 136, 137, 271, 272, 273, 600] {
            let whole = keccak256(&data[..len]);
            for split in [0, 1, len / 2, len.saturating_sub(1), len].map(|s| s.min(len)) {
                let mut h = Keccak256::new();
                h.update(&data[..split]).update(&data[split..len]);
                assert_eq!(h.finalize(), whole, "len {len} split {split}");
            }
        }
    }
}
