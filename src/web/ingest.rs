//! Ingest handlers: `/api/v1/collect` and the userBehaviour.js endpoint `/api/track-behavior/`.
//!
//! They read the body within size and time limits, apply the per-IP rate limit, gather what the
//! request says about its sender, and hand over to the ingestor. The answer comes after the
//! batch is fsync'd in the spool.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, Limited};

use super::AppState;
use super::error::ApiError;
use crate::ingest::body::{self, MAX_BODY_BYTES};
use crate::ingest::{Format, RequestMeta};

/// How long a client may take to send its body before it gets a 408.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);

pub const VISITOR_COOKIE: &str = "ff_vid";
pub const SESSION_COOKIE: &str = "ff_sid";

pub async fn collect(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    ingest(state, Format::Native, peer, headers, body).await
}

pub async fn track_behavior(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    ingest(state, Format::UserBehaviour, peer, headers, body).await
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The host of a URL-ish header value, without port, lower case.
fn host_of(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    parsed.host_str().map(|h| {
        h.trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase()
    })
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

async fn ingest(
    state: AppState,
    format: Format,
    peer: SocketAddr,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match ingest_inner(&state, format, peer, &headers, body).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

async fn ingest_inner(
    state: &AppState,
    format: Format,
    peer: SocketAddr,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let ip = crate::enrich::ip::client_ip(
        peer.ip(),
        header_str(headers, header::HeaderName::from_static("x-forwarded-for")),
        &state.config.trusted_proxies,
    );
    if let Err(retry) = state.ip_limit.check(&ip) {
        state.metrics.reject_request("ip_rate_limit");
        return Err(ApiError::too_many(
            retry,
            "too many requests from this address",
        ));
    }
    body::check_content_type(header_str(headers, header::CONTENT_TYPE))?;
    let raw = match tokio::time::timeout(BODY_TIMEOUT, Limited::new(body, MAX_BODY_BYTES).collect())
        .await
    {
        Err(_) => {
            state.metrics.reject_request("slow_body");
            return Err(ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "body_timeout",
                format!(
                    "the body did not arrive within {} seconds",
                    BODY_TIMEOUT.as_secs()
                ),
            ));
        }
        Ok(Err(e)) => {
            let too_large = e
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some();
            state
                .metrics
                .reject_request(if too_large { "too_large" } else { "body_error" });
            return Err(if too_large {
                body::BodyError::TooLarge.into()
            } else {
                ApiError::bad_request("body_error", "the request body could not be read")
            });
        }
        Ok(Ok(collected)) => collected.to_bytes(),
    };
    let decoded = body::decode(header_str(headers, header::CONTENT_ENCODING), &raw)
        .inspect_err(|_| state.metrics.reject_request("bad_body"))?;

    let referer = header_str(headers, header::REFERER).map(str::to_owned);
    let origin_host = header_str(headers, header::ORIGIN)
        .filter(|o| *o != "null")
        .and_then(host_of)
        .or_else(|| referer.as_deref().and_then(host_of));
    let meta = RequestMeta {
        client_ip: ip,
        user_agent: header_str(headers, header::USER_AGENT).map(str::to_owned),
        origin_host,
        referer,
        cookie_visitor: cookie(headers, VISITOR_COOKIE).map(str::to_owned),
        cookie_session: cookie(headers, SESSION_COOKIE).map(str::to_owned),
        now_ms: crate::clock::now_ms(),
    };
    let accepted = state.ingestor.ingest(format, &decoded, &meta).await?;
    let status = if accepted.accepted == 0 && accepted.rejected.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    let body = serde_json::json!({
        "status": "ok",
        "accepted": accepted.accepted,
        "rejected": accepted.rejected,
    });
    let mut response = (status, Json(body)).into_response();
    if let Some((visitor, session)) = &accepted.cookies {
        let secure = header_str(headers, header::ORIGIN).is_some_and(|o| o.starts_with("https://"));
        let attrs = if secure {
            "; SameSite=None; Secure"
        } else {
            "; SameSite=Lax"
        };
        for (name, value, max_age) in [
            (VISITOR_COOKIE, visitor, 31_536_000),
            (SESSION_COOKIE, session, 1800),
        ] {
            let text = format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly{attrs}");
            if let Ok(v) = HeaderValue::from_str(&text) {
                response.headers_mut().append(header::SET_COOKIE, v);
            }
        }
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_and_hosts_are_read_leniently() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; ff_vid=abc; ff_sid="),
        );
        assert_eq!(cookie(&h, VISITOR_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, SESSION_COOKIE), None);
        assert_eq!(
            host_of("http://127.0.0.1:8765/x").as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(
            host_of("https://Shop.Example").as_deref(),
            Some("shop.example")
        );
        assert_eq!(host_of("garbage"), None);
    }
}
