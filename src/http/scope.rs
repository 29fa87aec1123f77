//! Roles at the HTTP layer: a principal with the read role that calls a tool needing the
//! write role gets `403` with `WWW-Authenticate: Bearer error="insufficient_scope"` — the MCP
//! authorization spec's step-up challenge, which lets an OAuth client ask its user for more —
//! before the request reaches MCP. (The MCP handler refuses such a call too, and keeps the
//! write tools out of that principal's `tools/list`.)

use std::sync::Arc;

use axum::{
    body::Body,
    extract::{Request, State},
    http::{Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::authn::insufficient_scope_response;
use crate::auth::{Access, Principal};

/// What the middleware needs.
pub(crate) struct ScopeState {
    /// Tools that need the write role.
    pub write_tools: Vec<String>,
    /// The largest body read to find the tool's name.
    pub max_body_bytes: usize,
    /// The Protected Resource Metadata URL, when OAuth is configured.
    pub resource_metadata: Option<String>,
}

/// Middleware: refuses a read principal's call of a write tool.
pub(crate) async fn refuse_writes_to_readers(
    State(state): State<Arc<ScopeState>>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() != Method::POST || state.write_tools.is_empty() {
        return next.run(request).await;
    }
    let Some(principal) = request.extensions().get::<Principal>().cloned() else {
        return next.run(request).await;
    };
    let Err(refusal) = principal.check(Access::Write) else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, state.max_body_bytes).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
    };
    if let Some(tool) = write_tool_called(&bytes, &state.write_tools) {
        tracing::info!(subject = %principal.subject, %tool, "refused a write tool to a principal with the read role");
        crate::audit::record(&crate::audit::AuditLine::forbidden(
            &tool,
            &principal.label(),
        ));
        return insufficient_scope_response(&refusal, state.resource_metadata.as_deref());
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// The write tool a JSON-RPC `tools/call` names, if it names one.
fn write_tool_called(body: &[u8], write_tools: &[String]) -> Option<String> {
    let message: serde_json::Value = serde_json::from_slice(body).ok()?;
    if message.get("method")?.as_str()? != "tools/call" {
        return None;
    }
    let name = message.get("params")?.get("name")?.as_str()?;
    write_tools
        .iter()
        .any(|t| t == name)
        .then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_call_of_a_write_tool_is_caught() {
        let writes = vec!["capture_order".to_string()];
        let call = |name: &str| {
            serde_json::json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":name}})
                .to_string()
        };
        assert_eq!(
            write_tool_called(call("capture_order").as_bytes(), &writes).as_deref(),
            Some("capture_order")
        );
        assert_eq!(
            write_tool_called(call("get_order").as_bytes(), &writes),
            None
        );
        assert_eq!(
            write_tool_called(br#"{"method":"tools/list"}"#, &writes),
            None
        );
        assert_eq!(write_tool_called(b"not json", &writes), None);
    }
}
