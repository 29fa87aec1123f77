//! The packaging files against the real server, without Node.js: `packaging/mcpb/manifest.json`
//! declares exactly the tools and prompts the binary serves and maps its form onto the
//! server's environment; `packaging/server.json` is valid against a pinned copy of the MCP
//! Registry's schema and agrees with Cargo.toml, the manifest and the README. The bundle itself
//! is packed, unpacked and started by `packaging/check.sh`.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::PathBuf,
    process::Stdio,
};

use rmcp::{
    ServiceExt,
    transport::{ConfigureCommandExt, TokioChildProcess},
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const BIN: &str = env!("CARGO_BIN_EXE_klarna-mcp");

/// `packaging/registry/server.schema.json` is a byte-for-byte copy of
/// https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json, taken from
/// the repository that site is published from (modelcontextprotocol/static, commit a9ba437,
/// `schemas/2025-12-11/server.schema.json`). Moving to a newer schema is a deliberate change:
/// replace the file, this hash and `$schema` in packaging/server.json together.
const REGISTRY_SCHEMA_SHA256: &str =
    "3fba09590c99f61735d234822279f4223fab9e300c0a81e81c91ab62a4114de0";
const REGISTRY_SCHEMA_URL: &str =
    "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json";

fn path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn read_json(relative: &str) -> Value {
    let text = std::fs::read_to_string(path(relative)).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

fn names(list: &Value) -> BTreeSet<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|item| item["name"].as_str().unwrap().to_string())
        .collect()
}

/// The server's environment variables the form may set: the default credential set, the
/// per-host sets, and the settings the issue puts in the form.
fn known_env_var(name: &str) -> bool {
    const SETTINGS: [&str; 4] = [
        "KLARNA_API_HOST",
        "KLARNA_ENVIRONMENT",
        "KLARNA_READ_ONLY",
        "KLARNA_CONFIRM_WRITES",
    ];
    const SCOPES: [&str; 7] = [
        "",
        "EU_",
        "NA_",
        "OC_",
        "EU_PLAYGROUND_",
        "NA_PLAYGROUND_",
        "OC_PLAYGROUND_",
    ];
    SETTINGS.contains(&name)
        || SCOPES.iter().any(|scope| {
            ["API_KEY", "API_USERNAME", "API_PASSWORD"]
                .iter()
                .any(|suffix| name == format!("KLARNA_{scope}{suffix}"))
        })
}

fn is_secret(env_var: &str) -> bool {
    env_var.ends_with("_API_KEY") || env_var.ends_with("_API_PASSWORD")
}

/// `env` of the manifest's mcp_config as env var → user_config key.
fn manifest_env(manifest: &Value) -> BTreeMap<String, String> {
    manifest["server"]["mcp_config"]["env"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, value)| {
            let value = value.as_str().unwrap();
            let key = value
                .strip_prefix("${user_config.")
                .and_then(|k| k.strip_suffix('}'))
                .unwrap_or_else(|| panic!("{name} = {value:?} is not one ${{user_config.KEY}}"));
            (name.clone(), key.to_string())
        })
        .collect()
}

#[tokio::test]
async fn mcpb_manifest_declares_exactly_the_tools_and_prompts_the_server_serves() {
    // given
    let manifest = read_json("packaging/mcpb/manifest.json");
    let home = std::env::temp_dir().join(format!("klarna-mcp-packaging-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let cmd = tokio::process::Command::new(BIN).configure(|c| {
        // The bundle serves the default toolsets (`--demo` alone would serve them all).
        c.arg("--demo")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("KLARNA_TOOLSETS", "orders")
            .current_dir(&home);
    });
    let (transport, _stderr) = TokioChildProcess::builder(cmd)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    // when
    let client = ().serve(transport).await.unwrap();
    let info = client.peer_info().unwrap().server_info.clone().unwrap();
    let tools = client.list_all_tools().await.unwrap();
    let prompts = client.list_all_prompts().await.unwrap();
    client.cancel().await.unwrap();
    let _ = std::fs::remove_dir_all(&home);

    // then
    assert_eq!(manifest["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
    let served: BTreeSet<String> = tools.iter().map(|t| t.name.to_string()).collect();
    assert_eq!(
        names(&manifest["tools"]),
        served,
        "packaging/mcpb/manifest.json `tools` must list exactly the tools the server serves"
    );
    let served: BTreeMap<String, BTreeSet<String>> = prompts
        .iter()
        .map(|p| {
            let args = p.arguments.iter().flatten().map(|a| a.name.clone());
            (p.name.clone(), args.collect())
        })
        .collect();
    let declared: BTreeMap<String, BTreeSet<String>> = manifest["prompts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let args = p["arguments"].as_array().unwrap().iter();
            let args = args.map(|a| a.as_str().unwrap().to_string());
            (p["name"].as_str().unwrap().to_string(), args.collect())
        })
        .collect();
    assert_eq!(
        declared, served,
        "packaging/mcpb/manifest.json `prompts` (names and arguments) must match the server's"
    );
}

#[test]
fn mcpb_manifest_maps_every_form_field_onto_the_servers_environment() {
    let manifest = read_json("packaging/mcpb/manifest.json");
    assert_eq!(manifest["manifest_version"], "0.3");
    assert_eq!(manifest["server"]["type"], "binary");
    assert_eq!(manifest["server"]["entry_point"], "server/klarna-mcp");
    assert_eq!(
        manifest["server"]["mcp_config"]["command"],
        "${__dirname}/server/klarna-mcp"
    );
    assert_eq!(manifest["server"]["mcp_config"]["args"], json!([]));

    let env = manifest_env(&manifest);
    let form = manifest["user_config"].as_object().unwrap();
    for name in [
        "KLARNA_API_KEY",
        "KLARNA_API_USERNAME",
        "KLARNA_API_PASSWORD",
        "KLARNA_API_HOST",
        "KLARNA_READ_ONLY",
        "KLARNA_CONFIRM_WRITES",
        "KLARNA_EU_API_KEY",
        "KLARNA_NA_API_KEY",
    ] {
        assert!(env.contains_key(name), "the form sets no {name}");
    }
    let used: BTreeSet<&String> = env.values().collect();
    assert_eq!(used.len(), env.len(), "a form field feeds two variables");
    assert_eq!(
        used,
        form.keys().collect(),
        "every form field is used, every used field exists"
    );
    for (name, key) in &env {
        let field = &form[key];
        assert!(
            known_env_var(name),
            "{name} is not a variable the server reads"
        );
        assert_eq!(
            field["sensitive"].as_bool().unwrap_or(false),
            is_secret(name),
            "{key} ({name}): secrets and only secrets are sensitive"
        );
        // Claude Desktop passes the literal "${user_config.KEY}" for an optional field that has
        // neither a value nor a default (modelcontextprotocol/mcpb#250); "" reads as unset.
        assert_ne!(
            field["required"], true,
            "{key}: the server starts without it"
        );
        let expected = match name.as_str() {
            "KLARNA_READ_ONLY" => json!(false),
            "KLARNA_CONFIRM_WRITES" => json!("auto"),
            _ => json!(""),
        };
        assert_eq!(
            field["default"], expected,
            "{key}: the default must be the server's own"
        );
    }
}

fn registry_validator() -> jsonschema::Validator {
    let bytes = std::fs::read(path("packaging/registry/server.schema.json")).unwrap();
    assert_eq!(
        format!("{:x}", Sha256::digest(&bytes)),
        REGISTRY_SCHEMA_SHA256,
        "packaging/registry/server.schema.json is not the pinned copy of the registry's schema"
    );
    let schema: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(schema["$id"], REGISTRY_SCHEMA_URL);
    jsonschema::draft7::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

fn schema_errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

#[test]
fn server_json_is_valid_against_the_registry_schema() {
    let validator = registry_validator();
    let server = read_json("packaging/server.json");
    assert_eq!(server["$schema"], REGISTRY_SCHEMA_URL);
    let errors = schema_errors(&validator, &server);
    assert!(errors.is_empty(), "packaging/server.json: {errors:#?}");

    // The validator does apply the schema: each of these breaks one of its rules.
    type Breakage = (&'static str, fn(&mut Value));
    let breakages: [Breakage; 4] = [
        ("description over 100 characters", |s| {
            s["description"] = json!("x".repeat(101))
        }),
        ("name without a namespace", |s| {
            s["name"] = json!("klarna-mcp")
        }),
        ("package without transport", |s| {
            s["packages"][0]
                .as_object_mut()
                .unwrap()
                .remove("transport");
        }),
        ("fileSha256 not hex", |s| {
            s["packages"][1]["fileSha256"] = json!("not-a-sha")
        }),
    ];
    for (what, breakage) in breakages {
        let mut broken = server.clone();
        breakage(&mut broken);
        assert!(
            !validator.is_valid(&broken),
            "the schema accepted a server.json with {what}"
        );
    }
}

#[test]
fn server_json_agrees_with_cargo_toml_the_manifest_and_the_readme() {
    let server = read_json("packaging/server.json");
    let manifest = read_json("packaging/mcpb/manifest.json");
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(server["version"], version);
    let packages = server["packages"].as_array().unwrap();
    let kinds: Vec<&str> = packages
        .iter()
        .map(|p| p["registryType"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["cargo", "mcpb"]);

    let cargo = &packages[0];
    assert_eq!(cargo["identifier"], env!("CARGO_PKG_NAME"));
    assert_eq!(cargo["version"], version);
    assert_eq!(cargo["transport"], json!({"type": "stdio"}));
    // The cargo package offers the same variables as the bundle's form, secrets marked alike.
    let offered: BTreeMap<String, bool> = cargo["environmentVariables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let name = v["name"].as_str().unwrap().to_string();
            (name, v["isSecret"].as_bool().unwrap_or(false))
        })
        .collect();
    let in_form: BTreeMap<String, bool> = manifest_env(&manifest)
        .into_keys()
        .map(|name| {
            let secret = is_secret(&name);
            (name, secret)
        })
        .collect();
    assert_eq!(offered, in_form);

    // The template: packaging/build-mcpb.sh writes dist/server.json with the real file name
    // and SHA-256 of the bundle it packed.
    let mcpb = &packages[1];
    assert_eq!(mcpb["version"], version);
    let url = mcpb["identifier"].as_str().unwrap();
    assert!(
        url.contains(&format!(
            "/releases/download/v{version}/klarna-mcp-{version}-"
        )) && url.ends_with(".mcpb"),
        "{url}"
    );
    assert_eq!(mcpb["fileSha256"], "0".repeat(64));

    // The registry checks a cargo package's ownership by finding `mcp-name: <name>` in the
    // README that crates.io renders, which drops HTML comments: it must be visible text.
    let readme = std::fs::read_to_string(path("README.md")).unwrap();
    let marker = format!("mcp-name: {}", server["name"].as_str().unwrap());
    let at = readme
        .find(&marker)
        .unwrap_or_else(|| panic!("README.md does not show {marker:?}"));
    let before = &readme[..at];
    assert!(
        before
            .rfind("<!--")
            .is_none_or(|open| before[open..].contains("-->")),
        "the README's {marker:?} is inside an HTML comment"
    );
    let next = readme[at + marker.len()..].chars().next();
    assert!(
        matches!(next, Some('`' | '<' | ' ' | '\n')),
        "{marker:?} must be followed by a boundary, not {next:?}"
    );
}
