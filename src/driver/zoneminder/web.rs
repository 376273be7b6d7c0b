//! Retention filters through ZoneMinder's web UI (`{url}/index.php?view=filter`),
//! the only way 1.36 offers to read or save a filter.
//!
//! Logs in like a browser (`action=login`), keeps the session cookie, reads the
//! CSRF token from the filter view and posts the filter form with it. The
//! session cookie, the CSRF token and the password must never reach an error
//! or a log line: errors and logs name `index.php` and the view only, and no
//! page text is ever copied into an error.

use std::collections::BTreeMap;

use reqwest::header::{HeaderValue, COOKIE, LOCATION, SET_COOKIE};
use reqwest::Method;
use serde_json::Value;

use super::filters::{self, Filter};
use super::{mapping, with_form, Form, ZoneMinderDriver};
use crate::driver::error::DriverError;

/// The retention filters vmsops manages, by monitor name: the filter's id and what it says.
pub(super) type RetentionFilters = BTreeMap<String, (u64, Filter)>;

/// Name of ZoneMinder's session cookie.
const SESSION_COOKIE: &str = "ZMSESSID";

/// A page of the web UI.
struct Page {
    status: u16,
    location: Option<String>,
    html: String,
    session: Option<String>,
}

impl ZoneMinderDriver {
    /// The path named in errors and logs: the web root's `index.php` and the view, nothing else.
    pub(super) fn web_path(&self, what: &str) -> String {
        format!("{}?view={what}", self.web_url().path())
    }

    fn web_url(&self) -> url::Url {
        let mut url = self.base.clone();
        url.set_query(None);
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().push("index.php");
        }
        url
    }

    /// One request to `index.php`; never follows a redirect (its `Location` is returned).
    async fn web_exchange(
        &self,
        method: Method,
        query: &[(&str, String)],
        form: Option<&Form>,
        session: Option<&str>,
        path: &str,
    ) -> Result<Page, DriverError> {
        let mut url = self.web_url();
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let mut request = self.client.request(method.clone(), url);
        if let Some(cookie) = session {
            let value = HeaderValue::from_str(&format!("{SESSION_COOKIE}={cookie}"))
                .map_err(|_| DriverError::Config("ZoneMinder sent an unusable session".into()))?;
            request = request.header(COOKIE, value);
        }
        let request = with_form(request, form);
        let m = method.to_string();
        let raw = self.fetch(request, &m, path, "web answer").await?;
        let status = raw.status;
        if !(status.is_success() || status.is_redirection()) {
            return Err(self.status_error(m, path.to_string(), status, None));
        }
        let location = raw
            .headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let session = raw
            .headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next()?.trim().split_once('='))
            .filter(|(k, v)| *k == SESSION_COOKIE && !v.is_empty() && *v != "deleted")
            .map(|(_, v)| v.to_string())
            .next_back();
        Ok(Page {
            status: status.as_u16(),
            location,
            html: String::from_utf8_lossy(&raw.bytes).into_owned(),
            session,
        })
    }

    /// Logs in to the web UI and returns the session cookie's value.
    async fn web_login(&self) -> Result<String, DriverError> {
        let path = self.web_path("login");
        let form: Form = vec![
            ("action".into(), "login".into()),
            ("view".into(), "login".into()),
            ("username".into(), self.login.user.clone()),
            ("password".into(), self.login.password.clone()),
        ];
        let page = self
            .web_exchange(Method::POST, &[], Some(&form), None, &path)
            .await?;
        tracing::debug!(%path, "logged in to ZoneMinder's web UI");
        page.session.ok_or_else(|| DriverError::Unauthorized {
            method: "POST".into(),
            path,
            status: page.status,
            credential: self.login.variables.clone(),
        })
    }

    /// The filter view (of the filter `id`, or a new one) and the session that opened it;
    /// logs in first, or again when the session has expired.
    async fn filter_view(&self, id: Option<u64>) -> Result<(String, String), DriverError> {
        let path = self.web_path("filter");
        let mut query = vec![("view", "filter".to_string())];
        if let Some(id) = id {
            query.push(("Id", id.to_string()));
        }
        let mut slot = self.web_session.lock().await;
        let mut status = 0;
        for fresh in [false, true] {
            let session = match slot.as_ref() {
                Some(s) if !fresh => s.clone(),
                _ => {
                    let s = self.web_login().await?;
                    *slot = Some(s.clone());
                    s
                }
            };
            let page = self
                .web_exchange(Method::GET, &query, None, Some(&session), &path)
                .await?;
            if page.status == 200 && filters::is_filter_view(&page.html) {
                return Ok((page.html, session));
            }
            status = page.status;
        }
        *slot = None;
        Err(DriverError::Unauthorized {
            method: "GET".into(),
            path,
            status,
            credential: format!(
                "{} (the account needs Events=Edit in ZoneMinder for retention filters)",
                self.login.variables
            ),
        })
    }

    /// Posts a filter form with the CSRF token (and, when saving, the owner the page proposes:
    /// the logged-in account, as the web UI does).
    async fn post_filter(&self, form: Form) -> Result<Page, DriverError> {
        let (html, session) = self.filter_view(None).await?;
        let token = filters::csrf_token(&html).unwrap_or_default();
        let mut form = form;
        let saving = form.iter().any(|(k, v)| k == "action" && v == "Save");
        if let Some(owner) = filters::owner(&html).filter(|_| saving) {
            form.push(("filter[UserId]".into(), owner));
        }
        form.push(("__csrf_magic".into(), token));
        let path = self.web_path("filter");
        self.web_exchange(
            Method::POST,
            &[("view", "filter".to_string())],
            Some(&form),
            Some(&session),
            &path,
        )
        .await
    }

    /// Saves a filter form; ZoneMinder answers a saved filter with a redirect to it.
    async fn save_filter(&self, form: Form, what: &str) -> Result<(), DriverError> {
        let page = self.post_filter(form).await?;
        let saved = page.status / 100 == 3
            && page
                .location
                .as_deref()
                .is_some_and(|l| l.contains("view=filter"));
        if !saved {
            return Err(DriverError::InvalidResponse {
                method: "POST".into(),
                path: self.web_path("filter"),
                status: page.status,
                reason: format!(
                    "ZoneMinder did not {what} (no redirect to the filter view: check its web log)"
                ),
            });
        }
        Ok(())
    }

    /// The retention filters vmsops manages (those named [`filters::PREFIX`]…).
    pub(super) async fn retention_filters(&self) -> Result<RetentionFilters, DriverError> {
        let (html, _) = self.filter_view(None).await?;
        let mut out = RetentionFilters::new();
        for (id, name) in filters::list(&html) {
            if let Some(monitor) = name.strip_prefix(filters::PREFIX) {
                let (page, _) = self.filter_view(Some(id)).await?;
                out.insert(monitor.to_string(), (id, Filter::parse(&page)));
            }
        }
        Ok(out)
    }

    /// Makes the retention filter of monitor `m` delete its events older than `days`.
    pub(super) async fn set_retention(
        &self,
        m: &Value,
        days: u32,
        current: &RetentionFilters,
    ) -> Result<(), DriverError> {
        let name = mapping::text(m, "Name");
        let monitor_id = mapping::text(m, "Id");
        let existing = current.get(&name);
        if existing.and_then(|(_, f)| f.retention_of(&monitor_id)) == Some(days) {
            return Ok(());
        }
        let form = filters::save_form(existing.map(|(id, _)| *id), &name, &monitor_id, days);
        self.save_filter(form, &format!("save the filter {}", filters::name(&name)))
            .await
    }

    /// Deletes the retention filter of the monitor named `name`, if there is one.
    pub(super) async fn remove_retention(
        &self,
        name: &str,
        current: &RetentionFilters,
    ) -> Result<(), DriverError> {
        let Some((id, _)) = current.get(name) else {
            return Ok(());
        };
        // A deletion answers with the filter view, not a redirect: check the list instead.
        let page = self.post_filter(filters::delete_form(*id)).await?;
        let (html, _) = self.filter_view(None).await?;
        if filters::list(&html).iter().any(|(i, _)| i == id) {
            return Err(DriverError::InvalidResponse {
                method: "POST".into(),
                path: self.web_path("filter"),
                status: page.status,
                reason: format!(
                    "ZoneMinder did not delete the filter {}",
                    filters::name(name)
                ),
            });
        }
        Ok(())
    }
}

/// The retention that `current` enforces on monitor `m`, if any.
pub(super) fn retention_of(current: &RetentionFilters, m: &Value) -> Option<u32> {
    current
        .get(&mapping::text(m, "Name"))
        .and_then(|(_, f)| f.retention_of(&mapping::text(m, "Id")))
}
