//! A scenario: everything needed to reproduce a run exactly.
//!
//! `Scenario { topic, seed, preset, bug, faults, params, actions }` is at once the
//! share link, the replay, the test case and the command line's input. The seed fixes
//! every random choice; the preset and the fault level expand into timed actions when
//! the run is built; `actions` are the person's own (crash, partition, a topic
//! operation, ...), each at a virtual time.
//!
//! # Encoding
//! [`Scenario::encode`] gives a compact, URL-safe string: a version byte followed by
//! varint fields, in unpadded base64url. [`Scenario::decode`] accepts any string and
//! returns either the scenario or a [`DecodeError`] that says what was wrong; it never
//! panics and never allocates more than the input could describe.
//!
//! Links written before topic operations existed used two topic-specific actions
//! (a client request with a value, and an operation with one code and one argument);
//! they still decode, into the generic [`Action::Operation`] with the same meaning.
//!
//! ```
//! use distlab_core::lab::scenario::Scenario;
//! use distlab_core::sim::action::{Action, TimedAction};
//! use distlab_core::sim::time::{NodeId, Time};
//!
//! let mut scenario = Scenario::new("raft", 42);
//! scenario.set_param("nodes", 5);
//! scenario.actions.push(TimedAction { at: Time::from_millis(1500), action: Action::Crash(NodeId(2)) });
//! let link = scenario.encode();
//! assert_eq!(Scenario::decode(&link).unwrap(), scenario);
//! assert!(Scenario::decode("not a scenario!").is_err());
//! ```

use crate::sim::action::{Action, RawOperation, Release, TimedAction};
use crate::sim::codec::{unzigzag, write_varint, zigzag, Reader};
use crate::sim::faults::FaultLevel;
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::trace::MessageId;

pub use crate::sim::codec::DecodeError;

/// The encoding version written by [`Scenario::encode`].
pub const ENCODING_VERSION: u8 = 1;

/// Longest slug (topic, preset, bug, parameter name) accepted.
pub const MAX_NAME_LEN: usize = 48;

/// The most arguments a topic operation carries in a link.
pub const MAX_OPERATION_ARGS: usize = 64;

/// Action tags of the encoding. 11 and 14 are only read: they are how links made
/// before topic operations wrote a client request and a data-structure operation.
mod tag {
    pub const CRASH: u8 = 0;
    pub const RESTART: u8 = 1;
    pub const PARTITION: u8 = 2;
    pub const HEAL: u8 = 3;
    pub const CUT: u8 = 4;
    pub const RESTORE: u8 = 5;
    pub const DROP_RATE: u8 = 6;
    pub const DUPLICATE_RATE: u8 = 7;
    pub const REORDER_RATE: u8 = 8;
    pub const LATENCY: u8 = 9;
    pub const CLOCK: u8 = 10;
    pub const LEGACY_CLIENT_REQUEST: u8 = 11;
    pub const TIMEOUT: u8 = 12;
    pub const CRASH_FOCUS: u8 = 13;
    pub const LEGACY_OPERATION: u8 = 14;
    pub const LINK_LATENCY: u8 = 15;
    pub const OPERATION: u8 = 16;
    pub const HOLD: u8 = 17;
    pub const RELEASE: u8 = 18;
    pub const FIRE: u8 = 19;
}

/// The operation code a legacy client request decodes to: topics that take client
/// requests give code 0 that meaning.
pub const CLIENT_REQUEST_CODE: u32 = 0;

/// Everything that fixes a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// The topic's slug, e.g. `raft`.
    pub topic: String,
    pub seed: u64,
    /// A named preset of the topic ("leader-crash"), whose actions and narration are
    /// added when the run is built.
    pub preset: Option<String>,
    /// A deliberately broken variant to switch on.
    pub bug: Option<String>,
    /// Random faults drawn from the seed.
    pub faults: FaultLevel,
    /// Topic parameters by name, sorted by name; missing ones take their default.
    pub params: Vec<(String, i64)>,
    /// The person's actions, sorted by time.
    pub actions: Vec<TimedAction>,
}

impl Scenario {
    /// A scenario with default parameters and no actions.
    pub fn new(topic: &str, seed: u64) -> Self {
        Scenario {
            topic: topic.to_string(),
            seed,
            preset: None,
            bug: None,
            faults: FaultLevel::None,
            params: Vec::new(),
            actions: Vec::new(),
        }
    }

    pub fn param(&self, name: &str) -> Option<i64> {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .map(|&(_, value)| value)
    }

    pub fn set_param(&mut self, name: &str, value: i64) {
        match self
            .params
            .binary_search_by(|(key, _)| key.as_str().cmp(name))
        {
            Ok(at) => self.params[at].1 = value,
            Err(at) => self.params.insert(at, (name.to_string(), value)),
        }
    }

    /// Adds a person's action, keeping the list sorted by time (stable for ties).
    pub fn push_action(&mut self, at: Time, action: Action) {
        let position = self.actions.partition_point(|existing| existing.at <= at);
        self.actions.insert(position, TimedAction { at, action });
    }

    /// The compact, URL-safe form.
    pub fn encode(&self) -> String {
        let mut out = Vec::with_capacity(32 + self.actions.len() * 4);
        out.push(ENCODING_VERSION);
        write_name(&mut out, &self.topic);
        write_varint(&mut out, self.seed);
        write_name(&mut out, self.preset.as_deref().unwrap_or(""));
        write_name(&mut out, self.bug.as_deref().unwrap_or(""));
        out.push(self.faults as u8);
        write_varint(&mut out, self.params.len() as u64);
        for (name, value) in &self.params {
            write_name(&mut out, name);
            write_varint(&mut out, zigzag(*value));
        }
        let mut actions = self.actions.clone();
        crate::sort::sort_stably_by(&mut actions, |a| a.at.as_micros());
        write_varint(&mut out, actions.len() as u64);
        let mut previous = Time::ZERO;
        for timed in &actions {
            write_varint(&mut out, timed.at.since(previous).as_micros());
            previous = timed.at;
            write_action(&mut out, &timed.action);
        }
        base64url_encode(&out)
    }

    /// Parses what [`Scenario::encode`] wrote. Any other input gives an error.
    pub fn decode(text: &str) -> Result<Scenario, DecodeError> {
        let bytes = base64url_decode(text.trim())?;
        let mut reader = Reader::new(&bytes);
        let version = reader.byte()?;
        if version != ENCODING_VERSION {
            return Err(DecodeError::UnsupportedVersion(version));
        }
        let topic = read_name(&mut reader)?;
        if topic.is_empty() {
            return Err(DecodeError::BadName);
        }
        let seed = reader.varint()?;
        let preset = Some(read_name(&mut reader)?).filter(|s| !s.is_empty());
        let bug = Some(read_name(&mut reader)?).filter(|s| !s.is_empty());
        let faults = match reader.byte()? {
            0 => FaultLevel::None,
            1 => FaultLevel::Light,
            2 => FaultLevel::Heavy,
            3 => FaultLevel::Crashes,
            other => return Err(DecodeError::BadValue("fault level", other as u64)),
        };
        let param_count = reader.count(2)?;
        let mut scenario = Scenario {
            topic,
            seed,
            preset,
            bug,
            faults,
            params: Vec::with_capacity(param_count),
            actions: Vec::new(),
        };
        for _ in 0..param_count {
            let name = read_name(&mut reader)?;
            let value = unzigzag(reader.varint()?);
            scenario.set_param(&name, value);
        }
        let action_count = reader.count(2)?;
        scenario.actions.reserve(action_count);
        let mut at = Time::ZERO;
        for _ in 0..action_count {
            let delta = reader.varint()?;
            at = Time(
                at.as_micros()
                    .checked_add(delta)
                    .ok_or(DecodeError::BadValue("action time", delta))?,
            );
            let action = read_action(&mut reader)?;
            scenario.actions.push(TimedAction { at, action });
        }
        reader.finish()?;
        Ok(scenario)
    }
}

/// Whether `name` is a slug: 1 to [`MAX_NAME_LEN`] of `a-z`, `0-9`, `-`, `_`.
pub fn is_slug(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

fn write_name(out: &mut Vec<u8>, name: &str) {
    // Names that are not slugs would not decode; writing them empty keeps `encode`
    // total, and `decode` of the result is still a valid scenario.
    let name = if name.is_empty() || is_slug(name) {
        name
    } else {
        ""
    };
    write_varint(out, name.len() as u64);
    out.extend_from_slice(name.as_bytes());
}

fn write_node(out: &mut Vec<u8>, node: NodeId) {
    write_varint(out, node.0 as u64);
}

fn write_action(out: &mut Vec<u8>, action: &Action) {
    match action {
        Action::Crash(node) => {
            out.push(tag::CRASH);
            write_node(out, *node);
        }
        Action::Restart(node) => {
            out.push(tag::RESTART);
            write_node(out, *node);
        }
        Action::Partition(groups) => {
            out.push(tag::PARTITION);
            write_varint(out, groups.len() as u64);
            for &group in groups {
                write_varint(out, group as u64);
            }
        }
        Action::Heal => out.push(tag::HEAL),
        Action::Cut { from, to } => {
            out.push(tag::CUT);
            write_node(out, *from);
            write_node(out, *to);
        }
        Action::Restore { from, to } => {
            out.push(tag::RESTORE);
            write_node(out, *from);
            write_node(out, *to);
        }
        Action::SetDropRate(ppm) => {
            out.push(tag::DROP_RATE);
            write_varint(out, *ppm as u64);
        }
        Action::SetDuplicateRate(ppm) => {
            out.push(tag::DUPLICATE_RATE);
            write_varint(out, *ppm as u64);
        }
        Action::SetReorderRate(ppm) => {
            out.push(tag::REORDER_RATE);
            write_varint(out, *ppm as u64);
        }
        Action::SetLatency { min, max } => {
            out.push(tag::LATENCY);
            write_varint(out, min.as_micros());
            write_varint(out, max.as_micros());
        }
        Action::SetClock {
            node,
            offset_us,
            drift_ppm,
        } => {
            out.push(tag::CLOCK);
            write_node(out, *node);
            write_varint(out, zigzag(*offset_us));
            write_varint(out, zigzag(*drift_ppm as i64));
        }
        Action::Timeout(node) => {
            out.push(tag::TIMEOUT);
            write_node(out, *node);
        }
        Action::CrashFocus { downtime } => {
            out.push(tag::CRASH_FOCUS);
            write_varint(out, downtime.as_micros());
        }
        Action::SetLinkLatency { from, to, min, max } => {
            out.push(tag::LINK_LATENCY);
            write_node(out, *from);
            write_node(out, *to);
            write_varint(out, min.as_micros());
            write_varint(out, max.as_micros());
        }
        Action::Operation { node, operation } => {
            out.push(tag::OPERATION);
            write_varint(out, node.map_or(0, |n| n.0 as u64 + 1));
            write_varint(out, operation.code as u64);
            let args = &operation.args[..operation.args.len().min(MAX_OPERATION_ARGS)];
            write_varint(out, args.len() as u64);
            for &arg in args {
                write_varint(out, arg);
            }
        }
        Action::Hold => out.push(tag::HOLD),
        Action::Release { message, fate } => {
            out.push(tag::RELEASE);
            write_varint(out, *message as u64);
            out.push(*fate as u8);
        }
        Action::Fire { node, slot } => {
            out.push(tag::FIRE);
            write_node(out, *node);
            write_varint(out, *slot as u64);
        }
    }
}

/// Largest node id a scenario may name; protects against absurd allocations.
const MAX_NODE_ID: u64 = 1 << 16;

fn read_name(reader: &mut Reader) -> Result<String, DecodeError> {
    let len = reader.varint()?;
    if len > MAX_NAME_LEN as u64 {
        return Err(DecodeError::BadName);
    }
    let raw = reader.bytes(len as usize)?;
    let name = std::str::from_utf8(raw).map_err(|_| DecodeError::BadName)?;
    if !name.is_empty() && !is_slug(name) {
        return Err(DecodeError::BadName);
    }
    Ok(name.to_string())
}

fn read_node(reader: &mut Reader) -> Result<NodeId, DecodeError> {
    let id = reader.varint()?;
    if id >= MAX_NODE_ID {
        return Err(DecodeError::BadValue("node id", id));
    }
    Ok(NodeId(id as u32))
}

/// An optional node written as `id + 1`, with 0 for none.
fn read_target(reader: &mut Reader) -> Result<Option<NodeId>, DecodeError> {
    let target = reader.varint()?;
    if target > MAX_NODE_ID {
        return Err(DecodeError::BadValue("node id", target));
    }
    Ok(target.checked_sub(1).map(|id| NodeId(id as u32)))
}

fn read_ppm(reader: &mut Reader) -> Result<u32, DecodeError> {
    let ppm = reader.varint()?;
    if ppm > crate::sim::rng::PPM as u64 {
        return Err(DecodeError::BadValue("rate", ppm));
    }
    Ok(ppm as u32)
}

fn read_code(reader: &mut Reader) -> Result<u32, DecodeError> {
    let code = reader.varint()?;
    u32::try_from(code).map_err(|_| DecodeError::BadValue("operation", code))
}

fn read_latency(reader: &mut Reader) -> Result<(Duration, Duration), DecodeError> {
    let min = reader.varint()?;
    let max = reader.varint()?;
    if min > max {
        return Err(DecodeError::BadValue("latency", min));
    }
    Ok((Duration(min), Duration(max)))
}

fn read_action(reader: &mut Reader) -> Result<Action, DecodeError> {
    Ok(match reader.byte()? {
        tag::CRASH => Action::Crash(read_node(reader)?),
        tag::RESTART => Action::Restart(read_node(reader)?),
        tag::PARTITION => {
            let count = reader.count(1)?;
            if count as u64 > MAX_NODE_ID {
                return Err(DecodeError::BadValue("partition size", count as u64));
            }
            let mut groups = Vec::with_capacity(count);
            for _ in 0..count {
                let group = reader.varint()?;
                if group >= MAX_NODE_ID {
                    return Err(DecodeError::BadValue("partition group", group));
                }
                groups.push(group as u32);
            }
            Action::Partition(groups)
        }
        tag::HEAL => Action::Heal,
        tag::CUT => Action::Cut {
            from: read_node(reader)?,
            to: read_node(reader)?,
        },
        tag::RESTORE => Action::Restore {
            from: read_node(reader)?,
            to: read_node(reader)?,
        },
        tag::DROP_RATE => Action::SetDropRate(read_ppm(reader)?),
        tag::DUPLICATE_RATE => Action::SetDuplicateRate(read_ppm(reader)?),
        tag::REORDER_RATE => Action::SetReorderRate(read_ppm(reader)?),
        tag::LATENCY => {
            let (min, max) = read_latency(reader)?;
            Action::SetLatency { min, max }
        }
        tag::CLOCK => {
            let node = read_node(reader)?;
            let offset_us = unzigzag(reader.varint()?);
            let drift = unzigzag(reader.varint()?);
            let drift_ppm = i32::try_from(drift)
                .ok()
                .filter(|d| d.abs() < 500_000)
                .ok_or(DecodeError::BadValue("clock drift", drift.unsigned_abs()))?;
            Action::SetClock {
                node,
                offset_us,
                drift_ppm,
            }
        }
        tag::LEGACY_CLIENT_REQUEST => {
            let node = read_target(reader)?;
            let value = reader.varint()?;
            Action::Operation {
                node,
                operation: RawOperation::new(CLIENT_REQUEST_CODE, &[value]),
            }
        }
        tag::TIMEOUT => Action::Timeout(read_node(reader)?),
        tag::CRASH_FOCUS => Action::CrashFocus {
            downtime: Duration(reader.varint()?),
        },
        tag::LEGACY_OPERATION => {
            let code = read_code(reader)?;
            let arg = reader.varint()?;
            Action::Operation {
                node: None,
                operation: RawOperation::new(code, &[arg]),
            }
        }
        tag::LINK_LATENCY => {
            let from = read_node(reader)?;
            let to = read_node(reader)?;
            let (min, max) = read_latency(reader)?;
            Action::SetLinkLatency { from, to, min, max }
        }
        tag::OPERATION => {
            let node = read_target(reader)?;
            let code = read_code(reader)?;
            let count = reader.count(1)?;
            if count > MAX_OPERATION_ARGS {
                return Err(DecodeError::BadValue("operation arguments", count as u64));
            }
            let args = (0..count)
                .map(|_| reader.varint())
                .collect::<Result<Vec<u64>, _>>()?;
            Action::Operation {
                node,
                operation: RawOperation { code, args },
            }
        }
        tag::HOLD => Action::Hold,
        tag::RELEASE => {
            let message = reader.varint()?;
            let message = MessageId::try_from(message)
                .map_err(|_| DecodeError::BadValue("message", message))?;
            let fate = match reader.byte()? {
                0 => Release::Deliver,
                1 => Release::Duplicate,
                2 => Release::Lose,
                other => return Err(DecodeError::BadValue("release", other as u64)),
            };
            Action::Release { message, fate }
        }
        tag::FIRE => {
            let node = read_node(reader)?;
            let slot = reader.varint()?;
            let slot = u32::try_from(slot).map_err(|_| DecodeError::BadValue("timer", slot))?;
            Action::Fire { node, slot }
        }
        other => return Err(DecodeError::UnknownAction(other)),
    })
}

const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn base64url_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = ((b[0] as u32) << 16) | ((b[1] as u32) << 8) | b[2] as u32;
        let chars = chunk.len() + 1;
        for i in 0..chars {
            let index = (n >> (18 - 6 * i)) & 0x3f;
            out.push(BASE64URL[index as usize] as char);
        }
    }
    out
}

fn base64url_decode(text: &str) -> Result<Vec<u8>, DecodeError> {
    if text.is_empty() {
        return Err(DecodeError::Empty);
    }
    let mut values = Vec::with_capacity(text.len());
    for (i, byte) in text.bytes().enumerate() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return Err(DecodeError::BadCharacter(i)),
        };
        values.push(value);
    }
    if values.len() % 4 == 1 {
        return Err(DecodeError::Truncated);
    }
    let mut out = Vec::with_capacity(values.len() * 3 / 4);
    for chunk in values.chunks(4) {
        let mut n = 0u32;
        for (i, &v) in chunk.iter().enumerate() {
            n |= (v as u32) << (18 - 6 * i);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..chunk.len() - 1]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> Scenario {
        let mut s = Scenario::new("raft", 0xDEAD_BEEF_1234);
        s.preset = Some("figure-8".into());
        s.bug = Some("commit-old-term".into());
        s.faults = FaultLevel::Heavy;
        s.set_param("nodes", 5);
        s.set_param("rate", -3);
        let actions = [
            Action::Crash(NodeId(1)),
            Action::Restart(NodeId(1)),
            Action::Partition(vec![0, 0, 1, 1, 1]),
            Action::Heal,
            Action::Cut {
                from: NodeId(0),
                to: NodeId(4),
            },
            Action::Restore {
                from: NodeId(0),
                to: NodeId(4),
            },
            Action::SetDropRate(125_000),
            Action::SetDuplicateRate(1),
            Action::SetReorderRate(1_000_000),
            Action::SetLatency {
                min: Duration(5),
                max: Duration(90_000),
            },
            Action::SetClock {
                node: NodeId(3),
                offset_us: -2_000_000,
                drift_ppm: -50_000,
            },
            Action::Operation {
                node: None,
                operation: RawOperation::new(7, &[]),
            },
            Action::Operation {
                node: Some(NodeId(0)),
                operation: RawOperation::new(u32::MAX, &[u64::MAX, 0, 3]),
            },
            Action::Timeout(NodeId(2)),
            Action::CrashFocus {
                downtime: Duration(1_500),
            },
            Action::Hold,
            Action::Release {
                message: 0,
                fate: Release::Deliver,
            },
            Action::Release {
                message: MessageId::MAX,
                fate: Release::Duplicate,
            },
            Action::Release {
                message: 7,
                fate: Release::Lose,
            },
            Action::Fire {
                node: NodeId(2),
                slot: 1,
            },
            Action::SetLinkLatency {
                from: NodeId(1),
                to: NodeId(2),
                min: Duration(100),
                max: Duration(250_000),
            },
        ];
        for (i, action) in actions.into_iter().enumerate() {
            s.push_action(Time(1_000 * i as u64 * i as u64), action);
        }
        s
    }

    #[test]
    fn every_action_round_trips() {
        let s = sample();
        let text = s.encode();
        assert!(text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(Scenario::decode(&text), Ok(s));
    }

    #[test]
    fn minimal_scenario_is_short() {
        let s = Scenario::new("raft", 42);
        let text = s.encode();
        assert!(text.len() <= 16, "{text}");
        assert_eq!(Scenario::decode(&text).unwrap(), s);
    }

    #[test]
    fn errors_are_specific() {
        assert_eq!(Scenario::decode(""), Err(DecodeError::Empty));
        assert_eq!(Scenario::decode("ab!c"), Err(DecodeError::BadCharacter(2)));
        assert_eq!(
            Scenario::decode("Ag"),
            Err(DecodeError::UnsupportedVersion(2))
        );
        let text = sample().encode();
        assert_eq!(
            Scenario::decode(&text[..text.len() - 4]),
            Err(DecodeError::Truncated)
        );
        let mut with_extra = base64url_decode(&text).unwrap();
        with_extra.push(0);
        assert_eq!(
            Scenario::decode(&base64url_encode(&with_extra)),
            Err(DecodeError::TrailingBytes(1))
        );
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let text = sample().encode();
        for end in 0..text.len() {
            assert!(Scenario::decode(&text[..end]).is_err(), "prefix {end}");
        }
    }

    #[test]
    fn push_action_keeps_time_order_and_ties_stable() {
        let mut s = Scenario::new("raft", 1);
        s.push_action(Time(10), Action::Heal);
        s.push_action(Time(5), Action::Crash(NodeId(0)));
        s.push_action(Time(10), Action::Timeout(NodeId(1)));
        let got: Vec<_> = s
            .actions
            .iter()
            .map(|a| (a.at.0, a.action.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                (5, Action::Crash(NodeId(0))),
                (10, Action::Heal),
                (10, Action::Timeout(NodeId(1)))
            ]
        );
    }

    #[test]
    fn legacy_client_requests_and_operations_decode_as_operations() {
        // Version 1 as written before topic operations: topic "t", seed 0, then a
        // client request of 9 to n2 (tag 11) and an operation 4(12) (tag 14).
        let mut bytes = vec![ENCODING_VERSION, 1, b't', 0, 0, 0, 0, 0, 2];
        bytes.extend_from_slice(&[0, tag::LEGACY_CLIENT_REQUEST, 3, 9]);
        bytes.extend_from_slice(&[5, tag::LEGACY_OPERATION, 4, 12]);
        let scenario = Scenario::decode(&base64url_encode(&bytes)).unwrap();
        let actions: Vec<_> = scenario.actions.iter().map(|a| a.action.clone()).collect();
        assert_eq!(
            actions,
            vec![
                Action::Operation {
                    node: Some(NodeId(2)),
                    operation: RawOperation::new(CLIENT_REQUEST_CODE, &[9]),
                },
                Action::Operation {
                    node: None,
                    operation: RawOperation::new(4, &[12]),
                },
            ]
        );
    }

    #[test]
    fn forged_operation_argument_counts_are_refused() {
        let mut bytes = vec![ENCODING_VERSION, 1, b't', 0, 0, 0, 0, 0, 1];
        bytes.extend_from_slice(&[0, tag::OPERATION, 0, 1, 65]);
        bytes.extend(std::iter::repeat_n(0, 65));
        assert_eq!(
            Scenario::decode(&base64url_encode(&bytes)),
            Err(DecodeError::BadValue("operation arguments", 65))
        );
    }

    proptest! {
        #[test]
        fn decode_never_panics_on_arbitrary_text(text in ".{0,200}") {
            let _ = Scenario::decode(&text);
        }

        #[test]
        fn decode_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = Scenario::decode(&base64url_encode(&bytes));
        }

        #[test]
        fn seeds_and_params_round_trip(seed in any::<u64>(), value in any::<i64>(), times in proptest::collection::vec(0u64..u64::MAX / 4, 0..20)) {
            let mut s = Scenario::new("raft", seed);
            s.set_param("x", value);
            for (i, t) in times.iter().enumerate() {
                s.push_action(Time(*t), Action::Operation { node: None, operation: RawOperation::new(0, &[i as u64]) });
            }
            prop_assert_eq!(Scenario::decode(&s.encode()), Ok(s));
        }

        #[test]
        fn base64_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
            if !bytes.is_empty() {
                prop_assert_eq!(base64url_decode(&base64url_encode(&bytes)), Ok(bytes));
            }
        }
    }
}
