//! The all-topics development bundle (`trunk serve`): every topic page and the
//! home page. Everything lives in the library so tests can mount it.

fn main() {
    distlab_web::start(&distlab_web::pages::ALL_TOPICS);
}
