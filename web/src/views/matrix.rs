//! A protocol topic's tables ([`distlab_core::sim::view::Matrix`]) as HTML:
//! text in ink, each cell's palette a coloured left edge (palette-coloured
//! text would fail contrast). Styles are inline, so the pages of topics
//! without tables carry neither this code nor its CSS.

use distlab_core::sim::view::Matrix;
use yew::prelude::*;

/// Draws `tables` one under the other.
pub fn draw(tables: &[Matrix]) -> Html {
    let tables = tables.iter().map(|table| {
        let head = table.columns.iter().map(|column| {
            html! { <th scope="col" style="text-align:left;padding:2px 8px">{ column }</th> }
        });
        let rows = table.rows.iter().map(|row| {
            let cells = row.cells.iter().map(|cell| {
                let style = format!(
                    "padding:2px 8px;border-left:4px solid var(--slot-{})",
                    cell.palette.as_str()
                );
                html! { <td {style}>{ &cell.text }</td> }
            });
            html! {
                <tr>
                    <th scope="row" style="text-align:left;font-weight:400;padding:2px 8px">{ &row.label }</th>
                    { for cells }
                </tr>
            }
        });
        html! {
            <figure class="matrix" style="margin:0 0 8px;overflow-x:auto">
                <figcaption style="font-size:12px;font-weight:600">
                    { &table.title }
                    if !table.caption.is_empty() {
                        <small style="font-weight:400">{ " — " }{ &table.caption }</small>
                    }
                </figcaption>
                <table style="font-size:12px;border-collapse:separate;border-spacing:0 2px">
                    <thead><tr>{ for head }</tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </figure>
        }
    });
    html! { <>{ for tables }</> }
}
