//! Merkle tree hashes (RFC 6962 §2.1 `MTH`) over leaf hashes.

use crate::hash::{node_hash, Hash};

/// The largest power of two strictly smaller than `n` (`n >= 2`): RFC 6962's split point.
pub fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// `MTH` of a list of leaf (or subtree) hashes, as RFC 6962 defines it.
pub fn root(hashes: &[Hash]) -> Hash {
    match hashes.len() {
        0 => Hash::empty(),
        1 => hashes[0],
        n => {
            let k = split(n as u64) as usize;
            node_hash(&root(&hashes[..k]), &root(&hashes[k..]))
        }
    }
}

/// Combines the roots of the perfect subtrees of a tree (left to right, as the
/// binary decomposition of its size gives them) into the tree's root.
pub fn fold_subtrees(subtrees: &[Hash]) -> Hash {
    match subtrees.split_last() {
        None => Hash::empty(),
        Some((last, rest)) => rest.iter().rev().fold(*last, |acc, h| node_hash(h, &acc)),
    }
}

/// Appends to `out` the roots of the perfect subtrees that make up `hashes`
/// (sizes = the set bits of `hashes.len()`, largest first).
pub fn perfect_subtrees(hashes: &[Hash], out: &mut Vec<Hash>) {
    let mut start = 0;
    let n = hashes.len();
    for bit in (0..usize::BITS).rev() {
        let size = 1usize << bit;
        if n & size != 0 {
            out.push(root(&hashes[start..start + size]));
            start += size;
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::hash::leaf_hash;

    pub(crate) fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// The reference leaves and roots of the Certificate Transparency test
    /// suite (transparency-dev/merkle `testonly/constants.go`, originally from
    /// google/certificate-transparency's C++ `merkle_tree_test.cc`), which
    /// RFC 6962 / RFC 9162 implementations share.
    pub(crate) const LEAVES: [&str; 8] = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ];
    const ROOTS: [&str; 9] = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    #[test]
    fn reference_roots() {
        let leaves: Vec<Hash> = LEAVES.iter().map(|l| leaf_hash(&unhex(l))).collect();
        for (n, want) in ROOTS.iter().enumerate() {
            assert_eq!(root(&leaves[..n]).to_hex(), *want, "size {n}");
        }
    }

    #[test]
    fn split_is_largest_power_below() {
        for (n, k) in [(2, 1), (3, 2), (4, 2), (5, 4), (8, 4), (9, 8), (1000, 512)] {
            assert_eq!(split(n), k, "n={n}");
        }
        assert_eq!(split((1 << 63) + 1), 1 << 63);
    }

    proptest::proptest! {
        #[test]
        fn subtree_fold_equals_root(n in 0usize..600) {
            let leaves: Vec<Hash> = (0..n).map(|i| leaf_hash(&(i as u32).to_be_bytes())).collect();
            let mut subs = Vec::new();
            perfect_subtrees(&leaves, &mut subs);
            proptest::prop_assert_eq!(fold_subtrees(&subs), root(&leaves));
        }
    }
}
