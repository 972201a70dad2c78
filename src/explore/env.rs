//! Settings a user can pass through the environment, validated up front:
//! a bad value is a one-line error naming it and what is accepted, never a
//! panic inside loom (whose `Builder::new` `expect`s on every `LOOM_*`
//! variable it reads) and never a silent default.

use std::fmt;
use std::time::Duration;

/// A setting that cannot be used, with the message to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// The loom variables `loom::model::Builder::new` parses, and what each
/// accepts.
pub const LOOM_VARS: [(&str, &str); 5] = [
    ("LOOM_MAX_PREEMPTIONS", "a whole number, e.g. 2"),
    ("LOOM_MAX_BRANCHES", "a whole number, e.g. 1000"),
    ("LOOM_MAX_PERMUTATIONS", "a whole number, e.g. 100000"),
    ("LOOM_MAX_DURATION", "a whole number of seconds, e.g. 60"),
    ("LOOM_CHECKPOINT_INTERVAL", "a whole number, e.g. 20000"),
];

/// Per-check time budget in seconds (default [`DEFAULT_BUDGET`]).
pub const BUDGET_VAR: &str = "LWPCHECK_BUDGET_SECS";
/// Events kept per counterexample trace (default
/// [`crate::sync::trace::DEFAULT_CAP`]).
pub const TRACE_CAP_VAR: &str = "LWPCHECK_TRACE_CAP";

/// Default time budget of one check: twice the 60 s every loom scenario is
/// meant to stay under, so a slow machine is not a failure but a runaway
/// scenario is.
pub const DEFAULT_BUDGET: Duration = Duration::from_secs(120);

/// Parse a whole number, naming the variable and the accepted values.
pub fn parse_count(name: &str, value: &str, accepted: &str) -> Result<usize, ConfigError> {
    value.trim().parse::<usize>().map_err(|_| {
        ConfigError(format!(
            "{name}='{value}' is not valid (accepted: {accepted})"
        ))
    })
}

/// Validate every loom variable that is set (`get` reads the environment;
/// tests pass their own).
pub fn check_loom_vars(get: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
    for (name, accepted) in LOOM_VARS {
        if let Some(v) = get(name) {
            parse_count(name, &v, accepted)?;
        }
    }
    Ok(())
}

/// The per-check time budget.
pub fn budget(get: impl Fn(&str) -> Option<String>) -> Result<Duration, ConfigError> {
    match get(BUDGET_VAR) {
        None => Ok(DEFAULT_BUDGET),
        Some(v) => {
            let n = parse_count(
                BUDGET_VAR,
                &v,
                "a whole number of seconds above 0, e.g. 120",
            )?;
            if n == 0 {
                return Err(ConfigError(format!(
                    "{BUDGET_VAR}='{v}' is not valid (accepted: a whole number of seconds above 0, e.g. 120)"
                )));
            }
            Ok(Duration::from_secs(n as u64))
        }
    }
}

/// The trace cap.
pub fn trace_cap(get: impl Fn(&str) -> Option<String>) -> Result<usize, ConfigError> {
    match get(TRACE_CAP_VAR) {
        None => Ok(crate::sync::trace::DEFAULT_CAP),
        Some(v) => {
            let accepted = "a whole number of events from 10 to 100000, e.g. 400";
            match parse_count(TRACE_CAP_VAR, &v, accepted)? {
                n @ 10..=100_000 => Ok(n),
                _ => Err(ConfigError(format!(
                    "{TRACE_CAP_VAR}='{v}' is not valid (accepted: {accepted})"
                ))),
            }
        }
    }
}

/// Read a variable from the process environment (unset or not Unicode is
/// `None`).
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn bad_loom_variable_is_named_with_what_is_accepted() {
        let e = check_loom_vars(env(&[("LOOM_MAX_PREEMPTIONS", "two")])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "LOOM_MAX_PREEMPTIONS='two' is not valid (accepted: a whole number, e.g. 2)"
        );
        assert!(check_loom_vars(env(&[("LOOM_MAX_BRANCHES", "500")])).is_ok());
        assert!(check_loom_vars(env(&[])).is_ok());
    }

    #[test]
    fn budget_and_cap_are_validated() {
        assert_eq!(budget(env(&[])), Ok(DEFAULT_BUDGET));
        assert_eq!(
            budget(env(&[(BUDGET_VAR, "5")])),
            Ok(Duration::from_secs(5))
        );
        assert!(budget(env(&[(BUDGET_VAR, "0")]))
            .unwrap_err()
            .0
            .contains("above 0"));
        assert!(budget(env(&[(BUDGET_VAR, "-1")])).is_err());
        assert_eq!(trace_cap(env(&[(TRACE_CAP_VAR, "50")])), Ok(50));
        assert!(trace_cap(env(&[(TRACE_CAP_VAR, "5")]))
            .unwrap_err()
            .0
            .contains("from 10 to 100000"));
    }
}
