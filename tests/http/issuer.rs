//! A test OAuth issuer on loopback: discovery (OpenID Connect or RFC 8414 only), a JWKS with
//! EC P-256 keys generated in the test, key rotation, and token minting.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicUsize, Ordering},
};

use axum::{Json, Router, extract::State, routing::get};
use jsonwebtoken::{Algorithm, EncodingKey, Header, jwk::Jwk};
use p256::pkcs8::EncodePrivateKey;
use rand::RngCore;
use serde_json::{Value, json};

/// A signing key and its public JWK.
#[derive(Clone)]
pub struct TestKey {
    pub kid: String,
    pub encoding: EncodingKey,
    pub jwk: Jwk,
}

impl TestKey {
    pub fn generate(kid: &str) -> Self {
        let secret = loop {
            let mut bytes = [0u8; 32];
            rand::rng().fill_bytes(&mut bytes);
            if let Ok(key) = p256::SecretKey::from_slice(&bytes) {
                break key;
            }
        };
        let der = secret.to_pkcs8_der().unwrap();
        let encoding = EncodingKey::from_ec_der(der.as_bytes());
        let mut jwk = Jwk::from_encoding_key(&encoding, Algorithm::ES256).unwrap();
        jwk.common.key_id = Some(kid.to_string());
        Self {
            kid: kid.to_string(),
            encoding,
            jwk,
        }
    }

    /// Signs `claims` with this key, naming `kid` in the header.
    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).unwrap()
    }
}

/// Which discovery document the issuer serves.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Discovery {
    OpenIdConnect,
    Rfc8414,
}

struct IssuerState {
    issuer: String,
    discovery: Discovery,
    published: Mutex<Vec<TestKey>>,
    jwks_fetches: AtomicUsize,
    jwks_down: std::sync::atomic::AtomicBool,
}

/// The running issuer.
pub struct TestIssuer {
    pub issuer: String,
    state: Arc<IssuerState>,
    signing: Mutex<TestKey>,
}

impl TestIssuer {
    pub async fn start() -> Self {
        Self::start_with(Discovery::OpenIdConnect).await
    }

    pub async fn start_with(discovery: Discovery) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let key = TestKey::generate("key-1");
        let state = Arc::new(IssuerState {
            issuer: issuer.clone(),
            discovery,
            published: Mutex::new(vec![key.clone()]),
            jwks_fetches: AtomicUsize::new(0),
            jwks_down: Default::default(),
        });
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(oidc))
            .route("/.well-known/oauth-authorization-server", get(rfc8414))
            .route("/jwks", get(jwks))
            .with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            issuer,
            state,
            signing: Mutex::new(key),
        }
    }

    /// Claims of a valid write token for `audience`; tests change what they test.
    pub fn claims(&self, audience: &str) -> Value {
        let now = jsonwebtoken::get_current_timestamp();
        json!({
            "iss": self.issuer,
            "sub": "user-1",
            "aud": audience,
            "iat": now,
            "nbf": now - 5,
            "exp": now + 600,
            "scope": "openid klarna.write",
            "name": "Alice Example",
        })
    }

    /// Signs `claims` with the issuer's current key.
    pub fn sign(&self, claims: &Value) -> String {
        self.signing.lock().unwrap().sign(claims)
    }

    /// A valid write token for `audience`.
    pub fn token(&self, audience: &str) -> String {
        self.sign(&self.claims(audience))
    }

    /// The current signing key.
    pub fn key(&self) -> TestKey {
        self.signing.lock().unwrap().clone()
    }

    /// Switches to a new key: the JWKS then publishes only it.
    pub fn rotate(&self, kid: &str) -> TestKey {
        let key = TestKey::generate(kid);
        *self.state.published.lock().unwrap() = vec![key.clone()];
        *self.signing.lock().unwrap() = key.clone();
        key
    }

    /// While `down`, the JWKS answers `503` (the identity provider is out).
    pub fn set_jwks_down(&self, down: bool) {
        self.state.jwks_down.store(down, Ordering::SeqCst);
    }

    /// How often the JWKS was fetched.
    pub fn jwks_fetches(&self) -> usize {
        self.state.jwks_fetches.load(Ordering::SeqCst)
    }
}

fn metadata(state: &IssuerState) -> Value {
    json!({
        "issuer": state.issuer,
        "jwks_uri": format!("{}/jwks", state.issuer),
        "authorization_endpoint": format!("{}/authorize", state.issuer),
        "token_endpoint": format!("{}/token", state.issuer),
    })
}

async fn oidc(
    State(state): State<Arc<IssuerState>>,
) -> Result<Json<Value>, axum::http::StatusCode> {
    match state.discovery {
        Discovery::OpenIdConnect => Ok(Json(metadata(&state))),
        Discovery::Rfc8414 => Err(axum::http::StatusCode::NOT_FOUND),
    }
}

async fn rfc8414(State(state): State<Arc<IssuerState>>) -> Json<Value> {
    Json(metadata(&state))
}

async fn jwks(
    State(state): State<Arc<IssuerState>>,
) -> Result<Json<Value>, axum::http::StatusCode> {
    state.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    if state.jwks_down.load(Ordering::SeqCst) {
        return Err(axum::http::StatusCode::SERVICE_UNAVAILABLE);
    }
    let keys: Vec<Value> = state
        .published
        .lock()
        .unwrap()
        .iter()
        .map(|k| serde_json::to_value(&k.jwk).unwrap())
        .collect();
    Ok(Json(json!({ "keys": keys })))
}
