// distlab's pictures: a view of a topic page as a standalone SVG file, or the
// page's visible views as a PNG. The page loads this module the first time a
// person exports a picture (window.distlabPicture, set up by the page's head), so
// no route downloads it up front.
//
// Pictures are taken from the page as drawn. An SVG file carries the page's
// stylesheet and the theme's colours as resolved, so it looks the same on its own;
// the PNG draws the views' HTML through an SVG foreignObject into a canvas, so
// tables come out too. A view painted on a canvas (the cluster of a large
// gossip run) goes in as an image of its pixels: the page's own canvases are
// same-origin, so they can be read.

const SVG = "http://www.w3.org/2000/svg";
const XHTML = "http://www.w3.org/1999/xhtml";

// The page's stylesheets as text (a sheet from another origin is left out).
const pageCss = () => {
  let css = "";
  for (const sheet of document.styleSheets) {
    let rules;
    try { rules = sheet.cssRules; } catch (e) { continue; }
    for (const rule of rules) css += rule.cssText + "\n";
  }
  return css;
};

// The custom properties the stylesheet declares, as the page resolved them.
const themeVariables = (css) => {
  const style = getComputedStyle(document.documentElement);
  const names = new Set(css.match(/--[A-Za-z0-9-]+(?=\s*:)/g) || []);
  let out = "";
  for (const name of names) {
    const value = style.getPropertyValue(name).trim();
    if (value) out += name + ":" + value + ";";
  }
  return out;
};

// Style text as XML character data: < and & become CSS escapes.
const escapeStyle = (css) => css.replace(/</g, "\\3c ").replace(/&/g, "\\26 ");

const pictureStyle = () => {
  const css = pageCss();
  return "<style>" + escapeStyle(css) + "\n:root{" + escapeStyle(themeVariables(css)) + "}\n" +
    "svg.picture{font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;color:var(--ink);background:var(--bg)}</style>";
};

const serialize = (node) => new XMLSerializer().serializeToString(node);
const whole = (n) => Math.round(n);
const pixels = (canvas) => canvas.toDataURL("image/png");

// A copy of `part` in which every canvas is an image of its pixels at the
// size it is drawn (a copied canvas would come out blank).
export const withCanvasesAsImages = (part) => {
  const copy = part.cloneNode(true);
  const originals = part.querySelectorAll("canvas");
  copy.querySelectorAll("canvas").forEach((canvas, i) => {
    const rect = originals[i].getBoundingClientRect();
    const image = document.createElement("img");
    image.setAttribute("src", pixels(originals[i]));
    image.setAttribute("class", canvas.getAttribute("class") || "");
    image.setAttribute("style", "width:" + whole(rect.width) + "px;height:" + whole(rect.height) + "px");
    canvas.replaceWith(image);
  });
  return copy;
};

// The views matching `selector` in `lab` as one SVG document: one view as it is,
// several stacked top to bottom at their drawn sizes.
export function svg(lab, selector) {
  let parts = "", width = 0, height = 0;
  for (const view of lab.querySelectorAll(selector)) {
    const rect = view.getBoundingClientRect();
    if (rect.width <= 0 || rect.height <= 0) continue; // not shown
    const [y, w, h] = [String(whole(height)), String(whole(rect.width)), String(whole(rect.height))];
    if (view instanceof HTMLCanvasElement) {
      parts += "<image x=\"0\" y=\"" + y + "\" width=\"" + w + "\" height=\"" + h + "\" href=\"" + pixels(view) + "\"/>";
    } else {
      const copy = view.cloneNode(true);
      copy.setAttribute("x", "0");
      copy.setAttribute("y", y);
      copy.setAttribute("width", w);
      copy.setAttribute("height", h);
      parts += serialize(copy);
    }
    width = Math.max(width, rect.width);
    height += rect.height;
  }
  if (!parts) throw new Error("there is no such view on this page now");
  const [w, h] = [whole(width), whole(height)];
  return "<svg xmlns=\"" + SVG + "\" class=\"picture\" width=\"" + w + "\" height=\"" + h +
    "\" viewBox=\"0 0 " + w + " " + h + "\">" + pictureStyle() +
    "<rect width=\"100%\" height=\"100%\" fill=\"var(--bg)\"/>" + parts + "</svg>";
}

// A PNG of the visible views of `lab` (its views and panels) at the screen's
// pixel density.
export async function png(lab) {
  const frame = lab.getBoundingClientRect();
  const width = Math.ceil(frame.width);
  let body = "", height = 0;
  for (const selector of [".views", ".structure-views", ".panels"]) {
    const part = lab.querySelector(selector);
    if (!part) continue;
    const rect = part.getBoundingClientRect();
    body += "<div xmlns=\"" + XHTML + "\" class=\"" + (lab.getAttribute("class") || "") +
      "\" style=\"position:absolute;left:" + whole(rect.left - frame.left) + "px;top:" + whole(height) +
      "px;width:" + whole(rect.width) + "px\">" + serialize(withCanvasesAsImages(part)) + "</div>";
    height += rect.height + 12;
  }
  if (!body) throw new Error("this page has no views to picture");
  height = Math.ceil(height);
  const picture = "<svg xmlns=\"" + SVG + "\" class=\"picture\" width=\"" + width + "\" height=\"" + height + "\">" +
    pictureStyle() + "<foreignObject width=\"100%\" height=\"100%\"><div xmlns=\"" + XHTML +
    "\" style=\"position:relative;width:" + width + "px;height:" + height + "px\">" + body +
    "</div></foreignObject></svg>";
  const image = new Image();
  const loaded = new Promise((resolve, reject) => {
    image.onload = resolve;
    image.onerror = () => reject(new Error("the views could not be drawn as a picture"));
  });
  image.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(picture);
  await loaded;
  const scale = Math.max(1, window.devicePixelRatio || 1);
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  const context = canvas.getContext("2d");
  context.scale(scale, scale);
  context.drawImage(image, 0, 0);
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("no PNG"))), "image/png"));
}

// Offers `blob` to the person as a file called `name`.
export function save(name, blob) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// What the page calls: makes the picture `kind` ("svg" of `selector`, or "png")
// of `lab` and saves it as `name`.
export async function picture(kind, lab, selector, name) {
  const blob = kind === "png"
    ? await png(lab)
    : new Blob([svg(lab, selector)], { type: "image/svg+xml" });
  save(name, blob);
}
