//! HTML forms for every CBM form, generated from the JSON Schema of the
//! submission format (`bwcv_declare::schema::submission_schema`), so that
//! the pages follow the model and cannot drift from it.
//!
//! Every input is named by the JSON pointer (RFC 6901) of the value it
//! edits, e.g. `/forms/a_part_1/maximum_containment/0/name`. The same
//! pointers are the paths of `bwcv-declare` problems, so a problem is shown
//! at its field (`aria-describedby`, `aria-invalid`). [`collect`] turns the
//! posted fields back into JSON, walking the same schema; values that do
//! not fit their type are kept as text so that parsing reports them at
//! their path instead of losing them.
//!
//! Lists of records get one blank entry to add another (save to get the
//! next) and a "remove" box per entry; lists of words are one per line.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::OnceLock;

use serde_json::{Map, Value};

use crate::error::escape;

/// The schema, generated once.
pub fn schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(bwcv_declare::schema::submission_schema)
}

/// One CBM form of the submission (a key of `forms`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormInfo {
    /// The key under `forms`, e.g. `a_part_1`.
    pub key: String,
    /// The title from the model's documentation.
    pub title: String,
}

/// The forms, in the model's order.
pub fn forms() -> &'static [FormInfo] {
    static FORMS: OnceLock<Vec<FormInfo>> = OnceLock::new();
    FORMS.get_or_init(|| {
        let root = schema();
        let Some(forms) = root
            .get("properties")
            .and_then(|p| p.get("forms"))
            .map(|s| resolve(root, s).0)
        else {
            return Vec::new();
        };
        let Some(properties) = forms.get("properties").and_then(Value::as_object) else {
            return Vec::new();
        };
        properties
            .iter()
            .map(|(key, property)| FormInfo {
                key: key.clone(),
                title: description(root, property)
                    .map(|d| d.split('.').next().unwrap_or(d).trim().to_owned())
                    .unwrap_or_else(|| humanize(key)),
            })
            .collect()
    })
}

/// The schema of form `key`, if there is such a form.
fn form_schema(key: &str) -> Option<&'static Value> {
    let root = schema();
    let forms = resolve(root, root.get("properties")?.get("forms")?).0;
    forms.get("properties")?.get(key)
}

/// The JSON pointer of form `key`.
pub fn form_pointer(key: &str) -> String {
    format!("/forms/{key}")
}

/// The HTML id of the field editing `pointer`.
pub fn field_id(pointer: &str) -> String {
    let mut id = String::from("f");
    for character in pointer.chars() {
        if character.is_ascii_alphanumeric() || character == '_' {
            id.push(character);
        } else {
            id.push('-');
        }
    }
    id
}

/// Follows `$ref` and unwraps "T or null"; returns the schema and whether
/// null is allowed.
fn resolve<'a>(root: &'a Value, schema: &'a Value) -> (&'a Value, bool) {
    let mut current = schema;
    let mut nullable = false;
    for _ in 0..16 {
        if let Some(reference) = current.get("$ref").and_then(Value::as_str) {
            let name = reference.rsplit('/').next().unwrap_or("");
            match root.get("$defs").and_then(|d| d.get(name)) {
                Some(target) => {
                    current = target;
                    continue;
                }
                None => return (current, nullable),
            }
        }
        let branches = current
            .get("anyOf")
            .or_else(|| current.get("oneOf"))
            .and_then(Value::as_array);
        if let Some(branches) = branches {
            let non_null: Vec<&Value> = branches
                .iter()
                .filter(|b| b.get("type").and_then(Value::as_str) != Some("null"))
                .collect();
            if non_null.len() < branches.len() {
                nullable = true;
            }
            if non_null.len() == 1 {
                current = non_null[0];
                continue;
            }
        }
        break;
    }
    (current, nullable)
}

fn description<'a>(root: &'a Value, schema: &'a Value) -> Option<&'a str> {
    schema
        .get("description")
        .and_then(Value::as_str)
        .or_else(|| {
            resolve(root, schema)
                .0
                .get("description")
                .and_then(Value::as_str)
        })
}

#[derive(Debug)]
enum Kind<'a> {
    Object(&'a Map<String, Value>),
    Array(&'a Value),
    Enum(Vec<String>),
    Boolean,
    Integer,
    Number,
    Text {
        date: bool,
    },
    /// Anything else (a tagged union): edited as JSON text.
    Json,
}

fn kind<'a>(root: &'a Value, schema: &'a Value) -> (Kind<'a>, bool) {
    let (schema, mut nullable) = resolve(root, schema);
    if let Some(values) = enum_values(schema) {
        return (Kind::Enum(values), nullable);
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if types.contains(&"null") {
        nullable = true;
    }
    let main = types.iter().copied().find(|t| *t != "null");
    let kind = match main {
        Some("object") => match schema.get("properties").and_then(Value::as_object) {
            Some(properties) => Kind::Object(properties),
            None => Kind::Json,
        },
        Some("array") => match schema.get("items") {
            Some(items) => Kind::Array(items),
            None => Kind::Json,
        },
        Some("boolean") => Kind::Boolean,
        Some("integer") => Kind::Integer,
        Some("number") => Kind::Number,
        Some("string") => Kind::Text {
            date: schema.get("format").and_then(Value::as_str) == Some("date"),
        },
        _ => Kind::Json,
    };
    (kind, nullable)
}

/// The values of a string enum (`enum: [...]` or `oneOf` of `const`s).
fn enum_values(schema: &Value) -> Option<Vec<String>> {
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return values
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect();
    }
    let branches = schema.get("oneOf").and_then(Value::as_array)?;
    let mut values = Vec::new();
    for branch in branches {
        if let Some(c) = branch.get("const").and_then(Value::as_str) {
            values.push(c.to_owned());
        } else if let Some(list) = branch.get("enum").and_then(Value::as_array) {
            for v in list {
                values.push(v.as_str()?.to_owned());
            }
        } else {
            return None;
        }
    }
    Some(values)
}

fn is_scalar(kind: &Kind<'_>) -> bool {
    matches!(
        kind,
        Kind::Enum(_) | Kind::Boolean | Kind::Integer | Kind::Number | Kind::Text { .. }
    )
}

/// "maximum_containment" → "Maximum containment".
pub fn humanize(key: &str) -> String {
    let text = key.replace('_', " ");
    let mut characters = text.chars();
    match characters.next() {
        Some(first) => first.to_uppercase().chain(characters).collect(),
        None => String::new(),
    }
}

/// Problems by JSON pointer: `(severity, message)`.
pub type ProblemMap = BTreeMap<String, Vec<(String, String)>>;

struct Renderer<'a> {
    root: &'a Value,
    problems: &'a ProblemMap,
    out: String,
    /// Pointers that got a field or fieldset (problems elsewhere go to the summary).
    shown: BTreeSet<String>,
}

/// Renders the fields of form `key` for the current `value` of the form
/// (`None`: not filled in). Returns the HTML and the pointers shown.
pub fn render_form(
    key: &str,
    value: Option<&Value>,
    problems: &ProblemMap,
) -> Option<(String, BTreeSet<String>)> {
    let schema = form_schema(key)?;
    let mut renderer = Renderer {
        root: schema_root(),
        problems,
        out: String::new(),
        shown: BTreeSet::new(),
    };
    let pointer = form_pointer(key);
    renderer.node(schema, &pointer, value, None, 0);
    Some((renderer.out, renderer.shown))
}

fn schema_root() -> &'static Value {
    schema()
}

impl Renderer<'_> {
    fn errors(&mut self, pointer: &str) -> Option<String> {
        let list = self.problems.get(pointer)?;
        self.shown.insert(pointer.to_owned());
        let id = format!("{}-error", field_id(pointer));
        let mut html = format!("<div class=\"field-errors\" id=\"{id}\">");
        for (severity, message) in list {
            let _ = write!(
                html,
                "<p class=\"{}\">{}: {}</p>",
                escape(severity),
                if severity == "error" {
                    "Error"
                } else {
                    "Warning"
                },
                escape(message)
            );
        }
        html.push_str("</div>");
        Some(html)
    }

    fn node(
        &mut self,
        schema: &Value,
        pointer: &str,
        value: Option<&Value>,
        label: Option<&str>,
        depth: usize,
    ) {
        let root = self.root;
        let (kind, _nullable) = kind(root, schema);
        let hint = description(root, schema).map(str::to_owned);
        match kind {
            Kind::Object(properties) => {
                let errors = self.errors(pointer);
                if let Some(label) = label {
                    let _ = write!(
                        self.out,
                        "<fieldset class=\"group depth-{}\"><legend>{}</legend>",
                        depth.min(4),
                        escape(label)
                    );
                    if let Some(hint) = &hint {
                        let _ = write!(self.out, "<p class=\"hint\">{}</p>", escape(hint));
                    }
                }
                if let Some(errors) = errors {
                    self.out.push_str(&errors);
                }
                for (name, property) in properties {
                    let child_pointer = bwcv_declare::problem::pointer_push(pointer, name);
                    let child_value = value.and_then(|v| v.get(name));
                    let child_label = humanize(name);
                    self.node(
                        property,
                        &child_pointer,
                        child_value,
                        Some(&child_label),
                        depth + 1,
                    );
                }
                if label.is_some() {
                    self.out.push_str("</fieldset>");
                }
            }
            Kind::Array(items) => {
                let (item_kind, _) = self::kind(root, items);
                if is_scalar(&item_kind) {
                    let text = value
                        .and_then(Value::as_array)
                        .map(|list| list.iter().map(scalar_text).collect::<Vec<_>>().join("\n"))
                        .unwrap_or_default();
                    let label = format!("{} (one per line)", label.unwrap_or("Values"));
                    self.field(pointer, &label, hint.as_deref(), |id, described| {
                        format!(
                            "<textarea id=\"{id}\" name=\"{}\" rows=\"3\"{described}>{}</textarea>",
                            escape(pointer),
                            escape(&text)
                        )
                    });
                    return;
                }
                let list: &[Value] = value.and_then(Value::as_array).map_or(&[], Vec::as_slice);
                let label = label.unwrap_or("Entries").to_owned();
                let _ = write!(
                    self.out,
                    "<fieldset class=\"list depth-{}\"><legend>{}</legend>",
                    depth.min(4),
                    escape(&label)
                );
                if let Some(hint) = &hint {
                    let _ = write!(self.out, "<p class=\"hint\">{}</p>", escape(hint));
                }
                if let Some(errors) = self.errors(pointer) {
                    self.out.push_str(&errors);
                }
                for (index, item) in list.iter().enumerate() {
                    let item_pointer = format!("{pointer}/{index}");
                    let item_label = format!("{label}: entry {}", index + 1);
                    self.node(
                        items,
                        &item_pointer,
                        Some(item),
                        Some(&item_label),
                        depth + 1,
                    );
                    let remove_id = format!("{}-remove", field_id(&item_pointer));
                    let _ = write!(
                        self.out,
                        "<p class=\"remove\"><input type=\"checkbox\" id=\"{remove_id}\" name=\"remove:{}\" value=\"1\"> <label for=\"{remove_id}\">Remove entry {}</label></p>",
                        escape(&item_pointer),
                        index + 1
                    );
                }
                // Room for one more.
                let new_pointer = format!("{pointer}/{}", list.len());
                let new_label = format!("{label}: add an entry (leave blank to add none)");
                self.node(items, &new_pointer, None, Some(&new_label), depth + 1);
                self.out.push_str("</fieldset>");
            }
            Kind::Json => {
                let text = value
                    .map(|v| serde_json::to_string_pretty(v).unwrap_or_default())
                    .unwrap_or_default();
                let label = format!("{} (JSON)", label.unwrap_or("Value"));
                self.field(pointer, &label, hint.as_deref(), |id, described| {
                    format!(
                        "<textarea id=\"{id}\" name=\"{}\" rows=\"4\" class=\"code\"{described}>{}</textarea>",
                        escape(pointer),
                        escape(&text)
                    )
                });
            }
            scalar => {
                let current = value.map(scalar_text).unwrap_or_default();
                let label = label.unwrap_or("Value").to_owned();
                self.field(pointer, &label, hint.as_deref(), |id, described| {
                    scalar_input(&scalar, id, pointer, &current, described)
                });
            }
        }
    }

    /// One labelled field with hint and errors tied to it.
    fn field(
        &mut self,
        pointer: &str,
        label: &str,
        hint: Option<&str>,
        input: impl FnOnce(&str, &str) -> String,
    ) {
        let id = field_id(pointer);
        self.shown.insert(pointer.to_owned());
        let mut described = Vec::new();
        let hint_html = hint.map(|hint| {
            described.push(format!("{id}-hint"));
            format!("<p class=\"hint\" id=\"{id}-hint\">{}</p>", escape(hint))
        });
        let errors = self.errors(pointer);
        if errors.is_some() {
            described.push(format!("{id}-error"));
        }
        let mut attributes = String::new();
        if !described.is_empty() {
            let _ = write!(attributes, " aria-describedby=\"{}\"", described.join(" "));
        }
        if errors.is_some() {
            attributes.push_str(" aria-invalid=\"true\"");
        }
        let class = if errors.is_some() {
            "field invalid"
        } else {
            "field"
        };
        let _ = write!(
            self.out,
            "<div class=\"{class}\"><label for=\"{id}\">{}</label>{}{}{}</div>",
            escape(label),
            hint_html.unwrap_or_default(),
            errors.unwrap_or_default(),
            input(&id, &attributes)
        );
    }
}

fn scalar_input(kind: &Kind<'_>, id: &str, pointer: &str, current: &str, extra: &str) -> String {
    let name = escape(pointer);
    match kind {
        Kind::Enum(values) => {
            let mut html = format!(
                "<select id=\"{id}\" name=\"{name}\"{extra}><option value=\"\">(not given)</option>"
            );
            for value in values {
                let selected = if value == current { " selected" } else { "" };
                let _ = write!(
                    html,
                    "<option value=\"{}\"{selected}>{}</option>",
                    escape(value),
                    escape(&humanize(value))
                );
            }
            html.push_str("</select>");
            html
        }
        Kind::Boolean => {
            let mut html = format!(
                "<select id=\"{id}\" name=\"{name}\"{extra}><option value=\"\">(not given)</option>"
            );
            for (value, text) in [("true", "Yes"), ("false", "No")] {
                let selected = if value == current { " selected" } else { "" };
                let _ = write!(html, "<option value=\"{value}\"{selected}>{text}</option>");
            }
            html.push_str("</select>");
            html
        }
        Kind::Integer => format!(
            "<input type=\"text\" inputmode=\"numeric\" id=\"{id}\" name=\"{name}\" value=\"{}\"{extra}>",
            escape(current)
        ),
        Kind::Number => format!(
            "<input type=\"text\" inputmode=\"decimal\" id=\"{id}\" name=\"{name}\" value=\"{}\"{extra}>",
            escape(current)
        ),
        Kind::Text { date: true } => format!(
            "<input type=\"date\" id=\"{id}\" name=\"{name}\" value=\"{}\"{extra}>",
            escape(current)
        ),
        _ if current.len() > 80 || current.contains('\n') => format!(
            "<textarea id=\"{id}\" name=\"{name}\" rows=\"3\"{extra}>{}</textarea>",
            escape(current)
        ),
        _ => format!(
            "<input type=\"text\" id=\"{id}\" name=\"{name}\" value=\"{}\"{extra}>",
            escape(current)
        ),
    }
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Turns posted fields (name = JSON pointer) back into the JSON value of
/// form `key`; `None` when nothing was filled in. Fields named
/// `remove:<pointer>` drop list entries.
pub fn collect(key: &str, fields: &[(String, String)]) -> Option<Value> {
    let form = form_schema(key)?;
    let mut values = BTreeMap::new();
    let mut removed = BTreeSet::new();
    for (name, value) in fields {
        if let Some(pointer) = name.strip_prefix("remove:") {
            removed.insert(pointer.to_owned());
        } else if name.starts_with('/') {
            values.insert(name.clone(), value.clone());
        }
    }
    let collector = Collector {
        root: schema(),
        values,
        removed,
    };
    collector.node(form, &form_pointer(key))
}

struct Collector<'a> {
    root: &'a Value,
    values: BTreeMap<String, String>,
    removed: BTreeSet<String>,
}

impl Collector<'_> {
    fn has_prefix(&self, prefix: &str) -> bool {
        self.values
            .range(prefix.to_owned()..)
            .next()
            .is_some_and(|(key, _)| key.starts_with(prefix))
    }

    fn node(&self, schema: &Value, pointer: &str) -> Option<Value> {
        let (kind, _) = kind(self.root, schema);
        match kind {
            Kind::Object(properties) => {
                let mut map = Map::new();
                let mut arrays = Vec::new();
                for (name, property) in properties {
                    let child = bwcv_declare::problem::pointer_push(pointer, name);
                    if let (Kind::Array(_), _) = self::kind(self.root, property) {
                        arrays.push(name.clone());
                    }
                    if let Some(value) = self.node(property, &child) {
                        map.insert(name.clone(), value);
                    }
                }
                if map.is_empty() {
                    return None;
                }
                // A filled record gets its lists, empty if need be, and its
                // required texts, blank if need be (validation then names
                // the very field that is empty).
                for name in arrays {
                    map.entry(name).or_insert_with(|| Value::Array(Vec::new()));
                }
                let required = resolve(self.root, schema)
                    .0
                    .get("required")
                    .and_then(Value::as_array);
                for name in required.into_iter().flatten().filter_map(Value::as_str) {
                    if let Some(property) = properties.get(name)
                        && let (Kind::Text { date: false }, false) = self::kind(self.root, property)
                    {
                        map.entry(name.to_owned())
                            .or_insert_with(|| Value::String(String::new()));
                    }
                }
                Some(Value::Object(map))
            }
            Kind::Array(items) => {
                let (item_kind, _) = self::kind(self.root, items);
                if is_scalar(&item_kind) {
                    let text = self.values.get(pointer)?;
                    let list: Vec<Value> = text
                        .lines()
                        .map(str::trim)
                        .filter(|line| !line.is_empty())
                        .map(|line| coerce(&item_kind, line))
                        .collect();
                    return (!list.is_empty()).then_some(Value::Array(list));
                }
                let mut list = Vec::new();
                for index in 0.. {
                    let item_pointer = format!("{pointer}/{index}");
                    let present = self.values.contains_key(&item_pointer)
                        || self.has_prefix(&format!("{item_pointer}/"));
                    if !present {
                        break;
                    }
                    if self.removed.contains(&item_pointer) {
                        continue;
                    }
                    if let Some(item) = self.node(items, &item_pointer) {
                        list.push(item);
                    }
                }
                (!list.is_empty()).then_some(Value::Array(list))
            }
            Kind::Json => {
                let text = self.values.get(pointer)?.trim();
                if text.is_empty() {
                    return None;
                }
                Some(serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned())))
            }
            scalar => {
                let text = self.values.get(pointer)?.trim();
                if text.is_empty() {
                    return None;
                }
                Some(coerce(&scalar, text))
            }
        }
    }
}

/// The JSON value of one field's text; text that does not fit the type is
/// kept as a string (parsing then reports it at its path).
fn coerce(kind: &Kind<'_>, text: &str) -> Value {
    match kind {
        Kind::Integer => text
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(text.to_owned())),
        Kind::Number => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(text.to_owned())),
        Kind::Boolean => match text {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            other => Value::String(other.to_owned()),
        },
        _ => Value::String(text.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_of_the_model_has_a_page() {
        let keys: Vec<&str> = forms().iter().map(|f| f.key.as_str()).collect();
        for key in [
            "form_0",
            "a_part_1",
            "a_part_2_i",
            "a_part_2_ii",
            "a_part_2_iii",
            "b",
            "c",
            "e",
            "f",
            "g",
        ] {
            assert!(keys.contains(&key), "{key} missing from {keys:?}");
            let (html, shown) = render_form(key, None, &ProblemMap::new()).unwrap();
            assert!(html.contains("<label for="), "{key}: no labelled field");
            assert!(!shown.is_empty());
        }
        assert!(render_form("d", None, &ProblemMap::new()).is_none());
    }

    #[test]
    fn blank_form_collects_to_nothing_and_fields_round_trip() {
        let (html, _) = render_form("a_part_1", None, &ProblemMap::new()).unwrap();
        assert!(html.contains("name=\"/forms/a_part_1/maximum_containment/0/name\""));
        assert_eq!(collect("a_part_1", &[]), None);
        let fields = vec![
            (
                "/forms/a_part_1/maximum_containment/0/name".to_owned(),
                "Lab".to_owned(),
            ),
            (
                "/forms/a_part_1/maximum_containment/0/agents".to_owned(),
                "Bacillus anthracis\n\n".to_owned(),
            ),
            (
                "/forms/a_part_1/maximum_containment/1/name".to_owned(),
                String::new(),
            ),
        ];
        let value = collect("a_part_1", &fields).unwrap();
        let entries = value["maximum_containment"].as_array().unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0]["name"], "Lab");
        assert_eq!(entries[0]["agents"][0], "Bacillus anthracis");
    }

    #[test]
    fn problems_are_tied_to_their_field() {
        let pointer = "/forms/a_part_1/maximum_containment/0/name";
        let mut problems = ProblemMap::new();
        problems.insert(
            pointer.to_owned(),
            vec![("error".to_owned(), "name is empty".to_owned())],
        );
        let value = serde_json::json!({"maximum_containment": [{"name": ""}]});
        let (html, shown) = render_form("a_part_1", Some(&value), &problems).unwrap();
        let id = field_id(pointer);
        assert!(shown.contains(pointer));
        assert!(html.contains(&format!("id=\"{id}-error\"")));
        assert!(html.contains("aria-invalid=\"true\""));
        assert!(html.contains(&format!("{id}-error\"")));
    }

    #[test]
    fn removal_and_bad_numbers() {
        let fields = vec![
            (
                "/forms/a_part_1/maximum_containment/0/name".to_owned(),
                "A".to_owned(),
            ),
            (
                "remove:/forms/a_part_1/maximum_containment/0".to_owned(),
                "1".to_owned(),
            ),
        ];
        assert_eq!(collect("a_part_1", &fields), None);
        assert_eq!(coerce(&Kind::Integer, "12x"), Value::String("12x".into()));
        assert_eq!(coerce(&Kind::Number, "1.5"), serde_json::json!(1.5));
    }
}
