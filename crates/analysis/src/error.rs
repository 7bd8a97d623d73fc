//! The one error of this crate: a rule file that cannot be used.

#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("rules file is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("rules: `{path}` {problem}")]
    Field { path: String, problem: String },
}
