//! Paxos's behaviour: both phases, learning, every preset's story, each bug,
//! durable state across a crash, and that each invariant of the checker can fire.
