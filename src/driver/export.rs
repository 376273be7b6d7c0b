//! The snapshot exports drivers hand out: each is tagged with its driver's
//! `format`, and a driver imports only its own.
//!
//! Must never accept an export of another format: restoring one product's
//! configuration onto another would replace it with nonsense.

use serde_json::Value;

use super::DriverError;

/// Ok if `export` says it is in `format`; otherwise the error `import` answers.
pub fn check_format(export: &Value, format: &str) -> Result<(), DriverError> {
    if export.get("format").and_then(Value::as_str) == Some(format) {
        return Ok(());
    }
    Err(DriverError::Config(format!(
        "the snapshot is not a {format} export"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_own_format_is_imported() {
        let export = serde_json::json!({ "format": "reference-vms/v1" });
        assert!(check_format(&export, "reference-vms/v1").is_ok());
        let e = check_format(&export, "zoneminder/v1").expect_err("another format");
        assert_eq!(
            e.to_string(),
            "invalid VMS connection: the snapshot is not a zoneminder/v1 export"
        );
        assert!(check_format(&serde_json::json!([]), "zoneminder/v1").is_err());
    }
}
