//! A scenario: everything needed to reproduce a run exactly.
//!
//! `Scenario { topic, seed, preset, bug, faults, params, actions }` is at once the
//! share link, the replay, the test case and the command line's input. The seed fixes
//! every random choice; the preset and the fault level expand into timed actions when
//! the run is built; `actions` are the person's own (crash, partition, client
//! request, ...), each at a virtual time.
//!
//! # Encoding
//! [`Scenario::encode`] gives a compact, URL-safe string: a version byte followed by
//! varint fields, in unpadded base64url. [`Scenario::decode`] accepts any string and
//! returns either the scenario or a [`DecodeError`] that says what was wrong; it never
//! panics and never allocates more than the input could describe.
//!
//! ```
//! use distlab_core::scenario::{Action, Scenario, TimedAction};
//! use distlab_core::sim::time::{NodeId, Time};
//!
//! let mut scenario = Scenario::new("raft", 42);
//! scenario.set_param("nodes", 5);
//! scenario.actions.push(TimedAction { at: Time::from_millis(1500), action: Action::Crash(NodeId(2)) });
//! let link = scenario.encode();
//! assert_eq!(Scenario::decode(&link).unwrap(), scenario);
//! assert!(Scenario::decode("not a scenario!").is_err());
//! ```

use std::fmt;

use crate::sim::time::{Duration, NodeId, Time};

/// The encoding version written by [`Scenario::encode`].
pub const ENCODING_VERSION: u8 = 1;

/// Longest slug (topic, preset, bug, parameter name) accepted.
pub const MAX_NAME_LEN: usize = 48;

/// How many random faults a run draws from its seed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum FaultLevel {
    #[default]
    None,
    Light,
    Heavy,
}

impl FaultLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            FaultLevel::None => "none",
            FaultLevel::Light => "light",
            FaultLevel::Heavy => "heavy",
        }
    }

    pub fn parse(text: &str) -> Option<FaultLevel> {
        match text {
            "none" => Some(FaultLevel::None),
            "light" => Some(FaultLevel::Light),
            "heavy" => Some(FaultLevel::Heavy),
            _ => None,
        }
    }
}

/// Something a person (or a preset, or the fault plan) does to a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// The node stops; its volatile state is lost.
    Crash(NodeId),
    /// The node comes back from its durable state.
    Restart(NodeId),
    /// `groups[i]` is node i's side; only nodes on the same side can talk.
    Partition(Vec<u32>),
    /// Removes the partition and every cut link.
    Heal,
    /// Messages from `from` to `to` are lost (one way).
    Cut {
        from: NodeId,
        to: NodeId,
    },
    /// Undoes a [`Action::Cut`].
    Restore {
        from: NodeId,
        to: NodeId,
    },
    /// Probability of losing each message, in parts per million.
    SetDropRate(u32),
    SetDuplicateRate(u32),
    SetReorderRate(u32),
    SetLatency {
        min: Duration,
        max: Duration,
    },
    /// The one-way link `from -> to` gets its own latency range (a slow link).
    SetLinkLatency {
        from: NodeId,
        to: NodeId,
        min: Duration,
        max: Duration,
    },
    /// The node's clock runs `offset_us` ahead and drifts `drift_ppm` per million.
    SetClock {
        node: NodeId,
        offset_us: i64,
        drift_ppm: i32,
    },
    /// A client request carrying `value`; `node: None` lets the topic route it (to
    /// the leader, say).
    ClientRequest {
        node: Option<NodeId>,
        value: u64,
    },
    /// The node acts now as if its main timeout fired.
    Timeout(NodeId),
    /// Crashes the node that unaddressed client requests would go to right now
    /// (Raft: the leader), then restarts it `downtime` later. Resolved when it runs,
    /// so a plan can target leaders without knowing who they will be.
    CrashLeader {
        downtime: Duration,
    },
    /// A topic-specific operation on a data structure (insert an item, add a ring
    /// node, edit a leaf, ...): the topic defines what `code` means.
    Operation {
        code: u32,
        arg: u64,
    },
}

impl Action {
    /// The node this action targets, if it targets one.
    pub fn node(&self) -> Option<NodeId> {
        match self {
            Action::Crash(node)
            | Action::Restart(node)
            | Action::Timeout(node)
            | Action::SetClock { node, .. } => Some(*node),
            Action::ClientRequest { node, .. } => *node,
            _ => None,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Crash(node) => write!(f, "crash {node}"),
            Action::Restart(node) => write!(f, "restart {node}"),
            Action::Partition(groups) => {
                write!(f, "partition")?;
                let sides = groups.iter().copied().max().unwrap_or(0);
                for side in 0..=sides {
                    let members: Vec<String> = groups
                        .iter()
                        .enumerate()
                        .filter(|(_, &g)| g == side)
                        .map(|(i, _)| format!("n{i}"))
                        .collect();
                    if !members.is_empty() {
                        write!(f, " {{{}}}", members.join(","))?;
                    }
                }
                Ok(())
            }
            Action::Heal => write!(f, "heal the network"),
            Action::Cut { from, to } => write!(f, "cut {from} -> {to}"),
            Action::Restore { from, to } => write!(f, "restore {from} -> {to}"),
            Action::SetDropRate(ppm) => write!(f, "drop rate {}%", Percent(*ppm)),
            Action::SetDuplicateRate(ppm) => write!(f, "duplicate rate {}%", Percent(*ppm)),
            Action::SetReorderRate(ppm) => write!(f, "reorder rate {}%", Percent(*ppm)),
            Action::SetLatency { min, max } => write!(f, "latency {min}..{max}"),
            Action::SetLinkLatency { from, to, min, max } => {
                write!(f, "latency of {from} -> {to}: {min}..{max}")
            }
            Action::SetClock {
                node,
                offset_us,
                drift_ppm,
            } => write!(
                f,
                "clock of {node}: offset {offset_us}us, drift {drift_ppm}ppm"
            ),
            Action::ClientRequest {
                node: Some(node),
                value,
            } => {
                write!(f, "client request {value} to {node}")
            }
            Action::ClientRequest { node: None, value } => write!(f, "client request {value}"),
            Action::Timeout(node) => write!(f, "force timeout on {node}"),
            Action::CrashLeader { downtime } => write!(f, "crash the leader for {downtime}"),
            Action::Operation { code, arg } => write!(f, "operation {code}({arg})"),
        }
    }
}

/// Parts per million shown as a percentage with up to two decimals.
struct Percent(u32);

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hundredths = self.0 / 100;
        if hundredths.is_multiple_of(100) {
            write!(f, "{}", hundredths / 100)
        } else {
            write!(f, "{}.{:02}", hundredths / 100, hundredths % 100)
        }
    }
}

/// An action at a virtual time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimedAction {
    pub at: Time,
    pub action: Action,
}

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
        actions.sort_by_key(|a| a.at);
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
        let mut reader = Reader {
            bytes: &bytes,
            at: 0,
        };
        let version = reader.byte()?;
        if version != ENCODING_VERSION {
            return Err(DecodeError::UnsupportedVersion(version));
        }
        let topic = reader.name()?;
        if topic.is_empty() {
            return Err(DecodeError::BadName);
        }
        let seed = reader.varint()?;
        let preset = Some(reader.name()?).filter(|s| !s.is_empty());
        let bug = Some(reader.name()?).filter(|s| !s.is_empty());
        let faults = match reader.byte()? {
            0 => FaultLevel::None,
            1 => FaultLevel::Light,
            2 => FaultLevel::Heavy,
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
            let name = reader.name()?;
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
            let action = reader.action()?;
            scenario.actions.push(TimedAction { at, action });
        }
        if reader.at != bytes.len() {
            return Err(DecodeError::TrailingBytes(bytes.len() - reader.at));
        }
        Ok(scenario)
    }
}

/// Why a scenario string could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    Empty,
    /// A character outside the base64url alphabet, at this position.
    BadCharacter(usize),
    UnsupportedVersion(u8),
    /// The data ends in the middle of a field.
    Truncated,
    /// A name (topic, preset, bug, parameter) that is too long or not a slug.
    BadName,
    /// A field with a value out of its range.
    BadValue(&'static str, u64),
    UnknownAction(u8),
    TrailingBytes(usize),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Empty => write!(f, "the scenario is empty"),
            DecodeError::BadCharacter(at) => {
                write!(
                    f,
                    "character {at} is not part of a scenario link (base64url)"
                )
            }
            DecodeError::UnsupportedVersion(v) => {
                write!(f, "scenario format version {v} is not supported (this build reads version {ENCODING_VERSION})")
            }
            DecodeError::Truncated => write!(f, "the scenario is cut short"),
            DecodeError::BadName => write!(f, "the scenario contains an invalid name"),
            DecodeError::BadValue(what, value) => write!(f, "invalid {what}: {value}"),
            DecodeError::UnknownAction(tag) => write!(f, "unknown action type {tag}"),
            DecodeError::TrailingBytes(n) => {
                write!(f, "{n} unexpected bytes after the end of the scenario")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

/// Whether `name` is a slug: 1 to [`MAX_NAME_LEN`] of `a-z`, `0-9`, `-`, `_`.
pub fn is_slug(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

fn unzigzag(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}

fn write_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
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
            out.push(0);
            write_node(out, *node);
        }
        Action::Restart(node) => {
            out.push(1);
            write_node(out, *node);
        }
        Action::Partition(groups) => {
            out.push(2);
            write_varint(out, groups.len() as u64);
            for &group in groups {
                write_varint(out, group as u64);
            }
        }
        Action::Heal => out.push(3),
        Action::Cut { from, to } => {
            out.push(4);
            write_node(out, *from);
            write_node(out, *to);
        }
        Action::Restore { from, to } => {
            out.push(5);
            write_node(out, *from);
            write_node(out, *to);
        }
        Action::SetDropRate(ppm) => {
            out.push(6);
            write_varint(out, *ppm as u64);
        }
        Action::SetDuplicateRate(ppm) => {
            out.push(7);
            write_varint(out, *ppm as u64);
        }
        Action::SetReorderRate(ppm) => {
            out.push(8);
            write_varint(out, *ppm as u64);
        }
        Action::SetLatency { min, max } => {
            out.push(9);
            write_varint(out, min.as_micros());
            write_varint(out, max.as_micros());
        }
        Action::SetClock {
            node,
            offset_us,
            drift_ppm,
        } => {
            out.push(10);
            write_node(out, *node);
            write_varint(out, zigzag(*offset_us));
            write_varint(out, zigzag(*drift_ppm as i64));
        }
        Action::ClientRequest { node, value } => {
            out.push(11);
            write_varint(out, node.map_or(0, |n| n.0 as u64 + 1));
            write_varint(out, *value);
        }
        Action::Timeout(node) => {
            out.push(12);
            write_node(out, *node);
        }
        Action::CrashLeader { downtime } => {
            out.push(13);
            write_varint(out, downtime.as_micros());
        }
        Action::SetLinkLatency { from, to, min, max } => {
            out.push(15);
            write_node(out, *from);
            write_node(out, *to);
            write_varint(out, min.as_micros());
            write_varint(out, max.as_micros());
        }
        Action::Operation { code, arg } => {
            out.push(14);
            write_varint(out, *code as u64);
            write_varint(out, *arg);
        }
    }
}

/// Largest node id a scenario may name; protects against absurd allocations.
const MAX_NODE_ID: u64 = 1 << 16;

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, DecodeError> {
        let byte = *self.bytes.get(self.at).ok_or(DecodeError::Truncated)?;
        self.at += 1;
        Ok(byte)
    }

    fn varint(&mut self) -> Result<u64, DecodeError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            let bits = (byte & 0x7f) as u64;
            if shift == 63 && bits > 1 {
                return Err(DecodeError::BadValue("varint", bits));
            }
            value |= bits << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(DecodeError::BadValue("varint", value))
    }

    /// A count of items each taking at least `min_bytes`, bounded by what is left.
    fn count(&mut self, min_bytes: usize) -> Result<usize, DecodeError> {
        let count = self.varint()?;
        let left = (self.bytes.len() - self.at) as u64;
        if count.saturating_mul(min_bytes as u64) > left + min_bytes as u64 {
            return Err(DecodeError::Truncated);
        }
        Ok(count as usize)
    }

    fn name(&mut self) -> Result<String, DecodeError> {
        let len = self.varint()?;
        if len > MAX_NAME_LEN as u64 {
            return Err(DecodeError::BadName);
        }
        let end = self.at + len as usize;
        let raw = self.bytes.get(self.at..end).ok_or(DecodeError::Truncated)?;
        self.at = end;
        let name = std::str::from_utf8(raw).map_err(|_| DecodeError::BadName)?;
        if !name.is_empty() && !is_slug(name) {
            return Err(DecodeError::BadName);
        }
        Ok(name.to_string())
    }

    fn node(&mut self) -> Result<NodeId, DecodeError> {
        let id = self.varint()?;
        if id >= MAX_NODE_ID {
            return Err(DecodeError::BadValue("node id", id));
        }
        Ok(NodeId(id as u32))
    }

    fn ppm(&mut self) -> Result<u32, DecodeError> {
        let ppm = self.varint()?;
        if ppm > crate::sim::rng::PPM as u64 {
            return Err(DecodeError::BadValue("rate", ppm));
        }
        Ok(ppm as u32)
    }

    fn action(&mut self) -> Result<Action, DecodeError> {
        Ok(match self.byte()? {
            0 => Action::Crash(self.node()?),
            1 => Action::Restart(self.node()?),
            2 => {
                let count = self.count(1)?;
                if count as u64 > MAX_NODE_ID {
                    return Err(DecodeError::BadValue("partition size", count as u64));
                }
                let mut groups = Vec::with_capacity(count);
                for _ in 0..count {
                    let group = self.varint()?;
                    if group >= MAX_NODE_ID {
                        return Err(DecodeError::BadValue("partition group", group));
                    }
                    groups.push(group as u32);
                }
                Action::Partition(groups)
            }
            3 => Action::Heal,
            4 => Action::Cut {
                from: self.node()?,
                to: self.node()?,
            },
            5 => Action::Restore {
                from: self.node()?,
                to: self.node()?,
            },
            6 => Action::SetDropRate(self.ppm()?),
            7 => Action::SetDuplicateRate(self.ppm()?),
            8 => Action::SetReorderRate(self.ppm()?),
            9 => {
                let min = self.varint()?;
                let max = self.varint()?;
                if min > max {
                    return Err(DecodeError::BadValue("latency", min));
                }
                Action::SetLatency {
                    min: Duration(min),
                    max: Duration(max),
                }
            }
            10 => {
                let node = self.node()?;
                let offset_us = unzigzag(self.varint()?);
                let drift = unzigzag(self.varint()?);
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
            11 => {
                let target = self.varint()?;
                if target > MAX_NODE_ID {
                    return Err(DecodeError::BadValue("node id", target));
                }
                let node = target.checked_sub(1).map(|id| NodeId(id as u32));
                Action::ClientRequest {
                    node,
                    value: self.varint()?,
                }
            }
            12 => Action::Timeout(self.node()?),
            13 => Action::CrashLeader {
                downtime: Duration(self.varint()?),
            },
            14 => {
                let code = self.varint()?;
                let code =
                    u32::try_from(code).map_err(|_| DecodeError::BadValue("operation", code))?;
                Action::Operation {
                    code,
                    arg: self.varint()?,
                }
            }
            15 => {
                let from = self.node()?;
                let to = self.node()?;
                let min = self.varint()?;
                let max = self.varint()?;
                if min > max {
                    return Err(DecodeError::BadValue("latency", min));
                }
                Action::SetLinkLatency {
                    from,
                    to,
                    min: Duration(min),
                    max: Duration(max),
                }
            }
            tag => return Err(DecodeError::UnknownAction(tag)),
        })
    }
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
            Action::ClientRequest {
                node: None,
                value: 7,
            },
            Action::ClientRequest {
                node: Some(NodeId(0)),
                value: u64::MAX,
            },
            Action::Timeout(NodeId(2)),
            Action::CrashLeader {
                downtime: Duration(1_500),
            },
            Action::Operation {
                code: 3,
                arg: u64::MAX,
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
    fn action_descriptions_read_well() {
        assert_eq!(
            Action::Partition(vec![0, 1, 0, 1]).to_string(),
            "partition {n0,n2} {n1,n3}"
        );
        assert_eq!(Action::SetDropRate(125_000).to_string(), "drop rate 12.50%");
        assert_eq!(Action::SetDropRate(100_000).to_string(), "drop rate 10%");
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
                s.push_action(Time(*t), Action::ClientRequest { node: None, value: i as u64 });
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
