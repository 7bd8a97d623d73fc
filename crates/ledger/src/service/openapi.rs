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
    /// The body: its schema and an example that the handler accepts.
    pub body: Option<(Value, Value)>,
    /// The body's media types (the same body under each name).
    pub takes: &'static [&'static str],
    /// Query parameters: name and schema.
    pub query: Vec<(&'static str, Value)>,
    /// The answer's media type.
    pub produces: &'static str,
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
            let mut params: Vec<Value> = path
                .split('/')
                .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
                .map(|name| {
                    json!({"name": name, "in": "path", "required": true,
                        "schema": {"type": "string", "minLength": 1},
                        "example": path_example(path)})
                })
                .collect();
            params.extend(op.query.iter().map(|(name, schema)| {
                json!({"name": name, "in": "query", "required": false, "schema": schema})
            }));
            let mut o = json!({
                "summary": op.summary,
                "description": format!("Who: {}. Answer: {}", op.roles, op.answer),
                "parameters": params,
                "responses": {
                    "200": {"description": op.answer, "content": {op.produces: {}}},
                    "400": {"$ref": "#/components/responses/Error"},
                    "401": {"$ref": "#/components/responses/Error"},
                    "403": {"$ref": "#/components/responses/Error"},
                    "404": {"$ref": "#/components/responses/Error"},
                    "409": {"$ref": "#/components/responses/Error"},
                    "413": {"$ref": "#/components/responses/Error"},
                    "503": {"$ref": "#/components/responses/Error"},
                },
            });
            if op.auth {
                o["security"] = json!([{"bearer": []}]);
            }
            if let Some((schema, example)) = &op.body {
                let content: Map<String, Value> = op
                    .takes
                    .iter()
                    .map(|t| (t.to_string(), json!({"schema": schema, "example": example})))
                    .collect();
                o["requestBody"] = json!({"required": true, "content": content});
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
                    "description": "An error: 400 bad request, 401 no or bad token, 403 not allowed, 404 not found or out of scope, 409 conflicts with the case's state, 413 body too large, 503 busy",
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

/// A JSON Schema object: `required` properties, then `optional` ones
/// (which may also be `null`).
pub fn object(required: &[(&str, Value)], optional: &[(&str, Value)]) -> Value {
    let props: Map<String, Value> = required
        .iter()
        .cloned()
        .chain(optional.iter().map(|(k, v)| (*k, nullable(v.clone()))))
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let names: Vec<&str> = required.iter().map(|(k, _)| *k).collect();
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": names,
        "properties": props,
    })
}

/// A string that may not be empty (ids, reasons).
pub fn text() -> Value {
    json!({"type": "string", "minLength": 1})
}

/// Any string (free text, which may be empty).
pub fn any_text() -> Value {
    json!({"type": "string"})
}

/// One of a closed vocabulary (an `ALL` list of names and values).
pub fn names<T>(all: &[(&str, T)]) -> Value {
    let names: Vec<&str> = all.iter().map(|(n, _)| *n).collect();
    json!({"type": "string", "enum": names})
}

/// An RFC 3339 time.
pub fn time() -> Value {
    json!({"type": "string", "format": "date-time"})
}

fn nullable(mut v: Value) -> Value {
    if let Some(e) = v.get_mut("enum").and_then(Value::as_array_mut) {
        e.push(Value::Null);
    }
    if let Some(t) = v.get("type").cloned() {
        v["type"] = json!([t, "null"]);
    }
    v
}

/// An id of the shipped example evening (examples/evening.ndjson) for a
/// path parameter: what a reader or a schema-driven test can try first.
fn path_example(path: &str) -> &'static str {
    match path.split('/').nth(2) {
        Some("sessions") => "s1",
        Some("products") => "p1",
        Some("cases") => "c-k1",
        _ => "s1-claim-1",
    }
}
