//! The pages: the home page, the two page families (protocol and data structure),
//! each data structure's own body, and the table from slug to page, made from the
//! catalog's one table ([`distlab_core::with_topics!`]).

pub mod bloom_filter;
pub mod consistent_hashing;
pub mod home;
pub mod merkle_tree;
pub mod protocol;
pub mod shared;
pub mod skip_list;
pub mod structure;
pub mod time_series;

use distlab_core::lab::topic::TopicInfo;
use yew::prelude::*;

use protocol::TopicPageProps;

/// Renders a topic's page.
pub type PageFn = fn(&TopicPageProps) -> Html;

/// A topic and the function that draws its page; a bundle registers the pages it
/// carries (see [`crate::start`]).
#[derive(Clone, Copy)]
pub struct Page {
    pub topic: &'static TopicInfo,
    pub render: PageFn,
}

macro_rules! pages_table {
    ($($module:ident :: $topic:ident => $family:ident),* $(,)?) => {
        /// Every topic's page, in catalog order: the all-topics bundle.
        pub static PAGES: &[Page] = &[$(
            Page {
                topic: &distlab_core::topics::$module::INFO,
                render: $family::page::<distlab_core::topics::$module::$topic>,
            }
        ),*];
    };
}

distlab_core::with_topics!(pages_table);

/// The page of `slug` among `pages`.
pub fn find(pages: &[Page], slug: &str) -> Option<Page> {
    pages.iter().copied().find(|page| page.topic.slug == slug)
}
