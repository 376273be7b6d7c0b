//! A large JSON body parsed as it arrives: the full import (`PUT /api/v1/config`)
//! is never held as one buffer, only its chunks in flight and the parsed value.
//!
//! The body's chunks go through a small channel to a blocking task that runs the
//! JSON parser over them; past the import limit the parse stops with 413.

use std::io::Read;

use axum::body::{Body, Bytes};
use axum::http::StatusCode;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;

use super::extract;
use crate::sim::api_error::ApiError;

/// Chunks in flight between the connection and the parser.
const IN_FLIGHT: usize = 16;

/// Reads the chunks a channel delivers; an error item ends the body with that error.
struct Chunks {
    rx: mpsc::Receiver<Result<Bytes, ApiError>>,
    current: Bytes,
    failed: Option<ApiError>,
}

impl Read for Chunks {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(e)) => {
                    self.failed = Some(e);
                    return Err(std::io::Error::other("the body could not be read"));
                }
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current = self.current.slice(n..);
        Ok(n)
    }
}

/// Parses `body` as JSON as it arrives: 413 past `limit` bytes, 400 if it is not
/// JSON, 422 if it has the wrong shape (as [`extract::json`] answers).
pub async fn json<T: DeserializeOwned + Send + 'static>(
    body: Body,
    limit: usize,
) -> Result<T, ApiError> {
    let (tx, rx) = mpsc::channel(IN_FLIGHT);
    let parser = tokio::task::spawn_blocking(move || {
        let mut chunks = Chunks {
            rx,
            current: Bytes::new(),
            failed: None,
        };
        let parsed = extract::json_from_reader(&mut chunks);
        // A body that failed (too large, cut) says so rather than what the parser made of it.
        match chunks.failed.take() {
            Some(e) => Err(e),
            None => parsed,
        }
    });
    let mut stream = body.into_data_stream();
    let mut seen = 0usize;
    while let Some(chunk) = stream.next().await {
        let item = match chunk {
            Ok(b) => {
                seen = seen.saturating_add(b.len());
                if seen > limit {
                    Err(ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "request body too large",
                    ))
                } else {
                    Ok(b)
                }
            }
            Err(e) => Err(ApiError::bad_request(format!(
                "the body could not be read: {e}"
            ))),
        };
        let last = item.is_err();
        // The parser stops early on malformed JSON: nothing more to send it.
        if tx.send(item).await.is_err() || last {
            break;
        }
    }
    drop(tx);
    parser
        .await
        .unwrap_or_else(|_| Err(ApiError::internal("the body parser failed")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(parts: &[&'static str]) -> Body {
        let chunks: Vec<Result<Bytes, std::io::Error>> = parts
            .iter()
            .map(|p| Ok(Bytes::from_static(p.as_bytes())))
            .collect();
        Body::from_stream(futures_util::stream::iter(chunks))
    }

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Doc {
        name: String,
        n: u32,
    }

    #[tokio::test]
    async fn chunks_split_anywhere_parse_as_one_body() {
        let parsed: Doc = json(
            body(&["{\"na", "me\": \"é", "\", \"n\"", ": 4", "2}  "]),
            1 << 20,
        )
        .await
        .expect("parsed");
        assert_eq!(
            parsed,
            Doc {
                name: "é".into(),
                n: 42
            }
        );
    }

    #[tokio::test]
    async fn too_large_malformed_mistyped_and_trailing_bodies_are_refused() {
        let status = |r: Result<Doc, ApiError>| r.expect_err("refused").status;
        let big = json::<Doc>(
            body(&["{\"name\": \"", "xxxxxxxxxxxxxxxx", "\", \"n\": 1}"]),
            20,
        );
        assert_eq!(status(big.await), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(
            status(json(body(&["{\"name\": "]), 1 << 20).await),
            StatusCode::BAD_REQUEST
        );
        let mistyped = json(body(&["{\"name\": 1, \"n\": 1}"]), 1 << 20);
        assert_eq!(status(mistyped.await), StatusCode::UNPROCESSABLE_ENTITY);
        let trailing = json(body(&["{\"name\": \"a\", \"n\": 1} x"]), 1 << 20);
        assert_eq!(status(trailing.await), StatusCode::BAD_REQUEST);
    }
}
