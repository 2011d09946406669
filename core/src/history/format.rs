//! Histories as text: Jepsen's EDN op maps, and the same fields as JSON lines.
//!
//! One event a line, in history order, with Jepsen's field names: `:process`, `:type`,
//! `:f`, `:key`, `:value`, `:time`. `:time` is in nanoseconds (virtual microseconds
//! times 1000), as Jepsen records it, so the output loads into Knossos or Elle
//! unchanged; keys are strings, as in Jepsen's independent-key histories.

use super::event::{History, HistoryEvent, Value};
use std::fmt::Write;

/// One Jepsen EDN op map per line, e.g.
/// `{:process 0, :type :invoke, :f :put, :key "3", :value 7, :time 1200000000}`
/// (cas values as `[old new]`, lists as `[1 2 3]`, none as `nil`); every line ends
/// with `'\n'`.
pub fn to_edn(history: &History) -> String {
    let mut out = String::new();
    for event in &history.events {
        out.push_str(&event_edn(event));
        out.push('\n');
    }
    out
}

/// One event as a Jepsen EDN op map, without a newline.
pub fn event_edn(event: &HistoryEvent) -> String {
    format!(
        "{{:process {}, :type :{}, :f :{}, :key \"{}\", :value {}, :time {}}}",
        event.process,
        event.kind.name(),
        event.function.name(),
        event.key,
        event.value,
        nanoseconds(event),
    )
}

/// The same fields as JSON, one object per line, e.g.
/// `{"process":0,"type":"invoke","f":"put","key":"3","value":7,"time":1200000000}`
/// (cas values as `[old,new]`, lists as `[1,2,3]`, none as `null`); every line ends
/// with `'\n'`.
pub fn to_json_lines(history: &History) -> String {
    let mut out = String::new();
    for event in &history.events {
        out.push_str(&event_json(event));
        out.push('\n');
    }
    out
}

/// One event as a JSON object, without a newline.
pub fn event_json(event: &HistoryEvent) -> String {
    let mut value = String::new();
    match &event.value {
        Value::None => value.push_str("null"),
        Value::Int(v) => {
            let _ = write!(value, "{v}");
        }
        Value::Pair(old, new) => {
            let _ = write!(value, "[{old},{new}]");
        }
        Value::List(items) => {
            value.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    value.push(',');
                }
                let _ = write!(value, "{item}");
            }
            value.push(']');
        }
    }
    format!(
        "{{\"process\":{},\"type\":\"{}\",\"f\":\"{}\",\"key\":\"{}\",\"value\":{},\"time\":{}}}",
        event.process,
        event.kind.name(),
        event.function.name(),
        event.key,
        value,
        nanoseconds(event),
    )
}

/// Nanoseconds as text: the microseconds followed by three zeros, so no virtual
/// time (up to u64 microseconds) can overflow, without 128-bit arithmetic (which
/// would add its formatting and division to every page's bundle).
fn nanoseconds(event: &HistoryEvent) -> String {
    match event.time.as_micros() {
        0 => "0".to_string(),
        micros => format!("{micros}000"),
    }
}
