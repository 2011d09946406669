//! The simulated network: latency, loss, duplication, reordering and partitions.
//!
//! The network decides a message's fate when it is sent: each copy either arrives at
//! a known time or is lost at a known time. That is what lets a view place every
//! message in flight at any instant without asking the simulator. A node that is down
//! when a message arrives still loses it; the simulator records that at arrival.
//!
//! Reachability is the conjunction of two things: the partition (every node in one
//! numbered group; only nodes of the same group can talk) and a set of one-way cuts
//! (`from -> to` links that lose everything). A full partition is a grouping; a cut
//! link in the UI is two one-way cuts.

use super::rng::{Rng, PPM};
use super::time::{Duration, NodeId, Time};
use super::view::OUTSIDE_PARTITION;

/// The knobs of the network, all integers so runs are portable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkConfig {
    /// One-way latency is uniform in `latency_min..=latency_max`.
    pub latency_min: Duration,
    pub latency_max: Duration,
    /// Probability that a message is lost, in parts per million.
    pub drop_ppm: u32,
    /// Probability that a message is delivered twice.
    pub duplicate_ppm: u32,
    /// Probability that a message is held back by up to two extra maximum latencies,
    /// so it overtakes nothing but is overtaken by later messages.
    pub reorder_ppm: u32,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig {
            latency_min: Duration::from_millis(10),
            latency_max: Duration::from_millis(30),
            drop_ppm: 0,
            duplicate_ppm: 0,
            reorder_ppm: 0,
        }
    }
}

/// Why a message was lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// Random loss (the drop rate).
    Loss,
    /// The sender and receiver were on different sides of a partition or cut link.
    Partition,
    /// The receiver was down when the message arrived.
    ReceiverDown,
}

impl DropReason {
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::Loss => "lost",
            DropReason::Partition => "partitioned",
            DropReason::ReceiverDown => "receiver down",
        }
    }
}

/// The fate of one copy of a message, decided at send time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    Deliver { at: Time },
    Drop { at: Time, reason: DropReason },
}

/// The network's current state: configuration plus partitions and cuts.
#[derive(Clone, Debug)]
pub struct Network {
    pub config: NetworkConfig,
    /// Partition group per node; `None` means fully connected.
    groups: Option<Vec<u32>>,
    /// One-way cut links `(from, to)`.
    /// Sorted and distinct. A handful of links at most: sorted vectors do as
    /// well as tree maps here, with far less code in every page's bundle.
    cuts: Vec<(NodeId, NodeId)>,
    /// Links with their own latency range `(min, max)`, overriding the config's.
    link_latency: Vec<((NodeId, NodeId), (Duration, Duration))>,
}

impl Network {
    pub fn new(config: NetworkConfig) -> Self {
        Network {
            config,
            groups: None,
            cuts: Vec::new(),
            link_latency: Vec::new(),
        }
    }

    /// Whether a message sent now from `from` reaches `to` (ignoring random loss).
    pub fn can_reach(&self, from: NodeId, to: NodeId) -> bool {
        if from == to {
            return true;
        }
        if self.cuts.binary_search(&(from, to)).is_ok() {
            return false;
        }
        match &self.groups {
            None => true,
            Some(groups) => match (groups.get(from.index()), groups.get(to.index())) {
                (Some(a), Some(b)) => a == b,
                // A node the partition does not list (a topic's client, say)
                // stands outside it and reaches every side.
                _ => true,
            },
        }
    }

    /// Splits the nodes into groups: `groups[i]` is node i's group. Nodes missing from
    /// the list stand outside the partition: they reach, and are reached by, every
    /// group (the cluster view draws them in group 0).
    pub fn partition(&mut self, groups: Vec<u32>) {
        self.groups = if groups
            .iter()
            .all(|&g| g == groups.first().copied().unwrap_or(0))
        {
            None
        } else {
            Some(groups)
        };
    }

    /// Removes the partition and every cut.
    pub fn heal(&mut self) {
        self.groups = None;
        self.cuts.clear();
    }

    pub fn cut(&mut self, from: NodeId, to: NodeId) {
        if from != to {
            if let Err(at) = self.cuts.binary_search(&(from, to)) {
                self.cuts.insert(at, (from, to));
            }
        }
    }

    pub fn restore(&mut self, from: NodeId, to: NodeId) {
        if let Ok(at) = self.cuts.binary_search(&(from, to)) {
            self.cuts.remove(at);
        }
    }

    /// The partition group of each node: all zero when fully connected, and
    /// [`OUTSIDE_PARTITION`] for a node the partition does not list.
    pub fn groups(&self, nodes: usize) -> Vec<u32> {
        (0..nodes)
            .map(|i| match &self.groups {
                None => 0,
                Some(groups) => groups.get(i).copied().unwrap_or(OUTSIDE_PARTITION),
            })
            .collect()
    }

    /// Gives the one-way link `from -> to` its own latency range (a slow or far
    /// link); `None` returns it to the network's default.
    pub fn set_link_latency(
        &mut self,
        from: NodeId,
        to: NodeId,
        range: Option<(Duration, Duration)>,
    ) {
        let found = self
            .link_latency
            .binary_search_by(|(link, _)| link.cmp(&(from, to)));
        match (range, found) {
            (Some((min, max)), found) => {
                let entry = ((from, to), (min.min(max), max.max(min)));
                match found {
                    Ok(at) => self.link_latency[at] = entry,
                    Err(at) => self.link_latency.insert(at, entry),
                }
            }
            (None, Ok(at)) => {
                self.link_latency.remove(at);
            }
            (None, Err(_)) => {}
        }
    }

    pub fn cuts(&self) -> impl Iterator<Item = (NodeId, NodeId)> + '_ {
        self.cuts.iter().copied()
    }

    pub fn is_partitioned(&self) -> bool {
        self.groups.is_some() || !self.cuts.is_empty()
    }

    fn latency(&self, from: NodeId, to: NodeId, rng: &mut Rng) -> Duration {
        let config = &self.config;
        let (min, max) = self
            .link_latency
            .binary_search_by(|(link, _)| link.cmp(&(from, to)))
            .map_or((config.latency_min, config.latency_max), |at| {
                self.link_latency[at].1
            });
        let mut latency = rng.range_inclusive(min.as_micros(), max.as_micros());
        if rng.chance_ppm(config.reorder_ppm) {
            latency = latency.saturating_add(rng.range_inclusive(0, 2 * max.as_micros()));
        }
        Duration(latency.max(1))
    }

    /// Decides the fate of a message sent at `now`: one or two copies (duplication),
    /// each delivered or dropped at a known time. A lost message vanishes halfway, so
    /// the timeline can draw where it died.
    pub fn plan(&self, from: NodeId, to: NodeId, now: Time, rng: &mut Rng, out: &mut Vec<Fate>) {
        out.clear();
        let copies = if rng.chance_ppm(self.config.duplicate_ppm) {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let latency = self.latency(from, to, rng);
            let halfway = now.after(Duration(latency.as_micros() / 2));
            let fate = if !self.can_reach(from, to) {
                Fate::Drop {
                    at: halfway,
                    reason: DropReason::Partition,
                }
            } else if rng.chance_ppm(self.config.drop_ppm) {
                Fate::Drop {
                    at: halfway,
                    reason: DropReason::Loss,
                }
            } else {
                Fate::Deliver {
                    at: now.after(latency),
                }
            };
            out.push(fate);
        }
    }
}

/// Clamps a probability to at most one million parts per million.
pub fn clamp_ppm(ppm: i64) -> u32 {
    ppm.clamp(0, PPM as i64) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(i: u32) -> NodeId {
        NodeId(i)
    }

    #[test]
    fn partition_groups_and_one_way_cuts() {
        let mut net = Network::new(NetworkConfig::default());
        assert!(net.can_reach(n(0), n(4)));
        net.partition(vec![0, 0, 1, 1, 1]);
        assert!(net.can_reach(n(0), n(1)));
        assert!(!net.can_reach(n(1), n(2)));
        assert!(net.can_reach(n(2), n(4)));
        net.heal();
        net.cut(n(0), n(1));
        assert!(!net.can_reach(n(0), n(1)));
        assert!(net.can_reach(n(1), n(0)), "a cut is one-way");
        net.restore(n(0), n(1));
        assert!(!net.is_partitioned());
    }

    #[test]
    fn a_grouping_with_one_group_is_no_partition() {
        let mut net = Network::new(NetworkConfig::default());
        net.partition(vec![3, 3, 3]);
        assert!(!net.is_partitioned());
    }

    #[test]
    fn plan_respects_latency_bounds_and_partitions() {
        let mut net = Network::new(NetworkConfig::default());
        let mut rng = Rng::new(9);
        let mut fates = Vec::new();
        for _ in 0..500 {
            net.plan(n(0), n(1), Time(1_000), &mut rng, &mut fates);
            assert_eq!(fates.len(), 1);
            match fates[0] {
                Fate::Deliver { at } => {
                    assert!(at >= Time(11_000) && at <= Time(31_000), "{at:?}")
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        net.partition(vec![0, 1]);
        net.plan(n(0), n(1), Time(0), &mut rng, &mut fates);
        assert!(matches!(
            fates[0],
            Fate::Drop {
                reason: DropReason::Partition,
                ..
            }
        ));
    }

    #[test]
    fn a_link_can_have_its_own_latency() {
        let mut net = Network::new(NetworkConfig::default());
        net.set_link_latency(
            n(0),
            n(1),
            Some((Duration::from_millis(200), Duration::from_millis(100))),
        );
        let mut rng = Rng::new(2);
        let mut fates = Vec::new();
        for _ in 0..200 {
            net.plan(n(0), n(1), Time::ZERO, &mut rng, &mut fates);
            let Fate::Deliver { at } = fates[0] else {
                panic!()
            };
            assert!(
                at >= Time::from_millis(100) && at <= Time::from_millis(200),
                "{at}"
            );
            net.plan(n(1), n(0), Time::ZERO, &mut rng, &mut fates);
            let Fate::Deliver { at } = fates[0] else {
                panic!()
            };
            assert!(
                at <= Time::from_millis(30),
                "the reverse direction keeps the default"
            );
        }
        net.set_link_latency(n(0), n(1), None);
        net.plan(n(0), n(1), Time::ZERO, &mut rng, &mut fates);
        let Fate::Deliver { at } = fates[0] else {
            panic!()
        };
        assert!(at <= Time::from_millis(30));
    }

    #[test]
    fn loss_and_duplication_rates_are_honoured() {
        let config = NetworkConfig {
            drop_ppm: 200_000,
            duplicate_ppm: 100_000,
            ..NetworkConfig::default()
        };
        let net = Network::new(config);
        let mut rng = Rng::new(4);
        let mut fates = Vec::new();
        let (mut copies, mut lost) = (0, 0);
        for _ in 0..20_000 {
            net.plan(n(0), n(1), Time(0), &mut rng, &mut fates);
            copies += fates.len();
            lost += fates
                .iter()
                .filter(|f| matches!(f, Fate::Drop { .. }))
                .count();
        }
        assert!((21_500..22_500).contains(&copies), "copies = {copies}");
        let loss = lost as f64 / copies as f64;
        assert!((0.18..0.22).contains(&loss), "loss = {loss}");
    }
}
