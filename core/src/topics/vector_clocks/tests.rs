//! Unit tests of the vector clocks model.
