//! Geometry of the cluster view: servers on a circle with a link between every
//! pair, clients (if the topic has any) in a column to the left, and every message
//! in flight at the shown instant placed on its link.
//!
//! A client's links to the servers are drawn only while they matter (a message on
//! them, or a cut): five clients talking to seven servers would otherwise draw 35
//! lines across the ring.
//!
//! Past [`LARGE`] servers (gossip runs up to 10,000) a ring and a link per pair
//! cannot be drawn: the servers fill a disc on a sunflower spiral (Vogel's
//! golden-angle arrangement: even density, no rings), and only links that
//! carry a message or are cut appear; at most [`MESSAGE_CAP`] messages are
//! drawn, the rest counted on their links.
//!
//! A message's position is the fraction of its flight elapsed: `sent_at` at the
//! sender, arrival at the receiver. A lost message dies halfway (the network decided
//! so at send), so it travels to the midpoint and ends in a cross.

use distlab_core::sim::network::Fate;
use distlab_core::sim::time::{NodeId, Time};
use distlab_core::sim::trace::MessageRecord;
use distlab_core::sim::view::ClusterState;
use distlab_core::sim::view::{Palette, OUTSIDE_PARTITION};

use super::palette_index;

/// The view box is `SIZE x SIZE` user units.
pub const SIZE: f64 = 400.0;

/// More servers than this are placed on a disc, with links only where
/// something happens.
pub const LARGE: usize = 32;

/// The most messages drawn in a large cluster.
pub const MESSAGE_CAP: usize = 400;

#[derive(Clone, Debug, PartialEq)]
pub struct ClusterLayout {
    pub nodes: Vec<NodeGlyph>,
    pub links: Vec<LinkGlyph>,
    pub messages: Vec<MessageGlyph>,
    /// The servers fill a disc (past [`LARGE`] of them) with dots too small
    /// to label (a few hundred or more): a page paints this layout on a
    /// canvas rather than as an SVG element per node.
    pub canvas: bool,
}

/// Dots smaller than this radius carry no name or badge: at a thousand nodes
/// the text would cover the dots it names (the tooltip still names each).
pub const LABEL_RADIUS: f64 = 8.0;

/// A click within this distance of a tiny dot's centre picks it.
const MIN_HIT_RADIUS: f64 = 6.0;

/// The badge's font size (view units) when it fits.
pub const BADGE_FONT: f64 = 13.0;
/// The smallest font a badge shrinks to (a few letters on a client's dot).
const BADGE_MIN_FONT: f64 = 7.0;
/// A bold sans-serif glyph's mean advance, in ems (DejaVu Sans Bold,
/// Chromium's default here, over the topics' badges).
const BADGE_ADVANCE: f64 = 0.68;

impl NodeGlyph {
    /// Whether the view writes the node's name and badge beside its dot.
    pub fn labelled(&self) -> bool {
        self.radius >= LABEL_RADIUS
    }

    /// The badge's font size: [`BADGE_FONT`], or smaller so that it spans at
    /// most 1.7 radii. White text past the dot's edge would vanish on the
    /// page's light background.
    pub fn badge_font(&self) -> f64 {
        let glyphs = self.badge.chars().count().max(1) as f64;
        (1.7 * self.radius / (glyphs * BADGE_ADVANCE)).clamp(BADGE_MIN_FONT, BADGE_FONT)
    }
}

impl ClusterLayout {
    /// The node whose dot is nearest to `(x, y)` (view units), if the point
    /// lies on it or, for dots smaller than a fingertip, close to it: what a
    /// click on a canvas picks.
    pub fn node_at(&self, x: f64, y: f64) -> Option<NodeId> {
        let mut best: Option<(f64, NodeId)> = None;
        for node in &self.nodes {
            let distance = ((node.x - x).powi(2) + (node.y - y).powi(2)).sqrt();
            let reach = node.radius.max(MIN_HIT_RADIUS);
            if distance <= reach && best.is_none_or(|(nearest, _)| distance < nearest) {
                best = Some((distance, node.id));
            }
        }
        best.map(|(_, id)| id)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct NodeGlyph {
    pub id: NodeId,
    pub x: f64,
    pub y: f64,
    pub radius: f64,
    pub up: bool,
    /// The role in the topic's words (for the tooltip).
    pub role: &'static str,
    /// The colour slot the topic gave that role.
    pub palette: Palette,
    pub badge: String,
    pub detail: String,
    /// Partition side, for a subtle outline colour when partitioned.
    pub group: u32,
    /// A client of the service, drawn in the column beside the ring.
    pub client: bool,
}

/// The state of the link between two nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkState {
    Open,
    /// One direction is cut.
    HalfCut,
    /// Both directions are cut, or the nodes are on different partition sides.
    Cut,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LinkGlyph {
    pub a: NodeId,
    pub b: NodeId,
    pub x1: f64,
    pub y1: f64,
    pub x2: f64,
    pub y2: f64,
    pub state: LinkState,
    /// Messages on this link right now (either way): what a view without
    /// moving messages (reduced motion) shows instead.
    pub in_flight: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MessageGlyph {
    pub id: u32,
    pub x: f64,
    pub y: f64,
    /// Palette index of the message type.
    pub colour: usize,
    pub label: String,
    /// On its way to being lost (drawn as a fading cross near the end).
    pub doomed: bool,
}

/// Places `cluster`'s nodes and the messages of `flying` at instant `now`.
/// `many_nodes` says the topic may run more than [`LARGE`] servers: a
/// constant at each page's call, and inlined, so the pages of topics that
/// cannot leave the disc layout out of their bundle.
#[inline(always)]
pub fn layout(
    cluster: &ClusterState,
    flying: &[&MessageRecord],
    now: Time,
    many_nodes: bool,
) -> ClusterLayout {
    let clients = cluster.nodes.iter().filter(|n| n.client).count();
    let servers = cluster.nodes.len() - clients;
    let count = servers.max(1);
    // With clients the ring moves right and shrinks to leave them a column.
    let (centre_x, ring) = if clients > 0 {
        (SIZE * 0.58, SIZE * 0.32)
    } else {
        (SIZE / 2.0, SIZE * 0.36)
    };
    let centre_y = SIZE / 2.0;
    let radius = if count <= 1 { 0.0 } else { ring };
    let large = many_nodes && count > LARGE;
    let node_radius = if large {
        // Dots that fill about half the disc, whatever the count.
        (ring * 0.7 / (count as f64).sqrt()).clamp(0.6, 10.0)
    } else {
        (SIZE * 0.5 / count as f64).clamp(10.0, 30.0)
    };
    let client_radius = node_radius.min(SIZE * 0.4 / (clients.max(1) as f64 * 2.0));
    let (mut server_index, mut client_index) = (0, 0);
    let mut position = |client: bool| {
        if client {
            let i = client_index;
            client_index += 1;
            let gap = SIZE / (clients as f64 + 1.0);
            (SIZE * 0.08, gap * (i as f64 + 1.0), client_radius)
        } else if large {
            // Vogel's spiral: the i-th of n at radius R·sqrt((i + 0.5) / n),
            // turned by the golden angle each step.
            let i = server_index as f64;
            server_index += 1;
            let (cos, sin) = super::cos_sin(i * GOLDEN_ANGLE);
            let r = (ring + node_radius) * ((i + 0.5) / count as f64).sqrt();
            (centre_x + r * cos, centre_y + r * sin, node_radius)
        } else {
            let i = server_index;
            server_index += 1;
            let (cos, sin) = super::cos_sin(
                -std::f64::consts::FRAC_PI_2 + i as f64 * std::f64::consts::TAU / count as f64,
            );
            (
                centre_x + radius * cos,
                centre_y + radius * sin,
                node_radius,
            )
        }
    };
    let nodes: Vec<NodeGlyph> = cluster
        .nodes
        .iter()
        .enumerate()
        .map(|(i, node)| {
            let (x, y, radius) = position(node.client);
            NodeGlyph {
                id: node.id,
                x,
                y,
                radius,
                up: node.up,
                role: node.summary.role,
                palette: node.summary.palette,
                badge: node.summary.badge.clone(),
                detail: node.summary.detail.clone(),
                group: cluster.groups.get(i).copied().unwrap_or(0),
                client: node.client,
            }
        })
        .collect();

    let cut = |from: NodeId, to: NodeId| cluster.cuts.contains(&(from, to));
    let is_client: Vec<bool> = cluster.nodes.iter().map(|n| n.client).collect();
    // A large cluster considers only the pairs where something happens,
    // found from the messages in flight (counted per pair in one pass) and
    // the cuts; a pair is one u64 (lower id high), sorted by the crate's one
    // sort. A small one considers every pair, as before.
    let pair_key = |a: u32, b: u32| (u64::from(a.min(b)) << 32) | u64::from(a.max(b));
    let mut busy: Vec<u64> = Vec::new();
    let mut keys: Vec<u64> = Vec::new();
    if large {
        busy = flying.iter().map(|m| pair_key(m.from.0, m.to.0)).collect();
        distlab_core::sort::sort_stably_by(&mut busy, |&key| key);
        keys.clone_from(&busy);
        for &(a, b) in &cluster.cuts {
            keys.push(pair_key(a.0, b.0));
        }
        distlab_core::sort::sort_stably_by(&mut keys, |&key| key);
        keys.dedup();
    } else {
        for a in 0..nodes.len() as u32 {
            for b in a + 1..nodes.len() as u32 {
                keys.push(pair_key(a, b));
            }
        }
    }
    let in_flight_between = |a: NodeId, b: NodeId| {
        if large {
            let pair = pair_key(a.0, b.0);
            let first = busy.partition_point(|&p| p < pair);
            busy[first..].iter().take_while(|&&p| p == pair).count()
        } else {
            flying
                .iter()
                .filter(|m| (m.from, m.to) == (a, b) || (m.from, m.to) == (b, a))
                .count()
        }
    };
    let mut links = Vec::new();
    for key in keys {
        let (a, b) = ((key >> 32) as usize, (key & 0xffff_ffff) as usize);
        if a == b || b >= nodes.len() {
            continue;
        }
        {
            let (na, nb) = (&nodes[a], &nodes[b]);
            let separated = na.group != nb.group
                && na.group != OUTSIDE_PARTITION
                && nb.group != OUTSIDE_PARTITION;
            let state = match (separated, cut(na.id, nb.id), cut(nb.id, na.id)) {
                (true, _, _) | (false, true, true) => LinkState::Cut,
                (false, true, false) | (false, false, true) => LinkState::HalfCut,
                (false, false, false) => LinkState::Open,
            };
            let in_flight = in_flight_between(na.id, nb.id);
            let client_link = is_client[a] || is_client[b];
            if client_link
                && (is_client[a] == is_client[b] || (state == LinkState::Open && in_flight == 0))
            {
                continue;
            }
            links.push(LinkGlyph {
                a: na.id,
                b: nb.id,
                x1: na.x,
                y1: na.y,
                x2: nb.x,
                y2: nb.y,
                state,
                in_flight,
            });
        }
    }

    let shown = if large { MESSAGE_CAP } else { usize::MAX };
    let messages = flying
        .iter()
        .take(shown)
        .filter_map(|message| {
            let from = nodes.get(message.from.index())?;
            let to = nodes.get(message.to.index())?;
            let (end, reach, doomed) = match message.fate {
                Fate::Deliver { at } => (at, 1.0, false),
                // Lost messages die halfway along the link.
                Fate::Drop { at, .. } => (at, 0.5, true),
            };
            let flight = end
                .as_micros()
                .saturating_sub(message.sent_at.as_micros())
                .max(1);
            let elapsed = now.as_micros().saturating_sub(message.sent_at.as_micros());
            let progress = (elapsed as f64 / flight as f64).clamp(0.0, 1.0) * reach;
            // Start and end at the circles' rims, not their centres.
            let (dx, dy) = (to.x - from.x, to.y - from.y);
            let length = (dx * dx + dy * dy).sqrt().max(1e-9);
            let rim = (from.radius / length).min(0.45);
            let t = rim + progress * (1.0 - 2.0 * rim);
            Some(MessageGlyph {
                id: message.id,
                x: from.x + dx * t,
                y: from.y + dy * t,
                colour: palette_index(message.kind),
                label: message.label.clone(),
                doomed,
            })
        })
        .collect();

    ClusterLayout {
        nodes,
        links,
        messages,
        canvas: large && node_radius < LABEL_RADIUS,
    }
}

/// The golden angle, π(3 − √5) radians, written out (no `sqrt` in a const).
const GOLDEN_ANGLE: f64 = 2.399_963_229_728_653;

#[cfg(test)]
mod tests {
    use super::*;
    use distlab_core::sim::network::DropReason;
    use distlab_core::sim::view::NodeState;
    use distlab_core::sim::view::NodeSummary;

    fn glyph(badge: &str, radius: f64) -> NodeGlyph {
        NodeGlyph {
            id: NodeId(0),
            x: 0.0,
            y: 0.0,
            radius,
            up: true,
            role: "server",
            palette: Palette::default(),
            badge: badge.to_string(),
            detail: String::new(),
            group: 0,
            client: false,
        }
    }

    #[test]
    fn badges_are_fitted_inside_their_dots() {
        // Short badges keep the full font.
        assert_eq!(glyph("ok", 22.0).badge_font(), BADGE_FONT);
        assert_eq!(glyph("0/4", 22.0).badge_font(), BADGE_FONT);
        assert_eq!(glyph("", 22.0).badge_font(), BADGE_FONT);
        // A word shrinks until it spans at most 1.7 radii.
        let frontend = glyph("frontend", 30.0).badge_font();
        assert!(frontend < BADGE_FONT && frontend > BADGE_MIN_FONT);
        assert!(8.0 * BADGE_ADVANCE * frontend <= 1.7 * 30.0 + 1e-9);
        // And no further than the smallest font.
        assert_eq!(glyph("a long badge", 8.0).badge_font(), BADGE_MIN_FONT);
    }

    fn cluster(n: u32) -> ClusterState {
        ClusterState {
            nodes: (0..n)
                .map(|i| NodeState {
                    id: NodeId(i),
                    up: i != 2,
                    summary: NodeSummary {
                        role: "follower",
                        palette: Palette::Plain,
                        badge: "T1".into(),
                        detail: String::new(),
                    },
                    client: false,
                })
                .collect(),
            groups: vec![0; n as usize],
            cuts: vec![],
        }
    }

    fn message(fate: Fate) -> MessageRecord {
        MessageRecord {
            id: 7,
            from: NodeId(0),
            to: NodeId(1),
            kind: "AppendEntries",
            label: "AE".into(),
            sent_at: Time(1_000),
            fate,
            copy_of: None,
            lamport: 1,
        }
    }

    #[test]
    fn nodes_sit_on_a_circle_inside_the_box() {
        let layout = layout(&cluster(5), &[], Time::ZERO, false);
        assert_eq!(layout.nodes.len(), 5);
        assert_eq!(layout.links.len(), 10);
        let centre = SIZE / 2.0;
        for node in &layout.nodes {
            let r = ((node.x - centre).powi(2) + (node.y - centre).powi(2)).sqrt();
            assert!((r - SIZE * 0.36).abs() < 1e-9);
            assert!(node.x - node.radius >= 0.0 && node.x + node.radius <= SIZE);
        }
        // The first node is at the top.
        assert!((layout.nodes[0].x - centre).abs() < 1e-9);
        assert!(layout.nodes[0].y < centre);
        assert!(!layout.nodes[2].up);
    }

    #[test]
    fn messages_move_from_sender_to_receiver() {
        let c = cluster(2);
        let m = message(Fate::Deliver { at: Time(3_000) });
        let start = layout(&c, &[&m], Time(1_000), true).messages[0].clone();
        let middle = layout(&c, &[&m], Time(2_000), true).messages[0].clone();
        let end = layout(&c, &[&m], Time(3_000), true).messages[0].clone();
        let nodes = layout(&c, &[], Time::ZERO, true).nodes;
        let dist = |x: f64, y: f64, n: &NodeGlyph| ((x - n.x).powi(2) + (y - n.y).powi(2)).sqrt();
        assert!(dist(start.x, start.y, &nodes[0]) < dist(start.x, start.y, &nodes[1]));
        assert!(dist(end.x, end.y, &nodes[1]) < dist(end.x, end.y, &nodes[0]));
        let midpoint = (
            (nodes[0].x + nodes[1].x) / 2.0,
            (nodes[0].y + nodes[1].y) / 2.0,
        );
        assert!(
            dist(
                middle.x,
                middle.y,
                &NodeGlyph {
                    x: midpoint.0,
                    y: midpoint.1,
                    ..nodes[0].clone()
                }
            ) < 1e-6
        );
    }

    #[test]
    fn lost_messages_die_halfway() {
        let c = cluster(2);
        let m = message(Fate::Drop {
            at: Time(2_000),
            reason: DropReason::Loss,
        });
        let end = layout(&c, &[&m], Time(2_000), true).messages[0].clone();
        let nodes = layout(&c, &[], Time::ZERO, true).nodes;
        assert!(end.doomed);
        assert!((end.x - (nodes[0].x + nodes[1].x) / 2.0).abs() < 1e-6);
    }

    #[test]
    fn partitions_and_cuts_mark_links() {
        let mut c = cluster(3);
        c.groups = vec![0, 0, 1];
        c.cuts = vec![(NodeId(0), NodeId(1))];
        let layout = layout(&c, &[], Time::ZERO, true);
        let state = |a: u32, b: u32| {
            layout
                .links
                .iter()
                .find(|l| l.a == NodeId(a) && l.b == NodeId(b))
                .unwrap()
                .state
        };
        assert_eq!(state(0, 1), LinkState::HalfCut);
        assert_eq!(state(0, 2), LinkState::Cut);
        assert_eq!(state(1, 2), LinkState::Cut);
    }

    #[test]
    fn clients_stand_in_a_column_beside_the_ring_and_link_only_when_busy() {
        let mut c = cluster(5);
        for i in [3, 4] {
            c.nodes[i].client = true;
        }
        // A partition that lists only the servers leaves the clients outside it.
        c.groups = vec![0, 1, 1, OUTSIDE_PARTITION, OUTSIDE_PARTITION];
        let mut to_client = message(Fate::Deliver { at: Time(3_000) });
        to_client.to = NodeId(3);
        let layout = layout(&c, &[&to_client], Time(2_000), true);
        let (servers, clients) = layout.nodes.split_at(3);
        for client in clients {
            for server in servers {
                assert!(client.x + client.radius < server.x - server.radius);
            }
            assert!((client.x - clients[0].x).abs() < 1e-9, "one column");
        }
        assert!(clients[0].y < clients[1].y);
        // Three server links, and one client link: the one carrying a message.
        assert_eq!(layout.links.len(), 4);
        let busy = layout.links.iter().find(|l| l.b == NodeId(3)).unwrap();
        assert_eq!((busy.a, busy.in_flight), (NodeId(0), 1));
        assert_eq!(busy.state, LinkState::Open, "a client reaches every side");
        let across = layout
            .links
            .iter()
            .find(|l| (l.a, l.b) == (NodeId(0), NodeId(1)))
            .unwrap();
        assert_eq!(across.state, LinkState::Cut);
    }

    #[test]
    fn a_large_cluster_fills_a_disc_and_links_only_where_something_happens() {
        let c = cluster(10_000);
        let mut m = message(Fate::Deliver { at: Time(3_000) });
        m.to = NodeId(9_999);
        let layout = layout(&c, &[&m], Time(2_000), true);
        assert_eq!(layout.nodes.len(), 10_000);
        // One link: the one carrying the message, not fifty million.
        assert_eq!(layout.links.len(), 1);
        assert_eq!(
            (layout.links[0].a, layout.links[0].b),
            (NodeId(0), NodeId(9_999))
        );
        assert_eq!(layout.links[0].in_flight, 1);
        let centre = SIZE / 2.0;
        for node in &layout.nodes {
            assert!(node.x - node.radius >= 0.0 && node.x + node.radius <= SIZE);
            assert!(node.y - node.radius >= 0.0 && node.y + node.radius <= SIZE);
        }
        // Spread over the disc, not crowded on a ring: as many nodes in the
        // inner half of the radius as a uniform disc has (a quarter).
        let outer = layout
            .nodes
            .iter()
            .map(|n| ((n.x - centre).powi(2) + (n.y - centre).powi(2)).sqrt())
            .fold(0.0, f64::max);
        let inner = layout
            .nodes
            .iter()
            .filter(|n| ((n.x - centre).powi(2) + (n.y - centre).powi(2)).sqrt() < outer / 2.0)
            .count();
        assert!((2_400..=2_600).contains(&inner), "{inner}");
        // No two dots overlap much: the nearest pair is at least a radius apart.
        let near = &layout.nodes[..200];
        for (i, a) in near.iter().enumerate() {
            for b in &near[i + 1..] {
                let d = ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt();
                assert!(d > a.radius, "{} and {} at {d}", a.id, b.id);
            }
        }
    }

    #[test]
    fn a_large_cluster_still_shows_its_cuts() {
        let mut c = cluster(100);
        c.cuts = vec![(NodeId(7), NodeId(3)), (NodeId(3), NodeId(7))];
        let layout = layout(&c, &[], Time::ZERO, true);
        assert_eq!(layout.links.len(), 1);
        assert_eq!(
            (layout.links[0].a, layout.links[0].b),
            (NodeId(3), NodeId(7))
        );
        assert_eq!(layout.links[0].state, LinkState::Cut);
    }

    #[test]
    fn small_dots_go_unlabelled_and_a_click_picks_the_nearest_dot() {
        let small = layout(&cluster(5), &[], Time::ZERO, true);
        assert!(!small.canvas);
        assert!(small.nodes.iter().all(NodeGlyph::labelled));
        let node = &small.nodes[2];
        assert_eq!(small.node_at(node.x, node.y), Some(node.id));
        assert_eq!(
            small.node_at(node.x + node.radius * 0.9, node.y),
            Some(node.id)
        );
        assert_eq!(small.node_at(node.x + node.radius + 1.0, node.y), None);

        let large = layout(&cluster(1_000), &[], Time::ZERO, true);
        assert!(large.canvas);
        assert!(large.nodes.iter().all(|n| !n.labelled()));
        // A tiny dot is still picked a few units away, and the nearest of its
        // neighbours wins.
        let dot = &large.nodes[500];
        assert!(dot.radius < MIN_HIT_RADIUS);
        assert_eq!(large.node_at(dot.x + 0.1, dot.y), Some(dot.id));
        assert_eq!(large.node_at(-50.0, -50.0), None);
        // A disc of dots big enough to label stays SVG; without MANY_NODES a
        // page keeps the ring whatever the count.
        let disc = layout(&cluster(60), &[], Time::ZERO, true);
        assert!(!disc.canvas && disc.nodes.iter().all(NodeGlyph::labelled));
        assert!(!layout(&cluster(1_000), &[], Time::ZERO, false).canvas);
    }
}
