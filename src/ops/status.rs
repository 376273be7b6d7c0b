//! `vmsops status`: every live camera's health now, per site.
//!
//! Sites are read concurrently (bounded), and within a site the cameras'
//! streams too; one site that cannot be read never hides the others.

use futures_util::stream::{self, StreamExt};
use schemars::JsonSchema;
use serde::Serialize;

use crate::desired::SiteDoc;
use crate::driver::{DriverError, Vms};
use crate::model::health::{judge, Health, StreamCondition};
use crate::model::LiveConfig;
use crate::ops::fleet::{self, Env, SiteRequest};

/// Cameras of one site read at the same time.
const CAMERAS_AT_ONCE: usize = 16;

/// One camera's health (`status --format json`).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct CameraHealth {
    /// The camera.
    pub id: String,
    /// Its health.
    pub health: Health,
    /// Its stream's state.
    pub state: StreamCondition,
    /// Frames per second now, when the product says.
    pub fps: Option<f64>,
    /// Whether it records now, when the product says.
    pub recording: Option<bool>,
    /// Why it is not healthy, when it is not.
    pub reason: Option<String>,
}

/// One site's cameras, or why they could not be read.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct SiteHealth {
    /// The site.
    pub site: String,
    /// Its live cameras, by id.
    pub cameras: Vec<CameraHealth>,
    /// Why the site could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl SiteHealth {
    /// `site`'s health from its read: the cameras' health, or why its VMS could not be read.
    pub fn of(site: String, read: Result<Vec<CameraHealth>, DriverError>) -> SiteHealth {
        match read {
            Ok(cameras) => SiteHealth {
                site,
                cameras,
                error: None,
            },
            Err(e) => SiteHealth {
                site,
                cameras: Vec::new(),
                error: Some(crate::error_chain(&e)),
            },
        }
    }
}

/// Reads the health of every camera of `sites`, `concurrency` sites at a time, in order.
pub async fn fleet_health(sites: &[&SiteDoc], concurrency: usize, env: Env) -> Vec<SiteHealth> {
    let requests = sites
        .iter()
        .filter_map(|s| SiteRequest::of(s).map(|r| SiteRequest { health: true, ..r }))
        .collect();
    fleet::read_all(requests, concurrency, env)
        .await
        .into_iter()
        .map(|(site, read)| SiteHealth::of(site, read.map(|live| live.health)))
        .collect()
}

/// Every camera of `live` with its health, as `vms` reports it; a camera whose status
/// cannot be read is `unknown` with the reason.
pub async fn cameras_health(vms: &dyn Vms, live: &LiveConfig) -> Vec<CameraHealth> {
    // Owned ids: a stream over borrowed cameras is not `Send` for every lifetime in a spawned task.
    let ids: Vec<String> = live.cameras.iter().map(|c| c.id.clone()).collect();
    let mut cameras: Vec<CameraHealth> = stream::iter(ids)
        .map(|id| camera_health(vms, id))
        .buffer_unordered(CAMERAS_AT_ONCE)
        .collect()
        .await;
    cameras.sort_by(|a, b| a.id.cmp(&b.id));
    cameras
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
                state: s.condition,
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
        state: StreamCondition::Unknown,
        fps: None,
        recording: None,
        reason: Some(reason),
    }
}
