//! The log as evidence: `checkpoint`, `verify`, `prove`, `export`,
//! `consistency`.

use crate::commands::common::{failed, write_artifact, PROBLEM};
use anyhow::{bail, Context, Result};
use ledger::evidence::{self, Subject};
use ledger::DataDir;
use serde_json::json;
use std::path::{Path, PathBuf};

pub fn checkpoint(dir: &DataDir, json_out: bool) -> Result<u8> {
    let reader = dir.reader()?;
    let cp = reader.checkpoint();
    if json_out {
        let out = json!({
            "origin": cp.origin,
            "size": cp.size,
            "root": cp.root.to_hex(),
            "checkpoint": reader.note(),
            "key": dir.verifier()?.to_vkey(),
        });
        println!("{out}");
    } else {
        print!("{}", reader.note());
    }
    Ok(0)
}

/// A key given on the command line: a vkey, or a file holding one.
fn key_text(k: &str) -> Result<String> {
    Ok(if Path::new(k).exists() {
        std::fs::read_to_string(k)?
    } else {
        k.to_string()
    })
}

fn parse_key(k: &str) -> Result<tlog::NoteVerifier> {
    Ok(tlog::NoteVerifier::from_vkey(&key_text(k)?)?)
}

pub fn verify(
    dir: &DataDir,
    json_out: bool,
    bundle: Option<PathBuf>,
    key: Option<String>,
    witnesses: Vec<String>,
) -> Result<u8> {
    let witnesses = witnesses
        .iter()
        .map(|w| Ok(tlog::witness::CosignVerifier::from_vkey(&key_text(w)?)?))
        .collect::<Result<Vec<_>>>()?;
    // The checkpoint the log or bundle stands on must carry every
    // witness's cosignature: a rollback or fork a witness refused has none.
    let mut cosigned = Vec::new();
    if !witnesses.is_empty() {
        let note = match &bundle {
            Some(b) => {
                let v: serde_json::Value = serde_json::from_slice(&std::fs::read(b)?)?;
                v["checkpoint"].as_str().unwrap_or_default().to_string()
            }
            None => dir.reader()?.note().to_string(),
        };
        for w in &witnesses {
            match w.check(&note) {
                Ok(t) => cosigned.push(format!("OK: cosigned by witness {} (time {t})", w.name())),
                Err(e) => {
                    let why = format!(
                        "the checkpoint is not cosigned by witness {}: {e}",
                        w.name()
                    );
                    return failed(json_out, &why);
                }
            }
        }
    }
    let code = match &bundle {
        Some(b) => verify_bundle(json_out, b, key)?,
        None => verify_log(dir, json_out, key)?,
    };
    if code == 0 && !json_out {
        cosigned.iter().for_each(|line| println!("{line}"));
    }
    Ok(code)
}

/// `witness init` and `witness serve`.
pub fn witness(json_out: bool, what: Witness) -> Result<u8> {
    match what {
        Witness::Init { name, key } => {
            let k = ledger::witness::create_key(&key, &name)?;
            let vkey = k.verifier().to_vkey();
            if json_out {
                println!("{}", json!({ "name": name, "key": key, "vkey": vkey }));
            } else {
                println!("{vkey}");
            }
            Ok(0)
        }
        Witness::Serve {
            key,
            state,
            logs,
            listen,
        } => {
            let logs = logs
                .iter()
                .map(|l| parse_key(l))
                .collect::<Result<Vec<_>>>()?;
            if logs.is_empty() {
                bail!("say which logs to witness: --log VKEY (a log's public key, or a file holding it)");
            }
            let cosigner = ledger::witness::load_key(&key)?;
            let name = cosigner.verifier().name().to_string();
            let w = tlog::witness::Witness { cosigner, logs };
            ledger::serve::serve_witness(&listen, w, state, |addr| {
                use std::io::Write;
                println!("witness {name} on http://{addr}");
                let _ = std::io::stdout().flush();
            })?;
            Ok(0)
        }
    }
}

/// `cosign --witness URL`: asks each witness to cosign the checkpoint now.
pub fn cosign(dir: &DataDir, json_out: bool, urls: Vec<String>) -> Result<u8> {
    dir.require_existing()?;
    let mut ledger = ledger::Ledger::open(dir, None)?;
    for url in urls {
        let mut w = ledger::witness::Witness::new(&url);
        let size = w.cosign(|f| f(&mut ledger.log))?;
        if json_out {
            println!(
                "{}",
                json!({ "witness": url, "size": size, "checkpoint": ledger.log.checkpoint().1 })
            );
        } else {
            println!("cosigned by {url} at size {size}");
        }
    }
    Ok(0)
}

#[derive(clap::Subcommand)]
pub enum Witness {
    /// Create a witness key (C2SP tlog-cosignature/v1) and print its public key.
    Init {
        /// The witness's name (a schema-less URL, e.g. witness.example.org/w1).
        #[arg(long)]
        name: String,
        /// Where to keep the private key (created owner-only, never overwritten).
        #[arg(long)]
        key: PathBuf,
    },
    /// Serve C2SP tlog-witness (POST /add-checkpoint) for the logs given.
    Serve {
        #[arg(long)]
        key: PathBuf,
        /// The last checkpoint cosigned per log (JSON, created if missing).
        #[arg(long)]
        state: PathBuf,
        /// A log to witness: its public key (vkey, or a file holding one); repeat for several.
        #[arg(long = "log", value_name = "VKEY")]
        logs: Vec<String>,
        #[arg(long, default_value = "127.0.0.1:8081")]
        listen: String,
    },
}

fn verify_bundle(json_out: bool, path: &Path, key: Option<String>) -> Result<u8> {
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read bundle {}", path.display()))?;
    let pinned = key.as_deref().map(parse_key).transpose()?;
    match tlog::bundle::verify(&bytes, pinned.as_ref()) {
        Ok(v) => {
            if json_out {
                let out = json!({ "ok": true, "format": v.format, "origin": v.origin, "tree_size": v.tree_size,
                    "root": v.root.to_hex(), "entries": v.entries, "key": v.key });
                println!("{out}");
            } else {
                let plural = if v.entries == 1 {
                    "entry is"
                } else {
                    "entries are"
                };
                println!(
                    "OK: {} {plural} in {} at tree size {} (root {}), signed by {}",
                    v.entries, v.origin, v.tree_size, v.root, v.key
                );
            }
            Ok(0)
        }
        Err(e) => failed(json_out, &e),
    }
}

fn verify_log(dir: &DataDir, json_out: bool, key: Option<String>) -> Result<u8> {
    dir.require_existing()?;
    let verifier = match key {
        Some(k) => parse_key(&k)?,
        None => dir.verifier()?,
    };
    match tlog::verify_dir(&dir.log_dir(), &verifier) {
        Ok(s) => {
            if json_out {
                println!(
                    "{}",
                    json!({ "ok": true, "size": s.size, "root": s.root.to_hex(), "files_checked": s.tiles, "checkpoints_checked": s.history, "key": verifier.to_vkey() })
                );
            } else {
                println!(
                    "OK: {} entries and {} tile files re-hashed; root {} matches the checkpoint signed by {}; the log extends all {} checkpoints it signed before",
                    s.size, s.tiles, s.root, verifier.to_vkey(), s.history
                );
            }
            Ok(0)
        }
        Err(e) => failed(json_out, &e),
    }
}

pub fn prove(dir: &DataDir, json_out: bool, event: &str, output: Option<PathBuf>) -> Result<u8> {
    write_artifact(&evidence::prove(dir, event)?, output, json_out)
}

pub fn export(
    dir: &DataDir,
    json_out: bool,
    subject: (Option<String>, Option<String>, Option<String>),
    output: Option<PathBuf>,
) -> Result<u8> {
    let subject = match subject {
        (Some(s), _, _) => Subject::Session(s),
        (_, Some(o), _) => Subject::Order(o),
        (_, _, Some(p)) => Subject::Product(p),
        _ => bail!("say what to export: --session ID, --order ID or --product ID"),
    };
    write_artifact(&evidence::export(dir, &subject)?, output, json_out)
}

pub fn consistency(dir: &DataDir, json_out: bool, old: u64, new: Option<u64>) -> Result<u8> {
    let v = evidence::consistency(dir, old, new)?;
    let ok = v["ok"] == true;
    if json_out {
        println!("{v}");
    } else if ok {
        println!(
            "OK: the checkpoint of size {} (root {}) is a prefix of the one of size {} (root {}); proof of {} hashes",
            v["old_size"], v["old_root"].as_str().unwrap_or(""), v["new_size"], v["new_root"].as_str().unwrap_or(""),
            v["proof"].as_array().map_or(0, Vec::len)
        );
    } else {
        println!("FAILED: {}", v["error"].as_str().unwrap_or("inconsistent"));
    }
    Ok(if ok { 0 } else { PROBLEM })
}
