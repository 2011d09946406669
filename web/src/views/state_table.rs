//! The per-node state table: the topic's columns, one row per node; logs drawn as
//! boxes coloured by term (solid when committed, hollow when not). A cluster
//! larger than the timeline's lanes shows as many rows and counts the rest.

use std::rc::Rc;

use distlab_core::sim::view::Cell;
use distlab_core::sim::view::StateTable;
use yew::prelude::*;

use crate::layout::palette_for;
use crate::layout::timeline::MAX_LANES;

#[derive(Clone, PartialEq)]
pub struct StateTableProps {
    /// The table, or its first rows ([`distlab_core::lab::run::Run::state_table_head`]).
    pub table: Rc<StateTable>,
    /// Whether each node is up (its row greyed when down), one per node of
    /// the cluster: nodes past the table's rows are counted.
    pub up: Rc<Vec<bool>>,
}

/// Draws the view.
pub fn draw(props: &StateTableProps) -> Html {
    let table = &props.table;
    let header = table
        .columns
        .iter()
        .map(|c| html! { <th key={*c}>{ *c }</th> });
    let shown = table.rows.len().min(MAX_LANES);
    let more = table.rows.len().max(props.up.len()) - shown;
    let rows = table.rows.iter().take(shown).enumerate().map(|(i, row)| {
        let down = !props.up.get(i).copied().unwrap_or(true);
        let cells = row.iter().enumerate().map(|(j, cell)| match cell {
            Cell::Text(text) => html! { <td key={j}>{ text }</td> },
            Cell::Log(log) => {
                let boxes = log.entries.iter().enumerate().map(|(k, entry)| {
                    let class = format!(
                        "entry c{}{}",
                        palette_for(entry.colour),
                        if entry.committed { " committed" } else { "" }
                    );
                    let position = log.first + k;
                    // The commit point: a mark after the last committed entry.
                    let commit = (position + 1 == log.committed).then(|| {
                        html! { <span class="commit-point" title={format!("committed up to index {}", log.committed)}></span> }
                    });
                    html! {
                        <>
                            <span key={position} class={class} title={entry.detail.clone()}>{ &entry.text }</span>
                            { for commit }
                        </>
                    }
                });
                let earlier = (log.first > 0).then(|| {
                    html! { <span class="earlier" title={format!("{} entries in all, {} committed", log.total, log.committed)}>{ format!("{} more ·", log.first) }</span> }
                });
                html! { <td key={j} class="log" data-entries={log.total.to_string()}>{ for earlier }{ for boxes }</td> }
            }
        });
        html! { <tr key={i} class={classes!(down.then_some("down"))}>{ for cells }</tr> }
    });
    html! {
        <table class="state-table">
            <thead><tr>{ for header }</tr></thead>
            <tbody>
                { for rows }
                if more > 0 {
                    <tr key="more"><td colspan={table.columns.len().to_string()}>{ format!("and {more} more nodes") }</td></tr>
                }
            </tbody>
        </table>
    }
}
