//! Export from every page: the trace as JSON lines (the bytes `distlab run --json`
//! prints), a view as a standalone SVG file, and a PNG of the visible views.
//!
//! The trace is made here, from core. Pictures are DOM work (serialising SVG,
//! drawing HTML into a canvas), which is shorter in JavaScript and wanted rarely:
//! `static/pictures.js` does it, loaded the first time a person asks for a picture
//! through `window.distlabPicture`, which the page's head defines. So no route
//! downloads picture code up front.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, BlobPropertyBag, Element};

/// A view a page offers as an SVG file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Picture {
    /// The SVG elements (within the lab) that make the picture; several are stacked.
    pub selector: &'static str,
    /// The file name's last part, e.g. `timeline`.
    pub stem: &'static str,
    /// The menu's words.
    pub label: &'static str,
}

/// What the Export menu can make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportKind {
    Trace,
    /// The clients' history in Jepsen's EDN, for topics with clients.
    History,
    Svg(Picture),
    Png,
}

fn js_error(error: JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "the browser refused".to_string())
}

/// A blob of `text` with media type `mime`.
pub fn text_blob(text: &str, mime: &str) -> Result<Blob, String> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    Blob::new_with_str_sequence_and_options(&parts, &options).map_err(js_error)
}

/// Offers `blob` to the person as a file called `name`.
pub fn download(name: &str, blob: &Blob) -> Result<(), String> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let url = web_sys::Url::create_object_url_with_blob(blob).map_err(js_error)?;
    let link = document.create_element("a").map_err(js_error)?;
    link.set_attribute("href", &url).map_err(js_error)?;
    link.set_attribute("download", name).map_err(js_error)?;
    if let Some(link) = link.dyn_ref::<web_sys::HtmlElement>() {
        link.click();
    }
    // The download holds its own reference to the blob once started.
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// Makes the picture `kind` of `lab` and offers it as the file `name`; settles
/// when it is saved, or with what went wrong.
pub async fn picture(kind: ExportKind, lab: &Element, name: &str) -> Result<(), String> {
    let (kind, selector) = match kind {
        ExportKind::Svg(picture) => ("svg", picture.selector),
        ExportKind::Png => ("png", ""),
        ExportKind::Trace | ExportKind::History => {
            return Err("a trace is not a picture".to_string())
        }
    };
    let window = web_sys::window().ok_or("no window")?;
    let make = js_sys::Reflect::get(&window, &"distlabPicture".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .ok_or("this build of the page cannot make pictures")?;
    let arguments = js_sys::Array::of4(&kind.into(), lab, &selector.into(), &name.into());
    let promise = make
        .apply(&JsValue::NULL, &arguments)
        .map_err(js_error)?
        .dyn_into::<js_sys::Promise>()
        .map_err(|_| "the picture maker did not answer")?;
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map(|_| ())
        .map_err(js_error)
}

/// The file name of an export: topic, seed and instant, e.g.
/// `distlab-raft-seed1-at1500ms.jsonl`.
pub fn file_name(slug: &str, seed: u64, at_ms: u64, stem: &str, extension: &str) -> String {
    let stem = if stem.is_empty() {
        String::new()
    } else {
        format!("-{stem}")
    };
    format!("distlab-{slug}-seed{seed}-at{at_ms}ms{stem}.{extension}")
}
