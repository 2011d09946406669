//! The home page: the catalog, grouped by category; a card per topic that works.

use distlab_core::catalog;
use distlab_core::lab::topic::{Category, TopicKind};
use yew::prelude::*;

/// "1 bug", "3 bugs".
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[function_component]
pub fn Home() -> Html {
    let groups = Category::ALL.iter().filter_map(|&category| {
        let topics: Vec<_> = catalog::CARDS
            .iter()
            .filter(|t| t.category == category)
            .collect();
        if topics.is_empty() {
            return None;
        }
        let cards = topics.iter().map(|topic| {
            let kind = match topic.kind {
                TopicKind::Protocol => "protocol",
                TopicKind::DataStructure => "data structure",
            };
            html! {
                <a class="card" href={format!("#/{}", topic.slug)} key={topic.slug} data-topic={topic.slug}>
                    <h3>{ topic.title }</h3>
                    <p>{ topic.summary }</p>
                    <p class="meta">
                        { kind }
                        if topic.bugs > 0 { { format!(" · {} to switch on", count(topic.bugs, "bug")) } }
                        if topic.invariants > 0 { { format!(" · {}", count(topic.invariants, "invariant")) } }
                    </p>
                </a>
            }
        });
        Some(html! {
            <section class="category" key={category.title()}>
                <h2>{ category.title() }</h2>
                <div class="cards">{ for cards }</div>
            </section>
        })
    });
    html! {
        <div class="home">
            <section class="intro">
                <h1>{ "A browser lab for distributed systems" }</h1>
                <p>
                    { "Every topic is a small, deterministic simulation running in WebAssembly. Pause it, step it, rewind it, crash a node, cut a link, switch on a deliberate bug and watch the invariant checker catch it, then share the exact run as a link. The same seed gives the same run, here and on the command line." }
                </p>
            </section>
            { for groups }
        </div>
    }
}
