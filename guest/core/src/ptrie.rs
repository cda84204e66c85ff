//! The pruned state trie of a witness, updated to the post-state root (docs/stf.md "Witness for
//! stateless execution", "Trie"): deletes collapse every NODE left with a single LEAF child into that
//! leaf, upward; puts replace a leaf, fill an EMPTY slot or split a LEAF into NODEs down to where the two
//! key paths differ. A HASH (opaque subtree) met where the update must read or change the trie means the
//! witness is insufficient: the guest rejects it, it never guesses. Same rules as node/state/witness.ts
//! `PartialTrie` (changes applied as verifyWitness does: every delete, then every put).

use crate::trie::{digit, key_path, leaf_hash, leaf_key, node_hash, Witness, WitnessNode, EMPTY_HASH};
use alloc::vec::Vec;

/// The witness lacks a node the update needs, or a change is not a leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateError {
    /// An opaque HASH on a path the update reads or changes.
    InsufficientWitness,
    /// A put that is not a leaf encoding, or a delete key that is not a key.
    MalformedLeaf,
}

#[derive(Debug, Clone)]
enum N {
    Empty,
    Hash([u8; 32]),
    Leaf { enc: Vec<u8>, kp: [u8; 32] },
    Node { c: [usize; 4], h: Option<[u8; 32]> },
}

/// A partially known trie (arena of nodes; replaced nodes are left unreferenced).
#[derive(Debug, Clone)]
pub struct PartialTrie {
    nodes: Vec<N>,
    root: usize,
}

impl PartialTrie {
    /// The trie a parsed witness describes.
    pub fn from_witness(w: &Witness) -> PartialTrie {
        let mut t = PartialTrie { nodes: Vec::new(), root: 0 };
        t.root = t.copy(w, w.root_index());
        t
    }

    fn copy(&mut self, w: &Witness, i: usize) -> usize {
        let n = match w.node(i) {
            (WitnessNode::Empty, _) => N::Empty,
            (WitnessNode::Hash(h), _) => N::Hash(*h),
            (WitnessNode::Leaf { .. }, Some(enc)) => {
                // Witness::parse checked the key
                let kp = key_path(leaf_key(enc).unwrap_or(&[]));
                N::Leaf { enc: enc.to_vec(), kp }
            }
            (WitnessNode::Node(c), _) => {
                let c = *c;
                let mut k = [0usize; 4];
                for j in 0..4 {
                    k[j] = self.copy(w, c[j]);
                }
                N::Node { c: k, h: None }
            }
            (WitnessNode::Leaf { .. }, None) => N::Empty, // not produced by Witness::node
        };
        self.push(n)
    }

    fn push(&mut self, n: N) -> usize {
        self.nodes.push(n);
        self.nodes.len() - 1
    }

    /// Points the slot (`parent`, `i`) (or the root when `parent` is None) at node `n`.
    fn set(&mut self, parent: Option<usize>, i: usize, n: usize) {
        match parent {
            None => self.root = n,
            Some(p) => {
                if let N::Node { c, h } = &mut self.nodes[p] {
                    c[i] = n;
                    *h = None;
                }
            }
        }
    }

    fn child(&self, parent: Option<usize>, i: usize) -> usize {
        match parent {
            None => self.root,
            Some(p) => match &self.nodes[p] {
                N::Node { c, .. } => c[i],
                _ => unreachable!("parents are NODEs"),
            },
        }
    }

    /// Inserts or replaces a leaf.
    pub fn put(&mut self, enc: &[u8]) -> Result<(), UpdateError> {
        let kp = key_path(leaf_key(enc).ok_or(UpdateError::MalformedLeaf)?);
        let leaf = self.push(N::Leaf { enc: enc.to_vec(), kp });
        let mut parent: Option<usize> = None;
        let mut pi = 0;
        let mut depth = 0;
        loop {
            let cur = self.child(parent, pi);
            match &self.nodes[cur] {
                N::Hash(_) => return Err(UpdateError::InsufficientWitness),
                N::Empty => {
                    self.set(parent, pi, leaf);
                    return Ok(());
                }
                N::Leaf { kp: okp, .. } => {
                    let okp = *okp;
                    if okp == kp {
                        self.set(parent, pi, leaf);
                        return Ok(());
                    }
                    // split down to where the paths differ
                    loop {
                        let n = self.push(N::Node { c: [0; 4], h: None });
                        let e = self.push(N::Empty);
                        if let N::Node { c, .. } = &mut self.nodes[n] {
                            *c = [e; 4];
                        }
                        self.set(parent, pi, n);
                        let (da, db) = (digit(&okp, depth), digit(&kp, depth));
                        if da != db {
                            if let N::Node { c, .. } = &mut self.nodes[n] {
                                c[da] = cur;
                                c[db] = leaf;
                            }
                            return Ok(());
                        }
                        parent = Some(n);
                        pi = da;
                        depth += 1;
                    }
                }
                N::Node { .. } => {
                    if let N::Node { h, .. } = &mut self.nodes[cur] {
                        *h = None;
                    }
                    parent = Some(cur);
                    pi = digit(&kp, depth);
                    depth += 1;
                }
            }
        }
    }

    /// Deletes a leaf by key (nothing happens if the key is absent).
    pub fn delete(&mut self, key: &[u8]) -> Result<(), UpdateError> {
        if !crate::trie::is_key(key) {
            return Err(UpdateError::MalformedLeaf);
        }
        let kp = key_path(key);
        let mut stack: Vec<(usize, usize)> = Vec::new(); // (node, child index taken)
        let mut cur = self.root;
        let mut depth = 0;
        loop {
            match &self.nodes[cur] {
                N::Hash(_) => return Err(UpdateError::InsufficientWitness),
                N::Node { c, .. } => {
                    let i = digit(&kp, depth);
                    stack.push((cur, i));
                    cur = c[i];
                    depth += 1;
                }
                _ => break,
            }
        }
        match &self.nodes[cur] {
            N::Leaf { kp: lkp, .. } if *lkp == kp => {}
            _ => return Ok(()), // absent
        }
        let Some(&(last, li)) = stack.last() else {
            self.root = self.push(N::Empty);
            return Ok(());
        };
        let e = self.push(N::Empty);
        self.set(Some(last), li, e);
        for &(n, _) in &stack {
            if let N::Node { h, .. } = &mut self.nodes[n] {
                *h = None;
            }
        }
        // collapse: a NODE left with a single child that is a LEAF becomes that leaf, upward
        for k in (0..stack.len()).rev() {
            let n = stack[k].0;
            let N::Node { c, .. } = &self.nodes[n] else { unreachable!() };
            let c = *c;
            let live: Vec<usize> = c.iter().copied().filter(|&x| !matches!(self.nodes[x], N::Empty)).collect();
            if live.len() != 1 {
                break;
            }
            match &self.nodes[live[0]] {
                N::Hash(_) => return Err(UpdateError::InsufficientWitness),
                N::Leaf { .. } => {
                    let parent = if k == 0 { None } else { Some(stack[k - 1].0) };
                    let pi = if k == 0 { 0 } else { stack[k - 1].1 };
                    self.set(parent, pi, live[0]);
                }
                _ => break,
            }
        }
        Ok(())
    }

    fn hash_of(&mut self, i: usize) -> [u8; 32] {
        match &self.nodes[i] {
            N::Empty => EMPTY_HASH,
            N::Hash(h) => *h,
            N::Leaf { enc, .. } => leaf_hash(enc),
            N::Node { h: Some(h), .. } => *h,
            N::Node { c, h: None } => {
                let c = *c;
                let hs = [self.hash_of(c[0]), self.hash_of(c[1]), self.hash_of(c[2]), self.hash_of(c[3])];
                let h = node_hash(&hs);
                if let N::Node { h: slot, .. } = &mut self.nodes[i] {
                    *slot = Some(h);
                }
                h
            }
        }
    }

    /// The root hash of the trie as updated so far.
    pub fn root(&mut self) -> [u8; 32] {
        self.hash_of(self.root)
    }
}
