//! The browser entry point: everything lives in the library so tests can mount it.

fn main() {
    distlab_web::start(distlab_web::pages::PAGES);
}
