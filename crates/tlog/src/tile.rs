//! C2SP `tlog-tiles` coordinates, paths and entry-bundle encoding.

use crate::hash::Hash;

/// Tile height: each tile holds up to 256 hashes (C2SP tlog-tiles fixes 8).
pub const HEIGHT: u32 = 8;
/// Hashes (or entries) in a full tile (or bundle).
pub const WIDTH: u64 = 1 << HEIGHT;
/// The largest entry a bundle can hold: the length prefix is a big-endian u16.
pub const MAX_ENTRY_LEN: usize = u16::MAX as usize;

/// Which kind of tile: a level of hash tiles, or the entry bundles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Hashes(u8),
    Entries,
}

/// One tile (or entry bundle): its level, index within the level and width
/// (1..=256; 256 is a full tile).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TileId {
    pub level: Level,
    pub index: u64,
    pub width: u64,
}

impl TileId {
    pub fn is_full(&self) -> bool {
        self.width == WIDTH
    }

    /// The path relative to the log directory (and to the URL prefix):
    /// `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`.
    pub fn path(&self) -> String {
        let mut p = String::from("tile/");
        match self.level {
            Level::Hashes(l) => p.push_str(&l.to_string()),
            Level::Entries => p.push_str("entries"),
        }
        p.push('/');
        p.push_str(&encode_index(self.index));
        if !self.is_full() {
            p.push_str(&format!(".p/{}", self.width));
        }
        p
    }

    /// The directory that holds the partial versions of this tile.
    pub fn partial_dir(&self) -> String {
        let full = TileId {
            width: WIDTH,
            ..*self
        };
        format!("{}.p", full.path())
    }

    /// Parses a tile path as served over HTTP (`tile/...`, no leading slash).
    pub fn parse_path(path: &str) -> Option<TileId> {
        let rest = path.strip_prefix("tile/")?;
        let (level_str, rest) = rest.split_once('/')?;
        let level = if level_str == "entries" {
            Level::Entries
        } else {
            if level_str.len() > 1 && level_str.starts_with('0') {
                return None;
            }
            let l: u8 = level_str.parse().ok()?;
            if l > 63 {
                return None;
            }
            Level::Hashes(l)
        };
        let (index_str, width) = match rest.split_once(".p/") {
            Some((i, w)) => {
                if w.starts_with('0') {
                    return None;
                }
                let w: u64 = w.parse().ok()?;
                if !(1..WIDTH).contains(&w) {
                    return None;
                }
                (i, w)
            }
            None => (rest, WIDTH),
        };
        let index = decode_index(index_str)?;
        Some(TileId {
            level,
            index,
            width,
        })
    }
}

/// Zero-padded 3-digit path elements, all but the last prefixed with `x`:
/// 1234067 → `x001/x234/067`.
pub fn encode_index(mut n: u64) -> String {
    let mut parts = vec![format!("{:03}", n % 1000)];
    n /= 1000;
    while n > 0 {
        parts.push(format!("x{:03}", n % 1000));
        n /= 1000;
    }
    parts.reverse();
    parts.join("/")
}

fn decode_index(s: &str) -> Option<u64> {
    let parts: Vec<&str> = s.split('/').collect();
    let (last, init) = parts.split_last()?;
    let mut n: u64 = 0;
    for (i, p) in init.iter().enumerate() {
        let digits = p.strip_prefix('x')?;
        // A leading x000 would give two paths for one index.
        if i == 0 && digits == "000" {
            return None;
        }
        n = n.checked_mul(1000)?.checked_add(three_digits(digits)?)?;
    }
    n.checked_mul(1000)?.checked_add(three_digits(last)?)
}

fn three_digits(s: &str) -> Option<u64> {
    (s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
}

/// The hash tile at `level` that a tree of `size` leaves has at its right edge,
/// if any: width = `floor(size / 256^level) mod 256`.
pub fn right_edge(level: u8, size: u64) -> Option<TileId> {
    let below = size.checked_shr(HEIGHT * level as u32).unwrap_or(0);
    let width = below % WIDTH;
    (width > 0).then_some(TileId {
        level: Level::Hashes(level),
        index: below / WIDTH,
        width,
    })
}

/// The tile (or bundle) at `level` with `index` as it exists in a tree of `size`.
pub fn tile_in_tree(level: Level, index: u64, size: u64) -> Option<TileId> {
    let shift = match level {
        Level::Hashes(l) => HEIGHT * l as u32,
        Level::Entries => 0,
    };
    let count = size.checked_shr(shift).unwrap_or(0);
    let start = index.checked_mul(WIDTH)?;
    if count <= start {
        return None;
    }
    Some(TileId {
        level,
        index,
        width: (count - start).min(WIDTH),
    })
}

/// Encodes a hash tile: the hashes concatenated.
pub fn encode_hashes(hashes: &[Hash]) -> Vec<u8> {
    let mut out = Vec::with_capacity(hashes.len() * Hash::LEN);
    encode_hashes_into(hashes, &mut out);
    out
}

/// [`encode_hashes`], appended to `out`.
pub fn encode_hashes_into(hashes: &[Hash], out: &mut Vec<u8>) {
    out.reserve(hashes.len() * Hash::LEN);
    for h in hashes {
        out.extend_from_slice(&h.0);
    }
}

/// Decodes a hash tile of the given width.
pub fn decode_hashes(data: &[u8], width: u64) -> Result<Vec<Hash>, String> {
    if data.len() as u64 != width * Hash::LEN as u64 {
        return Err(format!(
            "is {} bytes, expected {} ({} hashes)",
            data.len(),
            width * 32,
            width
        ));
    }
    Ok(data
        .chunks_exact(32)
        .map(|c| Hash(c.try_into().expect("chunk of 32")))
        .collect())
}

/// Appends one entry to a bundle being built.
pub fn push_entry(bundle: &mut Vec<u8>, entry: &[u8]) {
    debug_assert!(entry.len() <= MAX_ENTRY_LEN);
    bundle.extend_from_slice(&(entry.len() as u16).to_be_bytes());
    bundle.extend_from_slice(entry);
}

/// Splits an entry bundle into its entries, checking that it holds exactly
/// `width` of them and nothing after. Errors give the byte offset.
pub fn decode_bundle(data: &[u8], width: u64) -> Result<Vec<&[u8]>, String> {
    let mut out = Vec::with_capacity(width as usize);
    let mut pos = 0usize;
    while pos < data.len() {
        if out.len() as u64 == width {
            return Err(format!(
                "has {} unexpected bytes after entry {} at offset {pos}",
                data.len() - pos,
                width - 1
            ));
        }
        let Some(len_bytes) = data.get(pos..pos + 2) else {
            return Err(format!(
                "is truncated inside the length prefix at offset {pos}"
            ));
        };
        let len = u16::from_be_bytes([len_bytes[0], len_bytes[1]]) as usize;
        let Some(entry) = data.get(pos + 2..pos + 2 + len) else {
            return Err(format!(
                "entry {} at offset {pos} claims {len} bytes but only {} remain",
                out.len(),
                data.len() - pos - 2
            ));
        };
        out.push(entry);
        pos += 2 + len;
    }
    if out.len() as u64 != width {
        return Err(format!("holds {} entries, expected {width}", out.len()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_encoding_matches_spec() {
        assert_eq!(encode_index(1234067), "x001/x234/067");
        assert_eq!(encode_index(0), "000");
        assert_eq!(encode_index(999), "999");
        assert_eq!(encode_index(1000), "x001/000");
        for n in [0, 5, 999, 1000, 1234067, u64::MAX] {
            assert_eq!(decode_index(&encode_index(n)), Some(n));
        }
        assert_eq!(decode_index("x000/001"), None);
        assert_eq!(decode_index("1"), None);
        assert_eq!(decode_index("001/002"), None);
    }

    #[test]
    fn paths() {
        let t = TileId {
            level: Level::Hashes(0),
            index: 1234067,
            width: 256,
        };
        assert_eq!(t.path(), "tile/0/x001/x234/067");
        let t = TileId {
            level: Level::Entries,
            index: 3,
            width: 17,
        };
        assert_eq!(t.path(), "tile/entries/003.p/17");
        assert_eq!(t.partial_dir(), "tile/entries/003.p");
        for p in [
            "tile/0/x001/x234/067",
            "tile/entries/003.p/17",
            "tile/2/000.p/1",
        ] {
            assert_eq!(TileId::parse_path(p).unwrap().path(), p);
        }
        for bad in [
            "tile/00/000",
            "tile/1/000.p/256",
            "tile/1/000.p/0",
            "tile/1/000.p/01",
            "tile/64/000",
            "tile/x/000",
            "tile/0/0000",
        ] {
            assert_eq!(TileId::parse_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn right_edges_of_70000() {
        // The example of the C2SP spec: 273 full level-0 tiles, a partial of
        // width 112, one full level-1 tile, a level-1 partial of width 17 and
        // a level-2 partial of width 1.
        assert_eq!(
            right_edge(0, 70_000).map(|t| (t.index, t.width)),
            Some((273, 112))
        );
        assert_eq!(
            right_edge(1, 70_000).map(|t| (t.index, t.width)),
            Some((1, 17))
        );
        assert_eq!(
            right_edge(2, 70_000).map(|t| (t.index, t.width)),
            Some((0, 1))
        );
        assert_eq!(right_edge(3, 70_000), None);
        assert_eq!(right_edge(0, 256), None);
        assert_eq!(right_edge(1, 256).map(|t| t.width), Some(1));
    }

    #[test]
    fn bundles_round_trip_and_reject_garbage() {
        let mut b = Vec::new();
        push_entry(&mut b, b"one");
        push_entry(&mut b, b"");
        push_entry(&mut b, b"three");
        assert_eq!(
            decode_bundle(&b, 3).unwrap(),
            vec![&b"one"[..], b"", b"three"]
        );
        assert!(decode_bundle(&b, 2).is_err());
        assert!(decode_bundle(&b, 4).is_err());
        assert!(decode_bundle(&b[..b.len() - 1], 3).is_err());
        assert!(decode_bundle(&b[..1], 1).is_err());
    }
}
