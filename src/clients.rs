//! Ready-to-paste MCP client configurations, printed by `klarna-mcp config <client>`.
//!
//! Two kinds of entry: one that starts this binary over stdio (its absolute path, and
//! placeholders for the Klarna credentials — never their values, even when they are set in
//! this environment), and with `--url` one that connects to a team server over Streamable HTTP
//! with a bearer token (a placeholder, or the name of an environment variable where the client
//! reads one) or with OAuth (the client signs in with the identity provider itself).
//!
//! Each client's format is its own: JSON `mcpServers` (Claude Desktop, Cursor, Windsurf,
//! Gemini CLI), JSON `servers` with `inputs` (VS Code), JSON `context_servers` (Zed), TOML
//! `[mcp_servers.NAME]` (Codex), or a command line (Claude Code).

use serde_json::{Value, json};
use url::Url;

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
    /// OpenAI Codex: `~/.codex/config.toml`.
    Codex,
    /// Windsurf: `~/.codeium/windsurf/mcp_config.json`.
    Windsurf,
    /// Gemini CLI: `~/.gemini/settings.json`.
    GeminiCli,
    /// Zed: `settings.json`, under `context_servers`.
    Zed,
}

impl ClientKind {
    /// Every client, in the order `--help` and the README list them.
    pub const ALL: [ClientKind; 8] = [
        ClientKind::ClaudeDesktop,
        ClientKind::ClaudeCode,
        ClientKind::Cursor,
        ClientKind::Vscode,
        ClientKind::Codex,
        ClientKind::Windsurf,
        ClientKind::GeminiCli,
        ClientKind::Zed,
    ];
}

/// How a client proves who it is to a team server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HttpAuth {
    /// A static bearer token (`klarna-mcp token new`), sent as `Authorization: Bearer …`.
    Token,
    /// OAuth: the client discovers the identity provider from the server and signs in.
    Oauth,
}

/// The arguments of `klarna-mcp config`.
#[derive(Debug, Clone, clap::Args)]
pub struct ConfigArgs {
    /// Which client.
    #[arg(value_enum)]
    pub client: ClientKind,
    /// Connect to a team server over HTTP at this URL (e.g. https://klarna-mcp.example.com/mcp)
    /// instead of starting this binary.
    #[arg(long, value_name = "URL")]
    pub url: Option<Url>,
    /// With --url: sign in with a static bearer token, or with OAuth.
    #[arg(long, value_enum, default_value = "token", requires = "url")]
    pub auth: HttpAuth,
}

/// Placeholder shown for the EU key.
pub const EU_KEY_PLACEHOLDER: &str = "<your EU API key (klarna_live_api_…)>";
/// Placeholder shown for the NA key.
pub const NA_KEY_PLACEHOLDER: &str =
    "<your North America API key, or delete this line if you sell only in Europe>";
/// Placeholder for a team server's bearer token, where the client cannot read a variable.
pub const TOKEN_PLACEHOLDER: &str = "<your klarna-mcp token>";
/// The variable holding the bearer token, for clients that read one from the environment.
pub const TOKEN_VARIABLE: &str = "KLARNA_MCP_TOKEN";

/// Where the entry connects: this binary over stdio, or a team server over HTTP.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// Start `binary` (with `--demo` when `demo`).
    Stdio { binary: &'a str, demo: bool },
    /// Connect to `url` with `auth`.
    Http { url: &'a str, auth: HttpAuth },
}

impl Target<'_> {
    fn name(&self) -> &'static str {
        match self {
            Target::Stdio { demo: true, .. } => "klarna-demo",
            _ => "klarna",
        }
    }
}

/// The team server's MCP endpoint: http(s) only, `/mcp` when the URL names no path, and no
/// credentials or fragment (a token belongs in a header, not in a URL that is logged).
pub fn team_url(url: &Url) -> Result<Url, String> {
    if !matches!(url.scheme(), "https" | "http") {
        return Err(format!(
            "{url} is not an http(s) URL; give the team server's address, e.g. https://klarna-mcp.example.com/mcp"
        ));
    }
    if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
        return Err(
            "the URL carries a user name, password or fragment; give only the server's address (the token goes in a header)"
                .into(),
        );
    }
    let mut url = url.clone();
    if url.path() == "/" {
        url.set_path("/mcp");
    }
    Ok(url)
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// The Klarna credentials as the `env` of a stdio entry.
fn credential_env() -> Value {
    json!({ "KLARNA_EU_API_KEY": EU_KEY_PLACEHOLDER, "KLARNA_NA_API_KEY": NA_KEY_PLACEHOLDER })
}

/// `command`/`args`/`env`, the stdio entry most clients share.
fn stdio_entry(binary: &str, demo: bool) -> Value {
    if demo {
        json!({ "command": binary, "args": ["--demo"] })
    } else {
        json!({ "command": binary, "args": [], "env": credential_env() })
    }
}

/// An HTTP entry with the URL under `url_key` and, for a token, `Authorization: Bearer
/// <bearer>`; for OAuth only the URL (the client finds the identity provider).
fn http_entry(url_key: &str, url: &str, auth: HttpAuth, bearer: &str) -> Value {
    let mut entry = json!({ url_key: url });
    if auth == HttpAuth::Token {
        entry["headers"] = json!({ "Authorization": format!("Bearer {bearer}") });
    }
    entry
}

/// The text to paste for `kind`, with the server named `klarna` (`klarna-demo` in demo mode).
pub fn render(kind: ClientKind, target: Target<'_>) -> String {
    let name = target.name();
    match (kind, target) {
        (ClientKind::ClaudeCode, target) => claude_code_line(name, target),
        (ClientKind::Codex, target) => codex_toml(name, target),
        (ClientKind::Vscode, Target::Stdio { binary, demo }) => {
            pretty(&vscode_stdio(name, binary, demo))
        }
        (ClientKind::Vscode, Target::Http { url, auth }) => {
            let mut entry = http_entry("url", url, auth, "${input:klarna-mcp-token}");
            entry["type"] = json!("http");
            let mut file = json!({ "servers": { name: entry } });
            if auth == HttpAuth::Token {
                file["inputs"] = json!([{ "type": "promptString", "id": "klarna-mcp-token", "description": "Your klarna-mcp token (from whoever runs the team server)", "password": true }]);
            }
            pretty(&file)
        }
        (ClientKind::Zed, Target::Stdio { binary, demo }) => {
            pretty(&json!({ "context_servers": { name: stdio_entry(binary, demo) } }))
        }
        (ClientKind::Zed, Target::Http { url, auth }) => pretty(
            &json!({ "context_servers": { name: http_entry("url", url, auth, TOKEN_PLACEHOLDER) } }),
        ),
        (ClientKind::GeminiCli, Target::Http { url, auth }) => {
            // Gemini CLI expands $VARIABLES in its settings.
            let mut entry = http_entry("url", url, auth, &format!("${TOKEN_VARIABLE}"));
            entry["type"] = json!("http");
            pretty(&json!({ "mcpServers": { name: entry } }))
        }
        (ClientKind::Cursor, Target::Http { url, auth }) => {
            let entry = http_entry("url", url, auth, &format!("${{env:{TOKEN_VARIABLE}}}"));
            pretty(&json!({ "mcpServers": { name: entry } }))
        }
        (ClientKind::Windsurf, Target::Http { url, auth }) => {
            let entry = http_entry(
                "serverUrl",
                url,
                auth,
                &format!("${{env:{TOKEN_VARIABLE}}}"),
            );
            pretty(&json!({ "mcpServers": { name: entry } }))
        }
        (ClientKind::ClaudeDesktop, Target::Http { url, auth }) => {
            // claude_desktop_config.json starts only local programs: mcp-remote bridges stdio to
            // the team server (and runs the OAuth sign-in itself). The header value comes from
            // `env` without a space after the colon, which some hosts would split into two args.
            let mut args = vec![json!("-y"), json!("mcp-remote"), json!(url)];
            let mut entry = json!({ "command": "npx" });
            if auth == HttpAuth::Token {
                args.extend([
                    json!("--header"),
                    json!("Authorization:${KLARNA_MCP_AUTHORIZATION}"),
                ]);
                entry["env"] =
                    json!({ "KLARNA_MCP_AUTHORIZATION": format!("Bearer {TOKEN_PLACEHOLDER}") });
            }
            entry["args"] = Value::Array(args);
            pretty(&json!({ "mcpServers": { name: entry } }))
        }
        (
            ClientKind::ClaudeDesktop
            | ClientKind::Cursor
            | ClientKind::Windsurf
            | ClientKind::GeminiCli,
            Target::Stdio { binary, demo },
        ) => pretty(&json!({ "mcpServers": { name: stdio_entry(binary, demo) } })),
    }
}

fn vscode_stdio(name: &str, binary: &str, demo: bool) -> Value {
    if demo {
        return json!({ "servers": { name: { "type": "stdio", "command": binary, "args": ["--demo"] } } });
    }
    json!({
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
    })
}

fn claude_code_line(name: &str, target: Target<'_>) -> String {
    match target {
        Target::Stdio { binary, demo: true } => {
            format!("claude mcp add {name} -- {} --demo", shell_quote(binary))
        }
        Target::Stdio {
            binary,
            demo: false,
        } => format!(
            "claude mcp add {name} --env KLARNA_EU_API_KEY={} --env KLARNA_NA_API_KEY={} -- {}",
            shell_quote(EU_KEY_PLACEHOLDER),
            shell_quote(NA_KEY_PLACEHOLDER),
            shell_quote(binary)
        ),
        Target::Http {
            url,
            auth: HttpAuth::Token,
        } => format!(
            "claude mcp add --transport http {name} {} --header {}",
            shell_quote(url),
            shell_quote(&format!("Authorization: Bearer {TOKEN_PLACEHOLDER}"))
        ),
        Target::Http {
            url,
            auth: HttpAuth::Oauth,
        } => format!(
            "claude mcp add --transport http {name} {}",
            shell_quote(url)
        ),
    }
}

/// A TOML basic string: JSON's string escapes are all valid TOML escapes.
fn toml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

fn codex_toml(name: &str, target: Target<'_>) -> String {
    let mut text = format!("[mcp_servers.{name}]\n");
    match target {
        Target::Stdio { binary, demo } => {
            text += &format!("command = {}\n", toml_string(binary));
            if demo {
                text += "args = [\"--demo\"]\n";
            } else {
                text += "args = []\n";
                text += &format!(
                    "env = {{ KLARNA_EU_API_KEY = {}, KLARNA_NA_API_KEY = {} }}\n",
                    toml_string(EU_KEY_PLACEHOLDER),
                    toml_string(NA_KEY_PLACEHOLDER)
                );
            }
        }
        Target::Http { url, auth } => {
            text += &format!("url = {}\n", toml_string(url));
            if auth == HttpAuth::Token {
                // Codex reads the token from this variable and sends it as a bearer token.
                text += &format!("bearer_token_env_var = {}\n", toml_string(TOKEN_VARIABLE));
            }
        }
    }
    text.trim_end().to_string()
}

/// Where the text goes, for the line printed on stderr beside it.
pub fn where_it_goes(kind: ClientKind, target: Target<'_>) -> String {
    let http = matches!(target, Target::Http { .. });
    let token = matches!(
        target,
        Target::Http {
            auth: HttpAuth::Token,
            ..
        }
    );
    let oauth = matches!(
        target,
        Target::Http {
            auth: HttpAuth::Oauth,
            ..
        }
    );
    let place = match kind {
        ClientKind::ClaudeDesktop => {
            "Merge into claude_desktop_config.json (macOS: ~/Library/Application Support/Claude/, Windows: %APPDATA%\\Claude\\, \
             Linux: ~/.config/Claude/), then restart Claude Desktop."
        }
        ClientKind::ClaudeCode => "Run this in a terminal; `claude mcp list` shows it.",
        ClientKind::Cursor => {
            "Merge into ~/.cursor/mcp.json (all projects) or .cursor/mcp.json (one project)."
        }
        ClientKind::Vscode => {
            "Save as .vscode/mcp.json in your workspace; VS Code asks for the secrets (masked) when it starts the server."
        }
        ClientKind::Codex => {
            "Append to ~/.codex/config.toml (or .codex/config.toml in a trusted project); `codex mcp list` shows it."
        }
        ClientKind::Windsurf => {
            "Merge into ~/.codeium/windsurf/mcp_config.json (Windows: %USERPROFILE%\\.codeium\\windsurf\\), then refresh the MCP servers."
        }
        ClientKind::GeminiCli => {
            "Merge into ~/.gemini/settings.json (or .gemini/settings.json in a project); `gemini mcp list` shows it."
        }
        ClientKind::Zed => {
            "Merge into Zed's settings.json (zed: open settings file) under context_servers."
        }
    };
    let mut hint = place.to_string();
    if !http {
        hint += " Replace the placeholders: one API key per region you sell in (see the README for other regions and playground keys).";
    }
    if token {
        hint += match kind {
            ClientKind::Cursor
            | ClientKind::Windsurf
            | ClientKind::GeminiCli
            | ClientKind::Codex => {
                " Set KLARNA_MCP_TOKEN to your token (`klarna-mcp token new` on the server) in the environment the client starts from."
            }
            ClientKind::Vscode => "",
            _ => {
                " Replace <your klarna-mcp token> with your token (`klarna-mcp token new` on the server)."
            }
        };
    }
    if oauth {
        hint += match kind {
            ClientKind::ClaudeCode => {
                " Then run /mcp in Claude Code to sign in; if your identity provider offers no dynamic client registration, add --client-id <client id>."
            }
            ClientKind::Codex => " Then run `codex mcp login klarna` to sign in.",
            ClientKind::ClaudeDesktop => {
                " mcp-remote opens the browser to sign in. Or add the URL under Settings → Connectors → Add custom connector."
            }
            _ => " The client signs you in with your identity provider when it first connects.",
        };
    }
    hint
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
mod tests;
