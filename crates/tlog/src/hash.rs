//! RFC 6962 §2.1 hashing: `leaf = SHA-256(0x00 || data)`,
//! `node = SHA-256(0x01 || left || right)`.

use sha2::block_api::compress256;
use sha2::{Digest, Sha256};
use std::fmt;

/// A SHA-256 Merkle tree hash.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    pub const LEN: usize = 32;

    /// The root of the empty tree: SHA-256 of the empty string (RFC 6962 §2.1).
    pub fn empty() -> Hash {
        Hash(Sha256::digest([]).into())
    }

    pub fn from_slice(b: &[u8]) -> Option<Hash> {
        Some(Hash(b.try_into().ok()?))
    }

    pub fn to_hex(&self) -> String {
        use fmt::Write;
        self.0.iter().fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
    }

    pub fn from_hex(s: &str) -> Option<Hash> {
        if s.len() != 64 || !s.is_ascii() {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(Hash(out))
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

pub fn leaf_hash(data: &[u8]) -> Hash {
    Hash(sha256_from(SHA256_IV, 0, &[&[0], data]))
}

pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    // 65 bytes, so two blocks, laid out here with fixed-size copies and
    // compressed in one call: every appended entry costs a node hash on
    // average, on the sequencer's thread (97 → 75 ns a node).
    let mut blocks = [[0u8; 64]; 2];
    blocks[0][0] = 1;
    blocks[0][1..33].copy_from_slice(&left.0);
    blocks[0][33..].copy_from_slice(&right.0[..31]);
    blocks[1][0] = right.0[31];
    blocks[1][1] = 0x80;
    blocks[1][56..].copy_from_slice(&(65u64 * 8).to_be_bytes());
    let mut state = SHA256_IV;
    compress256(&mut state, &blocks);
    Hash(digest_of(state))
}

/// SHA-256's initial state (FIPS 180-4, 5.3.3).
pub const SHA256_IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// SHA-256 of the concatenated `parts`, over `sha2`'s block function, from
/// `state`: [`SHA256_IV`], or a state that has absorbed `blocks` whole
/// 64-byte blocks (an HMAC's padded key, so that the key is hashed once).
///
/// Every entry is hashed here, and an event's pseudonyms too. For inputs
/// this short (~190 bytes, ~20) the `Digest` API's buffering and
/// finalisation cost a sixth of the whole; so does copying the input one
/// block at a time and compressing blocks one per call. Here whole blocks
/// are compressed straight from the input when it is aligned to them, and
/// the rest is gathered into a few blocks compressed in one call (a leaf
/// of 150–229 bytes: 158 → 132 ns; `examples/hash_speed.rs`). Tests check
/// the results against `Digest`.
pub fn sha256_from(mut state: [u32; 8], blocks: u64, parts: &[&[u8]]) -> [u8; 32] {
    // Blocks are gathered here and compressed several at a time: the
    // block function keeps its state in registers across a run of blocks.
    // One block more, for the padding of a full gather.
    const GATHER: usize = 4;
    let mut buf = [[0u8; 64]; GATHER + 1];
    let mut used = 0; // bytes of `buf` filled
    let mut total = blocks * 64;
    for part in parts {
        total += part.len() as u64;
        let mut rest = *part;
        while !rest.is_empty() {
            if used == 0 {
                // Whole blocks straight from the input, uncopied.
                let (whole, tail) = rest.as_chunks::<64>();
                compress256(&mut state, whole);
                rest = tail;
            }
            let n = rest.len().min(GATHER * 64 - used);
            buf.as_flattened_mut()[used..used + n].copy_from_slice(&rest[..n]);
            (used, rest) = (used + n, &rest[n..]);
            if used == GATHER * 64 {
                compress256(&mut state, &buf[..GATHER]);
                used = 0;
            }
        }
    }
    // Padding: 0x80, zeros, then the length in bits, big-endian, at the
    // end of the block that has room for it.
    let end = (used + 9).div_ceil(64);
    let flat = &mut buf.as_flattened_mut()[..end * 64];
    flat[used] = 0x80;
    let len_at = flat.len() - 8;
    flat[used + 1..len_at].fill(0);
    flat[len_at..].copy_from_slice(&(total * 8).to_be_bytes());
    compress256(&mut state, &buf[..end]);
    digest_of(state)
}

fn digest_of(state: [u32; 8]) -> [u8; 32] {
    let mut digest = [0u8; 32];
    for (out, word) in digest.chunks_exact_mut(4).zip(state) {
        out.copy_from_slice(&word.to_be_bytes());
    }
    digest
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The same hashes as `sha2`'s `Digest`, for every length around
        /// the block and padding boundaries and beyond.
        #[test]
        fn agree_with_the_digest_api(data in proptest::collection::vec(any::<u8>(), 0..700), l in any::<[u8; 32]>(), r in any::<[u8; 32]>()) {
            let leaf: [u8; 32] = Sha256::new().chain_update([0]).chain_update(&data).finalize().into();
            prop_assert_eq!(leaf_hash(&data).0, leaf);
            let node: [u8; 32] = Sha256::new().chain_update([1]).chain_update(l).chain_update(r).finalize().into();
            prop_assert_eq!(node_hash(&Hash(l), &Hash(r)).0, node);
        }

        /// However the input is cut into parts: each part may start on a
        /// block boundary (compressed in place) or inside a gathered block.
        #[test]
        fn parts_hash_as_their_concatenation(data in proptest::collection::vec(any::<u8>(), 0..1200), mut cuts in proptest::collection::vec(0..1200usize, 0..5)) {
            cuts.push(data.len());
            cuts.sort_unstable();
            let mut parts = Vec::new();
            let mut from = 0;
            for cut in cuts.into_iter().map(|c| c.min(data.len())) {
                parts.push(&data[from..cut]);
                from = cut;
            }
            let expected: [u8; 32] = Sha256::digest(&data).into();
            prop_assert_eq!(sha256_from(SHA256_IV, 0, &parts), expected);
        }
    }
}
