//! `vmsops status`: every live camera's health now, per site.
//!
//! Sites are read concurrently (bounded), and within a site the cameras'
//! streams too; one site that cannot be read never hides the others.

use std::sync::Arc;

use futures_util::stream::{self, StreamExt};
use serde::Serialize;
use tokio::sync::Semaphore;

use crate::desired::SiteDoc;
use crate::driver::{self, DriverError, Vms};
use crate::model::health::{judge, Health, StreamState};
use crate::ops::fleet::Env;

/// Cameras of one site read at the same time.
const CAMERAS_AT_ONCE: usize = 16;

/// One camera's health (`status --format json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CameraHealth {
    /// The camera.
    pub id: String,
    /// Its health.
    pub health: Health,
    /// Its stream's state.
    pub state: StreamState,
    /// Frames per second now, when the product says.
    pub fps: Option<f64>,
    /// Whether it records now, when the product says.
    pub recording: Option<bool>,
    /// Why it is not healthy, when it is not.
    pub reason: Option<String>,
}

/// One site's cameras, or why they could not be read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteHealth {
    /// The site.
    pub site: String,
    /// Its live cameras, by id.
    pub cameras: Vec<CameraHealth>,
    /// Why the site could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Reads the health of every camera of `sites`, `concurrency` sites at a time, in order.
pub async fn fleet_health(sites: &[&SiteDoc], concurrency: usize, env: Env) -> Vec<SiteHealth> {
    let sem = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = Vec::new();
    for doc in sites {
        let Some(site) = doc.site.clone() else {
            continue;
        };
        let (sem, env, ca) = (Arc::clone(&sem), Arc::clone(&env), doc.ca_cert.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = sem.acquire_owned().await;
            match read_site(&site.vms, ca, env.as_ref()).await {
                Ok(cameras) => SiteHealth {
                    site: site.name,
                    cameras,
                    error: None,
                },
                Err(e) => SiteHealth {
                    site: site.name,
                    cameras: Vec::new(),
                    error: Some(crate::error_chain(&e)),
                },
            }
        }));
    }
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await.unwrap_or_else(|e| SiteHealth {
            site: "?".into(),
            cameras: Vec::new(),
            error: Some(format!("site task failed: {e}")),
        }));
    }
    out
}

/// Connects to one site's VMS and reads its cameras' health.
async fn read_site(
    vms: &crate::desired::model::Vms,
    ca_cert_pem: Option<Vec<u8>>,
    env: &(dyn Fn(&str) -> Option<String> + Send + Sync),
) -> Result<Vec<CameraHealth>, DriverError> {
    let options = driver::ConnectOptions {
        ca_cert_pem,
        ..driver::ConnectOptions::default()
    };
    let d = driver::connect_with(vms, &|k| env(k), options)?;
    site_health(d.as_ref()).await
}

/// Every live camera of one VMS with its health; a camera whose status cannot be
/// read is `unknown` with the reason.
pub async fn site_health(vms: &dyn Vms) -> Result<Vec<CameraHealth>, DriverError> {
    let live = vms.read_live().await?;
    let ids: Vec<String> = live.cameras.into_iter().map(|c| c.id).collect();
    let mut cameras: Vec<CameraHealth> = stream::iter(ids)
        .map(|id| camera_health(vms, id))
        .buffer_unordered(CAMERAS_AT_ONCE)
        .collect()
        .await;
    cameras.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(cameras)
}

/// One camera's health.
async fn camera_health(vms: &dyn Vms, id: String) -> CameraHealth {
    if !crate::model::is_path_safe(&id) {
        return unknown(id, "its id cannot be addressed safely in a request".into());
    }
    match vms.camera_status(&id).await {
        Ok(s) => {
            let (health, reason) = judge(&s);
            CameraHealth {
                id,
                health,
                state: s.state,
                fps: s.fps,
                recording: s.recording,
                reason,
            }
        }
        Err(e) => unknown(id, crate::error_chain(&e)),
    }
}

fn unknown(id: String, reason: String) -> CameraHealth {
    CameraHealth {
        id,
        health: Health::Unknown,
        state: StreamState::Unknown,
        fps: None,
        recording: None,
        reason: Some(reason),
    }
}
