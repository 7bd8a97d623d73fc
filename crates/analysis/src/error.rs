//! The one error of this crate: a rule file that cannot be used, and the
//! strict reading every rule file goes through.

use serde::de::DeserializeOwned;
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("rules file is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("rules: `{path}` {problem}")]
    Field { path: String, problem: String },
}

impl RulesError {
    pub(crate) fn field(path: impl Into<String>, problem: impl Into<String>) -> RulesError {
        RulesError::Field {
            path: path.into(),
            problem: problem.into(),
        }
    }
}

/// Reads `v` as a `T` whose structs deny unknown fields, so a misspelt key
/// is an error naming it; the error's path starts with `prefix` (the
/// file's section, such as `claims`).
pub(crate) fn strict<T: DeserializeOwned>(prefix: &str, v: &Value) -> Result<T, RulesError> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let inner = e.path().to_string();
        let path = match (prefix, inner.as_str()) {
            (p, ".") => p.to_string(),
            ("", i) => i.to_string(),
            (p, i) if i.starts_with('[') => format!("{p}{i}"),
            (p, i) => format!("{p}.{i}"),
        };
        let problem = e.into_inner().to_string();
        // serde's messages are complete sentences after the place.
        let problem = match problem.strip_prefix("invalid type: ") {
            Some(rest) => format!("has the wrong type: {rest}"),
            None => problem,
        };
        RulesError::field(if path.is_empty() { "." } else { &path }, problem)
    })
}
