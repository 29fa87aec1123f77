//! The OAuth 2.1 resource server against a test issuer: valid tokens work on both
//! lifecycles, every kind of bad token gets 401 with the metadata URL, scopes become roles,
//! rotated keys are picked up without hammering the issuer, and the metadata document says
//! what clients need.

use std::time::Duration;

use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use klarna_mcp::{auth::jwks::JwksPolicy, http::HttpConfig};
use serde_json::{Value, json};

use crate::{
    harness::{
        Running, call, config, demo_order_id, http, initialize_body, legacy_client, modern_client,
        post, start_klarna, start_whoami, text, whoami,
    },
    issuer::{Discovery, TestIssuer, TestKey},
};

fn oauth_config(issuer: &TestIssuer, extra: &[(&str, &str)]) -> HttpConfig {
    let mut vars = vec![("KLARNA_OAUTH_ISSUER", issuer.issuer.as_str())];
    vars.extend_from_slice(extra);
    config(&vars)
}

fn metadata_url(server: &Running) -> String {
    format!("{}/.well-known/oauth-protected-resource/mcp", server.base)
}

async fn status_and_challenge(server: &Running, token: Option<&str>) -> (u16, String) {
    let response = post(&server.mcp, token, &initialize_body())
        .send()
        .await
        .unwrap();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (response.status().as_u16(), challenge)
}

/// A valid token initializes, lists the tools and reads an order, on both lifecycles.
#[tokio::test]
async fn valid_token_initializes_lists_and_gets_an_order() {
    let issuer = TestIssuer::start().await;
    let server = start_klarna(oauth_config(&issuer, &[])).await;
    let token = issuer.token(&server.mcp);
    for client in [
        legacy_client(&server.mcp, Some(&token)).await,
        modern_client(&server.mcp, Some(&token)).await,
    ] {
        let tools = client.list_all_tools().await.unwrap();
        assert!(tools.iter().any(|t| t.name == "get_order"));
        let order = call(&client, "get_order", json!({ "orderId": demo_order_id() })).await;
        assert_eq!(order.is_error, Some(false), "{}", text(&order));
        client.cancel().await.unwrap();
    }
    server.stop().await.unwrap();
}

/// Missing, expired, foreign, mis-addressed, forged and unsigned tokens all get 401 with
/// the Protected Resource Metadata URL; a given token also gets `error="invalid_token"`.
#[tokio::test]
async fn bad_tokens_get_401_with_the_resource_metadata_url() {
    let issuer = TestIssuer::start().await;
    let server = start_whoami(oauth_config(&issuer, &[])).await.0;
    let now = jsonwebtoken::get_current_timestamp();
    let with = |change: &dyn Fn(&mut Value)| {
        let mut claims = issuer.claims(&server.mcp);
        change(&mut claims);
        issuer.sign(&claims)
    };
    let impostor = {
        // Same kid as the issuer's key, different key: the signature cannot verify.
        let mut key = TestKey::generate(&issuer.key().kid);
        key.kid = issuer.key().kid;
        key.sign(&issuer.claims(&server.mcp))
    };
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let unsigned = format!(
        "{}.{}.",
        b64(&json!({"alg":"none","typ":"JWT","kid":issuer.key().kid})),
        b64(&issuer.claims(&server.mcp))
    );
    let hmac_with_public_key = {
        // The classic confusion: HS256 "signed" with the issuer's public key as the secret.
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(issuer.key().kid);
        let public = serde_json::to_vec(&issuer.key().jwk).unwrap();
        jsonwebtoken::encode(
            &header,
            &issuer.claims(&server.mcp),
            &EncodingKey::from_secret(&public),
        )
        .unwrap()
    };
    let cases: Vec<(&str, Option<String>, Option<&str>)> = vec![
        ("missing", None, None),
        (
            "expired",
            Some(with(&|c| {
                c["exp"] = json!(now - 3600);
                c["nbf"] = json!(now - 7200);
            })),
            Some("token expired"),
        ),
        (
            "not yet valid",
            Some(with(&|c| c["nbf"] = json!(now + 3600))),
            Some("token not yet valid"),
        ),
        (
            "wrong issuer",
            Some(with(&|c| c["iss"] = json!("https://other-idp.example"))),
            Some("wrong issuer"),
        ),
        (
            "issuer with a trailing slash",
            Some(with(&|c| c["iss"] = json!(format!("{}/", issuer.issuer)))),
            Some("wrong issuer"),
        ),
        (
            "wrong audience",
            Some(with(&|c| {
                c["aud"] = json!("https://other-server.example/mcp")
            })),
            Some("aud"),
        ),
        (
            "no audience",
            Some(with(&|c| {
                c.as_object_mut().unwrap().remove("aud");
            })),
            Some("required claim"),
        ),
        ("bad signature", Some(impostor), Some("bad signature")),
        ("alg none", Some(unsigned), Some("malformed token")),
        (
            "HS256 with the public key",
            Some(hmac_with_public_key),
            Some("algorithm does not match"),
        ),
        (
            "unknown kid",
            Some(TestKey::generate("nobody").sign(&issuer.claims(&server.mcp))),
            Some("unknown key"),
        ),
        ("garbage", Some("not-a-jwt".into()), Some("malformed token")),
    ];
    for (case, token, reason) in cases {
        let (status, challenge) = status_and_challenge(&server, token.as_deref()).await;
        assert_eq!(status, 401, "{case}");
        assert!(
            challenge.contains(&format!("resource_metadata=\"{}\"", metadata_url(&server))),
            "{case}: {challenge}"
        );
        match reason {
            None => assert!(!challenge.contains("error="), "{case}: {challenge}"),
            Some(reason) => {
                assert!(
                    challenge.contains("error=\"invalid_token\""),
                    "{case}: {challenge}"
                );
                assert!(challenge.contains(reason), "{case}: {challenge}");
            }
        }
    }
    server.stop().await.unwrap();
}

/// `klarna.read` gives the read principal, `scp` arrays count, names come from the claims,
/// the handler never sees the token, and a token without a klarna scope gets 403.
#[tokio::test]
async fn scopes_become_roles_and_the_handler_sees_the_principal() {
    let issuer = TestIssuer::start().await;
    let (server, _) = start_whoami(oauth_config(&issuer, &[])).await;

    let mut reader = issuer.claims(&server.mcp);
    reader["scope"] = json!("openid klarna.read");
    reader["sub"] = json!("reader-7");
    reader["preferred_username"] = json!("rita");
    reader.as_object_mut().unwrap().remove("name");
    let client = legacy_client(&server.mcp, Some(&issuer.sign(&reader))).await;
    let me = whoami(&client).await;
    // Issuer-qualified: never equal to a static token's `token:…` or `local`.
    assert_eq!(
        me["subject"].as_str().unwrap(),
        format!("oidc:{}#reader-7", issuer.issuer)
    );
    assert_eq!(me["displayName"], "rita");
    assert_eq!(me["role"], "read");
    assert_eq!(me["authorizationHeaderSeen"], false);
    client.cancel().await.unwrap();

    let mut writer = issuer.claims(&server.mcp);
    writer.as_object_mut().unwrap().remove("scope");
    writer["scp"] = json!(["klarna.read", "klarna.write"]);
    let client = modern_client(&server.mcp, Some(&issuer.sign(&writer))).await;
    let me = whoami(&client).await;
    assert_eq!(me["role"], "write");
    assert_eq!(me["displayName"], "Alice Example");
    client.cancel().await.unwrap();

    let mut neither = issuer.claims(&server.mcp);
    neither["scope"] = json!("openid profile");
    let (status, challenge) = status_and_challenge(&server, Some(&issuer.sign(&neither))).await;
    assert_eq!(status, 403);
    assert!(
        challenge.contains("error=\"insufficient_scope\""),
        "{challenge}"
    );
    assert!(challenge.contains("scope=\"klarna.read\""), "{challenge}");
    server.stop().await.unwrap();
}

/// When the issuer rotates its key, a token with the new kid is accepted (the cache refreshes
/// on the unknown kid) and one signed with the withdrawn key no longer is.
#[tokio::test]
async fn key_rotation_is_picked_up() {
    let issuer = TestIssuer::start().await;
    let mut config = oauth_config(&issuer, &[]);
    if let Some(oauth) = config.oauth.as_mut() {
        oauth.jwks = JwksPolicy {
            min_refresh_interval: Duration::ZERO,
            max_age: Duration::from_secs(3600),
        };
    }
    let (server, _) = start_whoami(config).await;
    let old_token = issuer.token(&server.mcp);
    assert_eq!(status_and_challenge(&server, Some(&old_token)).await.0, 200);

    issuer.rotate("key-2");
    let new_token = issuer.token(&server.mcp);
    assert_eq!(status_and_challenge(&server, Some(&new_token)).await.0, 200);
    let (status, challenge) = status_and_challenge(&server, Some(&old_token)).await;
    assert_eq!(status, 401);
    assert!(challenge.contains("unknown key"), "{challenge}");
    server.stop().await.unwrap();
}

/// Once the cached key set is older than its maximum age it is fetched again, so a key the
/// issuer withdrew stops working even if no token ever names a new one.
#[tokio::test]
async fn withdrawn_keys_stop_working_when_the_set_is_refreshed() {
    let issuer = TestIssuer::start().await;
    let mut config = oauth_config(&issuer, &[]);
    if let Some(oauth) = config.oauth.as_mut() {
        oauth.jwks = JwksPolicy {
            min_refresh_interval: Duration::ZERO,
            max_age: Duration::ZERO,
        };
    }
    let (server, _) = start_whoami(config).await;
    let old_token = issuer.token(&server.mcp);
    assert_eq!(status_and_challenge(&server, Some(&old_token)).await.0, 200);
    let fetches = issuer.jwks_fetches();
    issuer.rotate("key-2");
    assert_eq!(status_and_challenge(&server, Some(&old_token)).await.0, 401);
    assert!(issuer.jwks_fetches() > fetches);
    server.stop().await.unwrap();
}

/// Tokens naming made-up key ids do not make the server fetch the issuer's keys again
/// within the minimum refresh interval.
#[tokio::test]
async fn unknown_key_ids_do_not_hammer_the_issuer() {
    let issuer = TestIssuer::start().await;
    let (server, _) = start_whoami(oauth_config(&issuer, &[])).await;
    assert_eq!(issuer.jwks_fetches(), 1);
    for n in 0..5 {
        let forged = TestKey::generate(&format!("made-up-{n}")).sign(&issuer.claims(&server.mcp));
        assert_eq!(status_and_challenge(&server, Some(&forged)).await.0, 401);
    }
    assert_eq!(issuer.jwks_fetches(), 1);
    server.stop().await.unwrap();
}

/// The Protected Resource Metadata names the resource, the issuer, the scopes and header
/// bearer tokens, at both well-known paths, without a token.
#[tokio::test]
async fn protected_resource_metadata_describes_the_server() {
    let issuer = TestIssuer::start().await;
    let (server, _) = start_whoami(oauth_config(&issuer, &[])).await;
    for path in [
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
    ] {
        let response = http()
            .get(format!("{}{path}", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let document: Value = response.json().await.unwrap();
        assert_eq!(document["resource"], server.mcp);
        assert_eq!(document["authorization_servers"], json!([issuer.issuer]));
        assert_eq!(
            document["scopes_supported"],
            json!(["klarna.read", "klarna.write"])
        );
        assert_eq!(document["bearer_methods_supported"], json!(["header"]));
    }
    server.stop().await.unwrap();
}

/// Behind a TLS-terminating proxy: the public URL is the resource and the audience, its host
/// is accepted, and `KLARNA_OAUTH_AUDIENCE` overrides the audience.
#[tokio::test]
async fn public_url_is_the_resource_and_the_audience() {
    let issuer = TestIssuer::start().await;
    let (server, _) = start_whoami(oauth_config(
        &issuer,
        &[("KLARNA_PUBLIC_URL", "https://mcp.example.test")],
    ))
    .await;
    let document: Value = http()
        .get(format!(
            "{}/.well-known/oauth-protected-resource",
            server.base
        ))
        .header("host", "mcp.example.test")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(document["resource"], "https://mcp.example.test/mcp");
    let public = issuer.token("https://mcp.example.test/mcp");
    assert_eq!(status_and_challenge(&server, Some(&public)).await.0, 200);
    let (status, challenge) = status_and_challenge(&server, Some(&issuer.token(&server.mcp))).await;
    assert_eq!(status, 401);
    assert!(
        challenge.contains("resource_metadata=\"https://mcp.example.test/.well-known/oauth-protected-resource/mcp\""),
        "{challenge}"
    );
    server.stop().await.unwrap();

    let (server, _) = start_whoami(oauth_config(
        &issuer,
        &[("KLARNA_OAUTH_AUDIENCE", "api://klarna-mcp")],
    ))
    .await;
    assert_eq!(
        status_and_challenge(&server, Some(&issuer.token("api://klarna-mcp")))
            .await
            .0,
        200
    );
    assert_eq!(
        status_and_challenge(&server, Some(&issuer.token(&server.mcp)))
            .await
            .0,
        401
    );
    server.stop().await.unwrap();
}

/// An issuer that publishes only RFC 8414 metadata is found too.
#[tokio::test]
async fn rfc8414_metadata_is_found_when_there_is_no_openid_configuration() {
    let issuer = TestIssuer::start_with(Discovery::Rfc8414).await;
    let (server, _) = start_whoami(oauth_config(&issuer, &[])).await;
    assert_eq!(
        status_and_challenge(&server, Some(&issuer.token(&server.mcp)))
            .await
            .0,
        200
    );
    server.stop().await.unwrap();
}

/// An issuer URL that differs from what the metadata says (here: a trailing slash) stops the
/// server at startup, naming the value to use.
#[tokio::test]
async fn issuer_mismatch_stops_the_server_at_startup() {
    let issuer = TestIssuer::start().await;
    let with_slash = format!("{}/", issuer.issuer);
    let err = crate::harness::start_with(config(&[("KLARNA_OAUTH_ISSUER", &with_slash)]), || {
        crate::harness::Whoami {
            gate: Default::default(),
        }
    })
    .await
    .err()
    .expect("startup fails");
    assert!(
        err.to_string()
            .contains(&format!("names issuer \"{}\"", issuer.issuer)),
        "{err}"
    );
}

/// A JWT whose `sub` is `token:alice` is not the static-token user alice: its subject is
/// issuer-qualified, and a newline in a claim cannot start a line of its own in the log.
#[tokio::test]
async fn a_jwt_subject_cannot_pose_as_a_static_token_user_or_forge_a_log_line() {
    let issuer = TestIssuer::start().await;
    let (server, _) = start_whoami(oauth_config(&issuer, &[])).await;
    let mut claims = issuer.claims(&server.mcp);
    claims["sub"] = json!("token:alice");
    claims["name"] = json!("alice\nINFO audit outcome=\"applied\"");
    let client = legacy_client(&server.mcp, Some(&issuer.sign(&claims))).await;
    let me = whoami(&client).await;
    let subject = me["subject"].as_str().unwrap();
    assert_ne!(subject, "token:alice");
    assert!(subject.starts_with("oidc:"), "{subject}");
    let name = me["displayName"].as_str().unwrap();
    assert!(!name.contains('\n'), "{name:?}");
    client.cancel().await.unwrap();
    server.stop().await.unwrap();
}
