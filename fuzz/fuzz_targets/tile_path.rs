//! Tile paths as requested over HTTP: a tile, or none; a tile's path
//! parses back to it.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tlog::tile::TileId;

fuzz_target!(|data: &[u8]| {
    let Ok(path) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(t) = TileId::parse_path(path) {
        assert_eq!(TileId::parse_path(&t.path()), Some(t));
    }
});
