//! Who is calling: [`Principal`] and its [`Role`], how a tool handler finds it, and the
//! refusal ([`InsufficientScope`]) a tool answers when a read-only principal asks for a write.
//!
//! The HTTP layer authenticates every request and puts the [`Principal`] into the HTTP
//! request's extensions. rmcp's Streamable HTTP service then moves the request's
//! [`Parts`] (headers, URI, extensions) into the MCP request's
//! [`rmcp::model::Extensions`], so a handler reaches the principal in two steps; [`principal`]
//! does both. Over stdio there are no HTTP parts and [`principal`] answers `None`.

use std::fmt;

use axum::http::request::Parts;
use rmcp::{RoleServer, model::Extensions, service::RequestContext};

/// OAuth scope that grants the read role (look up orders and captures).
pub const SCOPE_READ: &str = "klarna.read";
/// OAuth scope that grants the write role (also capture, refund, cancel, release). It implies
/// [`SCOPE_READ`].
pub const SCOPE_WRITE: &str = "klarna.write";

/// What a principal may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// May list and call the read tools.
    Read,
    /// May also call the write tools (they move money or end an authorization).
    Write,
}

impl Role {
    /// Parses `read` or `write` (the spelling of the token file).
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "read" => Some(Self::Read),
            "write" => Some(Self::Write),
            _ => None,
        }
    }

    /// The role granted by a set of OAuth scopes: `klarna.write` gives [`Role::Write`],
    /// `klarna.read` alone gives [`Role::Read`], neither gives `None`.
    pub fn from_scopes<'a>(scopes: impl IntoIterator<Item = &'a str>) -> Option<Self> {
        let mut role = None;
        for scope in scopes {
            match scope {
                SCOPE_WRITE => return Some(Self::Write),
                SCOPE_READ => role = Some(Self::Read),
                _ => {}
            }
        }
        role
    }

    /// Whether this role may call a tool that needs `access`.
    pub fn allows(self, access: Access) -> bool {
        match access {
            Access::Read => true,
            Access::Write => self == Self::Write,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Read => "read",
            Self::Write => "write",
        })
    }
}

/// What a tool needs from its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The tool only reads (`get_order`, `get_capture`).
    Read,
    /// The tool moves money or ends an authorization.
    Write,
}

/// An authenticated caller of the HTTP server. Log [`Principal::subject`] and
/// [`Principal::display_name`]; there is nothing secret in here (the bearer token is never
/// kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Stable identifier, in three namespaces that never compare equal: `oidc:<issuer>#<sub>`
    /// for a JWT, `token:<name>` for a static token, `local` when the server runs on
    /// loopback without authentication.
    pub subject: String,
    /// Human-readable name for logs and audit lines: the JWT `name`, `preferred_username` or
    /// `email` claim (falling back to the subject), or the token's name.
    pub display_name: String,
    /// What the principal may do.
    pub role: Role,
}

impl Principal {
    /// How audit lines and journal records name the principal: the subject, and the display
    /// name when it says more.
    pub fn label(&self) -> String {
        if self.display_name.is_empty() || self.display_name == self.subject {
            self.subject.clone()
        } else {
            format!("{} ({})", self.subject, self.display_name)
        }
    }

    /// The principal of an unauthenticated loopback server: whoever can reach the loopback
    /// interface may do everything, as with the stdio server.
    pub fn local() -> Self {
        Self {
            subject: "local".into(),
            display_name: "local user".into(),
            role: Role::Write,
        }
    }

    /// Checks that this principal may call a tool that needs `access`.
    pub fn check(&self, access: Access) -> Result<(), InsufficientScope> {
        if self.role.allows(access) {
            Ok(())
        } else {
            Err(InsufficientScope {
                subject: self.subject.clone(),
                role: self.role,
                needed: access,
            })
        }
    }
}

/// Finds the [`Principal`] of an MCP request served over HTTP, from the extensions of its
/// `RequestContext` (`ctx.extensions`).
///
/// rmcp 3.11 puts the HTTP request's [`Parts`] into the MCP request's extensions, for
/// requests in a session and for stateless (2026-07-28) requests alike; the authentication
/// middleware put the principal into those parts' extensions. `None` over stdio, and never
/// `None` for a request that came through [`crate::http`] (it refuses unauthenticated
/// requests before they reach rmcp).
///
/// ```ignore
/// async fn call_tool(&self, request: CallToolRequestParams, ctx: RequestContext<RoleServer>)
///     -> Result<CallToolResponse, McpError>
/// {
///     if let Some(who) = klarna_mcp::auth::principal(&ctx.extensions) {
///         if let Err(refusal) = who.check(Access::Write) {
///             return Ok(CallToolResult::error(vec![ContentBlock::text(refusal.tool_message(&request.name))]).into());
///         }
///     }
///     // … route the call
/// }
/// ```
pub fn principal(extensions: &Extensions) -> Option<&Principal> {
    extensions.get::<Parts>()?.extensions.get::<Principal>()
}

/// [`principal`] for a whole request context.
pub fn principal_of(ctx: &RequestContext<RoleServer>) -> Option<&Principal> {
    principal(&ctx.extensions)
}

/// A principal asked for more than its role allows.
///
/// At the HTTP layer the answer would be `403` with
/// [`InsufficientScope::www_authenticate`] (the MCP authorization spec's step-up challenge).
/// The HTTP layer cannot see which tool a `tools/call` names without parsing the JSON-RPC
/// body, so the tool layer decides: hide write tools from `tools/list` for a read principal,
/// and answer a write call with an `isError` result carrying [`InsufficientScope::tool_message`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{subject} has the {role} role; this needs the write role ({SCOPE_WRITE})")]
pub struct InsufficientScope {
    /// Who asked.
    pub subject: String,
    /// The role they have.
    pub role: Role,
    /// What the tool needs.
    pub needed: Access,
}

impl InsufficientScope {
    /// The scopes a client should request to be allowed (existing plus new, as the MCP
    /// authorization spec recommends for step-up).
    pub fn required_scopes(&self) -> &'static str {
        match self.needed {
            Access::Read => SCOPE_READ,
            Access::Write => "klarna.read klarna.write",
        }
    }

    /// The `WWW-Authenticate` value of a `403` answer (RFC 6750 §3.1, MCP scope challenge).
    /// `resource_metadata` is the Protected Resource Metadata URL, when OAuth is configured.
    pub fn www_authenticate(&self, resource_metadata: Option<&str>) -> String {
        let mut value = format!(
            "Bearer error=\"insufficient_scope\", scope=\"{}\"",
            self.required_scopes()
        );
        if let Some(url) = resource_metadata {
            value.push_str(&format!(", resource_metadata=\"{url}\""));
        }
        value.push_str(", error_description=\"the write role is required\"");
        value
    }

    /// The text of the `isError` result a write tool answers for this principal.
    pub fn tool_message(&self, tool: &str) -> String {
        format!(
            "{tool} was refused: you ({}) have the {} role, and {tool} needs the write role. Ask an administrator \
             for a token with the {SCOPE_WRITE} scope (or a token-file entry with role `write`). Nothing was sent to Klarna.",
            self.subject, self.role
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_scope_implies_read_and_unknown_scopes_grant_nothing() {
        assert_eq!(
            Role::from_scopes(["openid", SCOPE_WRITE]),
            Some(Role::Write)
        );
        assert_eq!(Role::from_scopes([SCOPE_READ]), Some(Role::Read));
        assert_eq!(
            Role::from_scopes([SCOPE_READ, SCOPE_WRITE]),
            Some(Role::Write)
        );
        assert_eq!(Role::from_scopes(["openid", "klarna"]), None);
        assert!(Role::Write.allows(Access::Read));
        assert!(!Role::Read.allows(Access::Write));
    }

    #[test]
    fn read_principal_asking_for_a_write_gets_a_step_up_challenge() {
        let reader = Principal {
            subject: "alice".into(),
            display_name: "Alice".into(),
            role: Role::Read,
        };
        assert!(reader.check(Access::Read).is_ok());
        let refusal = reader.check(Access::Write).unwrap_err();
        assert_eq!(
            refusal.www_authenticate(Some(
                "https://mcp.example/.well-known/oauth-protected-resource/mcp"
            )),
            "Bearer error=\"insufficient_scope\", scope=\"klarna.read klarna.write\", \
             resource_metadata=\"https://mcp.example/.well-known/oauth-protected-resource/mcp\", \
             error_description=\"the write role is required\""
        );
        assert!(
            refusal
                .tool_message("capture_order")
                .contains("needs the write role")
        );
    }

    #[test]
    fn principal_is_found_inside_the_http_parts() {
        let (mut parts, ()) = axum::http::Request::new(()).into_parts();
        parts.extensions.insert(Principal::local());
        let mut extensions = Extensions::new();
        assert_eq!(principal(&extensions), None);
        extensions.insert(parts);
        assert_eq!(principal(&extensions), Some(&Principal::local()));
    }
}
