//! Gorilla compression of `(timestamp, value)` series.
//!
//! **The problem.** A monitoring system stores billions of points, each a 64-bit
//! timestamp and a 64-bit float: 16 bytes raw. Most of those bits are predictable:
//! samples arrive at a steady interval, and a gauge rarely changes more than its last
//! few mantissa bits between samples.
//!
//! **The idea** (Pelkonen et al., "Gorilla: A Fast, Scalable, In-Memory Time Series
//! Database", VLDB 2015, §4.1). Store the first point whole, then for each point only
//! what was not predictable, in a bit stream:
//!
//! - *Timestamps, delta-of-delta (§4.1.1).* `D = (t_n − t_{n−1}) − (t_{n−1} − t_{n−2})`
//!   is 0 for a steady interval and costs one bit. Otherwise a unary control prefix
//!   picks the smallest bucket that holds `D`:
//!
//!   | control | value bits | range of `D`            |
//!   |---------|-----------:|-------------------------|
//!   | `0`     | 0          | 0                       |
//!   | `10`    | 7          | −63 ..= 64              |
//!   | `110`   | 9          | −255 ..= 256            |
//!   | `1110`  | 12         | −2047 ..= 2048          |
//!   | `11110` | 32         | −(2³¹−1) ..= 2³¹        |
//!   | `11111` | 64         | any `i64`               |
//!
//!   The first four rows are the paper's. The paper's last bucket is `1111` with 32
//!   bits, which cannot hold every `i64`; here it becomes `11110` and a final `11111`
//!   bucket takes the full 64 bits, so any timestamps, in any order, round-trip.
//!   An n-bit bucket holds the paper's asymmetric range −(2ⁿ⁻¹−1) ..= 2ⁿ⁻¹: the raw
//!   pattern `100…0` means +2ⁿ⁻¹. All timestamp arithmetic is *wrapping* (mod 2⁶⁴),
//!   so deltas that overflow `i64`, e.g. from `i64::MIN` to `i64::MAX`, still encode
//!   and decode exactly. The first delta is coded against a previous delta of 0.
//!
//! - *Values, XOR (§4.1.2).* XOR the value's IEEE 754 bits with the previous value's.
//!   Equal values give 0, stored as one `0` bit. Otherwise `1` and then either `0`
//!   followed by the XOR's meaningful bits, when they fit inside the previous
//!   window (at least as many leading and trailing zeros as last time), or `1`
//!   followed by the number of leading zeros (5 bits), the number of meaningful bits
//!   (6 bits) and those bits, which sets a new window. As Prometheus' XOR chunks and
//!   other Gorilla implementations do, leading zeros are capped at 31 (what 5 bits
//!   hold) and a length of 64 is written as 0 (a length of 0 never occurs). Only bit
//!   patterns are compared, so every float round-trips: NaN payloads, ±∞, −0.0,
//!   subnormals.
//!
//!   Two consequences worth seeing in the view. The window is reused whenever the
//!   XOR fits, as the paper says, even when a fresh narrower window would cost fewer
//!   bits, so a wide window set once (say when a counter crosses a power of two)
//!   keeps costing until a XOR no longer fits; short blocks reset it. And decimal
//!   values such as `21.37` have no short binary form, so their XORs have dozens of
//!   meaningful bits: integers and repeated values compress far better than
//!   two-decimal gauges.
//!
//! **The container.** The stream starts with the point count as an unsigned LEB128
//! varint (so the decoder knows where to stop), then the first timestamp and value
//! as 64 raw bits each, then the compressed points, then zero bits to the byte
//! boundary. [`decode`] accepts any byte string: it returns a [`DecodeError`] for
//! truncated, corrupt or over-long input, never panics, and never allocates more than
//! the input could possibly hold, whatever the header claims.
//!
//! [`explain`] runs the very same encoder but records every field it writes (name,
//! exact bits, one-line meaning), which is what the bit-by-bit view draws; the tests
//! check that the recorded bits concatenate to exactly [`encode`]'s output.
//!
//! # Example
//!
//! ```
//! use distlab_core::tsdb::gorilla;
//!
//! // A gauge sampled every 10 s.
//! let points = [(1_000, 21.5), (1_010, 21.5), (1_020, 21.5), (1_030, 21.75)];
//! let bytes = gorilla::encode(&points);
//! assert!(bytes.len() < points.len() * 16);
//! assert_eq!(gorilla::decode(&bytes).unwrap(), points);
//!
//! // Once the interval is known, a steady interval and an unchanged value cost one
//! // bit each.
//! let explained = gorilla::explain(&points);
//! let third = &explained.points[2];
//! assert_eq!(third.total_bits, 2);
//! assert_eq!(third.fields[0].bits, "0");
//! assert_eq!(explained.bit_string(), gorilla::to_bit_string(&bytes));
//!
//! // Bad input is an error, not a panic.
//! assert!(gorilla::decode(&bytes[..bytes.len() - 1]).is_err());
//! ```

use std::fmt;

/// One bucket of the delta-of-delta encoding of timestamps (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DodBucket {
    /// The control prefix, as written.
    pub control: &'static str,
    /// The control prefix as a number (`control` read as binary).
    pub code: u64,
    /// Length of the control prefix in bits.
    pub code_bits: u32,
    /// Bits of the delta-of-delta value that follow the prefix.
    pub value_bits: u32,
    /// Smallest delta-of-delta the bucket holds.
    pub min: i64,
    /// Largest delta-of-delta the bucket holds.
    pub max: i64,
}

/// The delta-of-delta buckets, smallest first; the encoder picks the first that fits.
pub const DOD_BUCKETS: [DodBucket; 6] = [
    DodBucket {
        control: "0",
        code: 0b0,
        code_bits: 1,
        value_bits: 0,
        min: 0,
        max: 0,
    },
    DodBucket {
        control: "10",
        code: 0b10,
        code_bits: 2,
        value_bits: 7,
        min: -63,
        max: 64,
    },
    DodBucket {
        control: "110",
        code: 0b110,
        code_bits: 3,
        value_bits: 9,
        min: -255,
        max: 256,
    },
    DodBucket {
        control: "1110",
        code: 0b1110,
        code_bits: 4,
        value_bits: 12,
        min: -2047,
        max: 2048,
    },
    DodBucket {
        control: "11110",
        code: 0b11110,
        code_bits: 5,
        value_bits: 32,
        min: -(1 << 31) + 1,
        max: 1 << 31,
    },
    DodBucket {
        control: "11111",
        code: 0b11111,
        code_bits: 5,
        value_bits: 64,
        min: i64::MIN,
        max: i64::MAX,
    },
];

/// The most leading zeros the 5-bit field can record; longer runs are stored as 31
/// and the extra zeros become part of the meaningful bits.
pub const MAX_LEADING_ZEROS: u32 = 31;

/// Bits taken by the first point (raw timestamp and raw value).
const FIRST_POINT_BITS: usize = 128;

/// Fewest bits any later point takes: `0` for the timestamp and `0` for the value.
const MIN_POINT_BITS: usize = 2;

/// Longest LEB128 encoding of a `u64`.
const MAX_VARINT_BYTES: usize = 10;

/// Why a byte string is not a valid Gorilla stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The input ended in the middle of a field.
    Truncated {
        /// Bit position where the missing field starts.
        bit_offset: usize,
        /// The field that was being read.
        field: &'static str,
    },
    /// The point-count header is not a valid minimal LEB128 `u64`.
    BadHeader,
    /// The header claims more points than the input has bits for.
    CountTooLarge {
        /// Points claimed by the header.
        claimed: u64,
        /// The most points the rest of the input could encode.
        max_possible: u64,
    },
    /// A value says "reuse the previous window" before any window was set.
    MissingWindow {
        /// Index of the point.
        point: usize,
    },
    /// A window whose leading zeros and length add up to more than 64 bits.
    InvalidWindow {
        /// Index of the point.
        point: usize,
        /// Leading zeros read.
        leading: u32,
        /// Meaningful bits length read.
        length: u32,
    },
    /// Whole bytes remain after the last point.
    TrailingBytes {
        /// How many.
        count: usize,
    },
    /// The padding bits after the last point are not all zero.
    NonZeroPadding,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Truncated { bit_offset, field } => {
                write!(
                    f,
                    "input ends inside the {field} starting at bit {bit_offset}"
                )
            }
            DecodeError::BadHeader => write!(f, "the point count header is not a valid varint"),
            DecodeError::CountTooLarge {
                claimed,
                max_possible,
            } => write!(
                f,
                "header claims {claimed} points but the input can hold at most {max_possible}"
            ),
            DecodeError::MissingWindow { point } => write!(
                f,
                "point {point} reuses the previous XOR window but none was set"
            ),
            DecodeError::InvalidWindow {
                point,
                leading,
                length,
            } => write!(
                f,
                "point {point} has an XOR window of {leading} leading zeros and \
                 {length} meaningful bits, more than 64 bits"
            ),
            DecodeError::TrailingBytes { count } => {
                write!(f, "{count} unexpected byte(s) after the last point")
            }
            DecodeError::NonZeroPadding => {
                write!(f, "the padding after the last point is not zero")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

/// Encodes `points` into a Gorilla stream. Lossless for every `i64` timestamp (in any
/// order) and every `f64` bit pattern.
pub fn encode(points: &[(i64, f64)]) -> Vec<u8> {
    let mut encoder = Encoder::new();
    for &(timestamp, value) in points {
        encoder.push(timestamp, value);
    }
    encoder.finish()
}

/// Decodes a stream written by [`encode`] (or [`Encoder`]).
///
/// Every byte string gives `Ok` or `Err`; nothing panics, and the output is never
/// allocated larger than the input could encode.
pub fn decode(bytes: &[u8]) -> Result<Vec<(i64, f64)>, DecodeError> {
    let mut reader = BitReader::new(bytes);
    let claimed = read_varint(&mut reader)?;
    let remaining = reader.remaining();
    let max_possible = if remaining < FIRST_POINT_BITS {
        0
    } else {
        1 + (remaining - FIRST_POINT_BITS) / MIN_POINT_BITS
    } as u64;
    if claimed > max_possible {
        return Err(DecodeError::CountTooLarge {
            claimed,
            max_possible,
        });
    }
    // `claimed <= max_possible <= 4 * input length`, so this cannot overflow `usize`.
    let count = claimed as usize;
    let mut points = Vec::with_capacity(count);
    let mut state = State::default();
    for index in 0..count {
        points.push(decode_point(&mut reader, &mut state, index)?);
    }
    let left = reader.remaining();
    if left >= 8 {
        return Err(DecodeError::TrailingBytes { count: left / 8 });
    }
    if left > 0 && reader.read(left as u32, "padding")? != 0 {
        return Err(DecodeError::NonZeroPadding);
    }
    Ok(points)
}

/// A streaming Gorilla encoder: push points one at a time, as an open block does.
///
/// ```
/// use distlab_core::tsdb::gorilla::{self, Encoder};
/// let mut encoder = Encoder::new();
/// encoder.push(0, 1.0);
/// encoder.push(60, 1.0);
/// assert_eq!(encoder.len(), 2);
/// let bytes = encoder.finish();
/// assert_eq!(gorilla::decode(&bytes).unwrap(), vec![(0, 1.0), (60, 1.0)]);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Encoder {
    state: State,
    body: BitWriter,
}

impl Encoder {
    /// An encoder with no points.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends one point.
    pub fn push(&mut self, timestamp: i64, value: f64) {
        encode_point(&mut self.state, &mut self.body, timestamp, value);
    }

    /// Points pushed so far.
    pub fn len(&self) -> usize {
        self.state.count
    }

    /// True when no point was pushed.
    pub fn is_empty(&self) -> bool {
        self.state.count == 0
    }

    /// The last point pushed.
    pub fn last(&self) -> Option<(i64, f64)> {
        (self.state.count > 0).then(|| (self.state.timestamp, f64::from_bits(self.state.bits)))
    }

    /// Bits written so far, header included, padding excluded.
    pub fn bit_len(&self) -> usize {
        varint_len(self.state.count as u64) * 8 + self.body.bit_len()
    }

    /// Bytes [`Encoder::finish`] would return now.
    pub fn encoded_len(&self) -> usize {
        self.bit_len().div_ceil(8)
    }

    /// The stream so far, without consuming the encoder.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        write_varint(&mut out, self.state.count as u64);
        self.body.append_to(&mut out);
        out
    }

    /// The finished stream.
    pub fn finish(self) -> Vec<u8> {
        self.to_bytes()
    }
}

/// What [`explain`] returns: every field of the stream, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    /// The header fields (the point count).
    pub header: Vec<BitField>,
    /// One entry per point, with the fields written for it.
    pub points: Vec<PointBits>,
    /// The zero bits that pad the stream to whole bytes, if any.
    pub padding: Option<BitField>,
    /// Bits in the whole stream, padding included (a multiple of 8).
    pub total_bits: usize,
}

impl Explanation {
    /// All fields' bits concatenated: equal to [`to_bit_string`] of [`encode`]'s
    /// output for the same points.
    pub fn bit_string(&self) -> String {
        let mut out = String::with_capacity(self.total_bits);
        for field in self.fields() {
            out.push_str(&field.bits);
        }
        out
    }

    /// Every field in stream order: header, points, padding.
    pub fn fields(&self) -> impl Iterator<Item = &BitField> {
        self.header
            .iter()
            .chain(self.points.iter().flat_map(|point| point.fields.iter()))
            .chain(self.padding.iter())
    }

    /// Encoded size in bytes.
    pub fn encoded_bytes(&self) -> usize {
        self.total_bits / 8
    }
}

/// The fields written for one point.
#[derive(Clone, Debug, PartialEq)]
pub struct PointBits {
    /// Position of the point in the series.
    pub index: usize,
    /// The point's timestamp.
    pub timestamp: i64,
    /// The point's value.
    pub value: f64,
    /// `t_n − t_{n−1}` (wrapping); `None` for the first point.
    pub delta: Option<i64>,
    /// The delta-of-delta that was encoded; `None` for the first point.
    pub delta_of_delta: Option<i64>,
    /// The XOR with the previous value's bits; `None` for the first point.
    pub xor: Option<u64>,
    /// The fields, in the order they were written.
    pub fields: Vec<BitField>,
    /// Bits this point took in all.
    pub total_bits: usize,
}

impl PointBits {
    /// Bits spent on the timestamp.
    pub fn timestamp_bits(&self) -> usize {
        self.bits_of(Part::Timestamp)
    }

    /// Bits spent on the value.
    pub fn value_bits(&self) -> usize {
        self.bits_of(Part::Value)
    }

    fn bits_of(&self, part: Part) -> usize {
        self.fields
            .iter()
            .filter(|field| field.part == part)
            .map(|field| field.bits.len())
            .sum()
    }
}

/// Which part of the stream a field belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The stream header.
    Header,
    /// A point's timestamp.
    Timestamp,
    /// A point's value.
    Value,
    /// Zero bits at the end.
    Padding,
}

/// One field of the stream, exactly as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BitField {
    /// What the field encodes.
    pub part: Part,
    /// The field's name, e.g. `"delta-of-delta"`.
    pub name: &'static str,
    /// The bits written, most significant first, e.g. `"10"`.
    pub bits: String,
    /// One line saying why these bits.
    pub meaning: String,
}

/// Encodes `points` like [`encode`] and records every field written, for drawing the
/// stream bit by bit. Each bit becomes a `char`, so this is meant for the handful of
/// points a view shows, not for whole blocks.
pub fn explain(points: &[(i64, f64)]) -> Explanation {
    let mut recorder = Recorder::default();
    let mut header_bytes = Vec::new();
    write_varint(&mut header_bytes, points.len() as u64);
    let header = vec![BitField {
        part: Part::Header,
        name: "point count",
        bits: to_bit_string(&header_bytes),
        meaning: format!(
            "{} point(s) follow: LEB128 varint, 7 bits per byte, top bit set when more \
             bytes follow",
            points.len()
        ),
    }];
    let mut state = State::default();
    for (index, &(timestamp, value)) in points.iter().enumerate() {
        recorder.points.push(PointBits {
            index,
            timestamp,
            value,
            delta: None,
            delta_of_delta: None,
            xor: None,
            fields: Vec::new(),
            total_bits: 0,
        });
        encode_point(&mut state, &mut recorder, timestamp, value);
    }
    let used: usize = header_bytes.len() * 8
        + recorder
            .points
            .iter()
            .map(|point| point.total_bits)
            .sum::<usize>();
    let padding_bits = (8 - used % 8) % 8;
    let padding = (padding_bits > 0).then(|| BitField {
        part: Part::Padding,
        name: "padding",
        bits: "0".repeat(padding_bits),
        meaning: format!("{padding_bits} zero bit(s) to end on a byte boundary"),
    });
    Explanation {
        header,
        points: recorder.points,
        padding,
        total_bits: used + padding_bits,
    }
}

/// `bytes` as a string of `'0'` and `'1'`, most significant bit of each byte first.
pub fn to_bit_string(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 8);
    for byte in bytes {
        for shift in (0..8).rev() {
            out.push(if (byte >> shift) & 1 == 1 { '1' } else { '0' });
        }
    }
    out
}

// ----- the shared encoder -----

/// What the encoder and decoder remember between points.
#[derive(Clone, Copy, Debug, Default)]
struct State {
    count: usize,
    timestamp: i64,
    delta: i64,
    bits: u64,
    window: Option<Window>,
}

/// The XOR window: which bits of the XOR are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Window {
    leading: u32,
    length: u32,
}

impl Window {
    fn trailing(self) -> u32 {
        64 - self.leading - self.length
    }
}

/// What a field means, carried alongside its bits so the recorder can explain it.
/// The byte writer ignores it; after inlining, building it costs nothing there.
#[derive(Clone, Copy, Debug)]
enum Field {
    FirstTimestamp {
        timestamp: i64,
    },
    FirstValue {
        value: f64,
    },
    TimestampControl {
        bucket: DodBucket,
        delta: i64,
        dod: i64,
    },
    DeltaOfDelta {
        bucket: DodBucket,
        delta: i64,
        previous: i64,
        dod: i64,
    },
    ValueSame,
    ValueReuse {
        xor: u64,
        window: Window,
    },
    ValueNew {
        xor: u64,
        previous: Option<Window>,
    },
    LeadingZeros {
        actual: u32,
        stored: u32,
    },
    MeaningfulLength {
        length: u32,
    },
    MeaningfulBits {
        window: Window,
        reused: bool,
    },
}

/// Where encoded fields go: the byte writer, or the recorder behind [`explain`].
trait Sink {
    fn put(&mut self, bits: u64, width: u32, field: Field);
}

fn encode_point<S: Sink>(state: &mut State, sink: &mut S, timestamp: i64, value: f64) {
    let bits = value.to_bits();
    if state.count == 0 {
        sink.put(timestamp as u64, 64, Field::FirstTimestamp { timestamp });
        sink.put(bits, 64, Field::FirstValue { value });
        *state = State {
            count: 1,
            timestamp,
            delta: 0,
            bits,
            window: None,
        };
        return;
    }

    // Timestamp: delta-of-delta, in wrapping arithmetic so every i64 round-trips.
    let delta = timestamp.wrapping_sub(state.timestamp);
    let dod = delta.wrapping_sub(state.delta);
    let bucket = bucket_for(dod);
    sink.put(
        bucket.code,
        bucket.code_bits,
        Field::TimestampControl { bucket, delta, dod },
    );
    if bucket.value_bits > 0 {
        sink.put(
            dod as u64,
            bucket.value_bits,
            Field::DeltaOfDelta {
                bucket,
                delta,
                previous: state.delta,
                dod,
            },
        );
    }

    // Value: XOR with the previous bit pattern.
    let xor = bits ^ state.bits;
    if xor == 0 {
        sink.put(0b0, 1, Field::ValueSame);
    } else {
        let leading = xor.leading_zeros().min(MAX_LEADING_ZEROS);
        let trailing = xor.trailing_zeros();
        match state.window {
            Some(window) if leading >= window.leading && trailing >= window.trailing() => {
                sink.put(0b10, 2, Field::ValueReuse { xor, window });
                sink.put(
                    xor >> window.trailing(),
                    window.length,
                    Field::MeaningfulBits {
                        window,
                        reused: true,
                    },
                );
            }
            previous => {
                let window = Window {
                    leading,
                    length: 64 - leading - trailing,
                };
                sink.put(0b11, 2, Field::ValueNew { xor, previous });
                sink.put(
                    u64::from(leading),
                    5,
                    Field::LeadingZeros {
                        actual: xor.leading_zeros(),
                        stored: leading,
                    },
                );
                // 64 does not fit in 6 bits; it is written as 0, which cannot
                // otherwise occur because a non-zero XOR has a meaningful bit.
                sink.put(
                    u64::from(window.length & 0x3f),
                    6,
                    Field::MeaningfulLength {
                        length: window.length,
                    },
                );
                sink.put(
                    xor >> trailing,
                    window.length,
                    Field::MeaningfulBits {
                        window,
                        reused: false,
                    },
                );
                state.window = Some(window);
            }
        }
    }
    state.count += 1;
    state.timestamp = timestamp;
    state.delta = delta;
    state.bits = bits;
}

fn bucket_for(dod: i64) -> DodBucket {
    DOD_BUCKETS
        .iter()
        .copied()
        .find(|bucket| bucket.min <= dod && dod <= bucket.max)
        .unwrap_or(DOD_BUCKETS[DOD_BUCKETS.len() - 1])
}

/// Reads an n-bit delta-of-delta: patterns above 2ⁿ⁻¹ are negative (two's
/// complement), 2ⁿ⁻¹ itself is positive, matching the paper's ranges.
fn dod_from_bits(raw: u64, width: u32) -> i64 {
    if width >= 64 {
        return raw as i64;
    }
    if width == 0 {
        return 0;
    }
    let half = 1u64 << (width - 1);
    if raw > half {
        (raw as i64) - (1i64 << width)
    } else {
        raw as i64
    }
}

fn decode_point(
    reader: &mut BitReader<'_>,
    state: &mut State,
    index: usize,
) -> Result<(i64, f64), DecodeError> {
    if state.count == 0 {
        let timestamp = reader.read(64, "first timestamp")? as i64;
        let bits = reader.read(64, "first value")?;
        *state = State {
            count: 1,
            timestamp,
            delta: 0,
            bits,
            window: None,
        };
        return Ok((timestamp, f64::from_bits(bits)));
    }

    // The control prefix is unary: count ones, at most five.
    let mut ones = 0usize;
    while ones < DOD_BUCKETS.len() - 1 {
        if reader.read(1, "timestamp control bits")? == 0 {
            break;
        }
        ones += 1;
    }
    let bucket = DOD_BUCKETS[ones.min(DOD_BUCKETS.len() - 1)];
    let dod = dod_from_bits(
        reader.read(bucket.value_bits, "delta-of-delta")?,
        bucket.value_bits,
    );
    let delta = state.delta.wrapping_add(dod);
    let timestamp = state.timestamp.wrapping_add(delta);

    let bits = if reader.read(1, "value control bits")? == 0 {
        state.bits
    } else {
        let window = if reader.read(1, "value control bits")? == 0 {
            state
                .window
                .ok_or(DecodeError::MissingWindow { point: index })?
        } else {
            let leading = reader.read(5, "leading zeros")? as u32;
            let length = match reader.read(6, "meaningful bits length")? as u32 {
                0 => 64,
                length => length,
            };
            if leading + length > 64 {
                return Err(DecodeError::InvalidWindow {
                    point: index,
                    leading,
                    length,
                });
            }
            let window = Window { leading, length };
            state.window = Some(window);
            window
        };
        let meaningful = reader.read(window.length, "meaningful bits")?;
        state.bits ^ (meaningful << window.trailing())
    };
    state.count += 1;
    state.timestamp = timestamp;
    state.delta = delta;
    state.bits = bits;
    Ok((timestamp, f64::from_bits(bits)))
}

// ----- bits in and out -----

fn mask(width: u32) -> u64 {
    if width >= 64 {
        u64::MAX
    } else {
        (1u64 << width) - 1
    }
}

/// Appends bits most-significant first; whole 64-bit words go to `bytes`, the rest
/// waits in `pending`.
#[derive(Clone, Debug, Default)]
struct BitWriter {
    bytes: Vec<u8>,
    pending: u64,
    pending_bits: u32,
}

impl BitWriter {
    fn bit_len(&self) -> usize {
        self.bytes.len() * 8 + self.pending_bits as usize
    }

    fn write(&mut self, value: u64, width: u32) {
        if width == 0 {
            return;
        }
        let width = width.min(64);
        let value = value & mask(width);
        let free = 64 - self.pending_bits;
        if width < free {
            self.pending = (self.pending << width) | value;
            self.pending_bits += width;
        } else {
            let rest = width - free;
            let word = self.pending.checked_shl(free).unwrap_or(0) | (value >> rest);
            self.bytes.extend_from_slice(&word.to_be_bytes());
            self.pending = value & mask(rest);
            self.pending_bits = rest;
        }
    }

    /// Appends the written bits to `out`, zero-padded to a whole byte.
    fn append_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.bytes);
        if self.pending_bits > 0 {
            let aligned = self.pending << (64 - self.pending_bits);
            let pending_bytes = self.pending_bits.div_ceil(8) as usize;
            out.extend_from_slice(&aligned.to_be_bytes()[..pending_bytes]);
        }
    }
}

impl Sink for BitWriter {
    #[inline]
    fn put(&mut self, bits: u64, width: u32, _field: Field) {
        self.write(bits, width);
    }
}

/// Reads bits most-significant first; every read is bounds-checked.
struct BitReader<'a> {
    bytes: &'a [u8],
    position: usize,
    bit_len: usize,
}

impl<'a> BitReader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        BitReader {
            bytes,
            position: 0,
            bit_len: bytes.len().saturating_mul(8),
        }
    }

    fn remaining(&self) -> usize {
        self.bit_len - self.position
    }

    fn read(&mut self, width: u32, field: &'static str) -> Result<u64, DecodeError> {
        if width == 0 {
            return Ok(0);
        }
        let width = width.min(64);
        if (width as usize) > self.remaining() {
            return Err(DecodeError::Truncated {
                bit_offset: self.position,
                field,
            });
        }
        let first = self.position / 8;
        let shift = (self.position % 8) as u32;
        // A 16-byte window always covers the at most 7 + 64 bits needed.
        let mut window = [0u8; 16];
        match self.bytes.get(first..first + 16) {
            Some(full) => window.copy_from_slice(full),
            None => {
                let tail = self.bytes.get(first..).unwrap_or(&[]);
                window[..tail.len()].copy_from_slice(tail);
            }
        }
        let word = u128::from_be_bytes(window) << shift;
        self.position += width as usize;
        Ok((word >> (128 - width)) as u64)
    }
}

fn varint_len(mut value: u64) -> usize {
    let mut len = 1;
    while value >= 0x80 {
        value >>= 7;
        len += 1;
    }
    len
}

fn write_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Reads a minimal LEB128 `u64`: at most ten bytes, no overflow, no redundant
/// trailing zero byte.
fn read_varint(reader: &mut BitReader<'_>) -> Result<u64, DecodeError> {
    let mut value = 0u64;
    for index in 0..MAX_VARINT_BYTES {
        let byte = reader.read(8, "point count")?;
        let payload = byte & 0x7f;
        let shift = 7 * index as u32;
        if index == MAX_VARINT_BYTES - 1 && payload > 1 {
            return Err(DecodeError::BadHeader); // more than 64 bits
        }
        value |= payload << shift;
        if byte & 0x80 == 0 {
            if index > 0 && payload == 0 {
                return Err(DecodeError::BadHeader); // not the shortest form
            }
            return Ok(value);
        }
    }
    Err(DecodeError::BadHeader)
}

// ----- the recorder behind `explain` -----

#[derive(Default)]
struct Recorder {
    points: Vec<PointBits>,
}

impl Sink for Recorder {
    fn put(&mut self, bits: u64, width: u32, field: Field) {
        let Some(point) = self.points.last_mut() else {
            return;
        };
        match field {
            Field::TimestampControl { delta, dod, .. } => {
                point.delta = Some(delta);
                point.delta_of_delta = Some(dod);
            }
            Field::ValueReuse { xor, .. } | Field::ValueNew { xor, .. } => point.xor = Some(xor),
            Field::ValueSame => point.xor = Some(0),
            _ => {}
        }
        let (part, name, meaning) = describe(field);
        point.total_bits += width as usize;
        point.fields.push(BitField {
            part,
            name,
            bits: bits_to_string(bits, width),
            meaning,
        });
    }
}

fn bits_to_string(bits: u64, width: u32) -> String {
    (0..width.min(64))
        .rev()
        .map(|shift| if (bits >> shift) & 1 == 1 { '1' } else { '0' })
        .collect()
}

fn describe(field: Field) -> (Part, &'static str, String) {
    match field {
        Field::FirstTimestamp { timestamp } => (
            Part::Timestamp,
            "first timestamp",
            format!(
                "{timestamp}, stored whole (64-bit two's complement): nothing to predict it from"
            ),
        ),
        Field::FirstValue { value } => (
            Part::Value,
            "first value",
            format!(
                "{value:?}, stored whole as its IEEE 754 bits 0x{:016x}",
                value.to_bits()
            ),
        ),
        Field::TimestampControl { bucket, delta, dod } => {
            let meaning = if bucket.value_bits == 0 {
                format!("'0': delta-of-delta is 0, same interval ({delta}) as last time")
            } else if bucket.value_bits == 64 {
                format!(
                    "'{}': delta-of-delta {dod} needs all 64 bits",
                    bucket.control
                )
            } else {
                format!(
                    "'{}': delta-of-delta {dod} is in {}..={}, a {}-bit value follows",
                    bucket.control, bucket.min, bucket.max, bucket.value_bits
                )
            };
            (Part::Timestamp, "timestamp control bits", meaning)
        }
        Field::DeltaOfDelta {
            bucket,
            delta,
            previous,
            dod,
        } => (
            Part::Timestamp,
            "delta-of-delta value",
            format!(
                "{dod} = delta {delta} - previous delta {previous}, in {} bits",
                bucket.value_bits
            ),
        ),
        Field::ValueSame => (
            Part::Value,
            "value control bits",
            "'0': same value as before (XOR is 0)".to_string(),
        ),
        Field::ValueReuse { xor, window } => (
            Part::Value,
            "value control bits",
            format!(
                "'10': XOR 0x{xor:016x} fits the previous window ({} leading, {} trailing \
                 zeros): reuse it",
                window.leading,
                window.trailing()
            ),
        ),
        Field::ValueNew { xor, previous } => {
            let why = match previous {
                None => "no window yet".to_string(),
                Some(window) => format!(
                    "outside the previous window ({} leading, {} trailing zeros)",
                    window.leading,
                    window.trailing()
                ),
            };
            (
                Part::Value,
                "value control bits",
                format!(
                    "'11': XOR 0x{xor:016x} has {} leading and {} trailing zeros, {why}: \
                     new window",
                    xor.leading_zeros(),
                    xor.trailing_zeros()
                ),
            )
        }
        Field::LeadingZeros { actual, stored } => {
            let meaning = if actual > stored {
                format!(
                    "{stored} leading zeros (really {actual}, capped at {MAX_LEADING_ZEROS}, \
                     the most 5 bits hold)"
                )
            } else {
                format!("{stored} leading zero bits before the meaningful bits")
            };
            (Part::Value, "leading zeros", meaning)
        }
        Field::MeaningfulLength { length } => {
            let meaning = if length == 64 {
                "64 meaningful bits, written as 0 (a length of 0 never occurs)".to_string()
            } else {
                format!("{length} meaningful bits follow")
            };
            (Part::Value, "meaningful bits length", meaning)
        }
        Field::MeaningfulBits { window, reused } => (
            Part::Value,
            "meaningful bits",
            format!(
                "the XOR's {} bits between {} leading and {} trailing zeros{}",
                window.length,
                window.leading,
                window.trailing(),
                if reused { " (previous window)" } else { "" }
            ),
        ),
    }
}

#[cfg(test)]
mod tests;
