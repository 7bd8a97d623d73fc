//! C2SP `tlog-checkpoint`: the signed body of a log's tree head.
//!
//! ```text
//! <origin>
//! <tree size, decimal>
//! <root hash, base64>
//! [extension lines]
//! ```

use crate::hash::Hash;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    /// Optional extension lines, without their newlines.
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// The note text to sign.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root.0)
        );
        for e in &self.extensions {
            s.push_str(e);
            s.push('\n');
        }
        s
    }

    /// Parses a checkpoint body (the text of a note, already verified).
    pub fn parse(text: &str) -> Result<Checkpoint, String> {
        let body = text
            .strip_suffix('\n')
            .ok_or("checkpoint does not end with a newline")?;
        let mut lines = body.split('\n');
        let origin = lines
            .next()
            .filter(|o| !o.is_empty())
            .ok_or("checkpoint has no origin line")?;
        let size_line = lines.next().ok_or("checkpoint has no tree size line")?;
        if size_line.is_empty()
            || !size_line.bytes().all(|b| b.is_ascii_digit())
            || (size_line.len() > 1 && size_line.starts_with('0'))
        {
            return Err(format!(
                "checkpoint tree size {size_line:?} is not a decimal number"
            ));
        }
        let size = size_line
            .parse()
            .map_err(|_| format!("checkpoint tree size {size_line:?} is out of range"))?;
        let root_line = lines.next().ok_or("checkpoint has no root hash line")?;
        let root = B64
            .decode(root_line)
            .ok()
            .and_then(|b| Hash::from_slice(&b))
            .ok_or_else(|| format!("checkpoint root {root_line:?} is not a base64 SHA-256 hash"))?;
        let extensions: Vec<String> = lines.map(str::to_string).collect();
        if extensions.iter().any(String::is_empty) {
            return Err("checkpoint has an empty extension line".into());
        }
        Ok(Checkpoint {
            origin: origin.to_string(),
            size,
            root,
            extensions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let c = Checkpoint {
            origin: "example.com/log".into(),
            size: 70000,
            root: Hash([9; 32]),
            extensions: vec![],
        };
        assert_eq!(Checkpoint::parse(&c.to_text()).unwrap(), c);
        let text = "example.com/log\n3\nqwerty\n";
        assert!(Checkpoint::parse(text).is_err());
        assert!(Checkpoint::parse("example.com/log\n03\nAAAA\n").is_err());
        assert!(Checkpoint::parse("example.com/log\n3\n").is_err());
    }
}
