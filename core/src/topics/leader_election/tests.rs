//! Unit tests of the leader-election model.
