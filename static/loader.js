// distlab's loader. The home route is the static page above, its cards fetched
// from the home page's own file; a topic route imports that topic's bundle (and
// fetches its WebAssembly at the same time), which replaces the static page with
// the lab. Only the route's own files are fetched.
const bundles = JSON.parse(document.getElementById("distlab-bundles").textContent);
const homeFile = JSON.parse(document.getElementById("distlab-home").textContent);
let homeShown = false;

const showHome = () => {
  if (homeShown) return;
  homeShown = true;
  fetch("./" + homeFile)
    .then((response) => response.text())
    .then((markup) => {
      const home = document.getElementById("home");
      if (home) home.innerHTML = markup;
    })
    .catch(() => { homeShown = false; });
};

const route = () => {
  const hash = location.hash.replace(/^#/, "");
  return hash.split("?")[0].replace(/^\/+|\/+$/g, "");
};

let loading = false;

const show = (slug) => {
  if (loading) return;
  const bundle = bundles[slug];
  const notice = document.getElementById("route-notice");
  if (!bundle) {
    showHome();
    if (notice) {
      notice.hidden = slug === "";
      notice.textContent = slug === "" ? "" : "There is no topic '" + slug.slice(0, 64) + "'. Every topic is listed below.";
    }
    return;
  }
  loading = true;
  const wasm = fetch("./" + bundle.wasm);
  import("./" + bundle.js)
    .then((module) => module.default({ module_or_path: wasm }))
    .catch((error) => {
      loading = false;
      if (notice) {
        notice.hidden = false;
        notice.textContent = "This page could not load (" + error + "). Reload to try again.";
      }
    });
};

addEventListener("hashchange", () => show(route()));
show(route());

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
