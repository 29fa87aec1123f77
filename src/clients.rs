//! Ready-to-paste MCP client configurations, printed by `klarna-mcp config <client>`.
//!
//! Each uses the absolute path of the running binary and placeholders for the credentials —
//! never their values, even when they are set in this environment.

use serde_json::{Value, json};

/// The MCP clients a configuration can be printed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ClientKind {
    /// Claude Desktop: `claude_desktop_config.json`.
    ClaudeDesktop,
    /// Claude Code: a `claude mcp add` command line.
    ClaudeCode,
    /// Cursor: `~/.cursor/mcp.json` or `.cursor/mcp.json`.
    Cursor,
    /// VS Code: `.vscode/mcp.json`.
    Vscode,
}

/// Placeholder shown for the EU key.
pub const EU_KEY_PLACEHOLDER: &str = "<your EU API key (klarna_live_api_…)>";
/// Placeholder shown for the NA key.
pub const NA_KEY_PLACEHOLDER: &str =
    "<your North America API key, or delete this line if you sell only in Europe>";

fn server_entry(binary: &str, demo: bool) -> Value {
    if demo {
        json!({ "command": binary, "args": ["--demo"] })
    } else {
        json!({
            "command": binary,
            "args": [],
            "env": { "KLARNA_EU_API_KEY": EU_KEY_PLACEHOLDER, "KLARNA_NA_API_KEY": NA_KEY_PLACEHOLDER }
        })
    }
}

/// The text to paste for `kind`, with the server named `klarna` (`klarna-demo` in demo mode).
pub fn render(kind: ClientKind, binary: &str, demo: bool) -> String {
    let name = if demo { "klarna-demo" } else { "klarna" };
    let pretty = |v: Value| serde_json::to_string_pretty(&v).unwrap_or_default();
    match kind {
        ClientKind::ClaudeDesktop | ClientKind::Cursor => {
            pretty(json!({ "mcpServers": { name: server_entry(binary, demo) } }))
        }
        ClientKind::Vscode => {
            if demo {
                pretty(
                    json!({ "servers": { name: { "type": "stdio", "command": binary, "args": ["--demo"] } } }),
                )
            } else {
                pretty(json!({
                    "inputs": [
                        { "type": "promptString", "id": "klarna-eu-key", "description": "Klarna API key for Europe (api.klarna.com)", "password": true },
                        { "type": "promptString", "id": "klarna-na-key", "description": "Klarna API key for North America (api-na.klarna.com); leave empty if none", "password": true }
                    ],
                    "servers": { name: {
                        "type": "stdio",
                        "command": binary,
                        "args": [],
                        "env": {
                            "KLARNA_EU_API_KEY": "${input:klarna-eu-key}",
                            "KLARNA_NA_API_KEY": "${input:klarna-na-key}"
                        }
                    } }
                }))
            }
        }
        ClientKind::ClaudeCode => {
            let bin = shell_quote(binary);
            if demo {
                format!("claude mcp add {name} -- {bin} --demo")
            } else {
                format!(
                    "claude mcp add {name} --env KLARNA_EU_API_KEY={} --env KLARNA_NA_API_KEY={} -- {bin}",
                    shell_quote(EU_KEY_PLACEHOLDER),
                    shell_quote(NA_KEY_PLACEHOLDER)
                )
            }
        }
    }
}

/// Where the text goes, for the line printed on stderr beside it.
pub fn where_it_goes(kind: ClientKind) -> &'static str {
    match kind {
        ClientKind::ClaudeDesktop => {
            "Merge into claude_desktop_config.json (macOS: ~/Library/Application Support/Claude/, Windows: %APPDATA%\\Claude\\, \
             Linux: ~/.config/Claude/), replace the placeholders (one API key per region you sell in; see the README for \
             other regions and playground keys), then restart Claude Desktop."
        }
        ClientKind::ClaudeCode => {
            "Run this in a terminal (replace the placeholders first); `claude mcp list` shows it."
        }
        ClientKind::Cursor => {
            "Merge into ~/.cursor/mcp.json (all projects) or .cursor/mcp.json (one project), replace the placeholders."
        }
        ClientKind::Vscode => {
            "Save as .vscode/mcp.json in your workspace; VS Code asks for the credentials when it starts the server."
        }
    }
}

/// POSIX single-quoting when needed.
fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-=:+@".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_json_config_parses_and_names_the_binary() {
        for kind in [
            ClientKind::ClaudeDesktop,
            ClientKind::Cursor,
            ClientKind::Vscode,
        ] {
            for demo in [false, true] {
                let text = render(kind, "/opt/klarna mcp/klarna-mcp", demo);
                let v: Value = serde_json::from_str(&text).unwrap();
                let servers = v.get("mcpServers").or_else(|| v.get("servers")).unwrap();
                let entry = servers.as_object().unwrap().values().next().unwrap();
                assert_eq!(entry["command"], "/opt/klarna mcp/klarna-mcp");
                assert_eq!(
                    entry["args"].as_array().unwrap().contains(&json!("--demo")),
                    demo
                );
            }
        }
    }

    #[test]
    fn claude_code_line_quotes_paths_and_placeholders() {
        let line = render(ClientKind::ClaudeCode, "/opt/klarna mcp/klarna-mcp", false);
        assert!(
            line.starts_with(
                "claude mcp add klarna --env KLARNA_EU_API_KEY='<your EU API key (klarna_live_api_…)>'"
            ),
            "{line}"
        );
        assert!(line.ends_with("-- '/opt/klarna mcp/klarna-mcp'"), "{line}");
        assert_eq!(
            render(ClientKind::ClaudeCode, "/bin/k", true),
            "claude mcp add klarna-demo -- /bin/k --demo"
        );
    }
}
