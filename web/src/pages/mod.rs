//! One page per topic (each picks its views and controls), the home page, and the
//! table from slug to page.

pub mod home;
pub mod protocol;
pub mod raft;
pub mod structure;

use yew::prelude::*;

use crate::hooks::StartAt;
use protocol::TopicPageProps;

/// Renders a topic's page.
type PageFn = fn(&TopicPageProps) -> Html;

/// The page of each topic that has one. A topic is listed on the home page only
/// when it appears here.
const PAGES: &[(&str, PageFn)] = &[("raft", |p| {
    html! { <raft::RaftPage slug={p.slug} link={p.link.clone()} embed={p.embed} start={p.start} /> }
})];

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
