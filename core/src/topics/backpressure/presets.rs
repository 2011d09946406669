//! The guided scenarios of the backpressure topic: each preset's metadata,
//! narration and script side by side. All overload stage B (about 100 items
//! a second) with a producer of 120 a second, so they differ in the policy.
//! Every preset with a bounded policy also runs the unbounded twin (A', B',
//! C', nodes 4 to 6) on the same arrivals, so its charts show what the
//! policy saves; scripts that slow B slow B' too.

use crate::lab::protocol::{at, ProtocolPreset, Setup};
use crate::lab::topic::{say, PresetInfo};
use crate::sim::action::{Action, TimedAction};

use super::chain::Chain;
use super::message::PipelineOp;
use super::BUG_CREDIT_LEAK;

pub const PRESETS: &[ProtocolPreset] = &[
    ProtocolPreset {
        info: PresetInfo {
            name: "unbounded-overload",
            title: "Overload with unbounded queues",
            summary: "120 items a second into a pipeline whose middle stage serves 100: B's queue, its memory and every item's latency grow for as long as the overload lasts.",
            seed: 1,
            params: &[("policy", 0), ("rate", 120)],
            bug: None,
            narration: &[
say(0, "The producer n0 makes about 120 items a second; stage A (n1) and stage C (n3, the sink) serve about 166, but stage B (n2) has one worker of 10 ms: about 100 a second. No queue has a limit, so there is no twin to compare with: the other presets run this same unbounded pipeline beside their own, as A', B' and C' (n4 to n6)."),
                say(2000, "B receives about 20 items a second more than it can serve. Its queue grows by that much every second (Queue depth), and so does its memory: items inside × 64 KB (Memory per stage)."),
                say(8000, "Little's law, L = λW: with B's queue growing, each new item waits behind a longer queue, and the end-to-end latency climbs with it (End-to-end latency). Nothing is dropped and nothing is refused: the producer never hears that anything is wrong."),
                say(15000, "Throughput stays at what B can serve, about 100 a second (Throughput and drops), however long the queue; the queue only adds latency and memory. At 20 s B holds hundreds of items, tens of megabytes, and items take seconds to arrive: left running, the process runs out of memory. The next story bounds the queues."),
            ],
        },
        script: no_script,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "block-overload",
            title: "The same overload with block",
            summary: "The same producer and pipeline, but a full stage pauses its upstream: the pause travels back to the producer, which is slowed to B's pace; memory and latency stay flat.",
            seed: 1,
            params: &[("policy", 3), ("rate", 120)],
            bug: None,
            narration: &[
say(0, "The same producer, the same pipeline, the same seed, with block: a stage whose queue reaches three quarters of its capacity of 20 sends its upstream Pause, and Resume once it has drained to half."),
                say(1500, "B's queue fills and B pauses A. A's workers finish items they may not send: they wait in A's outbox, holding their workers, so A's queue fills in turn and A pauses the producer. The pressure has travelled back to the source, one link at a time."),
                say(4000, "The producer keeps at most 5 made items waiting (a quarter of the capacity); an arrival that finds them all waiting is not made at all (throttled in Throughput and drops). Memory per stage stays flat at the queue's bound, and latency stays bounded."),
                say(12000, "Throughput is B's 100 a second, as with unbounded queues, but the excess is now refused at the door instead of piling up inside. Block is XON/XOFF: the headroom must cover the items in flight when Pause is sent, and an item that still meets a full queue is dropped and counted."),
                say(16000, "Beside it, the unbounded twin A', B', C' (n4 to n6) gets every arrival the source makes, throttled ones included, and pushes back on nothing. Memory at B and B' and the two latency plots show what block saves on this seed: by 20 s B' holds about 400 items (25 MB) and its p99 is past 3 s, against B's 20 items (1.3 MB) and about 0.6 s."),
            ],
        },
        script: no_script,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "drop-newest",
            title: "Drop newest: the old items survive",
            summary: "Stage C slows to half speed for four seconds; its full queue refuses what arrives, and the items it delivers afterwards are the ones that waited longest.",
            seed: 2,
            params: &[("policy", 1), ("rate", 80)],
            bug: None,
            narration: &[
say(0, "The producer makes about 80 items a second, within B's 100. Queues hold at most 20 items, and a full queue refuses the arriving item (tail drop)."),
                say(2000, "B slows to half speed, about 50 a second (and so does the twin's B'). Its queue fills within a second and from then on every arrival that finds it full is dropped (Throughput and drops)."),
                say(3000, "The items that survive are the ones already queued: each one delivered has waited behind a full queue of 20 served at 50 a second, about 400 ms (End-to-end latency). The dropped ones are the freshest."),
                say(6000, "B is back at full speed and drains its queue; drops stop and latency falls back. The unbounded twin dropped nothing, but its B' queued the whole slowdown: each item it delivered waited behind it, and its latency plot climbs far above this chain's. Compare the next story, on the same seed."),
            ],
        },
        script: slow_b,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "drop-oldest",
            title: "Drop oldest: the fresh items survive",
            summary: "The same slowdown, but a full queue evicts its oldest item: what is delivered is fresh, and the work spent on the evicted items is wasted.",
            seed: 2,
            params: &[("policy", 2), ("rate", 80)],
            bug: None,
            narration: &[
say(0, "The same run as drop newest, on the same seed, but a full queue evicts its oldest item to make room for the arriving one."),
                say(2000, "B slows to half speed; its queue fills and every arrival now evicts the item at the front: about as many drops as with drop newest."),
                say(3000, "Each eviction moves the queue forward as a service does, so an item reaches the front after about 20 / (80 + 50) s instead of 20 / 50 s: the items delivered are fresher: their p50 latency is about 290 ms, against about 400 ms with drop newest. The price: the evicted items had already spent their wait in the queue for nothing."),
                say(6000, "B is back at full speed. Which to choose depends on the items: drop oldest for telemetry and quotes, where only fresh values matter; drop newest where the work already queued has been promised."),
            ],
        },
        script: slow_b,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "credit-flow",
            title: "Credit-based flow: request(n)",
            summary: "Each stage grants its upstream credits for the room in its queue, as Reactive Streams' request(n) does; the upstream never sends more than it was granted, and a burst is absorbed by the producer.",
            seed: 3,
            params: &[("policy", 4), ("rate", 120)],
            bug: None,
            narration: &[
say(0, "Credit: each stage grants its upstream request(n) for the room in its queue, in batches of 5 (a quarter of its capacity of 20), with the running total so that a lost, repeated or late request grants nothing twice. The producer makes about 120 a second."),
                say(1500, "B's credits run out: A may not send, its finished items wait, its queue fills and its own grants to the producer stop. No stage ever receives more than it asked for (demand-respected), so no queue overflows and nothing is dropped."),
                say(3000, "Burst: the producer doubles its rate for 3 s. None of it gets in: the producer has no credit, and arrivals beyond its 5 waiting items are throttled (Throughput and drops), while memory and latency stay where they were. The unbounded twin (n4 to n6) takes the whole burst: by 20 s B' holds about 700 items (46 MB) and its p99 is about 6 s."),
                say(8000, "After the burst the pipeline runs at B's pace, about 100 a second, with every queue at or below 20. Credits are the receiver's decision, not a guess from signals in flight: unlike block, no headroom is needed."),
            ],
        },
        script: burst,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "credit-leak",
            title: "A credit granted twice",
            summary: "The bug: senders add every request's n, repeats included; the periodic re-send of a request grants its credits again, the upstream sends beyond the demand, and the checker catches it.",
            seed: 3,
            params: &[("policy", 4), ("rate", 120)],
            bug: Some(BUG_CREDIT_LEAK),
            narration: &[
say(0, "The bug: every sender counts its credits as a running demand += n, and adds the n of a repeated request again. Each stage re-sends its last request every 100 ms, as the correct model does, so a lost one is repaired."),
                say(200, "Each re-send now grants its n once more. The senders believe they have credits the receivers never granted."),
                say(1280, "B's upstream has sent more items than B granted: demand-respected fires. B receives them, its queue passes its capacity of 20 (bounded-queue-within-capacity fires too) and keeps growing as with an unbounded queue: the credits stopped meaning anything. The fix is the cumulative total: keep the highest total granted, never add."),
            ],
        },
        script: no_script,
    },
];

fn no_script(_: &Setup) -> Vec<TimedAction> {
    Vec::new()
}

/// Stage B serves at half speed from 2 s to 6 s, and so does the twin's B',
/// so the two chains meet the same slowdown.
fn slow_b(setup: &Setup) -> Vec<TimedAction> {
    let slow = |ms, chain: Chain| {
        at(
            ms,
            Action::operation(Some(chain.stage(1)), &PipelineOp::SlowStage),
        )
    };
    // A person may switch the preset's policy to unbounded: no twin then.
    super::config(setup)
        .chains()
        .iter()
        .flat_map(|&chain| [slow(2_000, chain), slow(6_000, chain)])
        .collect()
}

/// The producer doubles its rate at 3 s.
fn burst(_: &Setup) -> Vec<TimedAction> {
    vec![at(3_000, Action::operation(None, &PipelineOp::Burst))]
}
