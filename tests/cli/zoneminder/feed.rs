//! A real camera stream on loopback: ffmpeg's test pattern served as an endless
//! MPEG-TS over HTTP, which ZoneMinder's `Ffmpeg` monitors read like a camera's.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

const SKIP: &str = "skipped: ffmpeg is not installed (scripts/zoneminder.sh installs it)";

/// A port nothing listens on once this returns (the OS chose it free).
pub fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// ffmpeg serving `url` until dropped; each client gets its own ffmpeg (`-listen 1`
/// serves one), started again as soon as the previous one ends.
pub struct Feed {
    /// Where the stream is read.
    pub url: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Feed {
    /// A 320x240 test pattern at 5 fps, or `None` (said) without ffmpeg outside CI.
    pub fn start() -> Option<Feed> {
        let found = Command::new("ffmpeg")
            .arg("-version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !found {
            assert!(
                std::env::var_os("VMSOPS_ZM_REQUIRED").is_none(),
                "VMSOPS_ZM_REQUIRED is set but {SKIP}"
            );
            eprintln!("{SKIP}");
            return None;
        }
        let url = format!("http://127.0.0.1:{}/camera.ts", closed_port());
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (url, stop) = (url.clone(), stop.clone());
            std::thread::spawn(move || serve(&url, &stop))
        };
        Some(Feed {
            url,
            stop,
            thread: Some(thread),
        })
    }
}

fn serve(url: &str, stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        let mut ffmpeg: Child = Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi"])
            .args(["-i", "testsrc=size=320x240:rate=5"])
            .args(["-c:v", "mpeg2video", "-q:v", "5", "-g", "5"])
            .args(["-f", "mpegts", "-listen", "1", url])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("ffmpeg starts");
        // Until its client leaves (then the next one is served) or the feed stops.
        while matches!(ffmpeg.try_wait(), Ok(None)) {
            if stop.load(Ordering::SeqCst) {
                let _ = ffmpeg.kill();
                let _ = ffmpeg.wait();
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
