//! One route's bundle for the release site: the page of the topic whose module is
//! named by `DISTLAB_BUNDLE` when this binary is compiled (`distlab-site` sets it),
//! and nothing of any other topic. Without it, the all-topics bundle.

static BUNDLE: &distlab_web::pages::Bundle =
    distlab_web::pages::bundle(match option_env!("DISTLAB_BUNDLE") {
        Some(module) => module,
        None => "",
    });

fn main() {
    distlab_web::start(BUNDLE);
}
