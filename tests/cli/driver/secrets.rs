//! The token never appears in the driver's logs (at trace level, including the
//! HTTP stack's `log` records) nor in its errors.

use std::io::Write;
use std::sync::{Arc, Mutex};

use tracing_subscriber::fmt::MakeWriter;
use vmsops::driver::Vms;

use super::{camera, ctx};
use crate::support::{SimProcess, TOKEN};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut v) = self.0.lock() {
            v.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

fn trace_logs_and_errors_never_show_the_token() {
    let sim = SimProcess::start(&[]);
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(captured.clone())
        .with_ansi(false)
        .finish();
    // Routes the `log` records of hyper, reqwest and rustls to tracing.
    let _ = tracing_log::LogTracer::init();
    let _guard = tracing::subscriber::set_default(subscriber);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut errors = String::new();
    runtime.block_on(async {
        let vms = sim.driver();
        let created = vms
            .create_camera(&camera("a"), &ctx("jdoe"))
            .await
            .expect("create");
        vms.read_live().await.expect("read");
        for e in [
            vms.create_camera(&created, &ctx("jdoe"))
                .await
                .expect_err("409"),
            vms.update_camera(&created, "0", &ctx("jdoe"))
                .await
                .expect_err("412"),
            vms.journal_since(Some("nope")).await.expect_err("cursor"),
        ] {
            errors.push_str(&format!("{e}\n{e:?}\n"));
        }
        errors.push_str(&format!("{vms:?}\n"));
    });
    drop(runtime);
    let logs = String::from_utf8_lossy(&captured.0.lock().expect("logs")).into_owned();
    assert!(
        logs.contains("/api/v1/cameras"),
        "trace logs were captured: {logs}"
    );
    assert!(!logs.contains(TOKEN), "token in logs:\n{logs}");
    assert!(!errors.contains(TOKEN), "token in errors:\n{errors}");
}

crate::trials! {
    fn trace_logs_and_errors_never_show_the_token,
}
