//! W3C Trace Context (W3C Recommendation, 23 November 2021), Level 1: the
//! `traceparent` and `tracestate` HTTP headers, parsed and printed exactly as
//! the specification's grammar says (sections 3.2 and 3.3).
//!
//! `traceparent` is `version "-" trace-id "-" parent-id "-" trace-flags`, all
//! lowercase hex: version 2 digits (`ff` is forbidden), trace-id 32 digits
//! not all zero, parent-id 16 digits not all zero, flags 2 digits whose bit
//! 0x01 is `sampled`. Version `00` is exactly 55 characters long. A later
//! version may append fields: a receiver that knows only `00` parses the
//! first four fields, requires a `-` after them if anything follows, and
//! ignores the rest (section 3.2.4, "Versioning of traceparent").
//!
//! `tracestate` is a list of at most 32 `key=value` members separated by
//! commas with optional spaces and tabs around them; each vendor owns its key,
//! and a vendor that updates its member moves it to the front (section
//! 3.3.1.3), so the list reads newest first.
//!
//! Nothing here allocates more than the parsed values need and nothing
//! panics on input: a bad header is an [`Invalid`] value saying which rule it
//! broke, and the caller drops it (and, for `traceparent`, starts a new trace,
//! as section 3.2 requires).

use std::fmt;
use std::str::FromStr;

/// The `sampled` bit of `trace-flags` (section 3.2.2.5).
pub const SAMPLED: u8 = 0x01;

/// The one version this library writes.
pub const VERSION: u8 = 0x00;

/// The length of a version-00 `traceparent`.
pub const VERSION_00_LENGTH: usize = 55;

/// The most members a `tracestate` may hold (section 3.3.1.1).
pub const MAX_MEMBERS: usize = 32;

/// Which rule of the specification a header broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Invalid {
    /// A `traceparent` shorter than 55 characters, or a version-00 one of
    /// any other length.
    Length { found: usize },
    /// A `-` missing between fields (or after the four fields of a later
    /// version that carries more).
    Delimiter { at: usize },
    /// A field holding something other than lowercase hex digits (uppercase
    /// is not allowed either).
    NotLowercaseHex { field: &'static str },
    /// Version `ff`, which the specification forbids.
    ForbiddenVersion,
    /// A trace-id of 32 zeros.
    ZeroTraceId,
    /// A parent-id of 16 zeros.
    ZeroParentId,
    /// A `tracestate` member that is not `key=value`.
    Member { index: usize },
    /// A `tracestate` key outside the key grammar.
    Key { index: usize },
    /// A `tracestate` value outside the value grammar.
    Value { index: usize },
    /// The same key twice in one `tracestate`.
    DuplicateKey { index: usize },
    /// More than 32 members.
    TooManyMembers { found: usize },
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Invalid::Length { found } => write!(
                f,
                "{found} characters: version 00 is exactly 55, a later version at least 55"
            ),
            Invalid::Delimiter { at } => write!(f, "expected '-' at character {at}"),
            Invalid::NotLowercaseHex { field } => {
                write!(f, "the {field} is not lowercase hex")
            }
            Invalid::ForbiddenVersion => write!(f, "version ff is forbidden"),
            Invalid::ZeroTraceId => write!(f, "the trace-id is all zeros"),
            Invalid::ZeroParentId => write!(f, "the parent-id is all zeros"),
            Invalid::Member { index } => write!(f, "member {index} is not key=value"),
            Invalid::Key { index } => write!(f, "member {index} has an invalid key"),
            Invalid::Value { index } => write!(f, "member {index} has an invalid value"),
            Invalid::DuplicateKey { index } => {
                write!(f, "member {index} repeats an earlier key")
            }
            Invalid::TooManyMembers { found } => {
                write!(f, "{found} members, at most 32 allowed")
            }
        }
    }
}

/// A parsed `traceparent` header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TraceParent {
    pub version: u8,
    /// 16 bytes, never zero.
    pub trace_id: u128,
    /// The id of the caller's span, 8 bytes, never zero.
    pub parent_id: u64,
    pub flags: u8,
}

impl TraceParent {
    /// A version-00 header; `None` if either id is zero.
    pub fn new(trace_id: u128, parent_id: u64, sampled: bool) -> Option<TraceParent> {
        (trace_id != 0 && parent_id != 0).then_some(TraceParent {
            version: VERSION,
            trace_id,
            parent_id,
            flags: if sampled { SAMPLED } else { 0 },
        })
    }

    pub fn sampled(&self) -> bool {
        self.flags & SAMPLED != 0
    }

    /// The header a callee of span `span` receives: same trace, same flags,
    /// `span` as the parent, written as version 00 (section 3.2.4: a
    /// participant forwards the version it understands).
    pub fn child(&self, span: u64) -> Option<TraceParent> {
        TraceParent::new(self.trace_id, span, self.sampled())
    }
}

/// Parses `digits` (already checked to be the right length) as lowercase hex.
fn lowercase_hex(digits: &str, field: &'static str) -> Result<u128, Invalid> {
    let mut value: u128 = 0;
    for byte in digits.bytes() {
        let digit = match byte {
            b'0'..=b'9' => byte - b'0',
            b'a'..=b'f' => byte - b'a' + 10,
            _ => return Err(Invalid::NotLowercaseHex { field }),
        };
        value = (value << 4) | u128::from(digit);
    }
    Ok(value)
}

impl FromStr for TraceParent {
    type Err = Invalid;

    /// Section 3.2.2 for version 00, 3.2.4 for later versions.
    fn from_str(header: &str) -> Result<TraceParent, Invalid> {
        let bytes = header.as_bytes();
        if bytes.len() < VERSION_00_LENGTH {
            return Err(Invalid::Length { found: bytes.len() });
        }
        for at in [2, 35, 52] {
            if bytes[at] != b'-' {
                return Err(Invalid::Delimiter { at });
            }
        }
        // Slicing by byte offsets is safe only on character boundaries: a
        // non-ASCII header is not hex anyway.
        if !header.is_ascii() {
            return Err(Invalid::NotLowercaseHex { field: "header" });
        }
        let version = lowercase_hex(&header[0..2], "version")? as u8;
        if version == 0xff {
            return Err(Invalid::ForbiddenVersion);
        }
        if version == VERSION && bytes.len() != VERSION_00_LENGTH {
            return Err(Invalid::Length { found: bytes.len() });
        }
        if bytes.len() > VERSION_00_LENGTH && bytes[VERSION_00_LENGTH] != b'-' {
            return Err(Invalid::Delimiter {
                at: VERSION_00_LENGTH,
            });
        }
        let trace_id = lowercase_hex(&header[3..35], "trace-id")?;
        let parent_id = lowercase_hex(&header[36..52], "parent-id")? as u64;
        let flags = lowercase_hex(&header[53..55], "trace-flags")? as u8;
        if trace_id == 0 {
            return Err(Invalid::ZeroTraceId);
        }
        if parent_id == 0 {
            return Err(Invalid::ZeroParentId);
        }
        Ok(TraceParent {
            version,
            trace_id,
            parent_id,
            flags,
        })
    }
}

impl fmt::Display for TraceParent {
    /// The four fields only: a later version's extra fields are not kept.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02x}-{:032x}-{:016x}-{:02x}",
            self.version, self.trace_id, self.parent_id, self.flags
        )
    }
}

/// A parsed `tracestate` header: members in order, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct TraceState {
    members: Vec<(String, String)>,
}

/// `lcalpha / DIGIT / "_" / "-" / "*" / "/"`: the characters after a key's
/// first.
fn key_tail(byte: u8) -> bool {
    matches!(byte, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'*' | b'/')
}

/// Section 3.3.1.3.1: `simple-key = lcalpha 0*255(key-tail)` or
/// `tenant-id "@" system-id`, the tenant starting with a letter or digit
/// (at most 241 characters) and the system with a letter (at most 14).
pub fn valid_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    match key.find('@') {
        None => {
            !bytes.is_empty()
                && bytes.len() <= 256
                && bytes[0].is_ascii_lowercase()
                && bytes[1..].iter().all(|&b| key_tail(b))
        }
        Some(at) => {
            let (tenant, system) = (&bytes[..at], &bytes[at + 1..]);
            !tenant.is_empty()
                && tenant.len() <= 241
                && (tenant[0].is_ascii_lowercase() || tenant[0].is_ascii_digit())
                && tenant[1..].iter().all(|&b| key_tail(b))
                && !system.is_empty()
                && system.len() <= 14
                && system[0].is_ascii_lowercase()
                && system[1..].iter().all(|&b| key_tail(b))
        }
    }
}

/// Section 3.3.1.3.2: `0*255(chr) nblk-chr`, where `chr` is a space or any
/// printable ASCII character but `,` and `=`, and the last is not a space.
pub fn valid_value(value: &str) -> bool {
    let bytes = value.as_bytes();
    let printable = |b: u8| (0x20..=0x7e).contains(&b) && b != b',' && b != b'=';
    !bytes.is_empty()
        && bytes.len() <= 256
        && bytes.iter().all(|&b| printable(b))
        && bytes[bytes.len() - 1] != b' '
}

impl TraceState {
    pub fn members(&self) -> &[(String, String)] {
        &self.members
    }

    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.members
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Adds or updates `key` and moves it to the front (section 3.3.1.3:
    /// "modified keys MUST be moved to the beginning"); a full list drops
    /// its last member to make room. Refuses a key or value outside the
    /// grammar.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), Invalid> {
        if !valid_key(key) {
            return Err(Invalid::Key { index: 0 });
        }
        if !valid_value(value) {
            return Err(Invalid::Value { index: 0 });
        }
        self.members.retain(|(k, _)| k != key);
        if self.members.len() == MAX_MEMBERS {
            self.members.pop();
        }
        self.members.insert(0, (key.to_string(), value.to_string()));
        Ok(())
    }

    /// Removes `key`'s member, if any.
    pub fn remove(&mut self, key: &str) -> bool {
        let before = self.members.len();
        self.members.retain(|(k, _)| k != key);
        self.members.len() != before
    }
}

impl FromStr for TraceState {
    type Err = Invalid;

    /// Section 3.3.1: empty members (`a=1,,b=2`) are allowed and skipped;
    /// spaces and tabs around members are optional whitespace.
    fn from_str(header: &str) -> Result<TraceState, Invalid> {
        let mut members: Vec<(String, String)> = Vec::new();
        for (index, member) in header.split(',').enumerate() {
            let member = member.trim_matches([' ', '\t']);
            if member.is_empty() {
                continue;
            }
            let Some((key, value)) = member.split_once('=') else {
                return Err(Invalid::Member { index });
            };
            if !valid_key(key) {
                return Err(Invalid::Key { index });
            }
            if !valid_value(value) {
                return Err(Invalid::Value { index });
            }
            if members.iter().any(|(k, _)| k == key) {
                return Err(Invalid::DuplicateKey { index });
            }
            members.push((key.to_string(), value.to_string()));
        }
        if members.len() > MAX_MEMBERS {
            return Err(Invalid::TooManyMembers {
                found: members.len(),
            });
        }
        Ok(TraceState { members })
    }
}

impl fmt::Display for TraceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (key, value)) in self.members.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{key}={value}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC_EXAMPLE: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn the_specifications_examples_parse_and_print_back() {
        let parent: TraceParent = SPEC_EXAMPLE.parse().unwrap();
        assert_eq!(parent.version, 0);
        assert_eq!(parent.trace_id, 0x4bf92f3577b34da6a3ce929d0e0e4736);
        assert_eq!(parent.parent_id, 0x00f067aa0ba902b7);
        assert!(parent.sampled());
        assert_eq!(parent.to_string(), SPEC_EXAMPLE);
        // The specification's unsampled example.
        let unsampled = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
        let parent: TraceParent = unsampled.parse().unwrap();
        assert!(!parent.sampled());
        assert_eq!(parent.to_string(), unsampled);
        // Flags bits other than sampled are kept, not rejected.
        let other = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09";
        assert_eq!(other.parse::<TraceParent>().unwrap().flags, 0x09);
    }

    #[test]
    fn every_invalid_traceparent_rule_is_refused_with_its_reason() {
        let parse = |s: &str| s.parse::<TraceParent>().unwrap_err();
        // Too short, and version 00 with anything after it.
        assert_eq!(parse(&SPEC_EXAMPLE[..54]), Invalid::Length { found: 54 });
        assert_eq!(
            parse(&format!("{SPEC_EXAMPLE}-00")),
            Invalid::Length { found: 58 }
        );
        // Uppercase hex in each field.
        for (field, header) in [
            (
                "version",
                "0A-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            ),
            (
                "trace-id",
                "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            ),
            (
                "parent-id",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01",
            ),
            (
                "trace-flags",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0F",
            ),
        ] {
            assert_eq!(parse(header), Invalid::NotLowercaseHex { field });
        }
        // Not hex at all.
        assert_eq!(
            parse("00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01"),
            Invalid::NotLowercaseHex { field: "trace-id" }
        );
        assert_eq!(
            parse("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
            Invalid::ForbiddenVersion
        );
        assert_eq!(
            parse("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
            Invalid::ZeroTraceId
        );
        assert_eq!(
            parse("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"),
            Invalid::ZeroParentId
        );
        // Delimiters.
        assert_eq!(
            parse("00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
            Invalid::Delimiter { at: 2 }
        );
        assert_eq!(
            parse("00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01"),
            Invalid::Delimiter { at: 35 }
        );
        assert_eq!(
            parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01"),
            Invalid::Delimiter { at: 52 }
        );
        // Non-ASCII input of the right length is refused, not sliced.
        assert!("00-4bf92f3577b34da6a3ce929d0e0e47é-00f067aa0ba902b7-01"
            .parse::<TraceParent>()
            .is_err());
        assert_eq!(parse(""), Invalid::Length { found: 0 });
    }

    #[test]
    fn a_later_version_parses_its_first_four_fields() {
        let future =
            "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds";
        let parent: TraceParent = future.parse().unwrap();
        assert_eq!(parent.version, 0xcc);
        assert_eq!(parent.parent_id, 0x00f067aa0ba902b7);
        assert!(parent.sampled());
        // Forwarded as version 00 with the known fields only.
        let child = parent.child(0x1234).unwrap();
        assert_eq!(
            child.to_string(),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000001234-01"
        );
        // A later version of exactly 55 characters is fine too.
        assert!("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
            .parse::<TraceParent>()
            .is_ok());
        // But what follows the fourth field must start with '-'.
        assert_eq!(
            "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x"
                .parse::<TraceParent>()
                .unwrap_err(),
            Invalid::Delimiter { at: 55 }
        );
        assert_eq!(TraceParent::new(0, 1, true), None);
        assert_eq!(TraceParent::new(1, 0, true), None);
    }

    #[test]
    fn tracestate_parses_the_specifications_examples() {
        let state: TraceState = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE".parse().unwrap();
        assert_eq!(state.len(), 2);
        assert_eq!(state.get("congo"), Some("t61rcWkgMzE"));
        assert_eq!(state.to_string(), "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
        // Optional whitespace and empty members.
        let state: TraceState = " rojo=1 ,\t, congo=2\t".parse().unwrap();
        assert_eq!(state.to_string(), "rojo=1,congo=2");
        // Multi-tenant keys.
        let state: TraceState = "fw529a3039@dt=abc,0tenant@sys-1=x".parse().unwrap();
        assert_eq!(state.get("fw529a3039@dt"), Some("abc"));
        assert!("".parse::<TraceState>().unwrap().is_empty());
    }

    #[test]
    fn every_invalid_tracestate_rule_is_refused() {
        let parse = |s: &str| s.parse::<TraceState>().unwrap_err();
        assert_eq!(parse("rojo"), Invalid::Member { index: 0 });
        assert_eq!(parse("a=1,Rojo=2"), Invalid::Key { index: 1 });
        assert_eq!(parse("1abc=2"), Invalid::Key { index: 0 });
        assert_eq!(parse("a.b=2"), Invalid::Key { index: 0 });
        assert_eq!(parse("tenant@=2"), Invalid::Key { index: 0 });
        assert_eq!(parse("tenant@1sys=2"), Invalid::Key { index: 0 });
        assert_eq!(parse("t@fifteencharss15=2"), Invalid::Key { index: 0 });
        assert_eq!(
            parse(&format!("a{}=1", "b".repeat(256))),
            Invalid::Key { index: 0 }
        );
        assert!(valid_key(&format!("a{}", "b".repeat(255))));
        assert_eq!(parse("a="), Invalid::Value { index: 0 });
        assert_eq!(parse("a=x=y"), Invalid::Value { index: 0 });
        assert_eq!(parse("a=tab\there"), Invalid::Value { index: 0 });
        assert_eq!(
            parse(&format!("a={}", "v".repeat(257))),
            Invalid::Value { index: 0 }
        );
        assert!(valid_value(&"v".repeat(256)));
        // A value may hold inner spaces, not a trailing one (trimmed here as
        // optional whitespace, so checked on the value alone).
        assert!(valid_value("a b"));
        assert!(!valid_value("a "));
        assert_eq!(parse("a=1,b=2,a=3"), Invalid::DuplicateKey { index: 2 });
        let many: Vec<String> = (0..33).map(|i| format!("k{i}=v")).collect();
        assert_eq!(
            parse(&many.join(",")),
            Invalid::TooManyMembers { found: 33 }
        );
        assert!(many[..32].join(",").parse::<TraceState>().is_ok());
    }

    #[test]
    fn an_updated_member_moves_to_the_front_and_a_full_list_drops_its_last() {
        let mut state: TraceState = "rojo=1,congo=2".parse().unwrap();
        state.set("congo", "3").unwrap();
        assert_eq!(state.to_string(), "congo=3,rojo=1");
        state.set("distlab", "p:25").unwrap();
        assert_eq!(state.to_string(), "distlab=p:25,congo=3,rojo=1");
        assert_eq!(state.set("Bad", "1"), Err(Invalid::Key { index: 0 }));
        assert_eq!(state.set("ok", "a,b"), Err(Invalid::Value { index: 0 }));
        assert!(state.remove("rojo"));
        assert!(!state.remove("rojo"));
        let many: Vec<String> = (0..32).map(|i| format!("k{i}=v")).collect();
        let mut full: TraceState = many.join(",").parse().unwrap();
        full.set("new", "1").unwrap();
        assert_eq!(full.len(), MAX_MEMBERS);
        assert_eq!(full.members()[0].0, "new");
        assert_eq!(full.get("k31"), None);
    }
}
