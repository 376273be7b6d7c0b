//! The domain vocabulary: what a site, a camera, a schedule, an alert rule and the procedure are.
//!
//! Every other module speaks these types; this one imports nothing else from
//! the crate, touches no network, file or clock, and knows no YAML or wire
//! format beyond the serde shapes the files and the journal already use.

pub mod alert;
pub mod camera;
pub mod commit;
pub mod endpoint;
pub mod health;
pub mod ident;
pub mod live;
pub mod operator;
pub mod procedure;
pub mod schedule;
pub mod settings;
pub mod tag;
pub mod vms_journal;

pub use alert::{AlertKind, AlertRule, Escalation};
pub use camera::{parse_resolution, parse_version, Camera, Recording};
pub use commit::{short_id, Approval, CommitFacts};
pub use endpoint::{DriverKind, VmsEndpoint, KNOWN_DRIVERS};
pub use health::{CameraStatus, Health, StreamCondition};
pub use ident::{is_ident, is_path_safe};
pub use live::{Capabilities, LiveConfig, Recordings, Unmanaged};
pub use operator::{NoOperator, Operator};
pub use procedure::Class;
pub use schedule::{Day, ScheduleEntry};
pub use settings::Settings;
pub use vms_journal::{JournalPage, VmsJournalEntry};
