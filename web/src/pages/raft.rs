//! The Raft page: the protocol lab composition (cluster, timeline, state table with
//! logs coloured by term, invariants, faults, client requests).

use yew::prelude::*;

use super::protocol::{ProtocolLab, TopicPageProps};

#[function_component]
pub fn RaftPage(props: &TopicPageProps) -> Html {
    html! { <ProtocolLab slug={props.slug} link={props.link.clone()} embed={props.embed} start={props.start} /> }
}
