//! The scenario document as a tree of values that remember where they came from
//! (a byte range of the file, or a `--set` override), so that every problem found
//! later can point at its line and column.

use std::ops::Range;

use toml::de::{DeTable, DeValue};

use super::error::{Problem, Problems};
use crate::time::DateTime;

/// Where a value was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A byte range of the scenario file.
    File(Range<usize>),
    /// The `--set KEY=VALUE` override with this text.
    Set(String),
}

/// A value of the scenario document.
#[derive(Clone, Debug)]
pub struct Node {
    /// Where the value was written.
    pub origin: Origin,
    /// The value itself.
    pub value: Value,
}

/// The value kinds of TOML, owned.
#[derive(Clone, Debug)]
pub enum Value {
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
    /// A float (may be NaN or infinite: the reader rejects those with a message).
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A local date-time (`2022-09-21T00:00:00`) or a date (`2022-09-21`).
    DateTime(DateTime),
    /// An array.
    Array(Vec<Node>),
    /// A table: keys in file order, each with the origin of the key itself.
    Table(Vec<Entry>),
}

/// One key and its value in a table.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The key.
    pub key: String,
    /// Where the key was written.
    pub key_origin: Origin,
    /// The value.
    pub node: Node,
}

impl Value {
    /// The TOML type name, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "a string",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Bool(_) => "a boolean",
            Value::DateTime(_) => "a date-time",
            Value::Array(_) => "an array",
            Value::Table(_) => "a table",
        }
    }
}

impl Node {
    /// The entries if this is a table.
    pub fn entries(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Table(e) => Some(e),
            _ => None,
        }
    }

    /// The entry `key` if this is a table that has one.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries()?.iter().find(|e| e.key == key)
    }

    /// Item `i` if this is an array that has one.
    pub fn item(&self, i: usize) -> Option<&Node> {
        match &self.value {
            Value::Array(items) => items.get(i),
            _ => None,
        }
    }

    /// The string value of `name` if this is a table that has one.
    pub fn name(&self) -> Option<&str> {
        self.str_value("name")
    }

    /// The string value of `key` if this is a table that has one.
    pub fn str_value(&self, key: &str) -> Option<&str> {
        match &self.entry(key)?.node.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// Parses a TOML document into a [`Node`] tree, or returns the syntax error.
pub fn parse_document(text: &str) -> Result<Node, Problem> {
    let table = DeTable::parse(text).map_err(|e| {
        let span = e.span().map(Origin::File);
        Problem::new(
            "",
            span,
            format!("this is not valid TOML: {}", e.message().trim()),
        )
    })?;
    let span = table.span();
    let mut problems = Problems::default();
    let node = convert_table(table.into_inner(), span, "", &mut problems);
    match problems.into_result() {
        Ok(()) => Ok(node),
        Err(mut p) => Err(p.remove(0)),
    }
}

fn convert_table(t: DeTable<'_>, span: Range<usize>, path: &str, problems: &mut Problems) -> Node {
    let entries = t
        .into_iter()
        .map(|(k, v)| {
            let key_origin = Origin::File(k.span());
            let key = k.into_inner().into_owned();
            let child_path = join(path, &key);
            let node = convert(v.span(), v.into_inner(), &child_path, problems);
            Entry {
                key,
                key_origin,
                node,
            }
        })
        .collect();
    Node {
        origin: Origin::File(span),
        value: Value::Table(entries),
    }
}

fn convert(span: Range<usize>, v: DeValue<'_>, path: &str, problems: &mut Problems) -> Node {
    let origin = Origin::File(span.clone());
    let value = match v {
        DeValue::String(s) => Value::Str(s.into_owned()),
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => Value::Int(n),
            Err(_) => {
                problems.push(Problem::new(
                    path,
                    Some(origin.clone()),
                    "integer out of range (allowed: -9223372036854775808 to 9223372036854775807)",
                ));
                Value::Int(0)
            }
        },
        DeValue::Float(f) => Value::Float(float_of(f.as_str())),
        DeValue::Boolean(b) => Value::Bool(b),
        DeValue::Datetime(d) => match datetime_of(&d) {
            Some(dt) => Value::DateTime(dt),
            None => {
                problems.push(Problem::new(
                    path,
                    Some(origin.clone()),
                    format!(
                        "`{d}` is not a local date or date-time (allowed: 2022-09-21 or \
                         2022-09-21T06:00:00, without a time zone)"
                    ),
                ));
                Value::DateTime(DateTime::date(1970, 1, 1))
            }
        },
        DeValue::Array(a) => Value::Array(
            a.iter()
                .cloned()
                .enumerate()
                .map(|(i, e)| convert(e.span(), e.into_inner(), &format!("{path}[{i}]"), problems))
                .collect(),
        ),
        DeValue::Table(t) => return convert_table(t, span, path, problems),
    };
    Node { origin, value }
}

fn float_of(text: &str) -> f64 {
    let clean: String = text.chars().filter(|&c| c != '_').collect();
    match clean.as_str() {
        "inf" | "+inf" => f64::INFINITY,
        "-inf" => f64::NEG_INFINITY,
        "nan" | "+nan" | "-nan" => f64::NAN,
        s => s.parse().unwrap_or(f64::NAN),
    }
}

fn datetime_of(d: &toml::value::Datetime) -> Option<DateTime> {
    if d.offset.is_some() {
        return None;
    }
    let date = d.date?;
    let (hour, minute, second) = match d.time {
        Some(t) => (t.hour, t.minute, t.second.unwrap_or(0)),
        None => (0, 0, 0),
    };
    let dt = DateTime {
        year: i32::from(date.year),
        month: u32::from(date.month),
        day: u32::from(date.day),
        hour: u32::from(hour),
        minute: u32::from(minute),
        second: u32::from(second),
    };
    dt.is_valid().then_some(dt)
}

/// Joins a parent key path and a child key with a dot.
pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Applies a `--set KEY=VALUE` override to the tree.
///
/// `KEY` is a dotted path of table keys; inside an array of tables a segment
/// names the element by its `name` key (`stages.ru-exit.booths.cars.count`),
/// or by its 0-based index where elements have no name. The last key may be new
/// (validation then says whether it is allowed). `VALUE` is read as a TOML value
/// (`8`, `2.5`, `true`, `"text"`, `[1, 2]`, `2022-09-26T00:00:00`); anything that
/// does not parse as one is taken as a bare string.
pub fn apply_override(root: &mut Node, assignment: &str) -> Result<(), Problem> {
    let origin = Origin::Set(assignment.to_string());
    let Some((key, text)) = assignment.split_once('=') else {
        return Err(Problem::new(
            "",
            Some(origin),
            "expected KEY=VALUE (for example stages.ru-exit.booths.cars.count=8)",
        ));
    };
    let key = key.trim();
    let segments: Vec<&str> = key.split('.').collect();
    if segments.iter().any(|s| s.is_empty()) {
        return Err(Problem::new(
            key,
            Some(origin),
            "the key path has an empty segment",
        ));
    }
    let mut value = parse_value(text.trim(), key);
    set_origin(&mut value, &origin);

    let mut node = root;
    let mut walked = String::new();
    for (i, seg) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        let here = walked.clone();
        walked = join(&walked, seg);
        if last {
            if let (Value::Table(entries), Some(family)) = (
                &mut node.value,
                ALTERNATIVES.iter().find(|f| f.contains(seg)),
            ) {
                // Setting one unit of a quantity replaces the others
                // (`horizon_h` replaces `horizon_days`; `rate_per_h` replaces `rate_per_day`).
                entries.retain(|e| e.key == *seg || !family.contains(&e.key.as_str()));
            }
        }
        node = match &mut node.value {
            Value::Table(entries) => match entries.iter().position(|e| e.key == *seg) {
                Some(pos) => &mut entries[pos].node,
                None if last => {
                    entries.push(Entry {
                        key: seg.to_string(),
                        key_origin: origin.clone(),
                        node: value,
                    });
                    return Ok(());
                }
                None => {
                    let known: Vec<&str> = entries.iter().map(|e| e.key.as_str()).collect();
                    return Err(Problem::new(
                        &walked,
                        Some(origin),
                        format!(
                            "no key `{seg}` under `{}` (there: {})",
                            if here.is_empty() {
                                "the top level"
                            } else {
                                &here
                            },
                            list_or_none(&known)
                        ),
                    ));
                }
            },
            Value::Array(items) => {
                // By `name`, else by `label` (events), else by index.
                let by_name = items
                    .iter()
                    .position(|n| n.name() == Some(seg))
                    .or_else(|| items.iter().position(|n| n.str_value("label") == Some(seg)));
                let by_index = seg.parse::<usize>().ok().filter(|&i| i < items.len());
                match by_name.or(by_index) {
                    Some(pos) => &mut items[pos],
                    None => {
                        let names: Vec<&str> = items
                            .iter()
                            .filter_map(|n| n.name().or_else(|| n.str_value("label")))
                            .collect();
                        return Err(Problem::new(
                            &walked,
                            Some(origin),
                            format!(
                                "`{here}` has no element named `{seg}` (names: {}; or an index below {})",
                                list_or_none(&names),
                                items.len()
                            ),
                        ));
                    }
                }
            }
            other => {
                return Err(Problem::new(
                    &walked,
                    Some(origin),
                    format!("`{here}` is {}, which has no keys", other.type_name()),
                ))
            }
        };
        if last {
            *node = value;
            return Ok(());
        }
    }
    unreachable!("a path has at least one segment")
}

/// Keys that give one quantity in different units: setting one replaces the others.
const ALTERNATIVES: [&[&str]; 5] = [
    &["horizon_days", "horizon_h", "horizon_min"],
    &["rate_per_min", "rate_per_h", "rate_per_day"],
    &["at", "at_h"],
    &["from", "from_h"],
    &["to", "to_h"],
];

fn parse_value(text: &str, key: &str) -> Node {
    let origin = Origin::Set(text.to_string());
    match DeValue::parse(text) {
        Ok(v) => {
            let mut problems = Problems::default();
            let node = convert(v.span(), v.into_inner(), key, &mut problems);
            if problems.is_empty() {
                return node;
            }
            Node {
                origin,
                value: Value::Str(text.to_string()),
            }
        }
        Err(_) => Node {
            origin,
            value: Value::Str(text.to_string()),
        },
    }
}

fn set_origin(node: &mut Node, origin: &Origin) {
    node.origin = origin.clone();
    match &mut node.value {
        Value::Array(items) => items.iter_mut().for_each(|n| set_origin(n, origin)),
        Value::Table(entries) => entries.iter_mut().for_each(|e| {
            e.key_origin = origin.clone();
            set_origin(&mut e.node, origin);
        }),
        _ => {}
    }
}

fn list_or_none(items: &[&str]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}
