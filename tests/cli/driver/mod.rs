//! The `reference` driver against a real `vmsops sim` and against misbehaving servers.

mod failures;
mod roundtrip;
mod secrets;
mod verify;

use vmsops::desired::model::{Day, ScheduleEntry};
use vmsops::driver::{Camera, OpContext, Recording};

/// A camera as vmsops would create it.
pub fn camera(id: &str) -> Camera {
    Camera {
        id: id.into(),
        name: format!("Camera {id}"),
        vendor: "Axis".into(),
        model: "P3265-LVE".into(),
        firmware: "11.9.60".into(),
        stream_url: format!("rtsp://{id}.cams.example/media"),
        enabled: true,
        recording: Recording {
            resolution: "1920x1080".into(),
            fps: 15,
            retention_days: 30,
            schedule: vec![ScheduleEntry {
                days: Day::ALL.to_vec(),
                from: "00:00".into(),
                to: "24:00".into(),
            }],
        },
        version: String::new(),
    }
}

/// An operation context with a fresh request id.
pub fn ctx(operator: &str) -> OpContext {
    OpContext {
        request_id: uuid::Uuid::new_v4().to_string(),
        operator: operator.into(),
    }
}

crate::trials! {
    mod failures,
    mod roundtrip,
    mod secrets,
    mod verify,
}
