//! The home page: the catalog, grouped by category; a card per topic.
//!
//! It is plain HTML made from the catalog's cards, so the release site writes it
//! into `index.html` at build time and the home route downloads no WebAssembly at
//! all; the all-topics development bundle shows the same markup through [`Home`].

use distlab_core::catalog;
use distlab_core::lab::topic::{Card, Category, TopicKind};
use yew::prelude::*;

use crate::markup::escape;

/// The introduction above the cards.
const INTRO: &str = "Every topic is a small, deterministic simulation running in WebAssembly. Pause it, step it, rewind it, crash a node, cut a link, switch on a deliberate bug and watch the invariant checker catch it, then share the exact run as a link. The same seed gives the same run, here and on the command line.";

/// "1 bug", "3 bugs".
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn card(card: &Card) -> String {
    let kind = match card.kind {
        TopicKind::Protocol => "protocol",
        TopicKind::DataStructure => "data structure",
    };
    let mut meta = kind.to_string();
    if card.bugs > 0 {
        meta.push_str(&format!(" · {} to switch on", count(card.bugs, "bug")));
    }
    if card.invariants > 0 {
        meta.push_str(&format!(" · {}", count(card.invariants, "invariant")));
    }
    format!(
        r##"<a class="card" href="#/{slug}" data-topic="{slug}"><h3>{title}</h3><p>{summary}</p><p class="meta">{meta}</p></a>"##,
        slug = escape(card.slug),
        title = escape(card.title),
        summary = escape(card.summary),
        meta = escape(&meta),
    )
}

/// The home page's markup: the introduction and every category that has topics.
pub fn html() -> String {
    let mut out = format!(
        r#"<div class="home"><section class="intro"><h1>A browser lab for distributed systems</h1><p>{}</p></section>"#,
        escape(INTRO)
    );
    for category in Category::ALL {
        let cards: Vec<String> = catalog::CARDS
            .iter()
            .filter(|c| c.category == category)
            .map(card)
            .collect();
        if cards.is_empty() {
            continue;
        }
        out.push_str(&format!(
            r#"<section class="category"><h2>{}</h2><div class="cards">{}</div></section>"#,
            escape(category.title()),
            cards.concat()
        ));
    }
    out.push_str("</div>");
    out
}

/// The home page in the development bundle.
#[function_component]
pub fn Home() -> Html {
    let markup = use_memo((), |_| AttrValue::from(html()));
    Html::from_html_unchecked((*markup).clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_card_is_linked_and_text_is_escaped() {
        let page = html();
        for card in catalog::CARDS {
            assert!(page.contains(&format!("href=\"#/{}\"", card.slug)));
        }
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        assert!(page.contains("1 bug to switch on") || page.contains("bugs to switch on"));
    }
}
