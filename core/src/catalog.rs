//! The catalog: the one table of topics, and the only module that lists them.
//!
//! [`with_topics!`] holds the table. Each line names a topic's module and type and
//! the page family that draws it in the browser (`protocol` for the shared protocol
//! page, `structure` for a data structure's own page). Everything else is made from
//! this one table: the topic modules, [`TOPICS`] (for the command line and sweeps),
//! [`CARDS`] (for the home page: no code, so the home bundle stays small), and, in
//! the web crate, the page of each route. Adding a topic is its folder and a line
//! here.
//!
//! A binary that wants only some topics names their `INFO` directly (the
//! per-route bundles do); nothing forces every topic's code into every binary.

use crate::lab::run::{Run, RunOptions};
use crate::lab::scenario::Scenario;
use crate::lab::topic::{BuildError, Card, TopicInfo};

/// Calls macro `$then` with the table of topics:
/// `module::Type => page family`, one line each, in catalog order.
#[macro_export]
macro_rules! with_topics {
    ($then:ident) => {
        $then! {
            raft::RaftTopic => protocol,
            paxos::PaxosTopic => protocol,
            pbft::PbftTopic => protocol,
            leader_election::LeaderElectionTopic => protocol,
            distributed_locks::DistributedLocksTopic => protocol,
            two_phase_commit::TwoPhaseCommitTopic => protocol,
            three_phase_commit::ThreePhaseCommitTopic => protocol,
            saga::SagaTopic => protocol,
            exactly_once::ExactlyOnceTopic => protocol,
            idempotency::IdempotencyTopic => protocol,
            quorum::QuorumTopic => protocol,
            vector_clocks::VectorClocksTopic => protocol,
            data_sync::DataSyncTopic => protocol,
            gossip::GossipTopic => protocol,
            service_discovery::ServiceDiscoveryTopic => protocol,
            consistent_hashing::ConsistentHashingTopic => structure,
            bloom_filter::BloomFilterTopic => structure,
            merkle_tree::MerkleTreeTopic => structure,
            skip_list::SkipListTopic => structure,
            time_series::TimeSeriesTopic => structure,
            circuit_breaker::CircuitBreakerTopic => protocol,
            rate_limiting::RateLimitingTopic => protocol,
            backpressure::BackpressureTopic => protocol,
            partial_failures::PartialFailuresTopic => protocol,
            service_mesh::ServiceMeshTopic => protocol,
            real_time_push::RealTimePushTopic => protocol,
            distributed_tracing::DistributedTracingTopic => protocol,
            observability::ObservabilityTopic => protocol,
            multi_tenancy::MultiTenancyTopic => protocol,
            api_versioning::ApiVersioningTopic => protocol,
        }
    };
}

macro_rules! catalog_lists {
    ($($module:ident :: $topic:ident => $page:ident),* $(,)?) => {
        /// Every topic, in catalog order.
        pub static TOPICS: &[&TopicInfo] = &[$(&crate::topics::$module::INFO),*];

        /// Every topic's card, in catalog order.
        pub static CARDS: &[Card] = &[$(Card::of(&crate::topics::$module::INFO)),*];

        /// Every topic's slug, in catalog order: all a bundle needs to know which
        /// routes exist elsewhere.
        pub static SLUGS: &[&str] = &[$(crate::topics::$module::INFO.slug),*];

        /// One list per topic, named like its module: that topic alone.
        #[allow(non_upper_case_globals)]
        mod single {
            use super::TopicInfo;
            $(pub static $module: &[&TopicInfo] = &[&crate::topics::$module::INFO];)*
        }

        /// The topic whose module is `module`, alone, chosen at compile time so a
        /// binary that keeps the result in a static holds only that topic's code
        /// (a route's worker does); any other name gives every topic.
        pub const fn topics_of_module(module: &str) -> &'static [&'static TopicInfo] {
            $(
                if same(module.as_bytes(), stringify!($module).as_bytes()) {
                    return single::$module;
                }
            )*
            TOPICS
        }
    };
}

/// Whether two byte strings are equal, in a constant context (choosing a topic by
/// its module name at compile time).
pub const fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

with_topics!(catalog_lists);

/// Every topic, in catalog order.
pub fn topics() -> &'static [&'static TopicInfo] {
    TOPICS
}

/// The topic with this slug.
pub fn find(slug: &str) -> Option<&'static TopicInfo> {
    TOPICS.iter().copied().find(|t| t.slug == slug)
}

/// Builds a run of `scenario` with its topic's build function.
pub fn build(scenario: &Scenario, options: RunOptions) -> Result<Box<dyn Run>, BuildError> {
    let topic =
        find(&scenario.topic).ok_or_else(|| BuildError::UnknownTopic(scenario.topic.clone()))?;
    (topic.build)(scenario, options)
}

/// The card of the topic with this slug.
pub fn card(slug: &str) -> Option<&'static Card> {
    CARDS.iter().find(|c| c.slug == slug)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_unique_and_cards_match_topics() {
        let mut slugs: Vec<_> = topics().iter().map(|t| t.slug).collect();
        assert!(slugs.iter().all(|s| crate::lab::scenario::is_slug(s)));
        let count = slugs.len();
        slugs.sort();
        slugs.dedup();
        assert_eq!(slugs.len(), count);
        let cards: Vec<_> = CARDS.iter().map(|c| c.slug).collect();
        let listed: Vec<_> = TOPICS.iter().map(|t| t.slug).collect();
        assert_eq!(cards, listed);
        assert_eq!(SLUGS, &listed[..]);
    }

    #[test]
    fn validation_names_the_problem() {
        let topic = find("raft").unwrap();
        let mut s = Scenario::new("raft", 1);
        s.bug = Some("no-such-bug".into());
        assert!(matches!(
            topic.validate(&s),
            Err(BuildError::UnknownBug { .. })
        ));
        let mut s = Scenario::new("raft", 1);
        s.set_param("nodes", 4);
        assert!(matches!(
            topic.validate(&s),
            Err(BuildError::ParamOutOfRange { .. })
        ));
        let mut s = Scenario::new("raft", 1);
        s.set_param("colour", 4);
        assert!(matches!(
            topic.validate(&s),
            Err(BuildError::UnknownParam { .. })
        ));
        let mut s = Scenario::new("raft", 1);
        s.preset = Some("no-such-preset".into());
        assert!((topic.build)(&s, RunOptions::default()).is_err());
        assert!(find("nope").is_none());
    }
}
