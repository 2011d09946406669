//! Reading a trace back from its JSON lines (the form `distlab run --json` prints
//! and the page exports), so a saved run can be looked at again in the timeline.
//!
//! The reader is the inverse of [`Trace::event_json`]: reading a file and writing
//! it again gives the same bytes. It is deliberately small (flat objects of
//! numbers, strings, `null` and arrays of numbers are all the format uses) rather
//! than a general JSON library, which would cost the page more than the rest of
//! this module. A file is untrusted input: a line it cannot read is skipped and
//! noted, never a panic, and the reader stops at [`MAX_LINES`].

use super::network::{DropReason, Fate};
use super::time::{NodeId, Time};
use super::trace::{EventKind, MessageId, MessageRecord, Trace, TraceEvent};
use super::view::{ClusterState, NodeState, NodeSummary, Palette};
use crate::history::{History, HistoryEvent};

/// The most lines read from one file; the rest are counted as skipped.
pub const MAX_LINES: usize = 2_000_000;
/// The most distinct message types, timer names and invariant names a file may
/// bring (see [`Names`]); further ones read as `other`.
const MAX_NAMES: usize = 256;
/// The longest such name kept.
const MAX_NAME_LENGTH: usize = 64;
/// The highest node id a file may name, plus one: the views draw one lane and
/// one circle per node, so a hostile id must not make them allocate billions.
pub const MAX_NODES: u32 = 1_024;
/// How many problems are described; the rest are only counted.
const MAX_PROBLEMS: usize = 5;

/// A trace read from a file, and what could not be read.
#[derive(Debug, Default)]
pub struct ImportedTrace {
    pub trace: Trace,
    /// Nodes seen (one more than the highest node id).
    pub nodes: usize,
    /// The time of the last event.
    pub end: Time,
    /// Lines that were not events of a trace.
    pub skipped: usize,
    /// The first few of those, as `line N: what was wrong`.
    pub problems: Vec<String>,
}

impl ImportedTrace {
    /// The cluster as far as the file tells: every node seen, each up or down at
    /// `at` by the crashes and restarts before it. Files carry no roles, so every
    /// node is drawn plain; a node with client lines is drawn as a client.
    pub fn cluster_at(&self, at: Time) -> ClusterState {
        let mut up = vec![true; self.nodes];
        let mut client = vec![false; self.nodes];
        for event in &self.trace.events {
            if let (EventKind::Client { .. }, Some(node)) = (&event.kind, event.node) {
                if let Some(client) = client.get_mut(node.index()) {
                    *client = true;
                }
            }
        }
        for event in self.trace.events.iter().take_while(|e| e.time <= at) {
            let Some(node) = event.node.and_then(|n| up.get_mut(n.index())) else {
                continue;
            };
            match event.kind {
                EventKind::Crash => *node = false,
                EventKind::Restart | EventKind::Start => *node = true,
                _ => {}
            }
        }
        ClusterState {
            nodes: up
                .into_iter()
                .zip(client)
                .enumerate()
                .map(|(index, (up, client))| NodeState {
                    id: NodeId(index as u32),
                    up,
                    summary: NodeSummary {
                        role: if up { "node" } else { "crashed" },
                        palette: Palette::Plain,
                        badge: String::new(),
                        detail: String::new(),
                    },
                    client,
                })
                .collect(),
            groups: vec![0; self.nodes],
            cuts: Vec::new(),
        }
    }
}

impl ImportedTrace {
    /// The clients' history the file carries (its `client` lines, in order);
    /// empty when the run had no clients.
    pub fn history(&self) -> History {
        History {
            events: self
                .trace
                .events
                .iter()
                .filter_map(|event| match &event.kind {
                    EventKind::Client { event } => Some(event.clone()),
                    _ => None,
                })
                .collect(),
        }
    }
}

/// Reads `text`, one event per line; blank lines are ignored.
pub fn read(text: &str) -> ImportedTrace {
    let mut reader = Reader::default();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if index >= MAX_LINES {
            reader.skip(index, "the file has more lines than a trace is read to");
            continue;
        }
        if let Err(problem) = reader.line(line) {
            reader.skip(index, problem);
        }
    }
    reader.finish()
}

/// Message types, timer names and invariant names are `&'static str` in a trace
/// (topics name them in code). A file's names are leaked once each to fit that
/// type; the table bounds what a hostile file can make the page keep.
#[derive(Default)]
struct Names(Vec<&'static str>);

impl Names {
    fn get(&mut self, name: &str) -> &'static str {
        if let Some(known) = self.0.iter().find(|known| **known == name) {
            return known;
        }
        if self.0.len() >= MAX_NAMES || name.len() > MAX_NAME_LENGTH {
            return "other";
        }
        let leaked: &'static str = Box::leak(name.to_string().into_boxed_str());
        self.0.push(leaked);
        leaked
    }
}

#[derive(Default)]
struct Reader {
    imported: ImportedTrace,
    events: Vec<TraceEvent>,
    /// Messages in send order, numbered densely from the first one's id.
    sent: Vec<MessageRecord>,
    names: Names,
    /// File message ids in send order, each with its trace message id: the trace
    /// numbers messages densely from the first one the file sends.
    messages: Vec<(u64, MessageId)>,
    next_message: Option<MessageId>,
}

impl Reader {
    fn skip(&mut self, index: usize, problem: &str) {
        self.imported.skipped += 1;
        if self.imported.problems.len() < MAX_PROBLEMS {
            self.imported
                .problems
                .push(format!("line {}: {problem}", index + 1));
        }
    }

    fn finish(mut self) -> ImportedTrace {
        let next = self.next_message.unwrap_or(0);
        self.imported.trace = Trace::resume(self.sent, next);
        self.imported.trace.events = self.events;
        self.imported
    }

    fn see_node(&mut self, node: NodeId) {
        self.imported.nodes = self.imported.nodes.max(node.index() + 1);
    }

    fn line(&mut self, line: &str) -> Result<(), &'static str> {
        let fields = Fields(parse_object(line)?);
        let step = fields.number("step")?;
        let time = Time(fields.number("t")?);
        let node = match fields.get("node") {
            Some(Value::Null) => None,
            Some(Value::Number(_)) => Some(fields.node("node")?),
            _ => return Err("no node"),
        };
        let lamport = fields.number("lamport")?;
        let clock = match fields.get("vc") {
            None => None,
            Some(Value::Numbers(clock)) => Some(
                clock
                    .iter()
                    .map(|&c| u32::try_from(c))
                    .collect::<Result<Box<[u32]>, _>>()
                    .map_err(|_| "a clock entry out of range")?,
            ),
            Some(_) => return Err("vc is not a list of numbers"),
        };
        if let Some(last) = self.events.last() {
            if step < last.step || time < last.time {
                return Err("goes back in time");
            }
        }
        let kind = match fields.text("kind")? {
            "start" => EventKind::Start,
            "crash" => EventKind::Crash,
            "restart" => EventKind::Restart,
            "send" => EventKind::Send {
                message: self.send(&fields, lamport)?,
            },
            "deliver" => EventKind::Deliver {
                message: self.known_message(&fields)?,
            },
            "drop" => EventKind::Drop {
                message: self.known_message(&fields)?,
                reason: drop_reason(fields.text("reason")?)?,
            },
            "timer" => EventKind::Timer {
                name: self.names.get(fields.text("timer")?),
                label: fields.text("label")?.to_string(),
            },
            "input" => EventKind::Input {
                label: fields.text("label")?.to_string(),
            },
            "network" => EventKind::Network {
                label: fields.text("label")?.to_string(),
            },
            "note" => EventKind::Note {
                text: fields.text("text")?.to_string(),
            },
            "client" => EventKind::Client {
                event: client_event(&fields, time)?,
            },
            "violation" => EventKind::Violation {
                invariant: self.names.get(fields.text("invariant")?),
                message: fields.text("message")?.to_string(),
            },
            _ => return Err("unknown kind of event"),
        };
        if let Some(node) = node {
            self.see_node(node);
        }
        self.imported.end = time;
        self.events.push(TraceEvent {
            step,
            time,
            node,
            lamport,
            clock,
            kind,
        });
        Ok(())
    }

    /// Records the message a `send` line describes.
    fn send(&mut self, fields: &Fields, lamport: u64) -> Result<MessageId, &'static str> {
        let file_id = fields.number("msg")?;
        if self
            .messages
            .last()
            .is_some_and(|&(last, _)| file_id <= last)
        {
            return Err("message numbers that do not increase");
        }
        let from = fields.node("from")?;
        let to = fields.node("to")?;
        let fate = match (fields.get("arrives"), fields.get("lost")) {
            (Some(Value::Number(at)), None) => Fate::Deliver { at: Time(*at) },
            (None, Some(Value::Number(at))) => Fate::Drop {
                at: Time(*at),
                reason: drop_reason(fields.text("reason")?)?,
            },
            _ => return Err("a send without arrives or lost"),
        };
        let copy_of = match fields.get("copy_of") {
            None => None,
            Some(Value::Number(first)) => Some(
                self.message_id(*first)
                    .ok_or("a copy of a message not sent")?,
            ),
            Some(_) => return Err("copy_of is not a number"),
        };
        // The first message keeps the file's number when it fits, so a file
        // numbered densely (as a run writes it) reads back with its own ids.
        let id = match self.next_message {
            Some(id) => id,
            None => MessageId::try_from(file_id).unwrap_or(0),
        };
        let record = MessageRecord {
            id,
            from,
            to,
            kind: self.names.get(fields.text("type")?),
            label: fields.text("label")?.to_string(),
            sent_at: Time(fields.number("sent")?),
            fate,
            copy_of,
            // The file does not carry the send's clock apart from the event's.
            lamport,
        };
        self.see_node(from);
        self.see_node(to);
        self.sent.push(record);
        self.messages.push((file_id, id));
        self.next_message = Some(id.checked_add(1).ok_or("too many messages")?);
        Ok(id)
    }

    /// The trace id of the message the file numbers `file_id`, if it was sent.
    fn message_id(&self, file_id: u64) -> Option<MessageId> {
        let index = self.messages.partition_point(|&(id, _)| id < file_id);
        self.messages
            .get(index)
            .filter(|&&(id, _)| id == file_id)
            .map(|&(_, id)| id)
    }

    /// The message a `deliver` or `drop` line is about (sent earlier in the file).
    fn known_message(&self, fields: &Fields) -> Result<MessageId, &'static str> {
        self.message_id(fields.number("msg")?)
            .ok_or("a message that was not sent in this file")
    }
}

/// The history event a `client` line carries (its fields are the history's
/// JSON fields; see [`crate::history::event_json`]).
fn client_event(fields: &Fields, time: Time) -> Result<HistoryEvent, &'static str> {
    use crate::history::{EventKind as Kind, Function, Value as HistoryValue};
    let process = u32::try_from(fields.number("process")?).map_err(|_| "process too big")?;
    let kind = match fields.text("type")? {
        "invoke" => Kind::Invoke,
        "ok" => Kind::Ok,
        "fail" => Kind::Fail,
        "info" => Kind::Info,
        _ => return Err("unknown type of client event"),
    };
    let function = match fields.text("f")? {
        "get" => Function::Get,
        "put" => Function::Put,
        "cas" => Function::Cas,
        "append" => Function::Append,
        _ => return Err("unknown client function"),
    };
    let key = fields
        .text("key")?
        .parse()
        .map_err(|_| "a key that is not a number")?;
    let value = match fields.get("value") {
        None | Some(Value::Null) => HistoryValue::None,
        Some(Value::Number(n)) => {
            HistoryValue::Int(i64::try_from(*n).map_err(|_| "value too big")?)
        }
        Some(Value::Negative(n)) => HistoryValue::Int(*n),
        // A cas carries [old new]; any other list is a list.
        Some(Value::Numbers(items)) => match (function, items.as_slice()) {
            (Function::Cas, &[old, new]) => HistoryValue::Pair(old, new),
            _ => HistoryValue::List(items.clone()),
        },
        Some(_) => return Err("a client value the format does not have"),
    };
    Ok(HistoryEvent {
        process,
        kind,
        function,
        key,
        value,
        time,
    })
}

fn drop_reason(text: &str) -> Result<DropReason, &'static str> {
    [
        DropReason::Loss,
        DropReason::Partition,
        DropReason::ReceiverDown,
    ]
    .into_iter()
    .find(|reason| reason.as_str() == text)
    .ok_or("unknown drop reason")
}

/// A value of the trace format.
#[derive(Clone, Debug, PartialEq)]
enum Value {
    Null,
    Number(u64),
    Text(String),
    Negative(i64),
    Numbers(Vec<i64>),
}

struct Fields(Vec<(String, Value)>);

impl Fields {
    fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    fn number(&self, key: &'static str) -> Result<u64, &'static str> {
        match self.get(key) {
            Some(Value::Number(n)) => Ok(*n),
            _ => Err("a field is missing or not a whole number"),
        }
    }

    fn node(&self, key: &'static str) -> Result<NodeId, &'static str> {
        u32::try_from(self.number(key)?)
            .ok()
            .filter(|&node| node < MAX_NODES)
            .map(NodeId)
            .ok_or("node too big")
    }

    fn text(&self, key: &'static str) -> Result<&str, &'static str> {
        match self.get(key) {
            Some(Value::Text(text)) => Ok(text),
            _ => Err("a field is missing or not text"),
        }
    }
}

/// Parses one flat JSON object.
fn parse_object(line: &str) -> Result<Vec<(String, Value)>, &'static str> {
    let mut cursor = Cursor {
        bytes: line.as_bytes(),
        text: line,
        at: 0,
    };
    cursor.expect(b'{')?;
    let mut fields = Vec::new();
    if cursor.peek() == Some(b'}') {
        cursor.at += 1;
    } else {
        loop {
            let key = cursor.string()?;
            cursor.expect(b':')?;
            let value = cursor.value()?;
            fields.push((key, value));
            match cursor.next() {
                Some(b',') => continue,
                Some(b'}') => break,
                _ => return Err("not a JSON object"),
            }
        }
    }
    if cursor.peek().is_some() {
        return Err("text after the object");
    }
    Ok(fields)
}

struct Cursor<'a> {
    bytes: &'a [u8],
    text: &'a str,
    at: usize,
}

impl Cursor<'_> {
    fn skip_space(&mut self) {
        while matches!(self.bytes.get(self.at), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_space();
        self.bytes.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.at += 1;
        Some(byte)
    }

    fn expect(&mut self, byte: u8) -> Result<(), &'static str> {
        if self.next() == Some(byte) {
            Ok(())
        } else {
            Err("not a JSON object")
        }
    }

    fn value(&mut self) -> Result<Value, &'static str> {
        match self.peek() {
            Some(b'"') => self.string().map(Value::Text),
            Some(b'n') => {
                if self.text[self.at..].starts_with("null") {
                    self.at += 4;
                    Ok(Value::Null)
                } else {
                    Err("not a JSON value")
                }
            }
            Some(b'[') => {
                self.at += 1;
                let mut numbers = Vec::new();
                if self.peek() == Some(b']') {
                    self.at += 1;
                    return Ok(Value::Numbers(numbers));
                }
                loop {
                    numbers.push(self.signed()?);
                    match self.next() {
                        Some(b',') => continue,
                        Some(b']') => return Ok(Value::Numbers(numbers)),
                        _ => return Err("not a list of numbers"),
                    }
                }
            }
            Some(b'0'..=b'9') => self.number().map(Value::Number),
            Some(b'-') => self.signed().map(Value::Negative),
            _ => Err("not a value of the trace format"),
        }
    }

    fn number(&mut self) -> Result<u64, &'static str> {
        self.whole(false)
    }

    /// A whole number that may be negative (values in client histories).
    fn signed(&mut self) -> Result<i64, &'static str> {
        self.whole(true)
    }

    /// The digits of a whole number (after a minus sign if `signed`), parsed.
    fn whole<N: std::str::FromStr>(&mut self, signed: bool) -> Result<N, &'static str> {
        self.skip_space();
        let start = self.at;
        if signed && self.bytes.get(self.at) == Some(&b'-') {
            self.at += 1;
        }
        while matches!(self.bytes.get(self.at), Some(b'0'..=b'9')) {
            self.at += 1;
        }
        if matches!(self.bytes.get(self.at), Some(b'.' | b'e' | b'E')) {
            return Err("not a whole number");
        }
        self.text[start..self.at]
            .parse()
            .map_err(|_| "not a whole number")
    }

    fn string(&mut self) -> Result<String, &'static str> {
        self.expect(b'"')?;
        let mut out = String::new();
        loop {
            // Copy the run of plain characters up to the next quote or escape.
            let rest = &self.text[self.at..];
            let end = rest.find(['"', '\\']).ok_or("a string without its end")?;
            out.push_str(&rest[..end]);
            self.at += end;
            if self.bytes[self.at] == b'"' {
                self.at += 1;
                return Ok(out);
            }
            let escape = *self.bytes.get(self.at + 1).ok_or("a bad escape")?;
            self.at += 2;
            match escape {
                b'"' => out.push('"'),
                b'\\' => out.push('\\'),
                b'/' => out.push('/'),
                b'n' => out.push('\n'),
                b'r' => out.push('\r'),
                b't' => out.push('\t'),
                b'b' => out.push('\u{8}'),
                b'f' => out.push('\u{c}'),
                b'u' => {
                    let hex = self.text.get(self.at..self.at + 4).ok_or("a bad escape")?;
                    let code = u32::from_str_radix(hex, 16).map_err(|_| "a bad escape")?;
                    self.at += 4;
                    // Surrogate pairs never occur in a trace (it escapes only
                    // control characters); a lone one reads as U+FFFD.
                    out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                }
                _ => return Err("a bad escape"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_the_trace_writes_byte_for_byte() {
        let lines = [
            r#"{"step":1,"t":0,"node":0,"lamport":1,"kind":"start","vc":[1,0]}"#,
            r#"{"step":2,"t":10,"node":0,"lamport":2,"kind":"send","vc":[2,0],"msg":0,"from":0,"to":1,"type":"Ping","label":"Ping \"a\"\n\u0001","sent":10,"arrives":20}"#,
            r#"{"step":2,"t":10,"node":0,"lamport":3,"kind":"send","vc":[3,0],"msg":1,"from":0,"to":1,"type":"Ping","label":"Ping","sent":10,"lost":15,"reason":"partitioned","copy_of":0}"#,
            r#"{"step":3,"t":15,"node":null,"lamport":0,"kind":"drop","msg":1,"from":0,"to":1,"type":"Ping","label":"Ping","reason":"partitioned"}"#,
            r#"{"step":4,"t":20,"node":1,"lamport":4,"kind":"deliver","vc":[3,1],"msg":0,"from":0,"to":1,"type":"Ping","label":"Ping \"a\"\n\u0001"}"#,
            r#"{"step":5,"t":30,"node":1,"lamport":5,"kind":"timer","timer":"election","label":"election timeout"}"#,
            r#"{"step":6,"t":40,"node":null,"lamport":0,"kind":"violation","invariant":"election-safety","message":"two leaders"}"#,
        ];
        let imported = read(&lines.join("\n"));
        assert_eq!(imported.skipped, 0, "{:?}", imported.problems);
        assert_eq!(imported.nodes, 2);
        assert_eq!(imported.end, Time(40));
        let trace = &imported.trace;
        let again: Vec<String> = trace.events.iter().map(|e| trace.event_json(e)).collect();
        assert_eq!(again, lines);
    }

    #[test]
    fn the_cluster_at_an_instant_shows_who_was_down() {
        let text = [
            r#"{"step":1,"t":0,"node":0,"lamport":1,"kind":"start"}"#,
            r#"{"step":2,"t":0,"node":2,"lamport":1,"kind":"start"}"#,
            r#"{"step":3,"t":10,"node":2,"lamport":2,"kind":"crash"}"#,
            r#"{"step":4,"t":20,"node":2,"lamport":3,"kind":"restart"}"#,
        ]
        .join("\n");
        let imported = read(&text);
        let up = |at: u64| -> Vec<bool> {
            imported
                .cluster_at(Time(at))
                .nodes
                .iter()
                .map(|n| n.up)
                .collect()
        };
        assert_eq!(up(5), [true, true, true]);
        assert_eq!(up(15), [true, true, false]);
        assert_eq!(up(25), [true, true, true]);
    }

    #[test]
    fn bad_lines_are_skipped_and_described() {
        let text = [
            "not json",
            r#"{"step":1,"t":0,"node":0,"lamport":1,"kind":"start"}"#,
            r#"{"step":2,"t":5,"node":0,"lamport":2,"kind":"deliver","msg":9,"from":1,"to":0,"type":"X","label":"X"}"#,
            r#"{"step":0,"t":0,"node":0,"lamport":1,"kind":"start"}"#,
            r#"{"step":3,"t":5.5,"node":0,"lamport":2,"kind":"crash"}"#,
            r#"{"step":3,"t":6,"node":0,"lamport":2,"kind":"explode"}"#,
            r#"{"step":3,"t":6,"node":0,"lamport":2,"kind":"note","text":"unterminated}"#,
            "",
        ]
        .join("\n");
        let imported = read(&text);
        assert_eq!(imported.trace.events.len(), 1);
        assert_eq!(imported.skipped, 6);
        assert_eq!(imported.problems.len(), MAX_PROBLEMS);
        assert!(
            imported.problems[0].starts_with("line 1: "),
            "{:?}",
            imported.problems
        );
        assert!(
            imported.problems[1].contains("not sent"),
            "{:?}",
            imported.problems
        );
        assert!(
            imported.problems[2].contains("back in time"),
            "{:?}",
            imported.problems
        );
    }

    #[test]
    fn a_hostile_file_cannot_make_the_reader_keep_unbounded_names() {
        let lines: Vec<String> = (0..MAX_NAMES + 50)
            .map(|i| {
                format!(r#"{{"step":{i},"t":{i},"node":0,"lamport":{i},"kind":"timer","timer":"t{i}","label":""}}"#)
            })
            .collect();
        let imported = read(&lines.join("\n"));
        assert_eq!(imported.skipped, 0);
        let last = imported.trace.events.last().unwrap();
        assert_eq!(
            last.kind,
            EventKind::Timer {
                name: "other",
                label: String::new()
            }
        );
    }

    #[test]
    fn a_hostile_node_id_is_a_skipped_line_not_a_huge_cluster() {
        let text = [
            r#"{"step":1,"t":0,"node":4294967295,"lamport":0,"kind":"start"}"#,
            r#"{"step":2,"t":0,"node":1,"lamport":0,"kind":"start"}"#,
        ]
        .join("\n");
        let imported = read(&text);
        assert_eq!(imported.skipped, 1, "{:?}", imported.problems);
        assert_eq!(imported.nodes, 2);
        assert_eq!(imported.cluster_at(Time::ZERO).nodes.len(), 2);
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut rng = crate::sim::rng::Rng::new(7);
        let alphabet = br#"{}[]":,0123456789nul\ustepkind"#;
        for _ in 0..20_000 {
            let length = (rng.next_u64() % 80) as usize;
            let line: String = (0..length)
                .map(|_| alphabet[(rng.next_u64() % alphabet.len() as u64) as usize] as char)
                .collect();
            let _ = read(&line);
        }
    }
}
