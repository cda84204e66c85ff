//! The state trie (docs/stf.md "State commitment" → "Trie", "Proofs", "Witness for stateless execution").
//!
//! A path-compressed 4-ary Merkle trie over leaf encodings `leaf = key ‖ value` (the first byte is the
//! tag; the key length is fixed per tag), keyed by its key path read as 128 two-bit digits, most
//! significant first. `keyPath = 0x04 ‖ H(key)[0..31]` for ACCOUNT keys, `key ‖ 0x00…` (padded to 32 bytes)
//! for every other tag:
//!
//! ```text
//! EMPTY: 0x00*32    LEAF: H(0x00 ‖ leaf)    NODE: H(0x01 ‖ h0 ‖ h1 ‖ h2 ‖ h3)
//! ```

use crate::keccak::{keccak256, Keccak256};
use alloc::vec::Vec;

pub const TAG_GLOBALS: u8 = 1;
pub const TAG_ASSET: u8 = 2;
pub const TAG_MARKET: u8 = 3;
pub const TAG_ACCOUNT: u8 = 4;
pub const TAG_ORDER: u8 = 5;
pub const TAG_LEVEL: u8 = 6;
pub const TAG_CLIENT: u8 = 7;
/// Expiry index entry (docs/stf.md "Expiry (eager)"): key `0x08 ‖ u64 expiry ‖ u64 orderId`, structured path.
pub const TAG_EXPIRY: u8 = 8;

/// Hash of an EMPTY node.
pub const EMPTY_HASH: [u8; 32] = [0u8; 32];

/// Maximum depth of a proof / NODE nesting: a key path has 128 digits.
pub const MAX_DEPTH: usize = 128;

/// Length of the key part (tag byte included) of a leaf with this tag; `None` for an unknown tag.
pub fn key_len(tag: u8) -> Option<usize> {
    match tag {
        TAG_GLOBALS => Some(1),
        TAG_ASSET | TAG_MARKET => Some(5),
        TAG_ACCOUNT => Some(21),
        TAG_ORDER => Some(9),
        TAG_LEVEL => Some(14),
        TAG_CLIENT | TAG_EXPIRY => Some(17),
        _ => None,
    }
}

/// The key part of a leaf encoding (`None` if the tag is unknown or the leaf shorter than its key).
pub fn leaf_key(leaf: &[u8]) -> Option<&[u8]> {
    let kl = key_len(*leaf.first()?)?;
    leaf.get(..kl)
}

/// Whether `key` is a well-formed key: a known tag and exactly that tag's key length.
pub fn is_key(key: &[u8]) -> bool {
    matches!(key.first().and_then(|&t| key_len(t)), Some(kl) if kl == key.len())
}

/// `keyPath(k)`: ACCOUNT and CLIENT keys `tag ‖ H(k)[0..31]` (addresses and client ids are user-chosen:
/// hashing stops long shared prefixes); other keys `k` padded with zeros (sequential order ids and nearby
/// prices share path nodes).
/// Keys are at most 21 bytes (`key_len`).
pub fn key_path(key: &[u8]) -> [u8; 32] {
    let mut p = [0u8; 32];
    if let Some(&tag @ (TAG_ACCOUNT | TAG_CLIENT)) = key.first() {
        p[0] = tag;
        p[1..].copy_from_slice(&keccak256(key)[..31]);
    } else {
        let n = key.len().min(32);
        p[..n].copy_from_slice(&key[..n]);
    }
    p
}

/// `digit(p, i)`: the i-th 2-bit digit of a key path, most significant first (`i < 128`).
pub fn digit(p: &[u8; 32], i: usize) -> usize {
    ((p[i >> 2] >> (6 - 2 * (i & 3))) & 3) as usize
}

/// LEAF hash: `H(0x00 ‖ leaf)`.
pub fn leaf_hash(leaf: &[u8]) -> [u8; 32] {
    let mut h = Keccak256::new();
    h.update(&[0u8]).update(leaf);
    h.finalize()
}

/// NODE hash: `H(0x01 ‖ c0 ‖ c1 ‖ c2 ‖ c3)`.
pub fn node_hash(c: &[[u8; 32]; 4]) -> [u8; 32] {
    let mut b = [0u8; 129];
    b[0] = 1;
    for (k, h) in c.iter().enumerate() {
        b[1 + 32 * k..33 + 32 * k].copy_from_slice(h);
    }
    keccak256(&b)
}

// ---------------------------------------------------------------------------------------------- root

/// A leaf set that is not a state's leaf set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeafSetError {
    /// Leaf `n` has an unknown tag or is shorter than its key.
    MalformedLeaf(usize),
    /// Leaves `a` and `b` have the same key.
    DuplicateKey(usize, usize),
}

/// The root of the canonical trie holding exactly `leaves` (any order).
pub fn root_of_leaves(leaves: &[&[u8]]) -> Result<[u8; 32], LeafSetError> {
    let mut items: Vec<([u8; 32], usize)> = Vec::with_capacity(leaves.len());
    for (i, l) in leaves.iter().enumerate() {
        let k = leaf_key(l).ok_or(LeafSetError::MalformedLeaf(i))?;
        items.push((key_path(k), i));
    }
    items.sort();
    if let Some(w) = items.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(LeafSetError::DuplicateKey(w[0].1, w[1].1));
    }
    Ok(subtree_root(leaves, &items, 0))
}

/// Hash of the node at depth `d` holding `items` (sorted by key path, all sharing the first d digits).
fn subtree_root(leaves: &[&[u8]], items: &[([u8; 32], usize)], d: usize) -> [u8; 32] {
    match items.len() {
        0 => EMPTY_HASH,
        1 => leaf_hash(leaves[items[0].1]),
        _ => {
            // distinct key paths differ at some digit < 128, so d < 128 here
            let mut c = [EMPTY_HASH; 4];
            let mut start = 0;
            for (k, ck) in c.iter_mut().enumerate() {
                let end = start + items[start..].iter().take_while(|(p, _)| digit(p, d) == k).count();
                *ck = subtree_root(leaves, &items[start..end], d + 1);
                start = end;
            }
            node_hash(&c)
        }
    }
}

// ---------------------------------------------------------------------------------------------- proofs

/// What a valid proof shows about its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proven<'a> {
    /// The key's leaf (the whole encoding).
    Present(&'a [u8]),
    /// The key has no leaf: an EMPTY slot or another key's leaf where its path ends.
    Absent,
}

/// Why a proof does not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofError {
    /// The key is not a well-formed key (unknown tag or wrong length).
    MalformedKey,
    /// More than 128 levels.
    TooDeep,
    /// The leaf is empty, has an unknown tag or is shorter than its key.
    MalformedLeaf,
    /// The leaf's key path leaves the key's path above the proof's depth.
    LeafOffPath,
    /// Same key path as the key but a different key (a keccak collision: never happens).
    KeyMismatch,
    /// The recomputed root is not the expected root.
    RootMismatch,
}

/// Verifies a proof for `key` against `root`: `siblings` are the three other children of every NODE
/// on the key's path from the root down (child-index order), `leaf` what sits at the end of the path.
pub fn verify_proof<'a>(
    root: &[u8; 32],
    key: &[u8],
    siblings: &[[u8; 32]],
    leaf: Option<&'a [u8]>,
) -> Result<Proven<'a>, ProofError> {
    if !is_key(key) {
        return Err(ProofError::MalformedKey);
    }
    if siblings.len() % 3 != 0 {
        // a caller handing raw sibling lists: not a whole number of levels
        return Err(ProofError::TooDeep);
    }
    let depth = siblings.len() / 3;
    if depth > MAX_DEPTH {
        return Err(ProofError::TooDeep);
    }
    let p = key_path(key);
    let (mut h, result) = match leaf {
        Some(l) => {
            let lk = leaf_key(l).ok_or(ProofError::MalformedLeaf)?;
            let q = key_path(lk);
            if (0..depth).any(|i| digit(&q, i) != digit(&p, i)) {
                return Err(ProofError::LeafOffPath);
            }
            let result = if q == p {
                if lk != key {
                    return Err(ProofError::KeyMismatch);
                }
                Proven::Present(l)
            } else {
                Proven::Absent
            };
            (leaf_hash(l), result)
        }
        None => (EMPTY_HASH, Proven::Absent),
    };
    for i in (0..depth).rev() {
        let dg = digit(&p, i);
        let s = &siblings[3 * i..3 * i + 3];
        let mut c = [EMPTY_HASH; 4];
        let mut j = 0;
        for (k, ck) in c.iter_mut().enumerate() {
            if k == dg {
                *ck = h;
            } else {
                *ck = s[j];
                j += 1;
            }
        }
        h = node_hash(&c);
    }
    if &h != root {
        return Err(ProofError::RootMismatch);
    }
    Ok(result)
}

// ---------------------------------------------------------------------------------------------- witness

/// A node of a parsed witness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WitnessNode {
    Empty,
    /// An untouched subtree known by its hash only.
    Hash([u8; 32]),
    /// A leaf encoding (range into the witness bytes).
    Leaf { start: usize, len: usize },
    /// Indexes of the four children in the node arena.
    Node([usize; 4]),
}

/// Why witness bytes are not a witness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WitnessError {
    /// The bytes end inside a node (byte offset).
    Truncated(usize),
    /// Unknown node tag at this offset.
    BadTag(usize),
    /// A LEAF of length 0, an unknown leaf tag or a leaf shorter than its key (offset of the LEAF).
    BadLeaf(usize),
    /// NODEs nested deeper than the 128 digits of a key path (offset).
    TooDeep(usize),
    /// Bytes after the root node.
    TrailingBytes(usize),
    /// A LEAF not on its own key path (offset).
    LeafOffPath(usize),
}

/// What a witness says about a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup<'a> {
    Present(&'a [u8]),
    Absent,
    /// The path runs into a HASH node: the witness does not cover this key (the guest must reject).
    Unknown,
}

/// A parsed witness (docs/stf.md "Witness for stateless execution"): the pre-state trie pruned to what
/// one batch touches, in pre-order: `0x00` EMPTY, `0x01 ‖ hash` HASH, `0x02 ‖ u16 len ‖ leaf` LEAF,
/// `0x03 ‖ child0 ‖ … ‖ child3` NODE.
#[derive(Debug, Clone)]
pub struct Witness<'a> {
    bytes: &'a [u8],
    nodes: Vec<WitnessNode>,
    root: usize,
}

impl<'a> Witness<'a> {
    /// Parses witness bytes and checks that every LEAF lies on its own key path.
    pub fn parse(bytes: &'a [u8]) -> Result<Witness<'a>, WitnessError> {
        let mut w = Witness { bytes, nodes: Vec::new(), root: 0 };
        let mut pos = 0usize;
        let mut path = [0u8; MAX_DEPTH];
        w.root = w.read(&mut pos, 0, &mut path)?;
        if pos != bytes.len() {
            return Err(WitnessError::TrailingBytes(pos));
        }
        Ok(w)
    }

    fn read(&mut self, pos: &mut usize, depth: usize, path: &mut [u8; MAX_DEPTH]) -> Result<usize, WitnessError> {
        let b = self.bytes;
        let at = *pos;
        let tag = *b.get(at).ok_or(WitnessError::Truncated(at))?;
        *pos += 1;
        let node = match tag {
            0 => WitnessNode::Empty,
            1 => {
                let h = b.get(*pos..*pos + 32).ok_or(WitnessError::Truncated(at))?;
                *pos += 32;
                WitnessNode::Hash(h.try_into().unwrap())
            }
            2 => {
                let l = b.get(*pos..*pos + 2).ok_or(WitnessError::Truncated(at))?;
                let len = u16::from_be_bytes([l[0], l[1]]) as usize;
                *pos += 2;
                let leaf = b.get(*pos..*pos + len).ok_or(WitnessError::Truncated(at))?;
                let key = leaf_key(leaf).ok_or(WitnessError::BadLeaf(at))?;
                let kp = key_path(key);
                if (0..depth).any(|i| digit(&kp, i) as u8 != path[i]) {
                    return Err(WitnessError::LeafOffPath(at));
                }
                let start = *pos;
                *pos += len;
                WitnessNode::Leaf { start, len }
            }
            3 => {
                if depth >= MAX_DEPTH {
                    return Err(WitnessError::TooDeep(at));
                }
                let mut c = [0usize; 4];
                for (k, ck) in c.iter_mut().enumerate() {
                    path[depth] = k as u8;
                    *ck = self.read(pos, depth + 1, path)?;
                }
                WitnessNode::Node(c)
            }
            _ => return Err(WitnessError::BadTag(at)),
        };
        self.nodes.push(node);
        Ok(self.nodes.len() - 1)
    }

    fn leaf_bytes(&self, start: usize, len: usize) -> &'a [u8] {
        &self.bytes[start..start + len]
    }

    /// The root node's index (for walking the parsed tree with [`Witness::node`]).
    pub(crate) fn root_index(&self) -> usize {
        self.root
    }

    /// A parsed node and, for a LEAF, its bytes.
    pub(crate) fn node(&self, i: usize) -> (&WitnessNode, Option<&'a [u8]>) {
        let n = &self.nodes[i];
        let leaf = match n {
            WitnessNode::Leaf { start, len } => Some(self.leaf_bytes(*start, *len)),
            _ => None,
        };
        (n, leaf)
    }

    /// The root hash (must equal the pre-state root).
    pub fn root(&self) -> [u8; 32] {
        self.hash_of(self.root)
    }

    fn hash_of(&self, n: usize) -> [u8; 32] {
        match &self.nodes[n] {
            WitnessNode::Empty => EMPTY_HASH,
            WitnessNode::Hash(h) => *h,
            WitnessNode::Leaf { start, len } => leaf_hash(self.leaf_bytes(*start, *len)),
            WitnessNode::Node(c) => node_hash(&c.map(|k| self.hash_of(k))),
        }
    }

    /// Every LEAF of the witness, in pre-order (key-path order).
    pub fn leaves(&self) -> Vec<&'a [u8]> {
        let mut out = Vec::new();
        self.collect(self.root, &mut out);
        out
    }

    fn collect(&self, n: usize, out: &mut Vec<&'a [u8]>) {
        match &self.nodes[n] {
            WitnessNode::Leaf { start, len } => out.push(self.leaf_bytes(*start, *len)),
            WitnessNode::Node(c) => c.iter().for_each(|&k| self.collect(k, out)),
            _ => {}
        }
    }

    /// Looks a key up: present, absent (EMPTY or another key's leaf at the end of its path), or unknown
    /// (a HASH on the path).
    pub fn lookup(&self, key: &[u8]) -> Lookup<'a> {
        let p = key_path(key);
        let mut n = self.root;
        let mut d = 0;
        loop {
            match &self.nodes[n] {
                WitnessNode::Empty => return Lookup::Absent,
                WitnessNode::Hash(_) => return Lookup::Unknown,
                WitnessNode::Leaf { start, len } => {
                    let leaf = self.leaf_bytes(*start, *len);
                    return if leaf_key(leaf) == Some(key) { Lookup::Present(leaf) } else { Lookup::Absent };
                }
                WitnessNode::Node(c) => {
                    n = c[digit(&p, d)];
                    d += 1;
                }
            }
        }
    }
}
