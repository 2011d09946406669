//! The saga's behaviour (filled in below).
