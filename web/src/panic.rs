//! A panic never leaves a dead page: the hook logs it and shows a banner, outside
//! Yew's tree (which may be broken), with a button that resets to the catalog.

use wasm_bindgen::JsCast;

/// The id of the banner element; tests look for it.
pub const BANNER_ID: &str = "panic-banner";

pub fn install_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = info.to_string();
        web_sys::console::error_1(&format!("distlab panicked: {message}").into());
        show_banner(&message);
    }));
}

/// Shows (or updates) the error banner with `message` and a reset button.
pub fn show_banner(message: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(body) = document.body() else {
        return;
    };
    let banner = match document.get_element_by_id(BANNER_ID) {
        Some(banner) => banner,
        None => {
            let Ok(banner) = document.create_element("div") else {
                return;
            };
            banner.set_id(BANNER_ID);
            let _ = banner.set_attribute("role", "alert");
            let _ = body.prepend_with_node_1(&banner);
            banner
        }
    };
    banner.set_inner_html("");
    if let Ok(text) = document.create_element("span") {
        text.set_text_content(Some(&format!("Something went wrong: {message}")));
        let _ = banner.append_child(&text);
    }
    if let Ok(button) = document.create_element("button") {
        button.set_text_content(Some("Reset"));
        // Plain DOM handler: the app's own event loop may be what panicked.
        let _ = button.set_attribute("onclick", "location.hash = '#/'; location.reload();");
        let _ = banner.append_child(&button);
    }
    if let Some(element) = banner.dyn_ref::<web_sys::HtmlElement>() {
        let _ = element.focus();
    }
}
