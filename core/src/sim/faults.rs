//! Random fault plans and client workloads drawn from a seed.
//!
//! A seed sweep needs faults nobody scripted: [`fault_plan`] turns a seed and a
//! [`FaultLevel`] into timed actions (loss, duplication, reordering, crashes with
//! later restarts, partitions and one-way cuts with later heals). Because the plan is
//! a pure function of the seed, `distlab run TOPIC --seed S --faults heavy` replays
//! exactly what the sweep saw. [`arrivals`] does the same for the instants of a
//! client workload (the topic decides what each request is).

use super::action::{Action, TimedAction};
use super::rng::Rng;
use super::time::{Duration, NodeId, Time};

/// How many random faults a run draws from its seed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum FaultLevel {
    #[default]
    None,
    Light,
    Heavy,
    /// Crashes and restarts (longer outages than `heavy`) on a network that
    /// delays, duplicates and reorders messages but never loses them and is
    /// never partitioned or cut: the synchronous, crash-only model in which a
    /// timeout means a crash (three-phase commit's model).
    Crashes,
}

impl FaultLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            FaultLevel::None => "none",
            FaultLevel::Light => "light",
            FaultLevel::Heavy => "heavy",
            FaultLevel::Crashes => "crashes",
        }
    }

    pub fn parse(text: &str) -> Option<FaultLevel> {
        match text {
            "none" => Some(FaultLevel::None),
            "light" => Some(FaultLevel::Light),
            "heavy" => Some(FaultLevel::Heavy),
            "crashes" => Some(FaultLevel::Crashes),
            _ => None,
        }
    }
}

/// The RNG streams of the plans, apart from every node's stream.
const FAULT_STREAM: u64 = 0xFFFF_0002;
const WORKLOAD_STREAM: u64 = 0xFFFF_0003;

/// The shape of a fault level. Rates in parts per million, times in milliseconds.
struct FaultShape {
    drop_ppm: u32,
    duplicate_ppm: u32,
    reorder_ppm: u32,
    /// A fault every `gap_min_ms..=gap_max_ms`.
    gap_min_ms: u64,
    gap_max_ms: u64,
    downtime_max_ms: u64,
    bounce_max_ms: u64,
    /// Whether the plan partitions the network and cuts links.
    partitions: bool,
}

const LIGHT: FaultShape = FaultShape {
    drop_ppm: 10_000,
    duplicate_ppm: 0,
    reorder_ppm: 10_000,
    gap_min_ms: 800,
    gap_max_ms: 3_000,
    downtime_max_ms: 1_500,
    bounce_max_ms: 100,
    partitions: true,
};

/// Tuned by measurement (see `check` in the README): short gaps, short downtimes
/// and bounces make the interleavings that expose Raft's bugs (a double vote across
/// a restart; Figure 8) common enough to be found in a few thousand seeds.
const HEAVY: FaultShape = FaultShape {
    drop_ppm: 60_000,
    duplicate_ppm: 30_000,
    reorder_ppm: 60_000,
    gap_min_ms: 30,
    gap_max_ms: 200,
    downtime_max_ms: 300,
    bounce_max_ms: 20,
    partitions: true,
};

/// Heavy's crashes and message delays, outages up to 1.5 s, and neither loss
/// nor partitions nor cuts.
const CRASHES: FaultShape = FaultShape {
    drop_ppm: 0,
    duplicate_ppm: 30_000,
    reorder_ppm: 60_000,
    gap_min_ms: 30,
    gap_max_ms: 200,
    downtime_max_ms: 1_500,
    bounce_max_ms: 20,
    partitions: false,
};

/// Faults for `nodes` nodes from time zero up to `horizon`, sorted by time.
pub fn fault_plan(level: FaultLevel, seed: u64, nodes: usize, horizon: Time) -> Vec<TimedAction> {
    let shape = match level {
        FaultLevel::None => return Vec::new(),
        FaultLevel::Light => LIGHT,
        FaultLevel::Heavy => HEAVY,
        FaultLevel::Crashes => CRASHES,
    };
    let mut rng = Rng::derive(seed, FAULT_STREAM);
    let mut plan = vec![
        TimedAction::at_ms(0, Action::SetDropRate(shape.drop_ppm)),
        TimedAction::at_ms(0, Action::SetDuplicateRate(shape.duplicate_ppm)),
        TimedAction::at_ms(0, Action::SetReorderRate(shape.reorder_ppm)),
    ];
    if nodes < 2 {
        return plan;
    }
    // Track which nodes the plan has down, so restarts target crashed nodes and at
    // most a minority is down at once (a cluster with no quorum shows nothing).
    let mut down_until = vec![Time::ZERO; nodes];
    let max_down = (nodes - 1) / 2;
    let mut now = Time::ZERO;
    loop {
        now = now.after(Duration::from_millis(
            rng.range_inclusive(shape.gap_min_ms, shape.gap_max_ms),
        ));
        if now >= horizon {
            break;
        }
        let downtime = |rng: &mut Rng| {
            // Half the crashes are bounces: back within a few milliseconds, in the
            // middle of whatever election or round was running.
            let longest = if rng.coin() {
                shape.bounce_max_ms
            } else {
                shape.downtime_max_ms
            };
            Duration::from_millis(rng.range_inclusive(1, longest))
        };
        let down_now = down_until.iter().filter(|&&t| t > now).count();
        match rng.below(10) {
            0..=1 => {
                // Jepsen-style nemesis: whoever the topic says matters most right
                // now (the leader, the coordinator).
                let downtime = downtime(&mut rng);
                plan.push(TimedAction {
                    at: now,
                    action: Action::CrashFocus { downtime },
                });
            }
            2..=4 => {
                let node = rng.below(nodes as u64) as usize;
                if down_until[node] > now || down_now >= max_down {
                    continue;
                }
                let back = now.after(downtime(&mut rng));
                down_until[node] = back;
                let node = NodeId(node as u32);
                plan.push(TimedAction {
                    at: now,
                    action: Action::Crash(node),
                });
                plan.push(TimedAction {
                    at: back,
                    action: Action::Restart(node),
                });
            }
            5.. if !shape.partitions => continue,
            5..=6 => {
                let groups: Vec<u32> = (0..nodes).map(|_| rng.below(2) as u32).collect();
                let heal = now.after(Duration::from_millis(
                    rng.range_inclusive(50, 3 * shape.downtime_max_ms),
                ));
                plan.push(TimedAction {
                    at: now,
                    action: Action::Partition(groups),
                });
                plan.push(TimedAction {
                    at: heal,
                    action: Action::Heal,
                });
            }
            _ => {
                let from = NodeId(rng.below(nodes as u64) as u32);
                let to = NodeId(rng.below(nodes as u64) as u32);
                if from == to {
                    continue;
                }
                let restore = now.after(Duration::from_millis(
                    rng.range_inclusive(50, 2 * shape.downtime_max_ms),
                ));
                plan.push(TimedAction {
                    at: now,
                    action: Action::Cut { from, to },
                });
                plan.push(TimedAction {
                    at: restore,
                    action: Action::Restore { from, to },
                });
            }
        }
    }
    crate::sort::sort_stably_by(&mut plan, |a| a.at.as_micros());
    plan
}

/// The instants of client requests at `per_second` on average (uniform gaps),
/// from `start` up to `horizon`. Request i (from 1) is the topic's to define.
pub fn arrivals(seed: u64, per_second: u64, start: Time, horizon: Time) -> Vec<Time> {
    if per_second == 0 {
        return Vec::new();
    }
    let mut rng = Rng::derive(seed, WORKLOAD_STREAM);
    let mean_gap = 1_000_000 / per_second;
    let mut instants = Vec::new();
    let mut now = start;
    loop {
        now = now.after(Duration(
            rng.range_inclusive(mean_gap / 2, mean_gap * 3 / 2).max(1),
        ));
        if now >= horizon {
            return instants;
        }
        instants.push(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_are_pure_functions_of_the_seed() {
        let a = fault_plan(FaultLevel::Heavy, 9, 5, Time::from_millis(10_000));
        let b = fault_plan(FaultLevel::Heavy, 9, 5, Time::from_millis(10_000));
        let c = fault_plan(FaultLevel::Heavy, 10, 5, Time::from_millis(10_000));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(fault_plan(FaultLevel::None, 9, 5, Time::from_millis(10_000)).is_empty());
    }

    #[test]
    fn heavy_plans_crash_restart_and_partition() {
        let plan = fault_plan(FaultLevel::Heavy, 3, 5, Time::from_millis(10_000));
        let count = |f: fn(&Action) -> bool| plan.iter().filter(|a| f(&a.action)).count();
        let crashes = count(|a| matches!(a, Action::Crash(_)));
        assert!(crashes >= 5, "crashes = {crashes}");
        assert_eq!(crashes, count(|a| matches!(a, Action::Restart(_))));
        assert!(count(|a| matches!(a, Action::CrashFocus { .. })) >= 5);
        assert!(count(|a| matches!(a, Action::Partition(_))) >= 5);
        assert!(plan.windows(2).all(|w| w[0].at <= w[1].at));
    }

    #[test]
    fn at_most_a_minority_is_down_at_once() {
        for seed in 0..50 {
            let plan = fault_plan(FaultLevel::Heavy, seed, 5, Time::from_millis(20_000));
            let mut down = 0i32;
            for action in &plan {
                match action.action {
                    Action::Crash(_) => down += 1,
                    Action::Restart(_) => down -= 1,
                    _ => {}
                }
                assert!(down <= 2, "seed {seed}: {down} down");
            }
        }
    }

    #[test]
    fn crash_plans_neither_lose_nor_partition_nor_cut() {
        for seed in 0..20 {
            let plan = fault_plan(FaultLevel::Crashes, seed, 4, Time::from_millis(20_000));
            assert!(plan.iter().all(|a| !matches!(
                a.action,
                Action::Partition(_) | Action::Cut { .. } | Action::SetDropRate(1..)
            )));
            assert!(plan.iter().any(|a| matches!(a.action, Action::Crash(_))));
        }
        assert_eq!(FaultLevel::parse("crashes"), Some(FaultLevel::Crashes));
    }

    #[test]
    fn workload_rate_is_roughly_right() {
        let w = arrivals(1, 10, Time::ZERO, Time::from_millis(10_000));
        assert!((90..=110).contains(&w.len()), "{}", w.len());
    }
}
