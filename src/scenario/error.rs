//! Problems found in a scenario, each with its key path and where it was written.

use std::fmt;
use std::path::{Path, PathBuf};

use super::tree::Origin;

/// One problem in a scenario: what is wrong, at which key, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Dotted key path (`stages.ru-exit.booths.cars.count`), empty for the whole file.
    pub path: String,
    /// Where the offending value or key was written, when known.
    pub origin: Option<Origin>,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl Problem {
    /// A problem at `path`.
    pub fn new(path: &str, origin: Option<Origin>, message: impl Into<String>) -> Problem {
        Problem {
            path: path.to_string(),
            origin,
            message: message.into(),
        }
    }
}

/// A list of problems, collected so that all are reported at once.
#[derive(Clone, Debug, Default)]
pub struct Problems(Vec<Problem>);

impl Problems {
    /// Records a problem.
    pub fn push(&mut self, p: Problem) {
        self.0.push(p);
    }

    /// Records a problem at `path` and `origin`.
    pub fn at(&mut self, path: &str, origin: &Origin, message: impl Into<String>) {
        self.0
            .push(Problem::new(path, Some(origin.clone()), message));
    }

    /// Whether nothing was found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many were found.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// `Ok` if empty, else the problems.
    pub fn into_result(self) -> Result<(), Vec<Problem>> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.0)
        }
    }
}

/// Why a scenario could not be loaded: the file could not be read, or it holds
/// one or more problems. Displays one line per problem,
/// `file:line:column: key.path: message`.
#[derive(Debug)]
pub struct ScenarioError {
    /// The scenario file.
    pub file: PathBuf,
    /// The file's text (empty if it could not be read), for line and column numbers.
    pub text: String,
    /// The reason, when the file could not be read at all.
    pub io: Option<std::io::Error>,
    /// The problems found, in file order.
    pub problems: Vec<Problem>,
}

impl ScenarioError {
    /// The rendered lines, one per problem.
    pub fn lines(&self) -> Vec<String> {
        if let Some(e) = &self.io {
            return vec![format!(
                "{}: cannot read the scenario file: {e}",
                self.file.display()
            )];
        }
        // In file order (overrides after the file), whatever order they were found in.
        let mut problems: Vec<&Problem> = self.problems.iter().collect();
        problems.sort_by_key(|p| match &p.origin {
            Some(Origin::File(r)) => (0, r.start),
            Some(Origin::Set(_)) => (1, 0),
            None => (2, 0),
        });
        problems
            .into_iter()
            .map(|p| render(&self.file, &self.text, p))
            .collect()
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines = self.lines();
        for (i, line) in lines.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{line}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}

/// `file:line:column: path: message`, or `--set ...: path: message`.
fn render(file: &Path, text: &str, p: &Problem) -> String {
    let at = match &p.origin {
        Some(Origin::File(range)) => {
            let (line, col) = line_col(text, range.start);
            format!("{}:{line}:{col}", file.display())
        }
        Some(Origin::Set(s)) => format!("{} (--set {s})", file.display()),
        None => file.display().to_string(),
    };
    if p.path.is_empty() {
        format!("{at}: {}", p.message)
    } else {
        format!("{at}: {}: {}", p.path, p.message)
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        assert_eq!(line_col(text, 10), (2, 4));
        assert_eq!(line_col(text, 999), (3, 1));
    }
}
