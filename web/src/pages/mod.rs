//! The pages: the home page, the two page families (protocol and data structure),
//! each data structure's own body (a module named like its topic's), and the table
//! from slug to page. The body modules and the table are made from the catalog's
//! one table ([`distlab_core::with_topics!`]).

pub mod home;
pub mod protocol;
pub mod shared;
pub mod structure;

/// Declares the page module of every topic drawn by the `structure` family.
macro_rules! declare_page_modules {
    () => {};
    ($module:ident :: $topic:ident => protocol, $($rest:tt)*) => {
        declare_page_modules!($($rest)*);
    };
    ($module:ident :: $topic:ident => structure, $($rest:tt)*) => {
        pub mod $module;
        declare_page_modules!($($rest)*);
    };
}

distlab_core::with_topics!(declare_page_modules);

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
