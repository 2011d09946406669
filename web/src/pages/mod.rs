//! One page per topic (each picks its views and controls), the home page, and the
//! table from slug to page.

pub mod bloom_filter;
pub mod consistent_hashing;
pub mod home;
pub mod merkle_tree;
pub mod protocol;
pub mod raft;
pub mod shared;
pub mod skip_list;
pub mod structure;
pub mod time_series;

use yew::prelude::*;

use crate::hooks::StartAt;
use protocol::TopicPageProps;

/// Renders a topic's page.
type PageFn = fn(&TopicPageProps) -> Html;

/// The page of each topic that has one. A topic is listed on the home page only
/// when it appears here.
const PAGES: &[(&str, PageFn)] = &[
    ("raft", |p| {
        html! { <raft::RaftPage slug={p.slug} link={p.link.clone()} embed={p.embed} start={p.start} /> }
    }),
    ("consistent-hashing", |p| {
        html! { <consistent_hashing::ConsistentHashingPage slug={p.slug} link={p.link.clone()} embed={p.embed} start={p.start} /> }
    }),
    ("bloom-filter", |p| {
        html! { <bloom_filter::BloomFilterPage slug={p.slug} link={p.link.clone()} embed={p.embed} start={p.start} /> }
    }),
    ("merkle-tree", |p| {
        html! { <merkle_tree::MerkleTreePage slug={p.slug} link={p.link.clone()} embed={p.embed} start={p.start} /> }
    }),
    ("skip-list", |p| {
        html! { <skip_list::SkipListPage slug={p.slug} link={p.link.clone()} embed={p.embed} start={p.start} /> }
    }),
    ("time-series", |p| {
        html! { <time_series::TimeSeriesPage slug={p.slug} link={p.link.clone()} embed={p.embed} start={p.start} /> }
    }),
];

pub fn has_page(slug: &str) -> bool {
    PAGES.iter().any(|(s, _)| *s == slug)
}

/// The page for `slug`, or `None` when the topic has no page.
pub fn topic_page(slug: &str, link: Option<String>, embed: bool, start: StartAt) -> Option<Html> {
    let topic = distlab_core::catalog::find(slug)?;
    let (_, page) = PAGES.iter().find(|(s, _)| *s == slug)?;
    Some(page(&TopicPageProps {
        slug: topic.slug,
        link,
        embed,
        start,
    }))
}
