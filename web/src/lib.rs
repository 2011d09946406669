//! distlab-web: the browser lab, a Yew app over distlab-core.
//!
//! - [`app`]: router (hash routes), site chrome, theme;
//! - [`player`]: one running scenario (step, play, seek by replay, speed, actions);
//! - [`hooks`]: the player hook with its animation loop and URL sync;
//! - [`layout`]: view geometry in plain Rust; [`views`]: the drawings and panels;
//! - [`pages`]: one page per topic, picking views; [`embed`]: embed mode and the
//!   JavaScript API; [`export`]: trace and picture files; [`hunt`]: what the
//!   Hunt panel's worker reports; [`panic`]: the error banner.
//!
//! The web side holds no protocol logic: it reads traces, cluster states and state
//! tables through `distlab_core::lab::run::Run`.

// Talc instead of the default dlmalloc: a smaller module, and quick on the
// page's many short-lived allocations (see the README's figures).
#[cfg(all(not(target_feature = "atomics"), target_family = "wasm"))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

pub mod app;
pub mod command;
pub mod embed;
pub mod export;
pub mod hooks;
pub mod hunt;
pub mod layout;
pub mod markup;
pub mod pages;
pub mod panic;
pub mod player;
pub mod route;
pub mod views;

/// Mounts the app on `<body>` with what this bundle carries: installs the panic
/// banner and the JavaScript API, and in embed mode starts posting the page height
/// to the parent.
pub fn start(bundle: &'static pages::Bundle) {
    panic::install_hook();
    embed::install_api();
    if embed::embed_in_search()
        || route::Route::parse(
            &web_sys::window()
                .and_then(|w| w.location().hash().ok())
                .unwrap_or_default(),
        )
        .embed()
    {
        embed::post_height_to_parent();
    }
    // The release site's static home page makes way for the app.
    if let Some(home) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("static-page"))
    {
        home.remove();
    }
    yew::Renderer::<app::App>::with_props(app::AppProps { bundle }).render();
}
