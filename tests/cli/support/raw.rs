//! A tiny raw TCP server that misbehaves on purpose: closes connections,
//! answers garbage, or a scripted sequence of status codes.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// What to do with the n-th request (0-based).
pub type Behaviour = Arc<dyn Fn(usize) -> Action + Send + Sync>;

/// One reaction.
pub enum Action {
    /// Close the connection without answering.
    Close,
    /// Write these bytes, then close.
    Write(Vec<u8>),
}

/// An HTTP answer with `Connection: close`.
pub fn http(status: &str, body: &str) -> Action {
    Action::Write(
        format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

/// A running raw server; stops on drop.
pub struct RawServer {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    requests: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    port: u16,
}

impl RawServer {
    /// Starts a server answering each request with `behaviour(n)`.
    pub fn start(behaviour: Behaviour) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let requests = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (r, s) = (Arc::clone(&requests), Arc::clone(&stop));
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut conn) = conn else { continue };
                if !read_head(&mut conn) {
                    continue;
                }
                let n = r.fetch_add(1, Ordering::SeqCst);
                match behaviour(n) {
                    Action::Close => {}
                    Action::Write(bytes) => {
                        let _ = conn.write_all(&bytes);
                    }
                }
                let _ = conn.shutdown(Shutdown::Both);
            }
        });
        RawServer {
            url: format!("http://127.0.0.1:{port}"),
            requests,
            stop,
            port,
        }
    }

    /// Requests received so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

/// Reads up to the end of the request head (the tests send no body).
fn read_head(conn: &mut TcpStream) -> bool {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    let mut buf = Vec::new();
    let mut byte = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match conn.read(&mut byte) {
            Ok(0) | Err(_) => return false,
            Ok(n) => buf.extend_from_slice(&byte[..n]),
        }
    }
    true
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}
