//! `distlab-site`: builds the release site into a folder that works from any path
//! of any static host.
//!
//!     cargo run --release -p distlab-site -- [DIST]      (default: dist)
//!
//! What a route downloads is only what it needs:
//! - the home page is static HTML made from the catalog's cards (no WebAssembly);
//! - each topic has its own bundle: `distlab-bundle` compiled with
//!   `DISTLAB_BUNDLE=<module>`, which holds that topic's page and nothing of any
//!   other topic, then `wasm-bindgen --target web` and `wasm-opt` for size;
//! - a small inline loader reads the route and imports the topic's bundle,
//!   fetching its WebAssembly at the same time;
//! - each topic also has a worker bundle (`distlab-worker`: the topic and its
//!   hunt and shrink, no page code) that the Hunt panel starts in a Web Worker,
//!   fetched only when a person hunts or shrinks.
//!
//! Every asset name carries a hash of its content, every URL is relative, and
//! `manifest.json` lists each route's files (the budget test and `measure` read it).
//! Compiling one topic's bundle reuses everything but the final link, so each
//! topic costs a few seconds; the tools are the pinned ones `scripts/setup`
//! installs (wasm-bindgen 0.2.130, wasm-opt 132).

mod imports;

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use distlab_core::catalog;
use sha2::{Digest, Sha256};

/// The cargo profile of the bundles: size over speed (see the workspace manifest).
const PROFILE: &str = "wasm-release";
const TARGET: &str = "wasm32-unknown-unknown";
/// The page bundle and the worker bundle: (package, binary, file name suffix).
const BUNDLE: (&str, &str, &str) = ("distlab-web", "distlab-bundle", "");
const WORKER: (&str, &str, &str) = ("distlab-worker", "distlab-worker", "-worker");

fn main() -> ExitCode {
    let dist = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "dist".into()));
    match build(&dist) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("distlab-site: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The first 8 hex digits of the SHA-256 of `parts`. A name only has to change
/// when its file does (two versions of one file share a name with odds of one
/// in four billion), and every route downloads the table of every topic's
/// hashes, so each digit costs every route bytes as the catalog grows.
fn content_hash(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher
        .finalize()
        .iter()
        .take(4)
        .fold(String::new(), |mut out, byte| {
            let _ = write!(out, "{byte:02x}");
            out
        })
}

fn run(command: &mut Command) -> Result<(), String> {
    let shown = format!("{command:?}");
    let status = command
        .status()
        .map_err(|e| format!("{shown}: {e} (run scripts/setup to install the tools)"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed: {status}"))
    }
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes `bytes` into `dist` as `name` with a content hash before the extension.
fn hashed_write(dist: &Path, name: &str, bytes: &[u8]) -> Result<String, String> {
    let (stem, extension) = name.rsplit_once('.').unwrap_or((name, ""));
    let hashed = format!("{stem}-{}.{extension}", content_hash(&[bytes]));
    write(&dist.join(&hashed), bytes)?;
    Ok(hashed)
}

/// Comments and whitespace out of a stylesheet. Runs of whitespace become one
/// space, which then goes wherever it separates nothing: beside `{`, `}`,
/// `;`, `,` and `>`, and after `:` (a space before `:` stays, as it is the
/// descendant combinator in `.a :hover`). Strings are kept as written, and
/// the `;` before a `}` goes.
fn compact_css(css: &str) -> String {
    let mut plain = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        plain.push_str(&rest[..start]);
        rest = rest[start..]
            .find("*/")
            .map_or("", |end| &rest[start + end + 2..]);
    }
    plain.push_str(rest);
    let spaced = plain.split_whitespace().collect::<Vec<_>>().join(" ");
    let chars: Vec<char> = spaced.chars().collect();
    let mut out = String::with_capacity(spaced.len());
    let mut quote: Option<char> = None;
    for (i, &c) in chars.iter().enumerate() {
        match quote {
            Some(open) if c == open && chars.get(i.wrapping_sub(1)) != Some(&'\\') => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == ' ' => {
                let before = out.chars().last();
                let after = chars.get(i + 1).copied();
                let separates_nothing = matches!(before, Some('{' | '}' | ';' | ',' | '>' | ':'))
                    || matches!(after, Some('{' | '}' | ';' | ',' | '>'));
                if separates_nothing {
                    continue;
                }
            }
            None if c == '}' && out.ends_with(';') => {
                out.pop();
            }
            None => {}
        }
        out.push(c);
    }
    out
}

/// wasm-bindgen's module without its documentation comments and indentation.
/// Only whole comment lines and `/** ... */` blocks between statements go;
/// wasm-bindgen writes no multi-line strings, so code and strings are untouched.
fn compact_js(js: &str) -> String {
    let mut out = String::with_capacity(js.len());
    let mut in_doc = false;
    for line in js.lines() {
        let line = line.trim();
        if in_doc {
            in_doc = !line.ends_with("*/");
            continue;
        }
        if line.starts_with("/**") {
            in_doc = !line.ends_with("*/");
            continue;
        }
        if line.is_empty() || line.starts_with("//") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The rustflags of a bundle build: whatever the person set, and a
/// `--remap-path-prefix` from each of the cargo registry's source folders to
/// nothing (see [`compile`]), as cargo's `\x1f`-separated encoding.
fn rustflags() -> String {
    let mut flags: Vec<String> = match std::env::var("CARGO_ENCODED_RUSTFLAGS") {
        Ok(encoded) if !encoded.is_empty() => encoded.split('\x1f').map(String::from).collect(),
        _ => std::env::var("RUSTFLAGS")
            .unwrap_or_default()
            .split_whitespace()
            .map(String::from)
            .collect(),
    };
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")));
    if let Some(sources) = cargo_home.map(|home| home.join("registry").join("src")) {
        let mut folders: Vec<PathBuf> = fs::read_dir(&sources)
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| entry.path())
            .collect();
        folders.sort();
        for folder in folders {
            flags.push(format!("--remap-path-prefix={}/=", folder.display()));
        }
    }
    flags.join("\x1f")
}

/// Compiles one topic's page or worker bundle (`kind`) and copies the raw
/// WebAssembly out of the way of the next build (every topic's is the same
/// binary); returns where it went.
///
/// The panic locations a bundle keeps name the source files of its
/// dependencies by their full path in this machine's cargo registry
/// (`/root/.cargo/registry/src/index.crates.io-<hash>/yew-0.23.0/...`, about
/// 60 bytes of prefix each, 29 of them on a protocol route). The build maps
/// that prefix away, so a route weighs the same on every machine and the
/// bytes go.
fn compile(
    root: &Path,
    target: &Path,
    slug: &str,
    (package, bin, suffix): (&str, &str, &str),
) -> Result<PathBuf, String> {
    let module = slug.replace('-', "_");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    run(Command::new(cargo)
        .current_dir(root)
        .env("DISTLAB_BUNDLE", &module)
        .env("CARGO_ENCODED_RUSTFLAGS", rustflags())
        .args(["build", "--quiet", "--profile", PROFILE, "--target", TARGET])
        .args(["-p", package, "--bin", bin]))?;
    let built = target
        .join(TARGET)
        .join(PROFILE)
        .join(format!("{bin}.wasm"));
    let scratch = target.join("site").join(format!("{module}{suffix}"));
    fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    let raw = scratch.join("raw.wasm");
    fs::copy(&built, &raw).map_err(|e| format!("{}: {e}", built.display()))?;
    Ok(raw)
}

/// Binds and optimises a compiled bundle into `dist` under content-hashed names
/// starting with `name`; returns the JavaScript and WebAssembly file names.
fn finish(root: &Path, dist: &Path, name: &str, raw: &Path) -> Result<(String, String), String> {
    let scratch = raw.parent().ok_or("no scratch folder")?;
    run(Command::new("wasm-bindgen")
        .args(["--target", "web", "--no-typescript", "--out-name", "bundle"])
        .arg("--out-dir")
        .arg(scratch)
        .arg(raw))?;
    let optimised = scratch.join("optimised.wasm");
    // scripts/setup installs binaryen from npm into .tools/ (Debian's is too old).
    let local = root.join(".tools/node_modules/.bin/wasm-opt");
    let wasm_opt = if local.exists() {
        local
    } else {
        PathBuf::from("wasm-opt")
    };
    // Flattening and re-looping before the size passes saves about 0.8 KB
    // gzipped on a topic's page bundle (measured on Raft's), for 6 s more.
    // `--low-memory-unused` lets constant address offsets fold into loads and
    // stores, 1.0 KB gzipped on multi-tenancy's: Rust's wasm32 linker puts the
    // stack first, growing down from 1 MiB, so the lowest 1 KiB is reached
    // only by a stack that has already overflowed.
    run(Command::new(wasm_opt)
        .args([
            "--flatten",
            "--rereloop",
            "-Oz",
            "-Oz",
            "--low-memory-unused",
        ])
        .arg(scratch.join("bundle_bg.wasm"))
        .arg("-o")
        .arg(&optimised))?;
    let js = minify_js(
        root,
        &String::from_utf8_lossy(&read(&scratch.join("bundle.js"))?),
    )?;
    let (wasm, js, _) = imports::shorten(&read(&optimised)?, &js);
    let js = js.into_bytes();
    let hash = content_hash(&[&js, &wasm]);
    let (js_name, wasm_name) = (
        format!("{name}-{hash}.js"),
        format!("{name}-{hash}_bg.wasm"),
    );
    write(&dist.join(&js_name), &js)?;
    write(&dist.join(&wasm_name), &wasm)?;
    Ok((js_name, wasm_name))
}

/// A JSON string literal.
fn json(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The page family of each topic (its stylesheet is `FAMILY.css`), from the
/// catalog's table.
macro_rules! page_families {
    ($($module:ident :: $topic:ident => $family:ident),* $(,)?) => {
        &[$((distlab_core::topics::$module::INFO.slug, stringify!($family))),*]
    };
}
static TOPIC_FAMILIES: &[(&str, &str)] = distlab_core::with_topics!(page_families);
/// The page families, each with a stylesheet in `static/`.
const FAMILIES: &[&str] = &["protocol", "structure"];

/// The stylesheet of `slug`'s page family among `styles`.
fn family_style<'a>(styles: &'a [(&str, String)], slug: &str) -> Result<&'a str, String> {
    let family = TOPIC_FAMILIES
        .iter()
        .find(|(topic, _)| *topic == slug)
        .map(|(_, family)| *family)
        .ok_or_else(|| format!("{slug} has no page family"))?;
    styles
        .iter()
        .find(|(name, _)| *name == family)
        .map(|(_, file)| file.as_str())
        .ok_or_else(|| format!("no stylesheet static/{family}.css"))
}

/// `js` minified by esbuild (scripts/setup installs it into .tools/), which
/// shortens local names as well as removing comments and spaces; without it,
/// only comments and indentation go.
fn minify_js(root: &Path, js: &str) -> Result<String, String> {
    let esbuild = root.join(".tools/node_modules/.bin/esbuild");
    if !esbuild.exists() {
        return Ok(compact_js(js));
    }
    let mut child = Command::new(&esbuild)
        .args(["--minify", "--loader=js", "--log-level=warning"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("{}: {e}", esbuild.display()))?;
    let mut stdin = child.stdin.take().ok_or("esbuild has no input")?;
    let input = js.to_string();
    let writer =
        std::thread::spawn(move || std::io::Write::write_all(&mut stdin, input.as_bytes()));
    let output = child
        .wait_with_output()
        .map_err(|e| format!("esbuild: {e}"))?;
    writer
        .join()
        .map_err(|_| "esbuild: the writer panicked")?
        .map_err(|e| format!("esbuild: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "esbuild failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    String::from_utf8(output.stdout).map_err(|_| "esbuild wrote no UTF-8".to_string())
}

fn build(dist: &Path) -> Result<(), String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("no workspace")?
        .to_path_buf();
    if dist.exists() {
        fs::remove_dir_all(dist).map_err(|e| format!("{}: {e}", dist.display()))?;
    }
    fs::create_dir_all(dist).map_err(|e| format!("{}: {e}", dist.display()))?;

    // One stylesheet for every route, and one per page family, loaded with the
    // routes of that family (and the home page).
    let stylesheet = |name: &str| -> Result<String, String> {
        let css = String::from_utf8(read(&root.join("static").join(name))?)
            .map_err(|_| format!("static/{name} is not UTF-8"))?;
        hashed_write(dist, name, compact_css(&css).as_bytes())
    };
    let style = stylesheet("style.css")?;
    let home_style = stylesheet("home.css")?;
    let family_styles = FAMILIES
        .iter()
        .map(|family| Ok((*family, stylesheet(&format!("{family}.css"))?)))
        .collect::<Result<Vec<_>, String>>()?;
    let favicon = hashed_write(
        dist,
        "favicon.svg",
        &read(&root.join("static/favicon.svg"))?,
    )?;
    // Scripts fetched on demand: the pictures module and the hunt worker's script.
    let script = |name: &str| -> Result<String, String> {
        let js = String::from_utf8(read(&root.join("static").join(name))?)
            .map_err(|_| format!("static/{name} is not UTF-8"))?;
        hashed_write(dist, name, minify_js(root.as_path(), &js)?.as_bytes())
    };
    let pictures = script("pictures.js")?;
    let worker_script = script("worker.js")?;
    let home = hashed_write(
        dist,
        "home.html",
        distlab_web::pages::home::html().as_bytes(),
    )?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    // Cargo builds one bundle at a time (each kind is one binary); binding and
    // optimising the last one overlaps the next compilation. Each topic has a page
    // bundle (what its route downloads) and a worker bundle (its hunts and
    // shrinks, fetched only when a person starts one).
    let started = std::time::Instant::now();
    let routes = std::thread::scope(|scope| {
        let mut finishing = Vec::new();
        for topic in catalog::topics() {
            let root = &root;
            let slug = topic.slug;
            let page = compile(root, &target, slug, BUNDLE)?;
            let page = scope.spawn(move || finish(root, dist, slug, &page));
            let worker = compile(root, &target, slug, WORKER)?;
            let name = format!("{slug}{}", WORKER.2);
            let worker = scope.spawn(move || finish(root, dist, &name, &worker));
            finishing.push((slug, page, worker));
        }
        finishing
            .into_iter()
            .map(|(slug, page, worker)| {
                let (js, wasm) = page.join().map_err(|_| format!("{slug}: panicked"))??;
                let worker = worker.join().map_err(|_| format!("{slug}: panicked"))??;
                Ok((slug, js, wasm, worker))
            })
            .collect::<Result<Vec<_>, String>>()
    })?;
    eprintln!(
        "distlab-site: {} page and worker bundles in {:.1} s",
        routes.len() * 2,
        started.elapsed().as_secs_f64()
    );

    let bundles = routes
        .iter()
        .map(|(slug, js, wasm, (worker_js, worker_wasm))| {
            let css = family_style(&family_styles, slug)?;
            Ok(format!(
                "{}:{{\"js\":{},\"wasm\":{},\"css\":{},\"worker\":{{\"js\":{},\"wasm\":{}}}}}",
                json(slug),
                json(js),
                json(wasm),
                json(css),
                json(worker_js),
                json(worker_wasm)
            ))
        })
        .collect::<Result<Vec<_>, String>>()?
        .join(",");
    // What the loader needs of each route, short (every route downloads it):
    // [page bundle hash, worker bundle hash, stylesheet]; the file names follow
    // from the slug and the hashes.
    // `finish` names a bundle's script NAME-HASH.js.
    let hash_of = |js: &str| -> Result<String, String> {
        js.strip_suffix(".js")
            .and_then(|stem| stem.rsplit_once('-'))
            .map(|(_, hash)| hash.to_string())
            .ok_or_else(|| format!("{js} is not named NAME-HASH.js"))
    };
    let loader_routes = routes
        .iter()
        .map(|(slug, js, _, (worker_js, _))| {
            let css = family_style(&family_styles, slug)?;
            Ok(format!(
                "{}:[{},{},{}]",
                json(slug),
                json(&hash_of(js)?),
                json(&hash_of(worker_js)?),
                json(css)
            ))
        })
        .collect::<Result<Vec<_>, String>>()?
        .join(",");
    let template = String::from_utf8(read(&root.join("static/site.html"))?)
        .map_err(|_| "static/site.html is not UTF-8")?;
    let loader = String::from_utf8(read(&root.join("static/loader.js"))?)
        .map_err(|_| "static/loader.js is not UTF-8")?;
    let index = template
        .replace("{{style}}", &style)
        .replace("{{favicon}}", &favicon)
        .replace(
            "{{home}}",
            &format!("{{\"html\":{},\"css\":{}}}", json(&home), json(&home_style)),
        )
        .replace(
            "{{on_demand}}",
            &format!(
                "{{\"pictures\":{},\"worker\":{}}}",
                json(&pictures),
                json(&worker_script)
            ),
        )
        .replace("{{bundles}}", &format!("{{{loader_routes}}}"))
        .replace("{{loader}}", &minify_js(&root, &loader)?);
    write(&dist.join("index.html"), index.as_bytes())?;

    // What each route downloads, for the budget test and `measure`.
    let shared = format!(
        "[{},{},{}]",
        json("index.html"),
        json(&style),
        json(&favicon)
    );
    // Pictures are fetched only when a person exports one, and the worker script
    // and a worker bundle when a person hunts or shrinks, so no route counts them.
    let on_demand = [json(&pictures), json(&worker_script)]
        .into_iter()
        .chain(
            routes
                .iter()
                .flat_map(|(_, _, _, (js, wasm))| [json(js), json(wasm)]),
        )
        .collect::<Vec<_>>()
        .join(",");
    let manifest = format!(
        "{{\"shared\":{shared},\"home\":[{},{}],\"on_demand\":[{on_demand}],\"bundles\":{{{bundles}}}}}\n",
        json(&home),
        json(&home_style)
    );
    write(&dist.join("manifest.json"), manifest.as_bytes())?;
    eprintln!(
        "distlab-site: {} with the home page and {} topic bundles",
        dist.display(),
        routes.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::compact_css;

    #[test]
    fn a_stylesheet_loses_comments_and_empty_whitespace_but_keeps_its_meaning() {
        let css = "/* the cluster */\n.a :hover , .b > .c {\n  color : red;\n  margin: 0 2px;\n}\n@media (max-width: 600px) {\n  .files summary::after { content: \" ; { \\\" x\"; }\n}\n";
        assert_eq!(
            compact_css(css),
            ".a :hover,.b>.c{color :red;margin:0 2px}@media (max-width:600px){.files summary::after{content:\" ; { \\\" x\"}}"
        );
    }
}
