//! Typed reading of a [`Node`] tree that collects every problem instead of
//! stopping at the first: wrong types, NaN and infinities, values out of range,
//! missing keys, and keys that are not allowed where they stand.

use super::error::Problems;
use super::tree::{join, Entry, Node, Origin, Value};
use crate::time::DateTime;

/// Reads the keys of one table; unknown keys are reported by [`TableReader::finish`].
pub struct TableReader<'n> {
    entries: &'n [Entry],
    origin: &'n Origin,
    path: String,
    used: Vec<bool>,
    allowed: Vec<&'static str>,
}

impl<'n> TableReader<'n> {
    /// A reader over `node`, which must be a table (else a problem is recorded and `None` returned).
    pub fn new(node: &'n Node, path: &str, problems: &mut Problems) -> Option<TableReader<'n>> {
        match &node.value {
            Value::Table(entries) => Some(TableReader {
                entries,
                origin: &node.origin,
                path: path.to_string(),
                used: vec![false; entries.len()],
                allowed: Vec::new(),
            }),
            other => {
                problems.at(
                    path,
                    &node.origin,
                    format!("expected a table, found {}", other.type_name()),
                );
                None
            }
        }
    }

    /// The table's key path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Where the table was written.
    pub fn origin(&self) -> &'n Origin {
        self.origin
    }

    /// The path of a key of this table.
    pub fn key_path(&self, key: &str) -> String {
        join(&self.path, key)
    }

    /// Whether the key is present (and marks it allowed).
    pub fn has(&mut self, key: &'static str) -> bool {
        self.allowed.push(key);
        self.entries.iter().any(|e| e.key == key)
    }

    /// The node at `key`, if present; marks the key as allowed and used.
    pub fn node(&mut self, key: &'static str) -> Option<&'n Node> {
        self.allowed.push(key);
        let pos = self.entries.iter().position(|e| e.key == key)?;
        self.used[pos] = true;
        Some(&self.entries[pos].node)
    }

    /// Every entry not yet read, in file order, marking them used (for tables
    /// whose keys are user names, like `[modes]`).
    pub fn rest(&mut self) -> Vec<&'n Entry> {
        let mut out = Vec::new();
        for (i, e) in self.entries.iter().enumerate() {
            if !self.used[i] {
                self.used[i] = true;
                out.push(e);
            }
        }
        out
    }

    /// Reports a missing required key.
    pub fn missing(&self, key: &str, what: &str, problems: &mut Problems) {
        problems.at(
            &self.key_path(key),
            self.origin,
            format!("missing key `{key}` ({what})"),
        );
    }

    /// A required finite number (integers are accepted as numbers).
    pub fn f64(&mut self, key: &'static str, what: &str, problems: &mut Problems) -> Option<f64> {
        match self.opt_f64(key, problems) {
            Some(v) => Some(v),
            None => {
                if !self.entries.iter().any(|e| e.key == key) {
                    self.missing(key, what, problems);
                }
                None
            }
        }
    }

    /// An optional finite number.
    pub fn opt_f64(&mut self, key: &'static str, problems: &mut Problems) -> Option<f64> {
        let path = self.key_path(key);
        let node = self.node(key)?;
        number(node, &path, problems)
    }

    /// An optional number that must satisfy `ok`, described by `allowed` in messages.
    pub fn opt_f64_where(
        &mut self,
        key: &'static str,
        ok: impl Fn(f64) -> bool,
        allowed: &str,
        problems: &mut Problems,
    ) -> Option<f64> {
        let path = self.key_path(key);
        let node = self.node(key)?;
        let v = number(node, &path, problems)?;
        if ok(v) {
            Some(v)
        } else {
            problems.at(
                &path,
                &node.origin,
                format!("{} is not allowed (allowed: {allowed})", shown(v)),
            );
            None
        }
    }

    /// A required number that must satisfy `ok`.
    pub fn f64_where(
        &mut self,
        key: &'static str,
        ok: impl Fn(f64) -> bool,
        allowed: &str,
        problems: &mut Problems,
    ) -> Option<f64> {
        let present = self.entries.iter().any(|e| e.key == key);
        let v = self.opt_f64_where(key, ok, allowed, problems);
        if !present {
            self.missing(key, allowed, problems);
        }
        v
    }

    /// An optional integer within `lo..=hi`.
    pub fn opt_int(
        &mut self,
        key: &'static str,
        lo: i64,
        hi: i64,
        problems: &mut Problems,
    ) -> Option<i64> {
        let path = self.key_path(key);
        let node = self.node(key)?;
        integer(node, &path, lo, hi, problems)
    }

    /// An optional string.
    pub fn opt_str(&mut self, key: &'static str, problems: &mut Problems) -> Option<&'n str> {
        let path = self.key_path(key);
        let node = self.node(key)?;
        string(node, &path, problems)
    }

    /// An optional string that must be one of `choices`.
    pub fn opt_choice(
        &mut self,
        key: &'static str,
        choices: &[&'static str],
        problems: &mut Problems,
    ) -> Option<&'n str> {
        let path = self.key_path(key);
        let node = self.node(key)?;
        let s = string(node, &path, problems)?;
        if choices.contains(&s) {
            Some(s)
        } else {
            problems.at(
                &path,
                &node.origin,
                format!("`{s}` is not allowed (allowed: {})", choices.join(", ")),
            );
            None
        }
    }

    /// An optional local date-time.
    pub fn opt_datetime(&mut self, key: &'static str, problems: &mut Problems) -> Option<DateTime> {
        let path = self.key_path(key);
        let node = self.node(key)?;
        match node.value {
            Value::DateTime(d) => Some(d),
            ref other => {
                problems.at(
                    &path,
                    &node.origin,
                    format!(
                        "expected a date-time such as 2022-09-21T06:00:00, found {}",
                        other.type_name()
                    ),
                );
                None
            }
        }
    }

    /// An optional array.
    pub fn opt_array(&mut self, key: &'static str, problems: &mut Problems) -> Option<&'n [Node]> {
        let path = self.key_path(key);
        let node = self.node(key)?;
        match &node.value {
            Value::Array(items) => Some(items),
            other => {
                problems.at(
                    &path,
                    &node.origin,
                    format!("expected an array, found {}", other.type_name()),
                );
                None
            }
        }
    }

    /// Reports every key that was never asked for, naming the allowed ones.
    pub fn finish(self, problems: &mut Problems) {
        let mut allowed = self.allowed.clone();
        allowed.sort_unstable();
        allowed.dedup();
        for (i, e) in self.entries.iter().enumerate() {
            if !self.used[i] && !self.allowed.contains(&e.key.as_str()) {
                problems.at(
                    &join(&self.path, &e.key),
                    &e.key_origin,
                    format!(
                        "unknown key `{}` (allowed here: {})",
                        e.key,
                        allowed.join(", ")
                    ),
                );
            }
        }
    }
}

/// A number as an error message shows it: as written for everyday sizes,
/// in exponent form beyond them (`1e308`, not three hundred digits).
pub fn shown(v: f64) -> String {
    if v != 0.0 && v.is_finite() && !(1e-4..1e15).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// A finite number from an integer or float node.
pub fn number(node: &Node, path: &str, problems: &mut Problems) -> Option<f64> {
    match node.value {
        Value::Int(i) => Some(i as f64),
        Value::Float(f) if f.is_finite() => Some(f),
        Value::Float(f) => {
            problems.at(
                path,
                &node.origin,
                format!("{} is not allowed (allowed: a finite number)", shown(f)),
            );
            None
        }
        ref other => {
            problems.at(
                path,
                &node.origin,
                format!("expected a number, found {}", other.type_name()),
            );
            None
        }
    }
}

/// An integer within `lo..=hi`.
pub fn integer(node: &Node, path: &str, lo: i64, hi: i64, problems: &mut Problems) -> Option<i64> {
    match node.value {
        Value::Int(i) if (lo..=hi).contains(&i) => Some(i),
        Value::Int(i) => {
            problems.at(
                path,
                &node.origin,
                format!("{i} is out of range (allowed: {lo} to {hi})"),
            );
            None
        }
        ref other => {
            problems.at(
                path,
                &node.origin,
                format!(
                    "expected an integer from {lo} to {hi}, found {}",
                    other.type_name()
                ),
            );
            None
        }
    }
}

/// A string node.
pub fn string<'n>(node: &'n Node, path: &str, problems: &mut Problems) -> Option<&'n str> {
    match &node.value {
        Value::Str(s) => Some(s),
        other => {
            problems.at(
                path,
                &node.origin,
                format!("expected a string, found {}", other.type_name()),
            );
            None
        }
    }
}

/// The items of an array of tables, written `[[header]]` in the file (for the
/// message when `node` is something else).
pub fn array_of_tables<'n>(
    node: &'n Node,
    path: &str,
    header: &str,
    problems: &mut Problems,
) -> Option<&'n [Node]> {
    match &node.value {
        Value::Array(items) => Some(items),
        other => {
            problems.at(
                path,
                &node.origin,
                format!(
                    "expected an array of tables ([[{header}]]), found {}",
                    other.type_name()
                ),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::shown;

    #[test]
    fn numbers_in_messages_are_short() {
        let cases = [
            (1e308, "1e308"),
            (-2.5e20, "-2.5e20"),
            (1e-9, "1e-9"),
            (0.0, "0"),
            (36525.0, "36525"),
            (0.25, "0.25"),
            (f64::INFINITY, "inf"),
        ];
        for (v, text) in cases {
            assert_eq!(shown(v), text);
        }
    }
}
