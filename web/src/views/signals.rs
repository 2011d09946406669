//! A topic's signals correlated by trace id ([`Signals`]): its newest log
//! lines, each a button that opens its trace; its histograms, whose buckets
//! with an exemplar are buttons too; and the opened trace, its spans and
//! what was logged under it (its spans are also drawn on the timeline).
//!
//! The panel is written as markup ([`crate::markup`]) under one click
//! handler: every button that opens a trace carries its id in `data-trace`,
//! so the handler finds it with `closest`. Being buttons, they answer Enter
//! and Space by themselves. Its rules are in `protocol.css` (`.signals`).

use std::fmt::Write;

use distlab_core::sim::view::{Histogram, LogRecord, Signals, TraceDetail};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::markup::escape;

/// What [`draw`] needs.
pub struct SignalsProps<'a> {
    pub signals: &'a Signals,
    /// The opened trace as the run keeps it at the instant shown (none
    /// before it began, or once every process has dropped it); its spans are
    /// drawn on the timeline too.
    pub opened: Option<&'a TraceDetail>,
    pub on_open: Callback<u64>,
    pub on_close: Callback<()>,
}

/// What a click on `target` asks for: a trace to open (`Some`), or closing.
fn asked(target: Option<web_sys::EventTarget>) -> Option<Option<u64>> {
    let element = target?.dyn_into::<web_sys::Element>().ok()?;
    let found = element.closest("[data-trace],#close-trace").ok()??;
    // A malformed id (the markup is ours, but the DOM is the person's) is ignored.
    match found.get_attribute("data-trace") {
        Some(trace) => trace.parse().ok().map(Some),
        None => Some(None),
    }
}

/// The signals panel: logs and the opened trace on the left, histograms on
/// the right (one column on a narrow screen).
pub fn draw(props: &SignalsProps) -> Html {
    let onclick = {
        let (on_open, on_close) = (props.on_open.clone(), props.on_close.clone());
        Callback::from(move |event: MouseEvent| match asked(event.target()) {
            Some(Some(trace)) => on_open.emit(trace),
            Some(None) => on_close.emit(()),
            None => {}
        })
    };
    let mut left = String::from("<h4>Newest log lines</h4><ol>");
    for record in &props.signals.logs {
        log_line(&mut left, record);
    }
    left.push_str("</ol>");
    if let Some(detail) = props.opened {
        trace_markup(&mut left, detail);
    }
    let mut right = String::new();
    for histogram in &props.signals.histograms {
        histogram_markup(&mut right, histogram);
    }
    html! {
        <section class="panel signals" aria-label="logs, histograms and traces" {onclick}>
            <h3>{ "Logs, histograms and traces" }<small>{ " a log line or a bucket marked • opens its trace (the run pauses)" }</small></h3>
            <div class="columns">
                <div class="logs">{ Html::from_html_unchecked(left.into()) }</div>
                <div class="histograms">{ Html::from_html_unchecked(right.into()) }</div>
            </div>
        </section>
    }
}

fn log_line(out: &mut String, record: &LogRecord) {
    let (slot, text) = (record.palette.as_str(), escape(&record.text));
    let _ = match record.trace {
        Some(trace) => write!(
            out,
            r#"<li><button class="line slot-{slot}" data-trace="{trace}">{text}</button></li>"#
        ),
        None => write!(out, r#"<li class="line slot-{slot}">{text}</li>"#),
    };
}

fn trace_markup(out: &mut String, detail: &TraceDetail) {
    let close = r#"<button id="close-trace">Close</button>"#;
    let _ = write!(
        out,
        r#"<figure id="trace-detail"><figcaption>{} {close}</figcaption><ul>"#,
        escape(&detail.title)
    );
    // The spans, parents first, as the timeline draws them on their lanes.
    for span in &detail.spans {
        let took = span
            .to
            .map_or_else(|| "open".to_string(), |to| to.since(span.from).to_string());
        let _ = write!(
            out,
            r#"<li class="span slot-{}">{} from {} for {took}</li>"#,
            span.palette.as_str(),
            escape(&span.label),
            span.from
        );
    }
    for line in &detail.lines {
        let _ = write!(out, "<li>{}</li>", escape(line));
    }
    out.push_str("</ul></figure>");
}

/// A histogram as rows of bars, each as long against the fullest bucket as
/// its count; a bucket with an exemplar is a button marked with a dot.
fn histogram_markup(out: &mut String, histogram: &Histogram) {
    let chart = &histogram.chart;
    let _ = write!(
        out,
        r#"<figure><figcaption>{} <small>— {}</small></figcaption><ol>"#,
        escape(&chart.title),
        escape(&chart.caption),
    );
    let fullest = chart.bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    for (bar, exemplar) in chart.bars.iter().zip(&histogram.exemplars) {
        let label = escape(&bar.label);
        let row = format!(
            r#"<span>{label}</span><span><i class="slot-{}" style="width:{}%"></i></span><span>{}"#,
            bar.palette.as_str(),
            bar.value * 100 / fullest,
            bar.value
        );
        let _ = match exemplar {
            Some(link) => write!(
                out,
                r#"<li><button class="bucket" data-trace="{}" aria-label="{label}: {}; open its exemplar, {}">{row} •</span></button></li>"#,
                link.trace,
                bar.value,
                escape(&link.label)
            ),
            None => write!(out, r#"<li class="bucket">{row}</span></li>"#),
        };
    }
    out.push_str("</ol></figure>");
}
