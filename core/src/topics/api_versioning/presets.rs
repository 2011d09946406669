//! The guided scenarios of the API-versioning topic: each preset's metadata,
//! narration and script side by side.

use crate::lab::protocol::{ProtocolPreset, Setup};
use crate::lab::topic::{say, PresetInfo};
use crate::sim::action::TimedAction;

use super::BUG_BREAKING_IN_MINOR;

pub const PRESETS: &[ProtocolPreset] = &[
    ProtocolPreset {
        info: PresetInfo {
            name: "six-changes",
            title: "Six changes, five major versions",
            summary: "The server releases its six changes three seconds apart; comparing schemas turns them into v1.1, v2.0, v2.1, v3.0, v4.0 and v5.0, and the clients follow the deprecations.",
            seed: 1,
            params: &[],
            bug: None,
            narration: &[
                say(0, "n0 is the API server at v1.0: an order is {id, amount, currency, status}. Six clients built against v1.0 ask for v1 by URI path (n1, n4), header (n2, n5) or media type (n3, n6), three requests a second each; every other request creates an order with a body in the client's own schema. n2 is a laggard: it never migrates on its own."),
                say(3000, "v1.1 adds an optional field, note. The server still reads old bodies (they simply lack it), and old clients read new responses, ignoring the field they do not know: compatible both ways, so a minor version, and every v1 client gets it at once. See the matrix under the charts."),
                say(6000, "A required field, customer: old clients' bodies lack it, so the new schema cannot read them. That breaks backward compatibility: v2.0, a new major. v1 stays frozen as it was and every response to a v1 client now carries Deprecation and Sunset headers: v1 ends at 12.0 s."),
                say(6700, "Clients' developers react to the headers at different times: n6 has already moved to v2.0, rebuilt against its schema. Follow the traffic per version in the first chart."),
                say(9000, "v2.1 adds the status refunded. Tolerant readers take an unknown value as unknown: a minor version again."),
                say(12000, "The rename of amount to total breaks both ways: v3.0, and v2 is deprecated in turn. v1's sunset has come: the laggard n2 gets 410 Gone from now on, which no invariant forbids (its version is no longer supported), but its failures show on its lane and in the second chart."),
                say(18000, "A type change (v4.0) and a removal (v5.0) follow, each a new major. Every client that read as the contract says has read every response it got while its version was supported: the invariants held throughout."),
            ],
        },
        script: no_script,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "strict-readers",
            title: "Strict readers break on compatible changes",
            summary: "Half the clients refuse unknown fields and enum values: the minor versions v1.1 and v2.1, harmless to the others, break them.",
            seed: 1,
            params: &[("strict", 5)],
            bug: None,
            narration: &[
                say(0, "The same server and releases; n2, n4 and n6 read strictly: a field or an enum value they do not know is an error (JSON Schema's additionalProperties: false), the others ignore it (a tolerant reader)."),
                say(3600, "v1.1's optional field note reaches n2 in a response, and n2 cannot read it: unknown field note. The tolerant clients read the same response without trouble. Semantic versioning calls this change compatible because the contract of a minor version assumes tolerant readers; the strict clients broke it themselves, so their failures are drawn and counted (the strict reader line) but are not violations."),
                say(9300, "v2.1's new status refunded breaks the strict clients on v2 the same way: unknown status refunded. The matrix's old strict client column predicted both."),
            ],
        },
        script: no_script,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "breaking-change-in-minor",
            title: "A breaking change shipped as a minor version",
            summary: "The server numbers every change as a minor version: the required field customer lands in v1.2 and v1 clients' orders are refused.",
            seed: 1,
            params: &[],
            bug: Some(BUG_BREAKING_IN_MINOR),
            narration: &[
                say(0, "The same server and clients, but its release tool numbers every change as a minor version, without comparing the schemas."),
                say(3000, "v1.1, the optional field: a minor version, as it should be."),
                say(6000, "The required field customer ships as v1.2. semver-honoured fires at once: comparing the schemas shows that v1 clients' bodies cannot be read by it. Clients pinned to v1 get v1.2 whether they like it or not."),
                say(6100, "The first order a v1 client creates is refused: 400, missing required field customer. requests-accepted-while-supported: the client did nothing wrong, its version is still supported, and it is broken."),
            ],
        },
        script: no_script,
    },
];

fn no_script(_: &Setup) -> Vec<TimedAction> {
    Vec::new()
}
