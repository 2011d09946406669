//! The circuit-breaker model's behaviour.

use super::*;
