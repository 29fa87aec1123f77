//! Static tokens from `KLARNA_HTTP_TOKENS_FILE`: a listed token works with its role, an
//! unknown one gets 401 (with a realm, not OAuth metadata), a bad file stops the server with
//! the line number, a principal cannot use another's session, and the rate limit is per
//! principal.

use klarna_mcp::auth::{Role, tokens::mint};
use serde_json::json;

use crate::{
    harness::{
        Whoami, config, initialize_body, legacy_client, post, start_whoami, start_with, whoami,
    },
    transport::tempdir,
};

struct Team {
    alice: String,
    bob: String,
    file: String,
}

fn team() -> Team {
    let alice = mint("alice", Role::Write).unwrap();
    let bob = mint("bob", Role::Read).unwrap();
    let file = tempdir().join("tokens");
    std::fs::write(
        &file,
        format!("# name role sha256\n{}\n\n{}\n", alice.line, bob.line),
    )
    .unwrap();
    Team {
        alice: alice.token,
        bob: bob.token,
        file: file.to_str().unwrap().to_string(),
    }
}

/// Listed tokens authenticate with the file's role; unknown ones get 401 with a realm.
#[tokio::test]
async fn listed_tokens_work_and_unknown_ones_get_401() {
    let team = team();
    let (server, _) = start_whoami(config(&[("KLARNA_HTTP_TOKENS_FILE", &team.file)])).await;
    let client = legacy_client(&server.mcp, Some(&team.bob)).await;
    let me = whoami(&client).await;
    assert_eq!(me["subject"], "token:bob");
    assert_eq!(me["displayName"], "bob");
    assert_eq!(me["role"], "read");
    client.cancel().await.unwrap();

    for token in [None, Some("kmcp_not-a-token-anyone-has")] {
        let response = post(&server.mcp, token, &initialize_body())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
        let challenge = response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            challenge.starts_with("Bearer realm=\"klarna-mcp\""),
            "{challenge}"
        );
        assert!(!challenge.contains("resource_metadata"), "{challenge}");
    }
    // Without OAuth there is no metadata document.
    let prm = crate::harness::http()
        .get(format!(
            "{}/.well-known/oauth-protected-resource",
            server.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(prm.status(), 404);
    server.stop().await.unwrap();
}

/// A token file with a bad line stops the server at startup and names the line.
#[tokio::test]
async fn bad_token_file_line_stops_the_server() {
    let file = tempdir().join("tokens");
    let good = mint("alice", Role::Write).unwrap().line;
    std::fs::write(
        &file,
        format!("# team\n{good}\ncarol admin {}\n", "0".repeat(64)),
    )
    .unwrap();
    let err = start_with(
        config(&[("KLARNA_HTTP_TOKENS_FILE", file.to_str().unwrap())]),
        || Whoami {
            gate: Default::default(),
        },
    )
    .await
    .err()
    .expect("startup fails");
    let err = err.to_string();
    assert!(err.contains("line 3"), "{err}");
    assert!(err.contains("role `admin`"), "{err}");
}

/// A session created by one principal is not usable by another.
#[tokio::test]
async fn a_session_belongs_to_the_principal_that_created_it() {
    let team = team();
    let (server, _) = start_whoami(config(&[("KLARNA_HTTP_TOKENS_FILE", &team.file)])).await;
    let created = post(&server.mcp, Some(&team.alice), &initialize_body())
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200);
    let session = created.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_string();
    let initialized = json!({"jsonrpc":"2.0","method":"notifications/initialized"});
    let as_bob = post(&server.mcp, Some(&team.bob), &initialized)
        .header("mcp-session-id", &session)
        .header("mcp-protocol-version", "2025-06-18")
        .send()
        .await
        .unwrap();
    assert_eq!(as_bob.status(), 404);
    let as_alice = post(&server.mcp, Some(&team.alice), &initialized)
        .header("mcp-session-id", &session)
        .header("mcp-protocol-version", "2025-06-18")
        .send()
        .await
        .unwrap();
    assert_eq!(as_alice.status(), 202);
    server.stop().await.unwrap();
}

/// Past its burst a principal gets 429 with `Retry-After`; another principal is unaffected.
#[tokio::test]
async fn rate_limit_is_per_principal_with_retry_after() {
    let team = team();
    let (server, _) = start_whoami(config(&[
        ("KLARNA_HTTP_TOKENS_FILE", &team.file),
        ("KLARNA_HTTP_RATE_LIMIT", "1"),
        ("KLARNA_HTTP_RATE_BURST", "2"),
    ]))
    .await;
    for _ in 0..2 {
        let ok = post(&server.mcp, Some(&team.alice), &initialize_body())
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), 200);
    }
    let limited = post(&server.mcp, Some(&team.alice), &initialize_body())
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), 429);
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let bob = post(&server.mcp, Some(&team.bob), &initialize_body())
        .send()
        .await
        .unwrap();
    assert_eq!(bob.status(), 200);
    server.stop().await.unwrap();
}
