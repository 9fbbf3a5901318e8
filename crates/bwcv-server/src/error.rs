//! The one error type of the web layer. Internals are logged, never shown:
//! a client sees a clear message (an HTML page, or JSON under `/api`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use bwcv_store::StoreError;
use serde::Serialize;

/// One problem with a request field, as the API reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    /// JSON pointer (or form field name) of the offending value.
    pub path: String,
    /// Stable rule id, e.g. `parse.structure` or `request.required`.
    pub rule: String,
    pub message: String,
}

/// Why a request failed.
#[derive(Debug)]
pub enum Failure {
    /// No valid session or token.
    Unauthenticated,
    /// Authenticated, but the access rules refuse.
    Forbidden(String),
    NotFound,
    /// The request is wrong; `problems` say where.
    BadRequest {
        message: String,
        problems: Vec<FieldProblem>,
    },
    /// The CSRF token is missing or wrong.
    Csrf,
    /// The request must carry a justification (`X-Justification` header
    /// or `justification` field).
    JustificationRequired,
    /// The write collides with the stored state (stale version, wrong step).
    Conflict(String),
    /// Too many failed logins.
    TooManyAttempts,
    PayloadTooLarge,
    /// Something broke inside; the text is logged, not shown.
    Internal(String),
}

impl Failure {
    pub fn bad_request(field: &str, message: impl Into<String>) -> Failure {
        let message = message.into();
        Failure::BadRequest {
            problems: vec![FieldProblem {
                path: field.to_owned(),
                rule: "request.invalid".into(),
                message: message.clone(),
            }],
            message,
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            Failure::Unauthenticated => StatusCode::UNAUTHORIZED,
            Failure::Forbidden(_) | Failure::Csrf => StatusCode::FORBIDDEN,
            Failure::NotFound => StatusCode::NOT_FOUND,
            Failure::BadRequest { .. } | Failure::JustificationRequired => StatusCode::BAD_REQUEST,
            Failure::Conflict(_) => StatusCode::CONFLICT,
            Failure::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
            Failure::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Failure::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Failure::Unauthenticated => "unauthenticated",
            Failure::Forbidden(_) => "forbidden",
            Failure::NotFound => "not_found",
            Failure::BadRequest { .. } => "bad_request",
            Failure::Csrf => "csrf",
            Failure::JustificationRequired => "justification_required",
            Failure::Conflict(_) => "conflict",
            Failure::TooManyAttempts => "too_many_attempts",
            Failure::PayloadTooLarge => "payload_too_large",
            Failure::Internal(_) => "internal",
        }
    }

    /// The message shown to the client.
    pub fn message(&self) -> String {
        match self {
            Failure::Unauthenticated => "Please log in (session cookie or Bearer token).".into(),
            Failure::Forbidden(reason) => format!("Access refused: {reason}."),
            Failure::NotFound => "Nothing here.".into(),
            Failure::BadRequest { message, .. } => message.clone(),
            Failure::Csrf => {
                "The form's security token is missing or out of date; reload the page and try again."
                    .into()
            }
            Failure::JustificationRequired => {
                "This request needs a justification (why you need the material): give it in the justification field or the X-Justification header.".into()
            }
            Failure::Conflict(message) => message.clone(),
            Failure::TooManyAttempts => {
                "Too many failed logins; wait a few minutes before trying again.".into()
            }
            Failure::PayloadTooLarge => "The request body is too large.".into(),
            Failure::Internal(_) => {
                "Something went wrong on the server; the event has been logged.".into()
            }
        }
    }

    fn problems(&self) -> Vec<FieldProblem> {
        match self {
            Failure::BadRequest { problems, .. } => problems.clone(),
            Failure::JustificationRequired => vec![FieldProblem {
                path: "justification".into(),
                rule: "request.justification".into(),
                message: "a justification is required".into(),
            }],
            _ => Vec::new(),
        }
    }

    fn log(&self) {
        if let Failure::Internal(detail) = self {
            tracing::error!(detail = %detail, "internal error");
        }
    }
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => Failure::NotFound,
            StoreError::Conflict => Failure::Conflict(
                "The record changed meanwhile or is no longer in this step; reload and try again."
                    .into(),
            ),
            StoreError::Invalid(message) => Failure::bad_request("", message),
            StoreError::Backend(detail) => Failure::Internal(format!("store: {detail}")),
        }
    }
}

impl From<askama::Error> for Failure {
    fn from(error: askama::Error) -> Self {
        Failure::Internal(format!("template: {error}"))
    }
}

/// A failure shown as an HTML page.
#[derive(Debug)]
pub struct WebError(pub Failure);

/// A failure shown as JSON (`{"error": code, "message": ..., "problems": [...]}`).
#[derive(Debug)]
pub struct ApiError(pub Failure);

impl<T: Into<Failure>> From<T> for WebError {
    fn from(value: T) -> Self {
        WebError(value.into())
    }
}

impl<T: Into<Failure>> From<T> for ApiError {
    fn from(value: T) -> Self {
        ApiError(value.into())
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct ErrorBody {
    pub error: &'static str,
    pub message: String,
    pub problems: Vec<FieldProblem>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let failure = self.0;
        failure.log();
        let body = ErrorBody {
            error: failure.code(),
            message: failure.message(),
            problems: failure.problems(),
        };
        let mut response = (failure.status(), axum::Json(body)).into_response();
        if matches!(failure, Failure::Unauthenticated) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"bwcv\""),
            );
        }
        response
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let failure = self.0;
        failure.log();
        if matches!(failure, Failure::Unauthenticated) {
            return axum::response::Redirect::to("/login").into_response();
        }
        let status = failure.status();
        let page = error_page(status, &failure.message());
        (status, Html(page)).into_response()
    }
}

/// A minimal, self-contained error page (no template, so it cannot fail).
pub(crate) fn error_page(status: StatusCode, message: &str) -> String {
    let title = status.canonical_reason().unwrap_or("Error");
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{code} {title} · bwcv</title>\
         <link rel=\"stylesheet\" href=\"/static/style.css\"></head><body><header class=\"site\"><a class=\"brand\" href=\"/\">bwcv</a></header>\
         <main><h1>{code} {title}</h1><p role=\"alert\">{message}</p><p><a href=\"/\">Back to the start page</a></p></main></body></html>",
        code = status.as_u16(),
        title = escape(title),
        message = escape(message),
    )
}

/// HTML-escapes text for element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}
