//! Unit tests of the PBFT model.
