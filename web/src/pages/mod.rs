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

use distlab_core::catalog::same;
use distlab_core::lab::topic::TopicInfo;

use crate::route::Route;
use yew::prelude::*;

use protocol::TopicPageProps;

/// Renders a topic's page.
pub type PageFn = fn(&TopicPageProps) -> Html;

/// A topic and the function that draws its page.
#[derive(Clone, Copy)]
pub struct Page {
    pub topic: &'static TopicInfo,
    pub render: PageFn,
}

/// What one WebAssembly bundle carries: some topic pages, and the home and
/// not-found pages if it draws them itself (the release site's home page is
/// static HTML, and its loader says when a route has no topic, so a topic's
/// bundle holds no code for either). Without them the app reloads the document
/// for any route its bundle does not carry, so the loader can fetch the bundle
/// that does or show the home page.
#[derive(Clone, Copy)]
pub struct Bundle {
    pub pages: &'static [Page],
    /// Draws the home page, or the not-found page for another route (in embed
    /// mode or not).
    pub elsewhere: Option<fn(&Route, bool) -> Html>,
}

macro_rules! pages_table {
    ($($module:ident :: $topic:ident => $family:ident),* $(,)?) => {
        /// Every topic's page, in catalog order.
        pub static PAGES: &[Page] = &[$(
            Page {
                topic: &distlab_core::topics::$module::INFO,
                render: $family::page::<distlab_core::topics::$module::$topic>,
            }
        ),*];

        /// One bundle per topic, named like its module: its page alone.
        #[allow(non_upper_case_globals)]
        pub mod bundles {
            use super::*;
            $(
                pub static $module: Bundle = Bundle {
                    pages: &[Page {
                        topic: &distlab_core::topics::$module::INFO,
                        render: $family::page::<distlab_core::topics::$module::$topic>,
                    }],
                    elsewhere: None,
                };
            )*
        }

        /// The bundle of the topic whose module is `module`, chosen at compile time
        /// so a bundle's binary holds only that topic's code; `""` gives the
        /// all-topics development bundle.
        pub const fn bundle(module: &str) -> &'static Bundle {
            $(
                if same(module.as_bytes(), stringify!($module).as_bytes()) {
                    return &bundles::$module;
                }
            )*
            &ALL_TOPICS
        }
    };
}

distlab_core::with_topics!(pages_table);

/// Every topic and the home page: the development bundle `trunk serve` builds.
pub static ALL_TOPICS: Bundle = Bundle {
    pages: PAGES,
    elsewhere: Some(|route, embed| match route {
        Route::Home => html! { <home::Home /> },
        Route::Topic { slug, .. } => not_found(&format!("There is no topic '{slug}'."), embed),
        Route::NotFound(path) => not_found(&format!("Nothing lives at '{path}'."), embed),
    }),
};

fn not_found(message: &str, embed: bool) -> Html {
    html! {
        <div class="not-found">
            <h1>{ "Not found" }</h1>
            <p>{ message }</p>
            if !embed { <p><a href="#/">{ "See every topic" }</a></p> }
        </div>
    }
}

/// The page of `slug` among `pages`.
pub fn find(pages: &[Page], slug: &str) -> Option<Page> {
    pages.iter().copied().find(|page| page.topic.slug == slug)
}
