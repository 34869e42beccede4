//! HTTP errors: the status comes from the error kind, the body is JSON that names the problem,
//! and 5xx bodies say nothing internal (the cause is logged once, here).

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::ingest::body::BodyError;
use crate::ingest::{IngestError, RejectedEvent};
use crate::query::PlanError;
use crate::query::params::ParamError;
use crate::store::StoreError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub retry_after_secs: Option<u64>,
    pub rejected: Vec<RejectedEvent>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after_secs: None,
            rejected: Vec::new(),
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send a valid API token as `Authorization: Bearer <token>`",
        )
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn too_many(retry_after_secs: u64, message: impl Into<String>) -> ApiError {
        ApiError {
            retry_after_secs: Some(retry_after_secs.max(1)),
            ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message)
        }
    }

    /// An internal failure: logged with its cause, answered without it.
    pub fn internal(cause: &dyn std::fmt::Display) -> ApiError {
        tracing::error!(error = %cause, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; see the server log",
        )
    }

    pub fn unavailable(retry_after_secs: u64, cause: &dyn std::fmt::Display) -> ApiError {
        tracing::warn!(error = %cause, "service unavailable");
        ApiError {
            retry_after_secs: Some(retry_after_secs),
            ..ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "temporarily unavailable; retry later",
            )
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({ "error": { "code": self.code, "message": self.message } });
        if !self.rejected.is_empty() {
            body["rejected"] = json!(self.rejected);
        }
        let mut response = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after_secs
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}

impl From<BodyError> for ApiError {
    fn from(e: BodyError) -> ApiError {
        let (status, code) = match e {
            BodyError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"),
            BodyError::UnsupportedType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            BodyError::UnsupportedEncoding(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_encoding")
            }
            BodyError::Empty => (StatusCode::BAD_REQUEST, "empty_body"),
            BodyError::BadGzip(_) => (StatusCode::BAD_REQUEST, "bad_gzip"),
        };
        ApiError::new(status, code, e.to_string())
    }
}

impl From<IngestError> for ApiError {
    fn from(e: IngestError) -> ApiError {
        match e {
            IngestError::Wire(w) => ApiError::bad_request("invalid_payload", w.to_string()),
            IngestError::BadField(m) => ApiError::bad_request("invalid_field", m),
            IngestError::NoSite(_) | IngestError::UnknownSite(_) => {
                ApiError::new(StatusCode::NOT_FOUND, "unknown_site", e.to_string())
            }
            IngestError::ForeignOrigin { .. } => {
                ApiError::new(StatusCode::FORBIDDEN, "foreign_origin", e.to_string())
            }
            IngestError::AllRejected(rejected) => ApiError {
                rejected,
                ..ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "all_events_rejected",
                    "every event of the batch was rejected",
                )
            },
            IngestError::RateLimited {
                retry_after_secs, ..
            } => ApiError::too_many(retry_after_secs, e.to_string()),
            IngestError::Saturated => ApiError::unavailable(5, &e),
            IngestError::Unavailable(source) => ApiError::unavailable(5, &source),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotFound(m) => ApiError::not_found(format!("{m} not found")),
            StoreError::Conflict(m) => ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                format!("{m} already exists"),
            ),
            StoreError::Unavailable { .. } | StoreError::Locked { .. } => {
                ApiError::unavailable(5, &e)
            }
            StoreError::Internal { .. } => ApiError::internal(&e),
            StoreError::Unsupported(m) => {
                ApiError::new(StatusCode::NOT_IMPLEMENTED, "not_implemented", m)
            }
        }
    }
}

impl From<PlanError> for ApiError {
    fn from(e: PlanError) -> ApiError {
        ApiError::bad_request("invalid_query", e.to_string())
    }
}

impl From<ParamError> for ApiError {
    fn from(e: ParamError) -> ApiError {
        let code = match e {
            ParamError::UnknownSite(_) => return ApiError::not_found(e.to_string()),
            ParamError::Unknown(_) | ParamError::NotApplicable(..) => "unknown_parameter",
            ParamError::Filter(_) => "invalid_filter",
            ParamError::Site(_) => "invalid_site",
            ParamError::Session(_) => "invalid_session",
            ParamError::Invalid(_) | ParamError::Plan(_) => "invalid_query",
        };
        ApiError::bad_request(code, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store that cannot answer something yet says so with 501 and names it; it never
    /// answers with made-up figures or an opaque 500.
    #[test]
    fn unsupported_store_operations_are_501_with_the_reason() {
        let e = ApiError::from(StoreError::Unsupported(
            "the x report is not available on ClickHouse yet".into(),
        ));
        assert_eq!(e.status, StatusCode::NOT_IMPLEMENTED);
        assert_eq!(e.code, "not_implemented");
        assert!(e.message.contains("ClickHouse"));
    }
}
