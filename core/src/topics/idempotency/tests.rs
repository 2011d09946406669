//! The idempotency model's behaviour.
