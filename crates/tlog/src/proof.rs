//! RFC 9162 §2.1.3–2.1.4 inclusion and consistency proofs, and a compact
//! multi-leaf proof, over any source of subtree hashes.
//!
//! Producers take a [`Subtrees`] (in memory for tests, tiles on disk for a
//! real log); verifiers need nothing but the proof, the leaf hashes and the
//! signed root.

use crate::hash::{node_hash, Hash};
use crate::tree::split;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProofError {
    #[error("index {index} is not within a tree of size {size}")]
    OutOfRange { index: u64, size: u64 },
    #[error("the proof has {found} hashes, expected {expected}")]
    WrongLength { found: usize, expected: usize },
    #[error("the proof does not lead to the signed root: computed {computed}, signed {signed}")]
    RootMismatch { computed: Hash, signed: Hash },
    #[error("{0}")]
    Invalid(String),
}

/// Where proofs get subtree hashes: `mth(start, end)` is the Merkle tree
/// hash of leaves `[start, end)` (always a subtree of the RFC 6962 shape).
pub trait Subtrees {
    type Error: From<ProofError>;
    fn mth(&self, start: u64, end: u64) -> Result<Hash, Self::Error>;
}

/// Leaf hashes in memory.
impl Subtrees for [Hash] {
    type Error = ProofError;
    fn mth(&self, start: u64, end: u64) -> Result<Hash, ProofError> {
        Ok(crate::tree::root(&self[start as usize..end as usize]))
    }
}

/// `PATH(m, D[start:end])` of RFC 9162 §2.1.3.1.
pub fn inclusion<S: Subtrees + ?Sized>(
    s: &S,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, S::Error> {
    if index >= size {
        return Err(ProofError::OutOfRange { index, size }.into());
    }
    let mut out = Vec::new();
    let (mut m, mut start, mut end) = (index, 0, size);
    // Walk down from the root; collect siblings bottom-up.
    let mut siblings = Vec::new();
    while end - start > 1 {
        let k = split(end - start);
        if m < k {
            siblings.push((start + k, end));
            end = start + k;
        } else {
            siblings.push((start, start + k));
            m -= k;
            start += k;
        }
    }
    for (a, b) in siblings.into_iter().rev() {
        out.push(s.mth(a, b)?);
    }
    Ok(out)
}

/// RFC 9162 §2.1.3.2: verifies that `leaf` is at `index` in the tree of
/// `size` leaves whose root is `root`.
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::OutOfRange { index, size });
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if snode == 0 {
            return Err(ProofError::WrongLength {
                found: proof.len(),
                expected: inclusion_len(index, size),
            });
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongLength {
            found: proof.len(),
            expected: inclusion_len(index, size),
        });
    }
    if &r != root {
        return Err(ProofError::RootMismatch {
            computed: r,
            signed: *root,
        });
    }
    Ok(())
}

fn inclusion_len(index: u64, size: u64) -> usize {
    let mut n = 0;
    let (mut m, mut len) = (index, size);
    while len > 1 {
        let k = split(len);
        if m < k {
            len = k;
        } else {
            m -= k;
            len -= k;
        }
        n += 1;
    }
    n
}

/// `PROOF(m, D[n])` of RFC 9162 §2.1.4.1.
pub fn consistency<S: Subtrees + ?Sized>(s: &S, old: u64, new: u64) -> Result<Vec<Hash>, S::Error> {
    if old > new {
        return Err(
            ProofError::Invalid(format!("old size {old} is larger than new size {new}")).into(),
        );
    }
    let mut out = Vec::new();
    if old == 0 || old == new {
        return Ok(out);
    }
    // SUBPROOF(m, D[start:end], b), unrolled; hashes are collected top-down
    // and emitted bottom-up as the RFC orders them.
    let (mut m, mut start, mut end, mut b) = (old, 0, new, true);
    let mut tail = Vec::new();
    loop {
        let n = end - start;
        if m == n {
            if !b {
                out.push(s.mth(start, end)?);
            }
            break;
        }
        let k = split(n);
        if m <= k {
            tail.push((start + k, end));
            end = start + k;
        } else {
            tail.push((start, start + k));
            m -= k;
            start += k;
            b = false;
        }
    }
    for (a, c) in tail.into_iter().rev() {
        out.push(s.mth(a, c)?);
    }
    Ok(out)
}

/// RFC 9162 §2.1.4.2: verifies that the tree of `new` leaves with root
/// `new_root` extends the tree of `old` leaves with root `old_root`.
pub fn verify_consistency(
    old: u64,
    new: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old > new {
        return Err(ProofError::Invalid(format!(
            "old size {old} is larger than new size {new}"
        )));
    }
    if old == new {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength {
                found: proof.len(),
                expected: 0,
            });
        }
        return if old_root == new_root {
            Ok(())
        } else {
            Err(ProofError::RootMismatch {
                computed: *old_root,
                signed: *new_root,
            })
        };
    }
    if old == 0 {
        return if proof.is_empty() {
            Ok(())
        } else {
            Err(ProofError::WrongLength {
                found: proof.len(),
                expected: 0,
            })
        };
    }
    let mut proof: Vec<Hash> = proof.to_vec();
    if old.is_power_of_two() {
        proof.insert(0, *old_root);
    }
    let Some((first, rest)) = proof.split_first() else {
        return Err(ProofError::WrongLength {
            found: 0,
            expected: 1,
        });
    };
    let (mut fnode, mut snode) = (old - 1, new - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if snode == 0 {
            return Err(ProofError::Invalid(
                "the consistency proof is too long".into(),
            ));
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::Invalid(
            "the consistency proof is too short".into(),
        ));
    }
    if &fr != old_root {
        return Err(ProofError::RootMismatch {
            computed: fr,
            signed: *old_root,
        });
    }
    if &sr != new_root {
        return Err(ProofError::RootMismatch {
            computed: sr,
            signed: *new_root,
        });
    }
    Ok(())
}

/// A compact proof that several leaves are in one tree: the hashes of the
/// maximal subtrees that contain none of them, in the order a left-to-right
/// RFC 6962 recursion meets them. `leaves` must be sorted and distinct.
pub fn multi<S: Subtrees + ?Sized>(
    s: &S,
    leaves: &[u64],
    size: u64,
) -> Result<Vec<Hash>, S::Error> {
    check_leaves(leaves, size)?;
    let mut out = Vec::new();
    multi_rec(s, leaves, 0, size, &mut out)?;
    Ok(out)
}

fn check_leaves(leaves: &[u64], size: u64) -> Result<(), ProofError> {
    if leaves.windows(2).any(|w| w[0] >= w[1]) {
        return Err(ProofError::Invalid(
            "leaf indices must be sorted and distinct".into(),
        ));
    }
    match leaves.last() {
        Some(&last) if last >= size => Err(ProofError::OutOfRange { index: last, size }),
        None => Err(ProofError::Invalid("no leaves".into())),
        _ => Ok(()),
    }
}

fn multi_rec<S: Subtrees + ?Sized>(
    s: &S,
    leaves: &[u64],
    start: u64,
    end: u64,
    out: &mut Vec<Hash>,
) -> Result<(), S::Error> {
    if leaves.is_empty() {
        out.push(s.mth(start, end)?);
        return Ok(());
    }
    if end - start == 1 {
        return Ok(()); // the leaf itself: the verifier has its hash
    }
    let mid = start + split(end - start);
    let cut = leaves.partition_point(|&l| l < mid);
    multi_rec(s, &leaves[..cut], start, mid, out)?;
    multi_rec(s, &leaves[cut..], mid, end, out)
}

/// Verifies a [`multi`] proof: `leaves` are (index, leaf hash), sorted.
pub fn verify_multi(
    leaves: &[(u64, Hash)],
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    let indices: Vec<u64> = leaves.iter().map(|l| l.0).collect();
    check_leaves(&indices, size)?;
    let mut it = proof.iter();
    let computed = verify_multi_rec(leaves, 0, size, &mut it)?;
    if it.next().is_some() {
        return Err(ProofError::Invalid("the proof has hashes left over".into()));
    }
    if &computed != root {
        return Err(ProofError::RootMismatch {
            computed,
            signed: *root,
        });
    }
    Ok(())
}

fn verify_multi_rec<'a>(
    leaves: &[(u64, Hash)],
    start: u64,
    end: u64,
    proof: &mut impl Iterator<Item = &'a Hash>,
) -> Result<Hash, ProofError> {
    if leaves.is_empty() {
        return proof
            .next()
            .copied()
            .ok_or_else(|| ProofError::Invalid("the proof is too short".into()));
    }
    if end - start == 1 {
        return Ok(leaves[0].1);
    }
    let mid = start + split(end - start);
    let cut = leaves.partition_point(|l| l.0 < mid);
    let left = verify_multi_rec(&leaves[..cut], start, mid, proof)?;
    let right = verify_multi_rec(&leaves[cut..], mid, end, proof)?;
    Ok(node_hash(&left, &right))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;
    use crate::tree::root;
    use proptest::prelude::*;

    fn unhex(s: &str) -> Hash {
        Hash::from_hex(s).unwrap()
    }

    fn ct_leaves() -> Vec<Hash> {
        crate::tree::tests::LEAVES
            .iter()
            .map(|h| leaf_hash(&crate::tree::tests::unhex(h)))
            .collect()
    }

    /// Proof vectors of the Certificate Transparency test suite
    /// (transparency-dev/merkle testonly/constants.go).
    #[test]
    fn reference_proofs() {
        let leaves = ct_leaves();
        let l = leaves.as_slice();
        assert_eq!(
            inclusion(l, 0, 8).unwrap(),
            vec![
                unhex("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                unhex("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                unhex("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
            ]
        );
        assert_eq!(
            inclusion(l, 5, 8).unwrap(),
            vec![
                unhex("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
                unhex("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                unhex("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            ]
        );
        assert_eq!(
            consistency(l, 2, 8).unwrap(),
            vec![
                unhex("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                unhex("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
            ]
        );
        assert_eq!(
            consistency(l, 2, 5).unwrap(),
            vec![
                unhex("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                unhex("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            ]
        );
        assert_eq!(
            consistency(l, 6, 8).unwrap(),
            vec![
                unhex("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
                unhex("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                unhex("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            ]
        );
    }

    fn leaves(n: u64) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_le_bytes())).collect()
    }

    fn flip(h: &mut Hash, bit: usize) {
        h.0[bit / 8 % 32] ^= 1 << (bit % 8);
    }

    proptest! {
        #[test]
        fn inclusion_proofs_verify_and_any_flipped_bit_fails(size in 1u64..300, idx in any::<prop::sample::Index>(), bit in 0usize..256, which in any::<prop::sample::Index>()) {
            let l = leaves(size);
            let index = idx.index(size as usize) as u64;
            let r = root(&l);
            let proof = inclusion(l.as_slice(), index, size).unwrap();
            prop_assert!(verify_inclusion(&l[index as usize], index, size, &proof, &r).is_ok());
            // A flipped bit in the root, the leaf or any proof hash is rejected.
            let mut bad_root = r;
            flip(&mut bad_root, bit);
            prop_assert!(verify_inclusion(&l[index as usize], index, size, &proof, &bad_root).is_err());
            let mut bad_leaf = l[index as usize];
            flip(&mut bad_leaf, bit);
            prop_assert!(verify_inclusion(&bad_leaf, index, size, &proof, &r).is_err());
            if !proof.is_empty() {
                let mut p = proof.clone();
                let k = which.index(p.len());
                flip(&mut p[k], bit);
                prop_assert!(verify_inclusion(&l[index as usize], index, size, &p, &r).is_err());
                prop_assert!(verify_inclusion(&l[index as usize], index, size, &proof[1..], &r).is_err());
            }
            if size > 1 {
                let other = (index + 1) % size;
                prop_assert!(verify_inclusion(&l[index as usize], other, size, &proof, &r).is_err());
            }
        }

        #[test]
        fn consistency_proofs_verify_and_any_flipped_bit_fails(new in 1u64..300, old_pick in any::<prop::sample::Index>(), bit in 0usize..256, which in any::<prop::sample::Index>()) {
            let l = leaves(new);
            let old = old_pick.index(new as usize + 1) as u64;
            let (old_root, new_root) = (root(&l[..old as usize]), root(&l));
            let proof = consistency(l.as_slice(), old, new).unwrap();
            prop_assert!(verify_consistency(old, new, &old_root, &new_root, &proof).is_ok());
            if old > 0 && old < new {
                let mut r = old_root;
                flip(&mut r, bit);
                prop_assert!(verify_consistency(old, new, &r, &new_root, &proof).is_err());
                let mut r = new_root;
                flip(&mut r, bit);
                prop_assert!(verify_consistency(old, new, &old_root, &r, &proof).is_err());
                let mut p = proof.clone();
                let k = which.index(p.len());
                flip(&mut p[k], bit);
                prop_assert!(verify_consistency(old, new, &old_root, &new_root, &p).is_err());
            }
        }

        #[test]
        fn multi_proofs_verify_and_any_flipped_bit_fails(size in 1u64..300, picks in proptest::collection::btree_set(any::<u64>(), 1..12), bit in 0usize..256, which in any::<prop::sample::Index>()) {
            let l = leaves(size);
            let idx: Vec<u64> = picks.iter().map(|p| p % size).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
            let r = root(&l);
            let proof = multi(l.as_slice(), &idx, size).unwrap();
            let with_hashes: Vec<(u64, Hash)> = idx.iter().map(|&i| (i, l[i as usize])).collect();
            prop_assert!(verify_multi(&with_hashes, size, &proof, &r).is_ok());
            let mut bad = with_hashes.clone();
            let k = which.index(bad.len());
            flip(&mut bad[k].1, bit);
            prop_assert!(verify_multi(&bad, size, &proof, &r).is_err());
            if !proof.is_empty() {
                let mut p = proof.clone();
                let k = which.index(p.len());
                flip(&mut p[k], bit);
                prop_assert!(verify_multi(&with_hashes, size, &p, &r).is_err());
            }
        }
    }
}
