//! The observability model's behaviour.

use super::INFO;
use crate::topics::testing;

#[test]
fn every_preset_finishes() {
    testing::assert_deterministic(&INFO);
}
