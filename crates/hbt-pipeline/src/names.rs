//! Names that become folder names under the results folder (experiments and runs), and the
//! check that a path hbt writes lies inside the results folder.

use std::path::{Component, Path};

use anyhow::{bail, Result};

/// Longest accepted name, in bytes.
const MAX_LEN: usize = 200;

/// Checks that `name` (of a `what`: "experiment", "run") is safe as one folder name: 1 to 200
/// characters from `A-Z a-z 0-9 . _ -`, not starting with `.` (so never `.` or `..`, and never
/// hidden like hbt's own staging folders).
pub fn check_name(what: &str, name: &str) -> Result<()> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if name.is_empty() || name.len() > MAX_LEN {
        bail!("{what} name `{name}`: must be 1 to {MAX_LEN} characters long");
    }
    if name.starts_with('.') {
        bail!("{what} name `{name}`: must not start with `.`");
    }
    if let Some(bad) = name.chars().find(|&c| !allowed(c)) {
        bail!(
            "{what} name `{name}`: character {bad:?} is not allowed (letters, digits, `.`, `_`, `-`)"
        );
    }
    Ok(())
}

/// Checks that `path` lies inside `root` as written: it starts with `root` and continues only
/// with plain names (no `..`, no root or prefix). Both are compared as given (not resolved
/// through links), as hbt builds them.
pub fn check_inside(root: &Path, path: &Path) -> Result<()> {
    let rest = path.strip_prefix(root).ok();
    let plain = rest.is_some_and(|rest| {
        rest.components().next().is_some()
            && rest.components().all(|c| matches!(c, Component::Normal(_)))
    });
    if !plain {
        bail!(
            "{}: refusing to write outside the results folder {}",
            path.display(),
            root.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_single_safe_folder_names() {
        for good in [
            "smoke",
            "me5-mlqa-to-xquad",
            "seed-1_strategy-mono",
            "alpha-0.25",
            "a",
        ] {
            check_name("run", good).unwrap();
        }
        for (bad, says) in [
            ("", "1 to 200"),
            (".", "must not start with `.`"),
            ("..", "must not start with `.`"),
            (".hidden", "must not start with `.`"),
            ("a/b", "'/'"),
            ("a\\b", "'\\\\'"),
            ("white space", "' '"),
            ("naïve", "'ï'"),
        ] {
            let message = check_name("experiment", bad).unwrap_err().to_string();
            assert!(message.contains(says), "{bad:?}: {message}");
            assert!(
                message.starts_with(&format!("experiment name `{bad}`")),
                "{message}"
            );
        }
        assert!(check_name("run", &"x".repeat(201)).is_err());
    }

    #[test]
    fn paths_must_stay_below_the_root() {
        let root = Path::new("results");
        check_inside(root, Path::new("results/smoke/main")).unwrap();
        for bad in [
            "results",
            "results/../x",
            "results/smoke/../../x",
            "elsewhere/smoke",
            "/tmp",
        ] {
            let message = check_inside(root, Path::new(bad)).unwrap_err().to_string();
            assert!(message.contains("outside the results folder"), "{message}");
        }
    }
}
