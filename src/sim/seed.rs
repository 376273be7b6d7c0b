//! `--seed`: a fresh reference VMS that already holds cameras, as an existing installation does.
//!
//! Each camera is created as `POST /api/v1/cameras` would create it (the same
//! checks, a recording span from now on, a version) and journaled as
//! `camera.create` by the user [`SEED_USER`], so the VMS's journal tells the
//! truth about where the cameras came from. Seeding only fills a state that
//! holds no camera: merging into cameras that exist would silently decide
//! which of two definitions wins.

use jiff::Timestamp;

use super::error::SimError;
use super::journal::{Entry, JournalResult};
use super::model::CameraBody;
use super::store::{Record, VmsData};
use super::validate::Problems;

/// The VMS user that the seeded cameras' journal entries name.
pub const SEED_USER: &str = "seed";

/// Creates `cameras` in `data` at `now`, one journaled `camera.create` each.
pub fn seed(
    data: &mut VmsData,
    cameras: Vec<crate::model::Camera>,
    now: Timestamp,
) -> Result<(), SimError> {
    if !data.cameras.is_empty() {
        return Err(SimError::SeedNotEmpty {
            cameras: data.cameras.len(),
        });
    }
    let bad = |id: &str, reason: String| SimError::SeedCamera {
        id: id.to_string(),
        reason,
    };
    for c in cameras {
        let id = c.id.clone();
        if data.cameras.contains_key(&id) {
            return Err(bad(&id, "declared twice".into()));
        }
        let body = CameraBody {
            id: Some(c.id),
            name: c.name,
            vendor: c.vendor,
            model: c.model,
            firmware: c.firmware,
            stream_url: c.stream_url,
            enabled: c.enabled,
            recording: c.recording,
        };
        let mut problems = Problems::default();
        problems.camera_id("", &id);
        problems.camera("", &body);
        problems
            .check("invalid camera")
            .map_err(|e| bad(&id, format!("{} {}", e.message, e.detail)))?;
        let revision = data.revision + 1;
        let camera = body.into_camera(id.clone(), revision);
        let record = Record {
            revision,
            entry: Entry {
                seq: data.next_seq(),
                at: now,
                user: SEED_USER.to_string(),
                action: "camera.create".into(),
                target: id,
                result: JournalResult::Success,
                request_id: None,
                on_behalf_of: None,
            },
            changes: data.put_camera(camera, now).into(),
        };
        data.apply(record);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Camera, Day, Recording, ScheduleEntry};

    fn camera(id: &str, fps: u32) -> Camera {
        Camera {
            id: id.into(),
            name: "Hall".into(),
            vendor: "Axis".into(),
            model: "P3265-LVE".into(),
            firmware: "11.9.60".into(),
            stream_url: format!("rtsp://{id}.cams.example/media"),
            enabled: true,
            recording: Recording {
                resolution: "1920x1080".into(),
                fps,
                retention_days: 30,
                schedule: vec![ScheduleEntry {
                    days: vec![Day::Mon],
                    from: "00:00".into(),
                    to: "24:00".into(),
                }],
            },
            version: String::new(),
        }
    }

    #[test]
    fn seeded_cameras_are_created_versioned_and_journaled() {
        let mut s = VmsData::default();
        seed(
            &mut s,
            vec![camera("hall-01", 25), camera("hall-02", 15)],
            Timestamp::UNIX_EPOCH,
        )
        .expect("seeded");
        assert_eq!(s.cameras.len(), 2);
        assert_eq!(s.revision, 3);
        assert_eq!(s.cameras["hall-02"].version, 3);
        assert_eq!(s.journal.len(), 2);
        assert!(s
            .journal
            .iter()
            .all(|e| e.user == SEED_USER && e.action == "camera.create"));
        assert!(s.recordings.contains_key("hall-01"));
    }

    #[test]
    fn a_state_with_cameras_is_refused_and_a_bad_camera_named() {
        let mut s = VmsData::default();
        seed(&mut s, vec![camera("hall-01", 25)], Timestamp::UNIX_EPOCH).expect("seeded");
        let before = s.clone();
        let e = seed(&mut s, vec![camera("hall-02", 25)], Timestamp::UNIX_EPOCH)
            .expect_err("not fresh");
        assert!(e.to_string().contains("already holds 1 camera"), "{e}");
        assert_eq!(s, before);

        let e = seed(
            &mut VmsData::default(),
            vec![camera("hall-01", 0)],
            Timestamp::UNIX_EPOCH,
        )
        .expect_err("fps 0");
        assert!(e.to_string().contains("hall-01"), "{e}");
    }
}
