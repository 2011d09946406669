//! Every topic's model, one folder each, all of the same shape: a `//!` doc naming
//! the paper it follows, an `INFO: TopicInfo` whose `build` is its kind's generic
//! build, the typed trait of its kind, presets with their scripts, and tests. The
//! folders are declared from the catalog's table ([`crate::with_topics!`]).

macro_rules! declare_topics {
    ($($module:ident :: $topic:ident => $page:ident),* $(,)?) => {
        $(pub mod $module;)*
    };
}

crate::with_topics!(declare_topics);

#[cfg(test)]
mod testing;
