//! Round trips for ordinary and adversarial series, hand-derived streams that pin
//! the format, every decode error, and decoding of arbitrary bytes.

use proptest::prelude::*;

use super::*;

/// Points compared by bit pattern, so NaN payloads and -0.0 count.
fn as_bits(points: &[(i64, f64)]) -> Vec<(i64, u64)> {
    points.iter().map(|&(t, v)| (t, v.to_bits())).collect()
}

fn assert_round_trip(points: &[(i64, f64)]) {
    let bytes = encode(points);
    let decoded = decode(&bytes).expect("an encoding decodes");
    assert_eq!(as_bits(&decoded), as_bits(points));
    let explained = explain(points);
    assert_eq!(explained.bit_string(), to_bit_string(&bytes));
    assert_eq!(explained.encoded_bytes(), bytes.len());
}

/// Floats chosen to break naive codecs: NaNs with payloads and both signs, the
/// infinities, both zeros, subnormals, extremes.
fn special_floats() -> Vec<f64> {
    vec![
        f64::NAN,
        -f64::NAN,
        f64::from_bits(0x7ff0_0000_0000_0001), // signalling NaN
        f64::from_bits(0x7ff8_dead_beef_0001), // quiet NaN with a payload
        f64::from_bits(0xfff0_0000_0000_0fff), // negative signalling NaN
        f64::INFINITY,
        f64::NEG_INFINITY,
        0.0,
        -0.0,
        f64::from_bits(1),                     // smallest subnormal
        f64::from_bits(0x000f_ffff_ffff_ffff), // largest subnormal
        -f64::from_bits(1),
        f64::MIN_POSITIVE,
        f64::MAX,
        f64::MIN,
        f64::EPSILON,
        1.0,
        -1.0,
    ]
}

fn special_timestamps() -> Vec<i64> {
    vec![
        i64::MIN,
        i64::MAX,
        0,
        -1,
        1,
        i64::MIN + 1,
        i64::MAX - 1,
        1 << 31,
        -(1 << 31),
        1 << 32,
    ]
}

#[test]
fn the_empty_series_is_one_byte() {
    assert_eq!(encode(&[]), vec![0x00]);
    assert_eq!(decode(&[0x00]), Ok(Vec::new()));
    let explained = explain(&[]);
    assert_eq!(explained.bit_string(), "00000000");
    assert!(explained.points.is_empty() && explained.padding.is_none());
}

#[test]
fn pinned_stream_for_a_steady_constant_series() {
    // Hand-derived from the format: header 3, t0 = 0, v0 = 1.0 raw; then
    // dod 10 -> '10' + 0001010 and '0' for the unchanged value; then '0', '0'.
    let points = [(0, 1.0), (10, 1.0), (20, 1.0)];
    let expected = [
        "00000011".to_string(),
        "0".repeat(64),
        format!("{:064b}", 1.0f64.to_bits()),
        "10".into(),
        "0001010".into(),
        "0".into(),
        "0".into(),
        "0".into(),
        "0000".into(),
    ]
    .concat();
    assert_eq!(to_bit_string(&encode(&points)), expected);
    assert_eq!(encode(&points).len(), 19);
}

#[test]
fn pinned_value_fields_follow_the_paper() {
    // 12 -> 24: XOR 0x0010_0000_0000_0000 has 11 leading and 52 trailing zeros.
    // 24 -> 15: XOR 0x0016_0000_0000_0000 does not fit (49 trailing < 52): new window.
    // 15 -> 12: XOR 0x0006_0000_0000_0000 fits (13 >= 11 leading, 49 >= 49 trailing).
    let points = [(0, 12.0), (60, 24.0), (120, 15.0), (180, 12.0)];
    let explained = explain(&points);
    let value_bits = |index: usize| -> Vec<String> {
        explained.points[index]
            .fields
            .iter()
            .filter(|field| field.part == Part::Value)
            .map(|field| field.bits.clone())
            .collect()
    };
    assert_eq!(value_bits(1), ["11", "01011", "000001", "1"]);
    assert_eq!(value_bits(2), ["11", "01011", "000100", "1011"]);
    assert_eq!(value_bits(3), ["10", "0011"]);
    assert_eq!(explained.points[3].xor, Some(0x0006_0000_0000_0000));
    assert_eq!(explained.points[2].delta_of_delta, Some(0));
    assert_eq!(explained.points[1].delta_of_delta, Some(60));
    assert_round_trip(&points);
}

#[test]
fn every_bucket_boundary_round_trips_and_uses_the_right_control_bits() {
    let cases: &[(i64, &str)] = &[
        (0, "0"),
        (1, "10"),
        (-63, "10"),
        (64, "10"),
        (-64, "110"),
        (65, "110"),
        (-255, "110"),
        (256, "110"),
        (-256, "1110"),
        (257, "1110"),
        (-2047, "1110"),
        (2048, "1110"),
        (-2048, "11110"),
        (2049, "11110"),
        (-(1 << 31) + 1, "11110"),
        (1 << 31, "11110"),
        (-(1 << 31), "11111"),
        ((1 << 31) + 1, "11111"),
        (i64::MIN, "11111"),
        (i64::MAX, "11111"),
    ];
    for &(dod, control) in cases {
        // t0 = 1000, t1 = 1010 (delta 10), t2 chosen so that the dod is `dod`.
        let t2 = 1010i64.wrapping_add(10i64.wrapping_add(dod));
        let points = [(1000, 0.0), (1010, 0.0), (t2, 0.0)];
        let explained = explain(&points);
        let third = &explained.points[2];
        assert_eq!(third.delta_of_delta, Some(dod));
        assert_eq!(third.fields[0].bits, control, "dod {dod}");
        let expected_value_bits = DOD_BUCKETS
            .iter()
            .find(|bucket| bucket.control == control)
            .map(|bucket| bucket.value_bits)
            .unwrap_or(0);
        assert_eq!(
            third.timestamp_bits(),
            control.len() + expected_value_bits as usize
        );
        assert_round_trip(&points);
    }
}

#[test]
fn bucket_table_is_consistent() {
    for (position, bucket) in DOD_BUCKETS.iter().enumerate() {
        assert_eq!(bucket.control.len(), bucket.code_bits as usize);
        assert_eq!(
            u64::from_str_radix(bucket.control, 2),
            Ok(bucket.code),
            "{}",
            bucket.control
        );
        assert!(bucket.min <= bucket.max);
        if (1..DOD_BUCKETS.len() - 1).contains(&position) {
            // The paper's asymmetric range: -(2^(n-1) - 1) ..= 2^(n-1).
            let half = 1i64 << (bucket.value_bits - 1);
            assert_eq!((bucket.min, bucket.max), (-(half - 1), half));
        }
        assert_eq!(bucket_for(bucket.max), *bucket);
    }
}

#[test]
fn special_floats_round_trip_bit_for_bit() {
    let floats = special_floats();
    // Each special value after each other one, so every XOR pattern between them
    // (including 64 meaningful bits and capped leading zeros) is exercised.
    let mut points = Vec::new();
    let mut t = 0i64;
    for a in &floats {
        for b in &floats {
            points.push((t, *a));
            points.push((t + 1, *b));
            t += 7;
        }
    }
    assert_round_trip(&points);
    for value in floats {
        assert_round_trip(&[(0, value)]);
        assert_round_trip(&[(0, value), (1, value), (2, -value)]);
    }
}

#[test]
fn extreme_timestamps_round_trip_in_any_order() {
    let stamps = special_timestamps();
    let mut points = Vec::new();
    for a in &stamps {
        for b in &stamps {
            points.push((*a, 1.5));
            points.push((*b, -2.5));
        }
    }
    assert_round_trip(&points);
    assert_round_trip(&[(i64::MIN, 0.0), (i64::MAX, 0.0), (i64::MIN, 0.0)]);
    assert_round_trip(&[(i64::MAX, 0.0), (i64::MIN, 0.0), (i64::MAX, 0.0)]);
    let descending: Vec<(i64, f64)> = (0..100).map(|i| (1_000 - i * 13, i as f64)).collect();
    assert_round_trip(&descending);
    let duplicates: Vec<(i64, f64)> = (0..10).map(|i| (42, i as f64)).collect();
    assert_round_trip(&duplicates);
}

#[test]
fn constant_and_alternating_series() {
    let constant: Vec<(i64, f64)> = (0..1000).map(|i| (i * 10, 3.25)).collect();
    let bytes = encode(&constant);
    // 2 bytes of header (1000 as a varint), 16 for the first point, 10 bits for the
    // second (its delta is coded against 0), then 2 bits per point.
    assert_eq!(bytes.len(), 2 + 16 + (10 + 998 * 2usize).div_ceil(8));
    assert_round_trip(&constant);
    let explained = explain(&constant);
    assert!(explained.points[2..]
        .iter()
        .all(|point| point.total_bits == 2));

    let alternating: Vec<(i64, f64)> = (0..500)
        .map(|i| (i * 10, if i % 2 == 0 { 1.0 } else { -1.0 }))
        .collect();
    assert_round_trip(&alternating);
    // Only the sign bit changes: one meaningful bit in a reused window.
    assert!(explain(&alternating).points[3..]
        .iter()
        .all(|point| point.value_bits() == 3));
}

#[test]
fn long_runs_of_leading_zeros_are_capped_and_length_64_is_written_as_zero() {
    let points = [
        (0, f64::from_bits(0)),
        (1, f64::from_bits(1)), // XOR 1: 63 leading zeros -> 31
        (2, f64::from_bits(0x8000_0000_0000_0000)), // XOR with top and bottom bits: 64
    ];
    let explained = explain(&points);
    let second = &explained.points[1].fields;
    let leading = second.iter().find(|f| f.name == "leading zeros").unwrap();
    assert_eq!(leading.bits, "11111");
    assert!(leading.meaning.contains("capped"));
    let length = second
        .iter()
        .find(|f| f.name == "meaningful bits length")
        .unwrap();
    assert_eq!(length.bits, "100001"); // 64 - 31 - 0 = 33
    let third = &explained.points[2].fields;
    let length = third
        .iter()
        .find(|f| f.name == "meaningful bits length")
        .unwrap();
    assert_eq!(length.bits, "000000");
    assert!(length.meaning.contains("written as 0"));
    assert_round_trip(&points);
}

#[test]
fn explanation_fields_add_up() {
    let points: Vec<(i64, f64)> = (0..50)
        .map(|i| (1_000 + i * 10 + (i % 3), 100.0 + (i as f64) * 0.25))
        .collect();
    let explained = explain(&points);
    let bytes = encode(&points);
    assert_eq!(explained.bit_string(), to_bit_string(&bytes));
    assert_eq!(explained.total_bits, bytes.len() * 8);
    for point in &explained.points {
        assert_eq!(
            point.total_bits,
            point.fields.iter().map(|f| f.bits.len()).sum::<usize>()
        );
        assert_eq!(
            point.timestamp_bits() + point.value_bits(),
            point.total_bits
        );
        for field in &point.fields {
            assert!(!field.bits.is_empty() && !field.meaning.is_empty());
            assert!(field.bits.chars().all(|c| c == '0' || c == '1'));
        }
    }
    assert_eq!(explained.points[0].total_bits, 128);
    assert_eq!(explained.header[0].bits, "00110010");
}

#[test]
fn streaming_encoder_matches_batch_encoding_at_every_step() {
    let points: Vec<(i64, f64)> = (0..200)
        .map(|i| (i * 15 + (i * i) % 5, ((i * 7) % 13) as f64 / 4.0))
        .collect();
    let mut encoder = Encoder::new();
    assert!(encoder.is_empty() && encoder.last().is_none());
    assert_eq!(encoder.to_bytes(), encode(&[]));
    for (count, &(t, v)) in points.iter().enumerate() {
        encoder.push(t, v);
        let expected = encode(&points[..=count]);
        assert_eq!(encoder.to_bytes(), expected);
        assert_eq!(encoder.encoded_len(), expected.len());
        assert_eq!(encoder.len(), count + 1);
        assert_eq!(encoder.last(), Some((t, v)));
    }
    assert_eq!(encoder.finish(), encode(&points));
}

// ----- decode errors -----

/// A stream built field by field, for crafting corrupt input.
fn stream(count: u8, fields: &[(u64, u32)]) -> Vec<u8> {
    let mut writer = BitWriter::default();
    for &(bits, width) in fields {
        writer.write(bits, width);
    }
    let mut out = vec![count];
    writer.append_to(&mut out);
    out
}

#[test]
fn decode_reports_each_kind_of_damage() {
    assert_eq!(
        decode(&[]),
        Err(DecodeError::Truncated {
            bit_offset: 0,
            field: "point count"
        })
    );
    assert!(!decode(&[0x80]).unwrap_err().to_string().is_empty());
    assert_eq!(decode(&[0xff; 11]), Err(DecodeError::BadHeader));
    assert_eq!(decode(&[0x80, 0x00]), Err(DecodeError::BadHeader)); // not minimal
    let mut too_wide = vec![0xff; 9];
    too_wide.push(0x02); // the tenth byte may only carry bit 63
    assert_eq!(decode(&too_wide), Err(DecodeError::BadHeader));
    let mut max = vec![0xff; 9];
    max.push(0x01);
    assert_eq!(
        decode(&max),
        Err(DecodeError::CountTooLarge {
            claimed: u64::MAX,
            max_possible: 0
        })
    );
    assert_eq!(
        decode(&[0x01]),
        Err(DecodeError::CountTooLarge {
            claimed: 1,
            max_possible: 0
        })
    );

    let first = [(0u64, 64u32), (0, 64)];
    // Timestamp '0', then value '10' (reuse) with no window set yet.
    let missing = stream(2, &[first[0], first[1], (0, 1), (0b10, 2)]);
    assert_eq!(
        decode(&missing),
        Err(DecodeError::MissingWindow { point: 1 })
    );
    // Value '11', 31 leading zeros, 40 meaningful bits: 71 > 64.
    let invalid = stream(
        2,
        &[first[0], first[1], (0, 1), (0b11, 2), (31, 5), (40, 6)],
    );
    assert_eq!(
        decode(&invalid),
        Err(DecodeError::InvalidWindow {
            point: 1,
            leading: 31,
            length: 40
        })
    );

    let good = encode(&[(1, 1.0), (2, 2.0)]);
    let mut trailing = good.clone();
    trailing.extend_from_slice(&[0, 0]);
    assert_eq!(
        decode(&trailing),
        Err(DecodeError::TrailingBytes { count: 2 })
    );
    let mut dirty_padding = good.clone();
    if let Some(last) = dirty_padding.last_mut() {
        *last |= 1; // the stream's bit count is not a multiple of 8 here
    }
    assert_eq!(decode(&dirty_padding), Err(DecodeError::NonZeroPadding));

    // Every error explains itself and is a std error.
    let errors: Vec<Box<dyn std::error::Error>> = vec![
        Box::new(DecodeError::BadHeader),
        Box::new(DecodeError::NonZeroPadding),
        Box::new(DecodeError::TrailingBytes { count: 1 }),
        Box::new(DecodeError::MissingWindow { point: 3 }),
    ];
    assert!(errors.iter().all(|error| !error.to_string().is_empty()));
}

#[test]
fn a_huge_claimed_count_does_not_allocate() {
    // 2^62 points claimed, 16 bytes of data: rejected before any allocation.
    let mut bytes = Vec::new();
    write_varint(&mut bytes, 1 << 62);
    bytes.extend_from_slice(&[0u8; 16]);
    assert!(matches!(
        decode(&bytes),
        Err(DecodeError::CountTooLarge {
            max_possible: 1,
            ..
        })
    ));
}

#[test]
fn every_truncation_of_a_valid_stream_is_an_error() {
    let floats = special_floats();
    let stamps = special_timestamps();
    let mut adversarial = Vec::new();
    for (i, value) in floats.iter().enumerate() {
        adversarial.push((stamps[i % stamps.len()], *value));
    }
    let steady: Vec<(i64, f64)> = (0..300).map(|i| (i * 10, (i / 7) as f64)).collect();
    for points in [adversarial, steady, vec![(5, 5.0)], Vec::new()] {
        let bytes = encode(&points);
        for cut in 0..bytes.len() {
            assert!(
                decode(&bytes[..cut]).is_err(),
                "prefix of {cut} of {} bytes decoded",
                bytes.len()
            );
        }
        assert_eq!(as_bits(&decode(&bytes).unwrap()), as_bits(&points));
    }
}

#[test]
fn varint_lengths() {
    for value in [0u64, 1, 127, 128, 16_383, 16_384, u64::MAX] {
        let mut out = Vec::new();
        write_varint(&mut out, value);
        assert_eq!(out.len(), varint_len(value));
        let mut reader = BitReader::new(&out);
        assert_eq!(read_varint(&mut reader), Ok(value));
    }
}

#[test]
fn bit_strings() {
    assert_eq!(to_bit_string(&[]), "");
    assert_eq!(to_bit_string(&[0b1010_0001, 0xff]), "1010000111111111");
    assert_eq!(bits_to_string(0b101, 3), "101");
    assert_eq!(bits_to_string(u64::MAX, 64), "1".repeat(64));
}

// ----- properties -----

fn any_series() -> impl Strategy<Value = Vec<(i64, f64)>> {
    proptest::collection::vec((any::<i64>(), any::<u64>()), 0..120).prop_map(|raw| {
        raw.into_iter()
            .map(|(t, bits)| (t, f64::from_bits(bits)))
            .collect()
    })
}

/// Mostly regular series: steady intervals with jitter and occasional jumps, values
/// that random-walk, repeat, or switch to special floats.
fn realistic_series() -> impl Strategy<Value = Vec<(i64, f64)>> {
    (
        any::<i64>(),
        proptest::collection::vec((0u8..20, -1000i64..1000, 0u8..10, -100i32..100), 0..300),
    )
        .prop_map(|(start, steps)| {
            let specials = special_floats();
            let mut t = start;
            let mut value = 0.0f64;
            steps
                .into_iter()
                .map(|(kind, jitter, value_kind, change)| {
                    let step = match kind {
                        0 => jitter.wrapping_mul(1 << 40),
                        1..=3 => 10 + jitter % 5,
                        _ => 10,
                    };
                    t = t.wrapping_add(step);
                    value = match value_kind {
                        0 => specials[(change.unsigned_abs() as usize) % specials.len()],
                        1..=4 => value,
                        _ => ((value + f64::from(change) / 100.0) * 100.0).round() / 100.0,
                    };
                    (t, value)
                })
                .collect()
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_series_round_trip(points in any_series()) {
        let bytes = encode(&points);
        let decoded = decode(&bytes).expect("an encoding decodes");
        prop_assert_eq!(as_bits(&decoded), as_bits(&points));
        prop_assert_eq!(explain(&points).bit_string(), to_bit_string(&bytes));
    }

    #[test]
    fn realistic_series_round_trip(points in realistic_series()) {
        let bytes = encode(&points);
        let decoded = decode(&bytes).expect("an encoding decodes");
        prop_assert_eq!(as_bits(&decoded), as_bits(&points));
        prop_assert_eq!(explain(&points).bit_string(), to_bit_string(&bytes));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = decode(&bytes);
    }

    #[test]
    fn plausible_headers_over_random_bits_never_panic(
        count in 0u8..100,
        body in proptest::collection::vec(any::<u8>(), 0..400),
    ) {
        let mut bytes = vec![count];
        bytes.extend_from_slice(&body);
        if let Ok(points) = decode(&bytes) {
            prop_assert_eq!(points.len(), usize::from(count));
        }
    }

    #[test]
    fn corrupting_a_valid_stream_never_panics(
        points in realistic_series(),
        flips in proptest::collection::vec((any::<usize>(), 0u8..8), 1..4),
    ) {
        let mut bytes = encode(&points);
        for (position, bit) in flips {
            let index = position % bytes.len();
            bytes[index] ^= 1 << bit;
        }
        let _ = decode(&bytes);
    }
}
