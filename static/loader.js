// distlab's loader, first in the page's head so a topic's bundle is fetched while
// the page and its stylesheet load. The home route is the static page below, its
// cards fetched from the home page's own file; a topic route imports that topic's
// bundle (and fetches its WebAssembly at the same time), which replaces the static
// page with the lab once the page is parsed. Only the route's own files are fetched.
(() => {
// Each route's [page bundle hash, worker bundle hash, stylesheet] (distlab-site).
const routes = JSON.parse(document.getElementById("distlab-bundles").textContent);
const bundleOf = (slug) => {
  const entry = Object.hasOwn(routes, slug) && routes[slug];
  if (!entry) return null;
  const [page, worker, css] = entry;
  return {
    js: slug + "-" + page + ".js",
    wasm: slug + "-" + page + "_bg.wasm",
    css,
    worker: { js: slug + "-worker-" + worker + ".js", wasm: slug + "-worker-" + worker + "_bg.wasm" },
  };
};
const home = JSON.parse(document.getElementById("distlab-home").textContent);
// Files fetched only when a person needs them: the pictures module and the hunt
// worker's script.
const onDemand = JSON.parse(document.getElementById("distlab-on-demand").textContent);
// The Export menu's pictures are made by a module loaded on first use.
window.distlabPicture = (...args) => import("./" + onDemand.pictures).then((module) => module.picture(...args));
// Hunts and shrinks run in a Web Worker (static/worker.js) with the route's worker
// bundle; `task` is a line the worker reads, and every line it posts goes to
// `onLines`. Returns the worker
// (terminate() stops it).
window.distlabWorker = (task, onLines) => {
  const bundle = bundleOf(route());
  if (!bundle) return null;
  const url = (file) => new URL("./" + file, location.href).href;
  const worker = new Worker(url(onDemand.worker), { type: "module" });
  worker.onmessage = ({ data }) => onLines(String(data));
  worker.onerror = () => onLines("error: the worker stopped");
  worker.postMessage({ task, bundle: { js: url(bundle.worker.js), wasm: url(bundle.worker.wasm) } });
  return worker;
};
let homeShown = false;

// A page family's stylesheet (the home page's, the protocol pages', ...), added
// with the route that needs it.
const style = (file) => {
  if (!file || document.querySelector("link[href='./" + file + "']")) return;
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = "./" + file;
  document.head.appendChild(link);
};

// Runs `then` once the document is parsed (the lab and the home page need <body>).
const parsed = (then) => {
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", then, { once: true });
  } else {
    then();
  }
};

const showHome = () => {
  if (homeShown) return;
  homeShown = true;
  style(home.css);
  fetch("./" + home.html)
    .then((response) => response.text())
    .then((markup) => parsed(() => {
      const home = document.getElementById("home");
      if (home) home.innerHTML = markup;
    }))
    .catch(() => { homeShown = false; });
};

const route = () => {
  const hash = location.hash.replace(/^#/, "");
  return hash.split("?")[0].replace(/^\/+|\/+$/g, "");
};

let loading = false;

const show = (slug) => {
  if (loading) return;
  const bundle = bundleOf(slug);
  if (!bundle) {
    showHome();
    parsed(() => {
      const notice = document.getElementById("route-notice");
      if (notice) {
        notice.hidden = slug === "";
        notice.textContent = slug === "" ? "" : "There is no topic '" + slug.slice(0, 64) + "'. Every topic is listed below.";
      }
    });
    return;
  }
  loading = true;
  style(bundle.css);
  // Compiling starts as the bytes arrive, while the JavaScript is fetched.
  const url = "./" + bundle.wasm;
  const compiled = WebAssembly.compileStreaming(fetch(url)).catch(() =>
    fetch(url).then((response) => response.arrayBuffer()).then((bytes) => WebAssembly.compile(bytes)));
  import("./" + bundle.js)
    .then((module) => new Promise((resolve) => parsed(resolve)).then(() => module.default({ module_or_path: compiled })))
    .catch((error) => {
      loading = false;
      parsed(() => {
        const notice = document.getElementById("route-notice");
        if (notice) {
          notice.hidden = false;
          notice.textContent = "This page could not load (" + error + "). Reload to try again.";
        }
      });
    });
};

addEventListener("hashchange", () => show(route()));
show(route());

parsed(() => {
const theme = document.getElementById("theme");
if (theme) {
  const label = () => {
    theme.textContent = document.documentElement.getAttribute("data-theme") === "dark" ? "☀" : "☾";
  };
  label();
  theme.addEventListener("click", () => {
    const dark = document.documentElement.getAttribute("data-theme") !== "dark";
    document.documentElement.setAttribute("data-theme", dark ? "dark" : "light");
    try { localStorage.setItem("distlab-theme", dark ? "dark" : "light"); } catch (e) {}
    label();
  });
}
});
})();
