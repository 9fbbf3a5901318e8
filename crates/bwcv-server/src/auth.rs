//! Authentication: argon2id passwords, session cookies, CSRF tokens, login
//! rate limiting and Bearer API tokens.
//!
//! - Session ids and API tokens are 256-bit random values (OS RNG),
//!   base64url in the cookie / header; the store keeps only their SHA-256.
//! - The session cookie is `HttpOnly; SameSite=Strict; Path=/`, plus
//!   `Secure` when [`crate::Config::secure_cookies`] is set (TLS).
//! - Every state-changing request authenticated by cookie carries the
//!   session's CSRF token (form field `csrf` or header `X-CSRF-Token`);
//!   Bearer-token requests need none (no ambient credential).
//! - A login creates a new session id (rotation) and deletes the one the
//!   browser presented.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bwcv_core::access;
use bwcv_store::{Session, Store, User};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::{ApiError, Failure, WebError};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "bwcv_session";
/// Name of the cookie holding the login form's anti-forgery token.
pub const LOGIN_COOKIE: &str = "bwcv_login";

/// Hashes a password with argon2id (default parameters of the `argon2`
/// crate: m = 19 MiB, t = 2, p = 1) on a blocking thread.
pub async fn hash_password(password: String) -> Result<String, Failure> {
    tokio::task::spawn_blocking(move || hash_password_blocking(&password))
        .await
        .map_err(|error| Failure::Internal(format!("hashing task: {error}")))?
}

/// The same, for callers that are not async (the CLI).
pub fn hash_password_blocking(password: &str) -> Result<String, Failure> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| Failure::Internal(format!("argon2: {error}")))
}

/// Checks a password against a PHC string on a blocking thread. A
/// malformed stored hash verifies nothing.
pub async fn verify_password(password: String, phc: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&phc).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false)
}

/// A fresh 256-bit random secret, base64url without padding.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the store keeps of a secret: hex SHA-256.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares two strings in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The value of cookie `name` in the request, if any.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A `Set-Cookie` value.
pub fn set_cookie(name: &str, value: &str, max_age_seconds: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_seconds}{secure}")
}

/// An authenticated request: the account and how it authenticated.
#[derive(Debug, Clone)]
pub struct Auth {
    pub user: User,
    /// The session when authenticated by cookie; `None` for a Bearer token.
    pub session: Option<Session>,
}

impl Auth {
    /// The principal the access rules see.
    pub fn principal(&self) -> access::Principal {
        access::Principal {
            username: self.user.username.clone(),
            role: self.user.role,
            state_party: match self.user.role {
                bwcv_store::Role::NationalAuthority => self.user.state_party.clone(),
                _ => None,
            },
        }
    }

    pub fn role(&self) -> bwcv_store::Role {
        self.user.role
    }

    /// The CSRF token to put into forms ("" for token requests).
    pub fn csrf_token(&self) -> &str {
        self.session.as_ref().map_or("", |s| s.csrf_token.as_str())
    }

    /// Checks the CSRF token of a state-changing request: the form field
    /// `field`, or the `X-CSRF-Token` header. Bearer requests pass.
    pub fn check_csrf(&self, headers: &HeaderMap, field: Option<&str>) -> Result<(), Failure> {
        let Some(session) = &self.session else {
            return Ok(());
        };
        let presented = field.or_else(|| {
            headers
                .get("x-csrf-token")
                .and_then(|value| value.to_str().ok())
        });
        match presented {
            Some(token) if constant_time_eq(token, &session.csrf_token) => Ok(()),
            _ => Err(Failure::Csrf),
        }
    }
}

/// Finds the account behind the request: a `Authorization: Bearer` token,
/// else the session cookie. `Ok(None)` when there is neither (or they are
/// not valid).
pub async fn authenticate<S: Store>(
    state: &AppState<S>,
    headers: &HeaderMap,
) -> Result<Option<Auth>, Failure> {
    let now = chrono::Utc::now();
    if let Some(value) = headers.get(axum::http::header::AUTHORIZATION) {
        let Some(token) = value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")) else {
            return Ok(None);
        };
        let user = state
            .store
            .find_api_token_user(&secret_hash(token.trim()), now)
            .await?;
        return Ok(user.filter(|user| !user.is_disabled()).map(|user| Auth {
            user,
            session: None,
        }));
    }
    let Some(session_id) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let Some(session) = state
        .store
        .find_session(&secret_hash(session_id), now)
        .await?
    else {
        return Ok(None);
    };
    let user = state.store.get_user(session.user_id).await?;
    Ok(user.filter(|user| !user.is_disabled()).map(|user| Auth {
        user,
        session: Some(session),
    }))
}

/// Extractor for HTML routes: unauthenticated requests are sent to the
/// login page.
#[derive(Debug, Clone)]
pub struct WebAuth(pub Auth);

/// Extractor for API routes: unauthenticated requests get 401 JSON.
#[derive(Debug, Clone)]
pub struct ApiAuth(pub Auth);

/// Extractor for pages that also serve anonymous visitors.
#[derive(Debug, Clone)]
pub struct MaybeAuth(pub Option<Auth>);

impl<S: Store> FromRequestParts<AppState<S>> for WebAuth {
    type Rejection = WebError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState<S>,
    ) -> Result<Self, Self::Rejection> {
        match authenticate(state, &parts.headers).await? {
            Some(auth) => Ok(WebAuth(auth)),
            None => Err(WebError(Failure::Unauthenticated)),
        }
    }
}

impl<S: Store> FromRequestParts<AppState<S>> for ApiAuth {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState<S>,
    ) -> Result<Self, Self::Rejection> {
        match authenticate(state, &parts.headers).await? {
            Some(auth) => Ok(ApiAuth(auth)),
            None => Err(ApiError(Failure::Unauthenticated)),
        }
    }
}

impl<S: Store> FromRequestParts<AppState<S>> for MaybeAuth {
    type Rejection = WebError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState<S>,
    ) -> Result<Self, Self::Rejection> {
        Ok(MaybeAuth(authenticate(state, &parts.headers).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_hashed() {
        let a = random_secret();
        let b = random_secret();
        assert_ne!(a, b);
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).unwrap().len(), 32);
        assert_eq!(secret_hash(&a).len(), 64);
        assert!(constant_time_eq(&a, &a.clone()));
        assert!(!constant_time_eq(&a, &b));
        assert!(!constant_time_eq("a", "ab"));
    }

    #[test]
    fn cookies_are_found_and_set_strictly() {
        let mut headers = HeaderMap::new();
        headers.insert(
            axum::http::header::COOKIE,
            "other=1; bwcv_session=abc".parse().unwrap(),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, "missing"), None);
        let set = set_cookie(SESSION_COOKIE, "x", 60, true);
        for part in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
            assert!(set.contains(part), "{set}");
        }
        assert!(!set_cookie(SESSION_COOKIE, "x", 60, false).contains("Secure"));
    }

    #[test]
    fn argon2id_round_trip() {
        let hash = hash_password_blocking("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        let parsed = PasswordHash::new(&hash).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"correct horse", &parsed)
                .is_ok()
        );
        assert!(
            Argon2::default()
                .verify_password(b"wrong", &parsed)
                .is_err()
        );
    }
}
