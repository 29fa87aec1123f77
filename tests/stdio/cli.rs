//! The command line: help, version, and the ready-to-paste client configurations.

use std::process::Command;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_klarna-mcp");

fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn help_lists_the_subcommands_and_demo() {
    let (ok, out, _) = run(&["--help"]);
    assert!(ok);
    for word in ["serve", "simulator", "config", "--demo", "--version"] {
        assert!(out.contains(word), "--help lacks {word}: {out}");
    }
    let (ok, out, _) = run(&["--version"]);
    assert!(
        ok && out.trim() == format!("klarna-mcp {}", env!("CARGO_PKG_VERSION")),
        "{out}"
    );
}

#[test]
fn json_configs_parse_and_point_at_this_binary() {
    let real = std::fs::canonicalize(BIN).unwrap().display().to_string();
    for client in ["claude-desktop", "cursor", "vscode"] {
        for demo in [false, true] {
            let mut args = vec!["config", client];
            if demo {
                args.push("--demo");
            }
            let (ok, out, err) = run(&args);
            assert!(ok, "{client}: {err}");
            let v: Value = serde_json::from_str(&out)
                .unwrap_or_else(|e| panic!("{client} printed invalid JSON ({e}): {out}"));
            let servers = v.get("mcpServers").or_else(|| v.get("servers")).unwrap();
            let entry = servers.as_object().unwrap().values().next().unwrap();
            let command = entry["command"].as_str().unwrap();
            assert_eq!(command, real);
            assert!(std::path::Path::new(command).is_file());
            assert!(!err.is_empty(), "{client}: no hint on stderr");
            if !demo {
                assert!(out.contains("KLARNA_EU_API_KEY") && out.contains("KLARNA_NA_API_KEY"));
            }
        }
    }
}

#[test]
fn configs_show_placeholders_never_the_real_credentials() {
    let out = Command::new(BIN)
        .args(["config", "claude-desktop"])
        .env("KLARNA_API_USERNAME", "real-user-123")
        .env("KLARNA_API_PASSWORD", "real-secret-456")
        .env("KLARNA_EU_API_KEY", "klarna_live_api_real-secret-789")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("real-secret-456")
            && !text.contains("real-user-123")
            && !text.contains("real-secret-789"),
        "{text}"
    );
    assert!(text.contains("<your EU API key (klarna_live_api_…)>"));
}

#[test]
fn claude_code_prints_a_claude_mcp_add_line() {
    let (ok, out, _) = run(&["config", "claude-code", "--demo"]);
    assert!(ok);
    assert!(
        out.starts_with("claude mcp add klarna-demo -- ") && out.trim_end().ends_with("--demo"),
        "{out}"
    );
}
