//! What this server tells clients about its authorization: the Protected Resource Metadata
//! document (RFC 9728) and the `WWW-Authenticate` challenges of its 401 and 403 answers
//! (RFC 6750 §3, as the MCP authorization spec uses them).

use serde::{Deserialize, Serialize};

use super::{Rejection, SCOPE_READ, SCOPE_WRITE};

/// The RFC 9728 document served at `/.well-known/oauth-protected-resource` (and its
/// path-suffixed form `/.well-known/oauth-protected-resource/mcp`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtectedResourceMetadata {
    /// This server's resource identifier: `KLARNA_PUBLIC_URL` + `/mcp`.
    pub resource: String,
    /// The issuers whose tokens are accepted (`KLARNA_OAUTH_ISSUER`).
    pub authorization_servers: Vec<String>,
    /// `klarna.read` and `klarna.write`.
    pub scopes_supported: Vec<String>,
    /// Only the `Authorization` header (`header`); never query or body tokens.
    pub bearer_methods_supported: Vec<String>,
    /// Human-readable name of the resource.
    pub resource_name: String,
}

impl ProtectedResourceMetadata {
    /// The document for `resource` protected by `issuer`.
    pub fn new(resource: &str, issuer: &str) -> Self {
        Self {
            resource: resource.to_string(),
            authorization_servers: vec![issuer.to_string()],
            scopes_supported: vec![SCOPE_READ.to_string(), SCOPE_WRITE.to_string()],
            bearer_methods_supported: vec!["header".to_string()],
            resource_name: "Klarna Order Management (klarna-mcp)".to_string(),
        }
    }
}

/// Builds the `WWW-Authenticate` value for a rejection. `resource_metadata` is the metadata
/// URL when OAuth is configured; with static tokens only there is none and the challenge names
/// a realm instead, so clients do not start an OAuth flow that cannot succeed.
pub fn challenge(rejection: &Rejection, resource_metadata: Option<&str>) -> String {
    let mut params: Vec<String> = Vec::new();
    if resource_metadata.is_none() {
        params.push("realm=\"klarna-mcp\"".into());
    }
    match rejection {
        Rejection::Missing => {}
        Rejection::InvalidToken(reason) => {
            params.push("error=\"invalid_token\"".into());
            params.push(format!("error_description=\"{reason}\""));
        }
        Rejection::NoScope { .. } => {
            params.push("error=\"insufficient_scope\"".into());
        }
    }
    // The least a client needs; the metadata lists klarna.write for those who want more.
    params.push(format!("scope=\"{SCOPE_READ}\""));
    if let Some(url) = resource_metadata {
        params.push(format!("resource_metadata=\"{url}\""));
    }
    format!("Bearer {}", params.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_carry_the_metadata_url_or_a_realm() {
        let url = "https://mcp.example/.well-known/oauth-protected-resource/mcp";
        assert_eq!(
            challenge(&Rejection::Missing, Some(url)),
            format!("Bearer scope=\"klarna.read\", resource_metadata=\"{url}\"")
        );
        assert_eq!(
            challenge(&Rejection::InvalidToken("token expired"), Some(url)),
            format!(
                "Bearer error=\"invalid_token\", error_description=\"token expired\", scope=\"klarna.read\", \
                 resource_metadata=\"{url}\""
            )
        );
        assert_eq!(
            challenge(&Rejection::Missing, None),
            "Bearer realm=\"klarna-mcp\", scope=\"klarna.read\""
        );
    }
}
