//! The README and `.env.example` must stay true to the code: every variable the server
//! reads is documented in both, and every demo order is listed.

use std::{collections::BTreeSet, fs};

fn read(path: &str) -> String {
    fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// `KLARNA_*` names in a text.
fn variables(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("KLARNA_") {
        let tail = &rest[i..];
        let end = tail
            .find(|c: char| !(c.is_ascii_uppercase() || c == '_'))
            .unwrap_or(tail.len());
        let name = &tail[..end];
        // `KLARNA_HTTP_*` and the like are families, not variables.
        if name.len() > "KLARNA_".len() && !name.ends_with('_') {
            out.insert(name.to_string());
        }
        rest = &tail[end..];
    }
    out
}

#[test]
fn every_variable_the_code_reads_is_in_the_readme_and_env_example() {
    let mut code = variables(&read("src/config.rs"));
    code.extend(variables(&read("src/http/config.rs")));
    let credentials = klarna_mcp::config::credentials::all_variables();
    assert!(code.len() >= 25, "{code:?}");
    let readme = read("README.md");
    let example = read(".env.example");
    // The default set and every other setting: a row and a line each.
    let default_set = [
        "KLARNA_API_USERNAME",
        "KLARNA_API_PASSWORD",
        "KLARNA_API_KEY",
    ];
    code.extend(default_set.map(String::from));
    for var in &code {
        assert!(
            readme.contains(&format!("| `{var}` |")),
            "README configuration table lacks {var}"
        );
        assert!(
            example.contains(&format!("\n{var}=")) || example.contains(&format!("\n# {var}=")),
            ".env.example lacks {var}"
        );
    }
    // The per-host sets: one row per kind, and every scope named.
    for kind in ["API_KEY", "API_USERNAME", "API_PASSWORD"] {
        assert!(
            readme.contains(&format!("| `KLARNA_<SCOPE>_{kind}` |")),
            "README lacks KLARNA_<SCOPE>_{kind}"
        );
    }
    for scope in [
        "EU",
        "NA",
        "OC",
        "EU_PLAYGROUND",
        "NA_PLAYGROUND",
        "OC_PLAYGROUND",
    ] {
        assert!(
            readme.contains(&format!("`{scope}`")),
            "README lacks scope {scope}"
        );
    }
    for var in variables(&example) {
        assert!(
            code.contains(&var) || credentials.contains(&var),
            ".env.example documents {var}, which the code does not read"
        );
    }
}

#[test]
fn every_demo_order_is_listed_in_the_readme() {
    let readme = read("README.md");
    for order in klarna_mcp::simulator::demo_orders() {
        assert!(
            readme.contains(&format!("`{}`", order.order_id)),
            "README lacks demo order {}",
            order.order_id
        );
    }
}

/// `.env.example` copied to `.env` as it is starts the server: nothing in it is refused.
#[test]
fn the_env_example_copied_to_a_dotenv_is_accepted() {
    let dir = std::env::temp_dir().join(format!("klarna-mcp-example-{}", uuid::Uuid::new_v4()));
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join(".env"), read(".env.example")).unwrap();
    let dotenv = klarna_mcp::config::DotEnv::load(&dir).unwrap();
    assert!(dotenv.is_some());
    let config = klarna_mcp::Config::from_sources(|_| None, dotenv);
    fs::remove_dir_all(&dir).unwrap();
    assert!(config.is_ok(), "{:?}", config.err());
}
