//! Retention as ZoneMinder event filters: their names, the web form that saves
//! them and the HTML pages that show them. Pure: no network.
//!
//! ZoneMinder 1.36 has no REST endpoint for filters (no `api/filters.json`):
//! the web UI's filter view (`index.php?view=filter`) is the only way in. A
//! camera's retention of N days is the filter [`name`]`(monitor)` with the
//! query `MonitorId = <id> and StartDateTime < "-N days"`, `AutoDelete` and
//! `Background` on, which is what ZoneMinder stores in `zm.Filters`
//! (`Query_json` `{"terms":[{"attr":"MonitorId","op":"=","val":"3"},
//! {"cnj":"and","attr":"StartDateTime","op":"<","val":"-14 days"}],…}`).
//! A filter that says anything else does not count as a retention.

/// Every filter vmsops manages is named this, then the monitor's `Name`.
pub const PREFIX: &str = "vmsops-retention-";

/// The filter that holds the retention of the monitor named `monitor`.
pub fn name(monitor: &str) -> String {
    format!("{PREFIX}{monitor}")
}

/// The fields of the web form that saves (creates when `filter_id` is `None`) a retention filter.
///
/// The CSRF token is added by the caller, which must keep it out of errors and logs.
pub fn save_form(
    filter_id: Option<u64>,
    monitor: &str,
    monitor_id: &str,
    days: u32,
) -> Vec<(String, String)> {
    let f = |k: &str, v: &str| (k.to_string(), v.to_string());
    vec![
        f("action", "Save"),
        f("object", "filter"),
        f("Id", &filter_id.map(|i| i.to_string()).unwrap_or_default()),
        f("filter[Name]", &name(monitor)),
        f("filter[Query][terms][0][attr]", "MonitorId"),
        f("filter[Query][terms][0][op]", "="),
        f("filter[Query][terms][0][val]", monitor_id),
        f("filter[Query][terms][1][cnj]", "and"),
        f("filter[Query][terms][1][attr]", "StartDateTime"),
        f("filter[Query][terms][1][op]", "<"),
        f("filter[Query][terms][1][val]", &format!("-{days} days")),
        f("filter[Query][sort_field]", "Id"),
        f("filter[Query][sort_asc]", "1"),
        f("filter[Query][limit]", ""),
        f("filter[AutoDelete]", "1"),
        f("filter[Background]", "1"),
    ]
}

/// The fields of the web form that deletes the filter `filter_id`.
pub fn delete_form(filter_id: u64) -> Vec<(String, String)> {
    vec![
        ("action".into(), "delete".into()),
        ("object".into(), "filter".into()),
        ("Id".into(), filter_id.to_string()),
    ]
}

/// The CSRF token a page of the web UI carries for its forms, if it carries one.
pub fn csrf_token(html: &str) -> Option<String> {
    let after = html
        .split_once("csrfMagicToken = \"")
        .map(|(_, rest)| rest)
        .or_else(|| {
            html.split_once("name='__csrf_magic' value=\"")
                .map(|(_, rest)| rest)
        })?;
    let token = after.split('"').next()?;
    (!token.is_empty()).then(|| token.to_string())
}

/// The user the filter view proposes as a new filter's owner (the logged-in account), as the
/// web UI posts it in `filter[UserId]`.
pub fn owner(html: &str) -> Option<String> {
    selected(html, "filter[UserId]").filter(|id| !id.is_empty())
}

/// Whether `html` is the filter view of a logged-in user (not the login page).
pub fn is_filter_view(html: &str) -> bool {
    html.contains("id=\"contentForm\"") && csrf_token(html).is_some()
}

/// The saved filters listed in the filter view's selector: `(id, name)`.
pub fn list(html: &str) -> Vec<(u64, String)> {
    let Some(select) = element(html, "select", "Id") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for option in select.split("<option").skip(1) {
        let Some(value) = attribute(option, "value") else {
            continue;
        };
        let Ok(id) = value.parse::<u64>() else {
            continue;
        };
        let text = option
            .split_once('>')
            .and_then(|(_, rest)| rest.split("</option>").next())
            .map(unescape)
            .unwrap_or_default();
        // The label is "<Id> <Name>", then `*` if it runs in the background, `&` if concurrent.
        let label = text.strip_prefix(&format!("{id} ")).unwrap_or(&text);
        let label = label.trim_end_matches('&').trim_end_matches('*');
        out.push((id, label.to_string()));
    }
    out
}

/// One condition of a filter, as the filter view shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Term {
    /// `and` / `or`; empty for the first term.
    pub cnj: String,
    /// The attribute (`MonitorId`, `StartDateTime`, …).
    pub attr: String,
    /// The operator (`=`, `<`, …).
    pub op: String,
    /// The value as typed (`3`, `-14 days`).
    pub val: String,
}

/// A saved filter, as the filter view shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Its conditions, in order.
    pub terms: Vec<Term>,
    /// Whether it deletes the events it matches.
    pub auto_delete: bool,
}

impl Filter {
    /// Reads the filter shown on a filter view page.
    pub fn parse(html: &str) -> Filter {
        let mut terms = Vec::new();
        for i in 0.. {
            let field = |f: &str| format!("filter[Query][terms][{i}][{f}]");
            let attr = selected(html, &field("attr"));
            let val = element(html, "input", &field("val"))
                .and_then(|tag| attribute(tag, "value"))
                .or_else(|| selected(html, &field("val")));
            let (Some(attr), Some(val)) = (attr, val) else {
                break;
            };
            terms.push(Term {
                cnj: selected(html, &field("cnj")).unwrap_or_default(),
                attr,
                // Some attributes (Archived) have a fixed `=` in a hidden input.
                op: selected(html, &field("op"))
                    .or_else(|| {
                        element(html, "input", &field("op")).and_then(|t| attribute(t, "value"))
                    })
                    .unwrap_or_default(),
                val,
            });
        }
        let auto_delete =
            element(html, "input", "filter[AutoDelete]").is_some_and(|tag| tag.contains("checked"));
        Filter { terms, auto_delete }
    }

    /// The retention in days this filter enforces on the monitor `monitor_id`, if and only if
    /// it is exactly `MonitorId = <id> and StartDateTime < -N days` with `AutoDelete`.
    pub fn retention_of(&self, monitor_id: &str) -> Option<u32> {
        let [monitor, age] = self.terms.as_slice() else {
            return None;
        };
        let is_monitor = monitor.attr == "MonitorId" && monitor.op == "=";
        let is_age = age.cnj == "and" && age.attr == "StartDateTime" && age.op == "<";
        if !(self.auto_delete && is_monitor && is_age && monitor.val.trim() == monitor_id) {
            return None;
        }
        days(&age.val)
    }
}

/// `-14 days` (or `-1 day`) → 14.
fn days(val: &str) -> Option<u32> {
    let rest = val.trim().strip_prefix('-')?;
    let (n, unit) = rest.trim().split_once(char::is_whitespace)?;
    matches!(unit.trim(), "day" | "days")
        .then(|| n.parse().ok())
        .flatten()
        .filter(|n| *n > 0)
}

/// From the opening `<tag … name="name"` to the end of that element (`</select>`
/// for a select, `>` otherwise).
fn element<'a>(html: &'a str, tag: &str, name: &str) -> Option<&'a str> {
    let needle = format!("name=\"{name}\"");
    let mut from = 0;
    while let Some(at) = html[from..].find(&needle).map(|i| i + from) {
        let start = html[..at].rfind('<')?;
        if html[start + 1..].starts_with(tag) {
            let end = if tag == "select" {
                html[at..].find("</select>").map(|i| at + i)?
            } else {
                html[at..].find('>').map(|i| at + i)?
            };
            return Some(&html[start..end]);
        }
        from = at + needle.len();
    }
    None
}

/// The value of the selected option of the select named `name`.
fn selected(html: &str, name: &str) -> Option<String> {
    let select = element(html, "select", name)?;
    select
        .split("<option")
        .skip(1)
        .find(|o| {
            o.split_once('>')
                .is_some_and(|(attrs, _)| attrs.contains("selected"))
        })
        .and_then(|o| attribute(o, "value"))
}

/// The (unescaped) value of the attribute `attr` in a tag's text.
fn attribute(tag: &str, attr: &str) -> Option<String> {
    let head = tag.split('>').next().unwrap_or(tag);
    let needle = format!(" {attr}=\"");
    let at = head.find(&needle)? + needle.len();
    let value = head[at..].split('"').next()?;
    Some(unescape(value))
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#039;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cut from ZoneMinder 1.36.33's `index.php?view=filter&Id=3`, as the web UI saved it.
    const PAGE: &str = r#"
<script>var csrfMagicName = "__csrf_magic";var csrfMagicToken = "key:8c7f97a10f96a789a4595bdf79b5ff7ea1ec02cd,1795818594";</script>
          <select name="Id"  data-on-change-this="selectFilter">
<option value="">Choose Filter</option>
<option value="1">1 PurgeWhenFull*</option>
<option value="2">2 Update DiskSpace*</option>
<option value="3" selected="selected">3 vmsops-retention-hall-01*</option>
<option value="4">4 Tom &amp; Jerry&</option>
</select>[background]        </div>
      <form name="contentForm" id="contentForm" method="post" class="validateFormOnSubmit" action="?view=filter&Id=3"><input type='hidden' name='__csrf_magic' value="key:8c7f97a10f96a789a4595bdf79b5ff7ea1ec02cd,1795818594" />
        <p><label>Filter User</label><select name="filter[UserId]" >
<option value="1">admin</option>
<option value="2" selected="selected">vmsops-ci</option>
</select>
              <td><select name="filter[Query][terms][0][attr]"  data-on-change-this="checkValue">
<option value="AlarmFrames">Alarm Frames</option>
<option value="MonitorId" selected="selected">Monitor Id</option>
</select></td>
              <td><select name="filter[Query][terms][0][op]" >
<option value="=" selected="selected">equal to</option>
<option value="!=">not equal to</option>
</select></td>
              <td><input type="text" name="filter[Query][terms][0][val]" value="3"/></td>
              <td><select name="filter[Query][terms][1][cnj]" >
<option value="and" selected="selected">and</option>
<option value="or">or</option>
</select></td>
              <td><select name="filter[Query][terms][1][attr]"  data-on-change-this="checkValue">
<option value="MonitorId">Monitor Id</option>
<option value="StartDateTime" selected="selected">Start Date/Time</option>
</select></td>
              <td><select name="filter[Query][terms][1][op]" >
<option value="=">equal to</option>
<option value="&lt;" selected="selected">less than</option>
</select></td>
                <input type="text" name="filter[Query][terms][1][val]" id="filter[Query][terms][1][val]" value="-14 days"/>
              <input type="checkbox" name="filter[AutoDelete]" value="1" checked="checked" data-on-click-this="updateButtons"/>
"#;

    #[test]
    fn the_filter_view_is_read() {
        assert_eq!(
            csrf_token(PAGE).as_deref(),
            Some("key:8c7f97a10f96a789a4595bdf79b5ff7ea1ec02cd,1795818594")
        );
        assert!(is_filter_view(PAGE));
        assert_eq!(owner(PAGE).as_deref(), Some("2"));
        assert!(!is_filter_view("<title>ZM - Login</title>"));
        assert_eq!(
            list(PAGE),
            [
                (1, "PurgeWhenFull".to_string()),
                (2, "Update DiskSpace".to_string()),
                (3, "vmsops-retention-hall-01".to_string()),
                (4, "Tom & Jerry".to_string()),
            ]
        );
        let f = Filter::parse(PAGE);
        assert_eq!(f.terms.len(), 2);
        assert!(f.auto_delete);
        assert_eq!(f.retention_of("3"), Some(14));
        assert_eq!(f.retention_of("4"), None, "another monitor's filter");
    }

    #[test]
    fn only_an_exact_auto_delete_filter_is_a_retention() {
        let f = Filter::parse(PAGE);
        let mut off = f.clone();
        off.auto_delete = false;
        assert_eq!(off.retention_of("3"), None);
        let mut weeks = f.clone();
        weeks.terms[1].val = "-2 weeks".into();
        assert_eq!(weeks.retention_of("3"), None);
        let mut or = f.clone();
        or.terms[1].cnj = "or".into();
        assert_eq!(or.retention_of("3"), None);
        let mut more = f;
        more.terms.push(Term::default());
        assert_eq!(more.retention_of("3"), None);
        assert_eq!(days("-1 day"), Some(1));
        assert_eq!(days("-0 days"), None);
        assert_eq!(days("14 days"), None);
    }

    #[test]
    fn the_save_form_is_what_the_web_ui_posts() {
        let form = save_form(None, "hall-01", "3", 14);
        let get = |k: &str| {
            form.iter()
                .find(|(f, _)| f == k)
                .map(|(_, v)| v.as_str())
                .expect(k)
        };
        assert_eq!(get("action"), "Save");
        assert_eq!(get("Id"), "");
        assert_eq!(get("filter[Name]"), "vmsops-retention-hall-01");
        assert_eq!(get("filter[Query][terms][0][val]"), "3");
        assert_eq!(get("filter[Query][terms][1][val]"), "-14 days");
        assert_eq!(get("filter[AutoDelete]"), "1");
        assert_eq!(
            save_form(Some(7), "hall-01", "3", 14)[2],
            ("Id".into(), "7".into())
        );
        assert!(!form.iter().any(|(k, _)| k == "__csrf_magic"));
    }
}
