//! Every entry parsed as its client's format: JSON for the JSON clients, TOML for Codex, POSIX
//! shell words for Claude Code; then the fields each client reads are checked.

use super::*;

const BINARY: &str = "/opt/klarna mcp/klarna-mcp";
const URL: &str = "https://klarna-mcp.example.com/mcp";

fn targets() -> Vec<Target<'static>> {
    vec![
        Target::Stdio {
            binary: BINARY,
            demo: false,
        },
        Target::Stdio {
            binary: BINARY,
            demo: true,
        },
        Target::Http {
            url: URL,
            auth: HttpAuth::Token,
        },
        Target::Http {
            url: URL,
            auth: HttpAuth::Oauth,
        },
    ]
}

/// POSIX shell words of a line that uses only plain words, single quotes and `\'`.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quoted = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' if !quoted => {
                word.extend(chars.next());
                in_word = true;
            }
            '\'' => {
                quoted = !quoted;
                in_word = true;
            }
            ' ' if !quoted => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                }
                in_word = false;
            }
            _ => {
                word.push(c);
                in_word = true;
            }
        }
    }
    assert!(!quoted, "unbalanced quote in {line}");
    if in_word {
        words.push(word);
    }
    words
}

/// The entry named `name` under the client's top-level key.
fn json_entry(kind: ClientKind, text: &str, name: &str) -> Value {
    let file: Value =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("{kind:?}: {e}\n{text}"));
    let key = match kind {
        ClientKind::Vscode => "servers",
        ClientKind::Zed => "context_servers",
        _ => "mcpServers",
    };
    let servers = file[key]
        .as_object()
        .unwrap_or_else(|| panic!("{kind:?}: no {key}: {text}"));
    assert_eq!(servers.len(), 1, "{kind:?}");
    servers[name].clone()
}

#[test]
fn stdio_entries_start_this_binary_with_placeholders_in_every_format() {
    for kind in ClientKind::ALL {
        for demo in [false, true] {
            let target = Target::Stdio {
                binary: BINARY,
                demo,
            };
            let name = target.name();
            let text = render(kind, target);
            let (command, args, env): (String, Vec<String>, Option<Value>) = match kind {
                ClientKind::ClaudeCode => {
                    let words = shell_words(&text);
                    assert_eq!(&words[..4], ["claude", "mcp", "add", name], "{text}");
                    let dash = words.iter().position(|w| w == "--").unwrap();
                    let env: serde_json::Map<String, Value> = words[4..dash]
                        .chunks(2)
                        .map(|pair| {
                            assert_eq!(pair[0], "--env", "{text}");
                            let (k, v) = pair[1].split_once('=').unwrap();
                            (k.to_string(), json!(v))
                        })
                        .collect();
                    let env = (!env.is_empty()).then_some(Value::Object(env));
                    (words[dash + 1].clone(), words[dash + 2..].to_vec(), env)
                }
                ClientKind::Codex => {
                    let file: toml::Table =
                        toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
                    let entry = &file["mcp_servers"][name];
                    let args = entry["args"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|a| a.as_str().unwrap().to_string())
                        .collect();
                    let env = entry
                        .get("env")
                        .map(|env| serde_json::to_value(env).unwrap());
                    (entry["command"].as_str().unwrap().to_string(), args, env)
                }
                _ => {
                    let entry = json_entry(kind, &text, name);
                    if kind == ClientKind::Vscode {
                        assert_eq!(entry["type"], "stdio");
                    }
                    let args = entry["args"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|a| a.as_str().unwrap().to_string())
                        .collect();
                    (
                        entry["command"].as_str().unwrap().to_string(),
                        args,
                        entry.get("env").cloned(),
                    )
                }
            };
            assert_eq!(command, BINARY, "{kind:?}");
            assert_eq!(
                args,
                if demo {
                    vec!["--demo".to_string()]
                } else {
                    vec![]
                },
                "{kind:?}"
            );
            match (demo, env) {
                (true, env) => assert!(env.is_none(), "{kind:?}: the demo needs no credentials"),
                (false, Some(env)) => {
                    let eu = env["KLARNA_EU_API_KEY"].as_str().unwrap();
                    let expected = if kind == ClientKind::Vscode {
                        "${input:klarna-eu-key}"
                    } else {
                        EU_KEY_PLACEHOLDER
                    };
                    assert_eq!(eu, expected, "{kind:?}");
                    assert!(env.get("KLARNA_NA_API_KEY").is_some(), "{kind:?}");
                }
                (false, None) => panic!("{kind:?}: no env for the credentials"),
            }
        }
    }
}

#[test]
fn http_entries_name_the_url_and_a_token_or_nothing_for_oauth_in_every_format() {
    for kind in ClientKind::ALL {
        for auth in [HttpAuth::Token, HttpAuth::Oauth] {
            let text = render(kind, Target::Http { url: URL, auth });
            // (url, Authorization header value or the variable named for it)
            let (url, bearer): (String, Option<String>) = match kind {
                ClientKind::ClaudeCode => {
                    let words = shell_words(&text);
                    assert_eq!(
                        &words[..6],
                        ["claude", "mcp", "add", "--transport", "http", "klarna"],
                        "{text}"
                    );
                    let header = words
                        .iter()
                        .position(|w| w == "--header")
                        .map(|i| words[i + 1].clone());
                    (
                        words[6].clone(),
                        header.map(|h| h.strip_prefix("Authorization: ").unwrap().to_string()),
                    )
                }
                ClientKind::Codex => {
                    let file: toml::Table =
                        toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
                    let entry = file["mcp_servers"]["klarna"].as_table().unwrap();
                    assert!(
                        !entry.contains_key("command"),
                        "Codex refuses a command next to a url"
                    );
                    let var = entry
                        .get("bearer_token_env_var")
                        .map(|v| format!("${}", v.as_str().unwrap()));
                    (entry["url"].as_str().unwrap().to_string(), var)
                }
                ClientKind::ClaudeDesktop => {
                    let entry = json_entry(kind, &text, "klarna");
                    assert_eq!(entry["command"], "npx");
                    let args: Vec<&str> = entry["args"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|a| a.as_str().unwrap())
                        .collect();
                    assert_eq!(args[..2], ["-y", "mcp-remote"]);
                    let bearer = args.iter().position(|a| *a == "--header").map(|i| {
                        assert_eq!(args[i + 1], "Authorization:${KLARNA_MCP_AUTHORIZATION}");
                        entry["env"]["KLARNA_MCP_AUTHORIZATION"]
                            .as_str()
                            .unwrap()
                            .to_string()
                    });
                    (args[2].to_string(), bearer)
                }
                _ => {
                    let entry = json_entry(kind, &text, "klarna");
                    let url_key = if kind == ClientKind::Windsurf {
                        "serverUrl"
                    } else {
                        "url"
                    };
                    if matches!(kind, ClientKind::Vscode | ClientKind::GeminiCli) {
                        assert_eq!(entry["type"], "http", "{kind:?}");
                    }
                    assert!(entry.get("command").is_none(), "{kind:?}");
                    let bearer = entry
                        .get("headers")
                        .map(|h| h["Authorization"].as_str().unwrap().to_string());
                    (entry[url_key].as_str().unwrap().to_string(), bearer)
                }
            };
            assert_eq!(url, URL, "{kind:?}");
            match (auth, bearer) {
                (HttpAuth::Oauth, bearer) => {
                    assert_eq!(bearer, None, "{kind:?}: OAuth sends no static token")
                }
                (HttpAuth::Token, Some(bearer)) => {
                    let expected = match kind {
                        ClientKind::Cursor | ClientKind::Windsurf => {
                            "Bearer ${env:KLARNA_MCP_TOKEN}"
                        }
                        ClientKind::GeminiCli => "Bearer $KLARNA_MCP_TOKEN",
                        ClientKind::Codex => "$KLARNA_MCP_TOKEN",
                        ClientKind::Vscode => "Bearer ${input:klarna-mcp-token}",
                        _ => "Bearer <your klarna-mcp token>",
                    };
                    assert_eq!(bearer, expected, "{kind:?}");
                }
                (HttpAuth::Token, None) => panic!("{kind:?}: no token in {text}"),
            }
        }
    }
    // VS Code asks for the token it refers to.
    let file: Value = serde_json::from_str(&render(
        ClientKind::Vscode,
        Target::Http {
            url: URL,
            auth: HttpAuth::Token,
        },
    ))
    .unwrap();
    assert_eq!(file["inputs"][0]["id"], "klarna-mcp-token");
    assert_eq!(file["inputs"][0]["password"], true);
}

#[test]
fn strings_that_need_escaping_survive_every_format() {
    let odd = "/opt/it's \"odd\"\\dir/klarna-mcp";
    for kind in ClientKind::ALL {
        let text = render(
            kind,
            Target::Stdio {
                binary: odd,
                demo: true,
            },
        );
        let command = match kind {
            ClientKind::ClaudeCode => shell_words(&text)[5].clone(),
            ClientKind::Codex => toml::from_str::<toml::Table>(&text).unwrap()["mcp_servers"]["klarna-demo"]["command"]
                .as_str()
                .unwrap()
                .to_string(),
            _ => json_entry(kind, &text, "klarna-demo")["command"].as_str().unwrap().to_string(),
        };
        assert_eq!(command, odd, "{kind:?}: {text}");
    }
}

#[test]
fn team_urls_are_http_endpoints_without_credentials() {
    let parse = |s: &str| team_url(&Url::parse(s).unwrap());
    assert_eq!(
        parse("https://k.example.com").unwrap().as_str(),
        "https://k.example.com/mcp"
    );
    assert_eq!(
        parse("https://k.example.com/team/mcp").unwrap().as_str(),
        "https://k.example.com/team/mcp"
    );
    assert_eq!(
        parse("http://127.0.0.1:8080/mcp").unwrap().as_str(),
        "http://127.0.0.1:8080/mcp"
    );
    for bad in [
        "ftp://k.example.com/mcp",
        "https://alice:secret@k.example.com/mcp",
        "https://k.example.com/mcp#x",
    ] {
        assert!(parse(bad).is_err(), "{bad} accepted");
    }
}

#[test]
fn hints_say_where_each_entry_goes_and_what_to_do_next() {
    for kind in ClientKind::ALL {
        for target in targets() {
            let hint = where_it_goes(kind, target);
            assert!(!hint.is_empty(), "{kind:?}");
        }
    }
    let hint = where_it_goes(
        ClientKind::Codex,
        Target::Http {
            url: URL,
            auth: HttpAuth::Oauth,
        },
    );
    assert!(hint.contains("codex mcp login klarna"), "{hint}");
    let hint = where_it_goes(
        ClientKind::Cursor,
        Target::Http {
            url: URL,
            auth: HttpAuth::Token,
        },
    );
    assert!(hint.contains(TOKEN_VARIABLE), "{hint}");
}
