//! `gorilla::decode` on arbitrary bytes: it must return Ok or Err, never panic or
//! run away with memory; and whatever it decodes must re-encode and decode to the
//! same points (bit for bit).
#![no_main]

use distlab_core::tsdb::gorilla;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(points) = gorilla::decode(data) {
        let again = gorilla::decode(&gorilla::encode(&points)).expect("re-encoded points decode");
        assert_eq!(points.len(), again.len());
        for (a, b) in points.iter().zip(&again) {
            assert_eq!(a.0, b.0);
            assert_eq!(a.1.to_bits(), b.1.to_bits());
        }
    }
});
