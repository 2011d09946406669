//! The service-mesh model's behaviour.

use super::*;

#[test]
fn policy_allows_only_the_listed_callers() {
    assert!(policy::allows(Workload::Cart, Workload::Payments));
    assert!(!policy::allows(Workload::Rogue, Workload::Payments));
    assert!(!policy::allows(Workload::Frontend, Workload::Payments));
}
