//! The guided scenarios of the distributed-tracing topic: each preset's
//! metadata, narration and script side by side.

use crate::lab::protocol::{at, ProtocolPreset, Setup};
use crate::lab::topic::{say, PresetInfo};
use crate::sim::action::{Action, TimedAction};

use super::message::{TraceOp, GATEWAY, PAYMENTS};
use super::{BUG_CONTEXT_DROPPED_AT_QUEUE, BUG_RESAMPLE_AT_EACH_HOP, ERROR_PERCENT, HEAD_PERCENT};
use crate::lab::params::REQUEST_RATE;

pub const PRESETS: &[ProtocolPreset] = &[
    ProtocolPreset {
        info: PresetInfo {
            name: "one-trace",
            title: "One request, one trace, its critical path",
            summary: "A single checkout crosses all five services; its spans form a tree, drawn as a waterfall with the critical path lit.",
            seed: 1,
            params: &[(REQUEST_RATE, 0), (ERROR_PERCENT, 0), (HEAD_PERCENT, 100)],
            bug: None,
            narration: &[
                say(0, "One checkout, traced at every hop. Head sampling is at 100% here, so this trace is sampled; the collector n6 receives every finished span."),
                say(100, "The request reaches the gateway n0 with no trace context, so n0 starts a trace: root span 6e33 (GET /checkout). Its call to orders carries traceparent 00-d6dad8d3…-ee127fe613436e33-01: version 00, the 16-byte trace id, n0's span id as the parent, flags 01 (sampled); tracestate carries this lab's member distlab=p:100."),
                say(107, "Orders n1 parses the header and opens span d706 with parent 6e33. It calls inventory n2 and payments n3 in parallel, each call naming d706 as the parent; its call to payments adds orders' own tracestate member, orders=a:1, at the front of the list."),
                say(152, "Inventory's reserve span ended at 126.6 ms after 10 ms of work; payments' charge takes 38 ms and ends at 152.1 ms. Orders waits for both, so the later one, payments, decides when it can go on."),
                say(162, "Orders publishes the shipment to the queue n4 with the context in the message's headers, answers the gateway and ends its span. The gateway's root span ends at 165.4 ms: 65 ms end to end."),
                say(238, "The shipping worker n5 takes the shipment from the queue and opens span 05d2 with parent d706: the same trace, although the checkout has already been answered. It ends at 287.9 ms, after its parent."),
                say(300, "The waterfall on the timeline: the critical path, lit and labelled critical, is GET /checkout → checkout → charge. Reserve ran in parallel and finished earlier, and ship ran after the answer: nobody waited for either. Make payments faster and the checkout is faster; make inventory faster and nothing changes."),
                say(2500, "Two seconds after the trace's first span arrived, the collector decides it: no error, and too few traces yet for a p95, so tail sampling drops it. Head sampling, at 100%, exported all five spans."),
            ],
        },
        script: one_request,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "retry-child-span",
            title: "A retry is a new child span",
            summary: "Payments fails the first charge; orders retries it, and the retry is a second child span of the same checkout.",
            seed: 1,
            params: &[(REQUEST_RATE, 0), (ERROR_PERCENT, 0), (HEAD_PERCENT, 100)],
            bug: None,
            narration: &[
                say(0, "Payments is set to fail its next call, once (the Fail next call button). Head sampling is at 100%."),
                say(100, "A checkout: root span 6e33 at the gateway, span d706 at orders, calls to inventory and payments as in the first preset."),
                say(152, "Payments' charge span 6609 fails: it ends in error (red on the timeline) and answers orders with an error."),
                say(162, "Orders retries once, as a new call c2 with a new traceparent naming the same parent d706 (orders' span is the one calling again); its tracestate member now says orders=a:2. Payments opens a second span, 79c5, a sibling of the failed one under d706."),
                say(223, "The retry succeeds at 222.8 ms. Orders publishes the shipment, answers, and the root span ends at 233.6 ms: 134 ms, twice the clean run. The waterfall shows why: the critical path runs through both charge spans, one after the other."),
                say(2500, "The collector decides the trace. The checkout succeeded, but one of its spans failed, so tail sampling keeps it (Error traces kept): a retry that hid a failure is exactly what one wants to look at."),
            ],
        },
        script: retry,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "head-vs-tail",
            title: "Head against tail sampling on an error burst",
            summary: "Eight checkouts a second and a two-second burst of payment errors: head sampling keeps a fifth of everything, tail sampling keeps every error and the slowest traces.",
            seed: 3,
            params: &[(REQUEST_RATE, 8)],
            bug: None,
            narration: &[
                say(0, "Eight checkouts a second, head sampling at 20%: the gateway marks one trace in five sampled and the flag travels in the last byte of traceparent. The collector n6 plays both samplers on the same spans: head sampling exports the flagged ones; tail sampling buffers each trace for 2 s after its first span arrives, then keeps it if a span failed or it was slower than the p95 of the traces before it."),
                say(2500, "The first decisions: no errors yet, so tail sampling keeps nothing while head sampling has exported 9 spans of the traces it happened to flag."),
                say(4000, "Payments fails every call for two seconds. Orders retries each failed charge once, the retry fails too, and the checkout fails: a burst of error traces."),
                say(7000, "The burst's traces are being decided: of 41 traces, 10 had errors. Head sampling kept 2 of them, the ones the gateway flagged before anything failed; tail sampling kept all 10."),
                say(9000, "The burst is decided: 18 error traces, head sampling kept 5 (28%, about its rate: the coin is tossed before anyone knows), tail sampling all 18. Of 8 slow traces, head kept 1, tail all 8. The price: tail sampling received and buffered all 373 spans to export 123, while head sampling exported 60 and buffered nothing."),
                say(14000, "After the burst tail sampling keeps little again (only the occasional slow trace or payments' own 5% of errors): by 14 s, 97 traces, 21 with errors (head kept 5, tail 21). Head sampling's cost follows the traffic; tail sampling's follows what went wrong, but it must see everything first."),
            ],
        },
        script: error_burst,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "bad-traceparent",
            title: "A malformed traceparent starts a new trace",
            summary: "A request arrives with an uppercase trace-id: the gateway refuses the header, as the specification says, and starts a trace of its own.",
            seed: 1,
            params: &[(REQUEST_RATE, 0), (ERROR_PERCENT, 0), (HEAD_PERCENT, 100)],
            bug: None,
            narration: &[
                say(0, "A request arrives at the gateway carrying traceparent 00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01: the specification's own example with the trace-id in uppercase."),
                say(100, "Trace Context allows only lowercase hex. The gateway refuses the header (see its note), drops tracestate with it, and starts a trace of its own: its span is a root and every service below continues the new trace. parent-exists holds: the trace is whole, only the outside context is gone."),
                say(1500, "A request with no header at all: the gateway starts a new trace, as an edge does for every outside request."),
            ],
        },
        script: bad_header,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "context-lost-at-queue",
            title: "Bug: the context is lost at the queue",
            summary: "The queue forwards the shipment without its headers: the shipping worker starts a new trace, an orphan, and parent-exists catches it.",
            seed: 1,
            params: &[(REQUEST_RATE, 0), (ERROR_PERCENT, 0), (HEAD_PERCENT, 100)],
            bug: Some(BUG_CONTEXT_DROPPED_AT_QUEUE),
            narration: &[
                say(0, "The bug is on: the queue forwards shipments without their headers, as a broker client that copies only the body would."),
                say(100, "A checkout runs as in the first preset: gateway, orders, inventory and payments, all in trace d6dad8d3…."),
                say(169, "Orders published the shipment with its traceparent; the queue n4 holds it until its consumer polls."),
                say(231, "The consumer polls and the queue delivers the shipment, without traceparent or tracestate."),
                say(238, "The shipping worker n5 finds no traceparent and, as the specification says, starts a new trace: span 05d2 is a root, in trace f433d85c…. The checkout's trace ends at orders and the shipment lives in a trace of its own, with nothing linking them. parent-exists catches it: only the gateway starts traces."),
            ],
        },
        script: one_request,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "resample-at-each-hop",
            title: "Bug: every hop samples on its own",
            summary: "Each service draws its own sampling decision instead of honouring the flag: a trace is kept in pieces, and head-sampling-all-or-nothing catches it.",
            seed: 1,
            params: &[(REQUEST_RATE, 0), (HEAD_PERCENT, 50)],
            bug: Some(BUG_RESAMPLE_AT_EACH_HOP),
            narration: &[
                say(0, "The bug is on: every service draws its own sampling decision instead of honouring the sampled flag it receives. Head sampling at 50%."),
                say(100, "The gateway starts trace d6dad8d3… and draws not sampled: the flags byte of its traceparent is 00."),
                say(107, "Orders ignores the flag and draws again: sampled. Its span would be exported while its root's would not, so a head-sampling pipeline would keep a fragment of the trace. head-sampling-all-or-nothing catches it."),
            ],
        },
        script: one_request,
    },
];

fn request(ms: u64) -> TimedAction {
    at(
        ms,
        Action::operation(Some(GATEWAY), &TraceOp::Request { malformed: false }),
    )
}

fn one_request(_: &Setup) -> Vec<TimedAction> {
    vec![request(100)]
}

fn retry(_: &Setup) -> Vec<TimedAction> {
    vec![
        at(50, Action::operation(Some(PAYMENTS), &TraceOp::FailNext)),
        request(100),
    ]
}

fn error_burst(_: &Setup) -> Vec<TimedAction> {
    vec![at(
        4_000,
        Action::operation(Some(PAYMENTS), &TraceOp::Errors),
    )]
}

fn bad_header(_: &Setup) -> Vec<TimedAction> {
    vec![
        at(
            100,
            Action::operation(Some(GATEWAY), &TraceOp::Request { malformed: true }),
        ),
        request(1_500),
    ]
}
