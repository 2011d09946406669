//! The Merkle tree page: the primary's hash tree with the last operation's marks
//! (re-hashed path, inclusion proof path and siblings, consistency proof), the proof
//! panel with its verdict, the top-down comparison with its count against a full
//! scan, and the replica's tree; an operations bar to edit, prove, append, diverge,
//! compare and repair. Everything drawn is read off `MerkleReplicas`.

use std::rc::Rc;

use distlab_core::merkle::{short_hex, Comparison, MerkleTree, NodeId};
use distlab_core::topics::merkle_tree::{
    Highlights, MerkleReplicas, MerkleRequest, MerkleTreeTopic, VALUE_RANGE,
};
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use super::structure::{self, StructurePage, StructureProps};
use crate::views;
use crate::layout::hash_tree::{self, HashTreeLayout, Marks};
use crate::views::hash_tree::HashTreeProps;

/// The width the trees are laid out for (the SVG scales to its box).
const TREE_WIDTH: f64 = 1200.0;

/// Everything the views draw, rebuilt only when the run changes.
#[derive(PartialEq)]
pub struct MerkleViews {
    primary: Rc<HashTreeLayout>,
    replica: Rc<HashTreeLayout>,
    proof: Rc<ProofInfo>,
    comparison: Rc<ComparisonInfo>,
    leaves: usize,
    primary_root: String,
    replica_root: String,
}

/// A proof hash as the panel lists it: its number, hash, and the leaves it covers.
#[derive(Clone, PartialEq)]
struct ProofHash {
    short: String,
    covers: String,
}

#[derive(Clone, PartialEq, Default)]
struct ProofInfo {
    inclusion: Option<(usize, String, usize, Vec<ProofHash>, String, bool)>,
    consistency: Option<(usize, usize, String, String, Vec<ProofHash>, bool)>,
}

#[derive(Clone, PartialEq, Default)]
struct ComparisonInfo {
    comparison: Option<Comparison>,
    repaired: Option<Vec<usize>>,
    differing_now: Vec<usize>,
    roots_equal: bool,
}

/// `leaf 4` or `leaves 0..3`, from the tree's own description of the node.
fn covers(tree: &MerkleTree, id: NodeId) -> String {
    match tree.node(id) {
        Some(node) if node.is_leaf() => format!("leaf {}", node.start),
        Some(node) => format!("leaves {}..{}", node.start, node.end - 1),
        None => "?".to_string(),
    }
}

fn proof_hashes(tree: &MerkleTree, ids: &[NodeId], hashes: &[[u8; 32]]) -> Vec<ProofHash> {
    hashes
        .iter()
        .enumerate()
        .map(|(i, hash)| ProofHash {
            short: short_hex(hash),
            covers: ids.get(i).map_or_else(String::new, |&id| covers(tree, id)),
        })
        .collect()
}

impl StructurePage for MerkleTreeTopic {
    type Model = MerkleViews;
    type Body = Body;

    fn model(replicas: &MerkleReplicas) -> MerkleViews {
        build_views(replicas)
    }
}

fn build_views(replicas: &MerkleReplicas) -> MerkleViews {
    let h: &Highlights = replicas.highlights();
    let walk = h
        .comparison
        .as_ref()
        .or(h.repair.as_ref().map(|r| &r.comparison));
    let visits = walk.map(|c| c.visited.clone()).unwrap_or_default();
    let records = |get: &dyn Fn(usize) -> Option<String>| -> Vec<String> {
        (0..replicas.len()).filter_map(get).collect()
    };
    let primary_marks = Marks {
        rehashed: h.rehashed.clone(),
        path: h
            .inclusion
            .as_ref()
            .map(|c| c.path.clone())
            .unwrap_or_default(),
        proof: h
            .inclusion
            .as_ref()
            .map(|c| c.proof_nodes.clone())
            .unwrap_or_default(),
        consistency: h
            .consistency
            .as_ref()
            .map(|c| c.proof_nodes.clone())
            .unwrap_or_default(),
        visits: visits.clone(),
        changed_leaves: Vec::new(),
        old_size: h.consistency.as_ref().map(|c| c.old_size),
    };
    let differing_now = replicas.differing_leaves();
    let replica_marks = Marks {
        rehashed: h.replica_rehashed.clone(),
        visits,
        changed_leaves: differing_now.clone(),
        ..Marks::default()
    };
    let primary = hash_tree::layout(
        &replicas.primary().nodes(),
        &records(&|i| replicas.primary_record(i)),
        &primary_marks,
        TREE_WIDTH,
    );
    let replica = hash_tree::layout(
        &replicas.replica().nodes(),
        &records(&|i| replicas.replica_record(i)),
        &replica_marks,
        TREE_WIDTH,
    );
    let tree = replicas.primary();
    let proof = ProofInfo {
        inclusion: h.inclusion.as_ref().map(|c| {
            (
                c.leaf,
                c.record.clone(),
                c.tree_size,
                proof_hashes(tree, &c.proof_nodes, &c.proof),
                short_hex(&c.root),
                c.verified,
            )
        }),
        consistency: h.consistency.as_ref().map(|c| {
            (
                c.old_size,
                c.new_size,
                short_hex(&c.old_root),
                short_hex(&c.new_root),
                proof_hashes(tree, &c.proof_nodes, &c.proof),
                c.verified,
            )
        }),
    };
    let comparison = ComparisonInfo {
        comparison: walk.cloned(),
        repaired: h.repair.as_ref().map(|r| r.copied.clone()),
        roots_equal: replicas.primary().root() == replicas.replica().root(),
        differing_now,
    };
    MerkleViews {
        primary: Rc::new(primary),
        replica: Rc::new(replica),
        proof: Rc::new(proof),
        comparison: Rc::new(comparison),
        leaves: replicas.len(),
        primary_root: short_hex(&replicas.primary().root()),
        replica_root: short_hex(&replicas.replica().root()),
    }
}

fn list(items: &[usize]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn verdict(ok: bool) -> Html {
    if ok {
        html! { <span class="verdict ok">{ "verified ✓" }</span> }
    } else {
        html! { <span class="verdict bad">{ "NOT verified ✗" }</span> }
    }
}

struct ProofPanelProps {
    info: Rc<ProofInfo>,
}

fn proof_panel(props: &ProofPanelProps) -> Html {
    let hashes = |items: &[ProofHash], class: &'static str| {
        let rows = items.iter().enumerate().map(|(i, p)| {
            html! {
                <li key={i} class={class}>
                    <span class="proof-no">{ format!("#{}", i + 1) }</span>
                    <code>{ &p.short }</code>
                    <span class="proof-covers">{ &p.covers }</span>
                </li>
            }
        });
        html! { <ol class="proof-hashes">{ for rows }</ol> }
    };
    let inclusion = props.info.inclusion.as_ref().map(|(leaf, record, size, items, root, ok)| {
        html! {
            <div class="proof inclusion" id="inclusion-proof">
                <p>
                    <strong>{ format!("Inclusion of leaf {leaf}") }</strong>
                    { format!(" ({record}) in the tree of {size}: ") }
                    { verdict(*ok) }
                </p>
                <p class="muted">
                    { format!("{} sibling hash(es) instead of {size} records. The verifier hashes the record, folds in each sibling bottom-up (the path, highlighted) and compares the result with the root ", items.len()) }
                    <code>{ root }</code>{ "." }
                </p>
                { hashes(items, "proof") }
            </div>
        }
    });
    let consistency = props.info.consistency.as_ref().map(|(old, new, old_root, new_root, items, ok)| {
        html! {
            <div class="proof consistency" id="consistency-proof">
                <p>
                    <strong>{ format!("Consistency from {old} to {new} leaves") }</strong>{ ": " }
                    { verdict(*ok) }
                </p>
                <p class="muted">
                    { "Old root " }<code>{ old_root }</code>{ ", new root " }<code>{ new_root }</code>
                    { format!(". From these {} hash(es) the client rebuilds both roots: the first {old} records were not rewritten.", items.len()) }
                </p>
                { hashes(items, "consistency") }
            </div>
        }
    });
    let empty = inclusion.is_none() && consistency.is_none();
    html! {
        <section class="panel merkle-proof" aria-label="proofs">
            <h3>{ "Proofs" }</h3>
            { for inclusion }
            { for consistency }
            if empty {
                <p class="muted">{ "No proof in the last operation. Pick a leaf and press Prove leaf, or pick an old size and press Prove consistency." }</p>
            }
        </section>
    }
}

struct ComparisonPanelProps {
    info: Rc<ComparisonInfo>,
}

fn comparison_panel(props: &ComparisonPanelProps) -> Html {
    let info = &props.info;
    let body = match &info.comparison {
        Some(c) => html! {
            <div id="comparison">
                <p class="big-figure">
                    <strong id="hashes-compared">{ c.hash_comparisons }</strong>
                    { format!(" hashes compared vs {} for a full scan", c.full_scan_comparisons) }
                </p>
                <p>
                    if c.differing_leaves.is_empty() {
                        { "Equal roots: the replicas agree everywhere." }
                    } else {
                        { format!("Differing leaves found: {}. ", list(&c.differing_leaves)) }
                        { "Visited nodes are numbered in walk order; green matched (the subtree was skipped whole), red differed (the walk went down)." }
                    }
                </p>
                if let Some(copied) = &info.repaired {
                    <p id="repaired">
                        if copied.is_empty() { { "Nothing to repair." } }
                        else { { format!("Repaired: leaves {} copied from the primary; the roots are equal again.", list(copied)) } }
                    </p>
                }
            </div>
        },
        None => html! {
            <p class="muted">
                { if info.roots_equal { "The roots are equal, so the replicas agree. " } else { "The roots differ. " } }
                { "Press Compare replicas to walk down only the subtrees whose hashes differ." }
            </p>
        },
    };
    html! {
        <section class="panel merkle-compare" aria-label="comparison">
            <h3>{ "Anti-entropy" }<small>{ " top-down comparison of the two replicas" }</small></h3>
            { body }
            <p class="muted">
                if info.differing_now.is_empty() { { "The replicas hold the same records now." } }
                else { { format!("Right now the replica differs at leaves {} (outlined below).", list(&info.differing_now)) } }
            </p>
        </section>
    }
}

fn legend() -> Html {
    let items = [
        ("rehashed", "re-hashed"),
        ("path", "proof path"),
        ("proof", "proof hash"),
        ("consistency", "consistency hash"),
        ("visit same", "compared: same"),
        ("visit differ", "compared: different"),
        ("changed", "differs from primary"),
    ];
    let items = items.iter().map(|(class, label)| {
        html! { <span key={*label} class={format!("tree-key {class}")}><span class="tree-swatch"></span>{ *label }</span> }
    });
    html! { <div class="tree-legend">{ for items }</div> }
}

/// The operations and views of the Merkle tree page.
#[function_component]
pub fn Body(props: &StructureProps<MerkleTreeTopic>) -> Html {
    let leaf = use_state(|| 0usize);
    let old_size = use_state(|| None::<usize>);
    let views = &props.model;
    let n = views.leaves;
    let picked = (*leaf).min(n.saturating_sub(1));
    let old = (*old_size).unwrap_or((n / 2).max(1)).clamp(1, n.max(1));
    let operation = |request: MerkleRequest| props.on_click(request);
    let append = props.handle.on_command.reform(|_: MouseEvent| {
        let value = (js_sys::Math::random() * VALUE_RANGE as f64) as u64;
        StructureProps::<MerkleTreeTopic>::command(&MerkleRequest::Append {
            value: value.min(VALUE_RANGE - 1),
        })
    });
    let on_leaf_select = {
        let leaf = leaf.clone();
        Callback::from(move |e: Event| {
            if let Ok(i) = e
                .target_unchecked_into::<HtmlSelectElement>()
                .value()
                .parse()
            {
                leaf.set(i);
            }
        })
    };
    let on_old_select = {
        let old_size = old_size.clone();
        Callback::from(move |e: Event| {
            if let Ok(i) = e
                .target_unchecked_into::<HtmlSelectElement>()
                .value()
                .parse()
            {
                old_size.set(Some(i));
            }
        })
    };
    let on_leaf = {
        let leaf = leaf.clone();
        Callback::from(move |i: usize| leaf.set(i))
    };
    let leaf_options = (0..n).map(|i| {
        html! { <option key={i} value={i.to_string()} selected={i == picked}>{ i }</option> }
    });
    let old_options = (1..=n).map(|i| {
        html! { <option key={i} value={i.to_string()} selected={i == old}>{ i }</option> }
    });
    let empty = n == 0;
    let operations = html! {
        <>
            <label class="field" title="The leaf the next edit, proof or divergence is about (or click a leaf)">
                { "Leaf " }<select id="merkle-leaf" onchange={on_leaf_select} disabled={empty}>{ for leaf_options }</select>
            </label>
            <button id="merkle-edit" disabled={empty} onclick={operation(MerkleRequest::EditLeaf { leaf: picked as u64 })} title="Change the primary's record at this leaf and re-hash its path">{ "Edit leaf" }</button>
            <button id="merkle-prove" disabled={empty} onclick={operation(MerkleRequest::ProveInclusion { leaf: picked as u64 })} title="Prove this leaf is in the primary's tree and verify the proof">{ "Prove leaf" }</button>
            <button id="merkle-diverge" disabled={empty} onclick={operation(MerkleRequest::Diverge { leaf: picked as u64 })} title="Change the replica's copy of this leaf behind the primary's back">{ "Diverge replica" }</button>
            <span class="op-sep"></span>
            <button id="merkle-append" onclick={append} title="Append a record with a random value to both replicas">{ "Append leaf" }</button>
            <label class="field" title="The size of the older tree">
                { "Old size " }<select id="merkle-old-size" onchange={on_old_select} disabled={empty}>{ for old_options }</select>
            </label>
            <button id="merkle-consistency" disabled={empty} onclick={operation(MerkleRequest::ProveConsistency { old_size: old as u64 })} title="Prove the tree of the first old-size leaves is a prefix of today's tree">{ "Prove consistency" }</button>
            <span class="op-sep"></span>
            <button id="merkle-compare" onclick={operation(MerkleRequest::Compare)} title="Compare the replicas top-down">{ "Compare replicas" }</button>
            <button id="merkle-repair" onclick={operation(MerkleRequest::Repair)} title="Compare, then copy the differing leaves to the replica">{ "Repair" }</button>
        </>
    };
    let same_roots = views.primary_root == views.replica_root;
    let body = html! {
        <>
            <section class="panel wide merkle-primary" aria-label="primary tree">
                <h3>
                    { "Primary" }
                    <small>{ format!(" {n} leaves · root ") }<code>{ &views.primary_root }</code>{ " · hover a node for its full hash, click a leaf to pick it" }</small>
                </h3>
                { views::hash_tree::draw(&HashTreeProps { layout: views.primary.clone(), name: "primary".into(), selected: (!empty).then_some(picked), on_leaf: Some(on_leaf.clone()) }) }
                { legend() }
            </section>
            { proof_panel(&ProofPanelProps { info: views.proof.clone() }) }
            { comparison_panel(&ComparisonPanelProps { info: views.comparison.clone() }) }
            <section class="panel wide merkle-replica" aria-label="replica tree">
                <h3>
                    { "Replica" }
                    <small>
                        { " root " }<code>{ &views.replica_root }</code>
                        if same_roots { { " · same root as the primary" } } else { <span class="differs">{ " · root differs from the primary" }</span> }
                    </small>
                </h3>
                { views::hash_tree::draw(&HashTreeProps { layout: views.replica.clone(), name: "replica".into(), selected: (!empty).then_some(picked), on_leaf: Some(on_leaf) }) }
            </section>
        </>
    };
    structure::body(operations, body)
}
