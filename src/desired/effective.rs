//! The effective recording of a camera: its profile with its overrides applied.

use super::model::{Camera, Site};
use crate::model::Recording;

/// The camera's profile with its overrides applied, or `None` if the profile does not exist.
pub fn effective_recording(site: &Site, camera: &Camera) -> Option<Recording> {
    let p = site.recording_profiles.get(&camera.profile)?;
    let o = camera.recording.clone().unwrap_or_default();
    Some(Recording {
        resolution: o.resolution.unwrap_or_else(|| p.resolution.clone()),
        fps: o.fps.unwrap_or(p.fps),
        retention_days: o.retention_days.unwrap_or(p.retention_days),
        schedule: o.schedule.unwrap_or_else(|| p.schedule.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::model::*;

    #[test]
    fn overrides_replace_profile_fields_one_by_one() {
        let site: Site = serde_norway::from_str(
            "apiVersion: vmsops/v1\nkind: Site\nname: s\nvms: {driver: reference, url: 'http://x', token_env: T}\n\
             policy: {retention: {min_days: 1, max_days: 30}, regulatory_retention_days: 30}\n\
             recording_profiles:\n  std: {resolution: 1920x1080, fps: 15, retention_days: 30, schedule: [{days: [mon], from: '00:00', to: '24:00'}]}\n",
        )
        .unwrap();
        let cam: Camera = serde_norway::from_str(
            "{id: a, name: A, vendor: V, model: M, firmware: '1', stream_url: 'rtsp://a', profile: std, recording: {fps: 25}}",
        )
        .unwrap();
        let e = effective_recording(&site, &cam).unwrap();
        assert_eq!(
            (e.resolution.as_str(), e.fps, e.retention_days),
            ("1920x1080", 25, 30)
        );
        let missing = Camera {
            profile: "nope".into(),
            ..cam
        };
        assert!(effective_recording(&site, &missing).is_none());
    }
}
