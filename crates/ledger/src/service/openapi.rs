//! The OpenAPI 3 document of the API, built with the router itself: every
//! route is added through [`Routes::add`], which registers the handler and
//! records its operation, so the document lists exactly what is served.
//! Request bodies carry their JSON Schema and an example; a test posts each
//! example to its endpoint, so a schema that drifts from the handler fails.

use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{on, MethodFilter};
use axum::Router;
use serde_json::{json, Map, Value};

/// One operation, as documented.
pub struct Op {
    pub summary: &'static str,
    /// Who may call it (api.md, roles and scopes).
    pub roles: &'static str,
    /// The answer, in words (report.md sections for the reports).
    pub answer: &'static str,
    /// The JSON body: its schema and an example that the handler accepts.
    pub body: Option<(Value, Value)>,
    /// Needs `Authorization: Bearer <token>`.
    pub auth: bool,
}

/// A router under construction, and the operations added to it.
pub struct Routes<S> {
    pub router: Router<S>,
    ops: Vec<(Method, &'static str, Op)>,
}

impl<S: Clone + Send + Sync + 'static> Routes<S> {
    pub fn new() -> Self {
        Routes {
            router: Router::new(),
            ops: Vec::new(),
        }
    }

    /// Serves `handler` at `method path`, and documents it.
    pub fn add<H, T>(mut self, method: Method, path: &'static str, handler: H, op: Op) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone()).expect("a standard method");
        self.router = self.router.route(path, on(filter, handler));
        self.ops.push((method, path, op));
        self
    }

    /// The OpenAPI 3.1 document of every operation added.
    pub fn document(&self) -> Value {
        let mut paths = Map::new();
        for (method, path, op) in &self.ops {
            let params: Vec<Value> = path
                .split('/')
                .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
                .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
                .collect();
            let mut o = json!({
                "summary": op.summary,
                "description": format!("Who: {}. Answer: {}", op.roles, op.answer),
                "parameters": params,
                "responses": {
                    "200": {"description": op.answer},
                    "400": {"$ref": "#/components/responses/Error"},
                    "401": {"$ref": "#/components/responses/Error"},
                    "403": {"$ref": "#/components/responses/Error"},
                    "404": {"$ref": "#/components/responses/Error"},
                },
            });
            if op.auth {
                o["security"] = json!([{"bearer": []}]);
            }
            if let Some((schema, example)) = &op.body {
                o["requestBody"] = json!({
                    "required": true,
                    "content": {"application/json": {"schema": schema, "example": example}},
                });
            }
            let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
            entry[method.as_str().to_ascii_lowercase()] = o;
        }
        json!({
            "openapi": "3.1.0",
            "info": {
                "title": "liveledger",
                "version": env!("CARGO_PKG_VERSION"),
                "description": "The multi-level supervision service of docs/spec/api.md: every party of a live sale, within its token's role and scope.",
            },
            "paths": paths,
            "components": {
                "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                "responses": {"Error": {
                    "description": "An error",
                    "content": {"application/json": {"schema": {
                        "type": "object",
                        "properties": {"error": {"type": "object", "properties": {
                            "code": {"type": "string"}, "message": {"type": "string"}}}},
                    }}},
                }},
            },
        })
    }

    /// The operations' request examples, by (method, path): for tests.
    pub fn examples(&self) -> Vec<(Method, &'static str, Value)> {
        self.ops
            .iter()
            .filter_map(|(m, p, op)| Some((m.clone(), *p, op.body.as_ref()?.1.clone())))
            .collect()
    }
}

impl<S: Clone + Send + Sync + 'static> Default for Routes<S> {
    fn default() -> Self {
        Routes::new()
    }
}

/// A JSON Schema object of string properties, `required` ones first.
pub fn object(required: &[&str], optional: &[&str]) -> Value {
    let props: Map<String, Value> = required
        .iter()
        .chain(optional)
        .map(|k| (k.to_string(), json!({"type": "string"})))
        .collect();
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": required,
        "properties": props,
    })
}
