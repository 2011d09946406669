//! Unit tests of the multi-tenancy model.
