//! Draws parameter values for each iteration from the scenario's generators and one
//! seeded RNG; runs `sample` queries once up front. Must not execute scenario statements.

use std::collections::HashMap;

use crate::bench::value::ParamValue;

/// Arrays captured by earlier steps of the current iteration, by name.
pub type Captures = HashMap<String, ParamValue>;
