//! One outcome type for running a scenario anywhere (explain, the engine, `run`): it
//! worked and gave a value, it cannot run on this database (skip), or it cannot work at
//! all (error). Each carries why. Must not do I/O nor decide statuses of a run; problems
//! of the environment (connection lost, Ctrl-C) stay `crate::Error`.

/// What trying a scenario gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome<T> {
    /// It ran: the value.
    Ok(T),
    /// It cannot run on this database (missing relation or schema): why.
    Skip(String),
    /// It cannot work (bad SQL, a parameter of the wrong type, a failing statement): why.
    Error(String),
}

impl<T> Outcome<T> {
    /// The same outcome with `f` applied to the value; a skip or error is kept as it is.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Outcome<U> {
        match self {
            Outcome::Ok(value) => Outcome::Ok(f(value)),
            Outcome::Skip(reason) => Outcome::Skip(reason),
            Outcome::Error(reason) => Outcome::Error(reason),
        }
    }

    /// Why it did not give a value; `None` for `Ok`.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Outcome::Ok(_) => None,
            Outcome::Skip(reason) | Outcome::Error(reason) => Some(reason),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_changes_only_the_value() {
        assert_eq!(Outcome::Ok(2).map(|n| n * 10), Outcome::Ok(20));
        let skip: Outcome<i32> = Outcome::Skip("no table".into());
        assert_eq!(skip.map(|n| n * 10), Outcome::Skip("no table".into()));
        let error: Outcome<i32> = Outcome::Error("bad SQL".into());
        assert_eq!(error.map(|n| n * 10), Outcome::Error("bad SQL".into()));
    }

    #[test]
    fn only_a_skip_or_an_error_has_a_reason() {
        assert_eq!(Outcome::Ok(1).reason(), None);
        assert_eq!(Outcome::<i32>::Skip("a".into()).reason(), Some("a"));
        assert_eq!(Outcome::<i32>::Error("b".into()).reason(), Some("b"));
    }
}
