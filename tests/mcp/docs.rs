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
        let name = tail[..end].trim_end_matches('_');
        if name.len() > "KLARNA_".len() {
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
            example.contains(&format!("\n{var}=")),
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
