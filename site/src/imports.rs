//! Short names for a bundle's imports from its JavaScript glue.
//!
//! wasm-bindgen names each import it generates after the function and a 16-digit
//! hash (`__wbg_setAttribute_4d5f1c6e9a0b2c3d`), and the name appears twice: in
//! the WebAssembly import section and as a key of the glue's import object. The
//! hashes do not compress, and a topic page has about 170 of them: renaming each
//! to one or two letters in both files saves about 5 KB gzipped per route
//! (measured on Raft's page bundle: 3.2 KB in the wasm, 2.1 KB in the glue).
//!
//! The rename is all or nothing per import: a name is shortened only when the
//! glue holds it exactly once as a whole identifier (the import object's key);
//! anything in the module this code does not understand leaves both files as
//! they were.
//!
//! The exports only the glue calls (closure invokers, also named after a hash,
//! and the allocator) are renamed the same way, wherever the glue names them:
//! 460 bytes gzipped more on observability's page (252 in the wasm, 208 in the
//! glue).

/// The module wasm-bindgen's glue provides the imports as.
const GLUE_MODULE: &[u8] = b"./bundle_bg.js";

/// `wasm` and `js` with the glue's imports renamed to short names, and how many
/// were renamed; unchanged (and 0) if the module cannot be read.
pub fn shorten(wasm: &[u8], js: &str) -> (Vec<u8>, String, usize) {
    match rename(wasm, js) {
        Some((wasm, renames)) => {
            let mut js = js.to_string();
            for (old, new) in &renames {
                js = replace_identifier(&js, old, new);
            }
            (wasm, js, renames.len())
        }
        None => (wasm.to_vec(), js.to_string(), 0),
    }
}

/// Each renamed import: its old name and its short one.
type Renames = Vec<(String, String)>;

/// The module with its import section rewritten, and the renames made.
fn rename(wasm: &[u8], js: &str) -> Option<(Vec<u8>, Renames)> {
    if wasm.len() < 8 || &wasm[..4] != b"\0asm" {
        return None;
    }
    let mut out = wasm[..8].to_vec();
    let mut renames = Vec::new();
    let mut at = 8;
    while at < wasm.len() {
        let id = wasm[at];
        let (size, body_start) = read_leb(wasm, at + 1)?;
        let body_end = body_start.checked_add(size as usize)?;
        let body = wasm.get(body_start..body_end)?;
        if id == 2 || id == 7 {
            let section = if id == 2 {
                rename_imports(body, js, &mut renames)?
            } else {
                rename_exports(body, js, &mut renames)?
            };
            out.push(id);
            write_leb(&mut out, section.len() as u64);
            out.extend_from_slice(&section);
        } else {
            out.extend_from_slice(&wasm[at..body_end]);
        }
        at = body_end;
    }
    Some((out, renames))
}

/// The import section `body` with the glue's imports renamed.
fn rename_imports(body: &[u8], js: &str, renames: &mut Renames) -> Option<Vec<u8>> {
    let (count, mut at) = read_leb(body, 0)?;
    let mut out = Vec::with_capacity(body.len());
    write_leb(&mut out, count);
    for _ in 0..count {
        let (module, next) = read_name(body, at)?;
        let (field, next) = read_name(body, next)?;
        let desc_end = skip_description(body, next)?;
        let name = std::str::from_utf8(field).ok()?;
        let glue = module == GLUE_MODULE && identifier_count(js, name) == 1;
        write_leb(&mut out, module.len() as u64);
        out.extend_from_slice(module);
        write_entry(&mut out, field, glue, renames, &body[next..desc_end]);
        at = desc_end;
    }
    (at == body.len()).then_some(out)
}

/// Prefixes of the exports only the glue uses: wasm-bindgen's closure
/// invokers (named after a 16-digit hash, a dozen on a topic page) and its
/// allocator and table helpers. Other exports (`main`, `memory`, a worker's
/// API) keep their names: code outside the glue may call them.
const GLUE_EXPORTS: [&str; 3] = [
    "wasm_bindgen__convert__closures",
    "__wbindgen_",
    "__externref_",
];

/// The export section `body` with the glue's own exports renamed (short names
/// go on from the imports'; the two never meet in the glue, which reads
/// exports as properties of the instance's exports object).
fn rename_exports(body: &[u8], js: &str, renames: &mut Renames) -> Option<Vec<u8>> {
    let (count, mut at) = read_leb(body, 0)?;
    let mut out = Vec::with_capacity(body.len());
    write_leb(&mut out, count);
    for _ in 0..count {
        let (field, next) = read_name(body, at)?;
        // A kind byte and an index.
        let desc_end = read_leb(body, next.checked_add(1)?)?.1;
        if *body.get(next)? > 4 {
            return None;
        }
        let name = std::str::from_utf8(field).ok()?;
        let internal = GLUE_EXPORTS.iter().any(|prefix| name.starts_with(prefix));
        let glue = internal && identifier_count(js, name) > 0;
        write_entry(&mut out, field, glue, renames, &body[next..desc_end]);
        at = desc_end;
    }
    (at == body.len()).then_some(out)
}

/// Writes an import's or export's name, the next short name instead when
/// `rename` (noting the rename), then the rest of its entry.
fn write_entry(out: &mut Vec<u8>, field: &[u8], rename: bool, renames: &mut Renames, rest: &[u8]) {
    let short = rename.then(|| short_name(renames.len()));
    if let Some(short) = &short {
        renames.push((String::from_utf8_lossy(field).into_owned(), short.clone()));
    }
    let field = short.as_deref().map_or(field, str::as_bytes);
    write_leb(out, field.len() as u64);
    out.extend_from_slice(field);
    out.extend_from_slice(rest);
}

/// Where an import's description that starts at `at` ends.
fn skip_description(body: &[u8], at: usize) -> Option<usize> {
    let kind = *body.get(at)?;
    let at = at + 1;
    match kind {
        // A function or a tag: a type index (a tag has an attribute byte first).
        0 => Some(read_leb(body, at)?.1),
        4 => Some(read_leb(body, at + 1)?.1),
        // A table: a plain reference type, then limits.
        1 => match body.get(at)? {
            0x70 | 0x6f => skip_limits(body, at + 1),
            _ => None,
        },
        2 => skip_limits(body, at),
        // A global: a plain value type and mutability.
        3 => match body.get(at)? {
            0x7f | 0x7e | 0x7d | 0x7c | 0x7b | 0x70 | 0x6f => Some(at + 2),
            _ => None,
        },
        _ => None,
    }
}

fn skip_limits(body: &[u8], at: usize) -> Option<usize> {
    let flags = *body.get(at)?;
    if flags > 7 {
        return None;
    }
    let (_, at) = read_leb(body, at + 1)?;
    if flags & 1 == 1 {
        Some(read_leb(body, at)?.1)
    } else {
        Some(at)
    }
}

fn read_name(body: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let (length, start) = read_leb(body, at)?;
    let end = start.checked_add(length as usize)?;
    Some((body.get(start..end)?, end))
}

/// An unsigned LEB128 number at `at`, and where it ends.
fn read_leb(bytes: &[u8], mut at: usize) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(at)?;
        at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Some((value, at));
        }
    }
    None
}

fn write_leb(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// The `index`th short name: `a`..`Z`, then two letters and more.
fn short_name(mut index: usize) -> String {
    const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut name = String::new();
    loop {
        name.push(LETTERS[index % LETTERS.len()] as char);
        index /= LETTERS.len();
        if index == 0 {
            return name;
        }
        index -= 1;
    }
}

fn is_identifier_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'$'
}

/// Where `name` occurs in `js` as a whole identifier.
fn identifier_matches<'a>(js: &'a str, name: &'a str) -> impl Iterator<Item = usize> + 'a {
    let bytes = js.as_bytes();
    js.match_indices(name).map(|(at, _)| at).filter(move |&at| {
        let before = at.checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(at + name.len()).copied();
        !before.is_some_and(is_identifier_byte) && !after.is_some_and(is_identifier_byte)
    })
}

fn identifier_count(js: &str, name: &str) -> usize {
    if name.is_empty() {
        return 0;
    }
    identifier_matches(js, name).count()
}

fn replace_identifier(js: &str, old: &str, new: &str) -> String {
    let mut out = String::with_capacity(js.len());
    let mut copied = 0;
    for at in identifier_matches(js, old).collect::<Vec<_>>() {
        out.push_str(&js[copied..at]);
        out.push_str(new);
        copied = at + old.len();
    }
    out.push_str(&js[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module with a type section, the given imports and a custom section.
    fn module(imports: &[(&str, &str, &[u8])]) -> Vec<u8> {
        let mut wasm = b"\0asm\x01\0\0\0".to_vec();
        // One type: () -> ().
        wasm.extend_from_slice(&[1, 4, 1, 0x60, 0, 0]);
        let mut section = Vec::new();
        write_leb(&mut section, imports.len() as u64);
        for (module, field, desc) in imports {
            write_leb(&mut section, module.len() as u64);
            section.extend_from_slice(module.as_bytes());
            write_leb(&mut section, field.len() as u64);
            section.extend_from_slice(field.as_bytes());
            section.extend_from_slice(desc);
        }
        wasm.push(2);
        write_leb(&mut wasm, section.len() as u64);
        wasm.extend_from_slice(&section);
        wasm.extend_from_slice(&[0, 4, 3, b'x', b'y', b'z']);
        wasm
    }

    fn import_names(wasm: &[u8]) -> Vec<String> {
        let mut at = 8;
        while wasm[at] != 2 {
            let (size, start) = read_leb(wasm, at + 1).unwrap();
            at = start + size as usize;
        }
        let (_, start) = read_leb(wasm, at + 1).unwrap();
        let (count, mut at) = read_leb(wasm, start).unwrap();
        (0..count)
            .map(|_| {
                let (_, next) = read_name(wasm, at).unwrap();
                let (field, next) = read_name(wasm, next).unwrap();
                at = skip_description(wasm, next).unwrap();
                String::from_utf8(field.to_vec()).unwrap()
            })
            .collect()
    }

    #[test]
    fn glue_imports_get_short_names_in_both_files() {
        let wasm = module(&[
            ("./bundle_bg.js", "__wbg_log_0123456789abcdef", &[0, 0]),
            ("./bundle_bg.js", "__wbg_now_fedcba9876543210", &[0, 0]),
            ("env", "__wbg_other_1111111111111111", &[0, 0]),
            ("./bundle_bg.js", "memory", &[2, 1, 1, 2]),
        ]);
        let js =
            "const i={\"./bundle_bg.js\":{__wbg_log_0123456789abcdef:function(e){console.log(e)},\
                  __wbg_now_fedcba9876543210:()=>Date.now(),memory:m}};x.memory;";
        let (short, glue, renamed) = shorten(&wasm, js);
        assert_eq!(renamed, 2, "memory occurs twice in the glue: left alone");
        assert_eq!(
            import_names(&short),
            ["a", "b", "__wbg_other_1111111111111111", "memory"]
        );
        assert_eq!(
            glue,
            "const i={\"./bundle_bg.js\":{a:function(e){console.log(e)},b:()=>Date.now(),memory:m}};x.memory;"
        );
        // Everything but the names is kept, byte for byte.
        let expected = module(&[
            ("./bundle_bg.js", "a", &[0, 0]),
            ("./bundle_bg.js", "b", &[0, 0]),
            ("env", "__wbg_other_1111111111111111", &[0, 0]),
            ("./bundle_bg.js", "memory", &[2, 1, 1, 2]),
        ]);
        assert_eq!(short, expected);
        assert!(short.ends_with(&[0, 4, 3, b'x', b'y', b'z']));
    }

    /// A module with one function and the given exports of it.
    fn exporting(names: &[&str]) -> Vec<u8> {
        let mut wasm = b"\0asm\x01\0\0\0".to_vec();
        wasm.extend_from_slice(&[1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0]);
        let mut section = Vec::new();
        write_leb(&mut section, names.len() as u64);
        for name in names {
            write_leb(&mut section, name.len() as u64);
            section.extend_from_slice(name.as_bytes());
            section.extend_from_slice(&[0, 0]);
        }
        wasm.push(7);
        write_leb(&mut wasm, section.len() as u64);
        wasm.extend_from_slice(&section);
        wasm.extend_from_slice(&[10, 4, 1, 2, 0, 0x0b]);
        wasm
    }

    #[test]
    fn the_glue_s_own_exports_get_short_names_everywhere_the_glue_calls_them() {
        let invoke = "wasm_bindgen__convert__closures_____invoke__h6d77329225824916";
        let wasm = exporting(&[
            invoke,
            "__wbindgen_malloc",
            "main",
            "distlab_hunt",
            "__wbindgen_free",
        ]);
        let js = format!(
            "function f(){{c.{invoke}(1);c.{invoke}(2);return c.__wbindgen_malloc(3)}}c.main();c.distlab_hunt()"
        );
        let (short, glue, renamed) = shorten(&wasm, &js);
        // __wbindgen_free is not in the glue: kept, as are the outside names.
        assert_eq!(renamed, 2);
        assert_eq!(
            short,
            exporting(&["a", "b", "main", "distlab_hunt", "__wbindgen_free"])
        );
        assert_eq!(
            glue,
            "function f(){c.a(1);c.a(2);return c.b(3)}c.main();c.distlab_hunt()"
        );
    }

    #[test]
    fn a_name_inside_a_longer_identifier_is_not_a_match() {
        let js = "a.__wbg_f_1 + __wbg_f_12 + x__wbg_f_1";
        assert_eq!(identifier_count(js, "__wbg_f_1"), 1);
        assert_eq!(
            replace_identifier(js, "__wbg_f_1", "q"),
            "a.q + __wbg_f_12 + x__wbg_f_1"
        );
    }

    #[test]
    fn a_module_it_cannot_read_is_left_as_it_was() {
        let js = "{__wbg_a_1:1}";
        // An import kind that does not exist.
        let odd = module(&[("./bundle_bg.js", "__wbg_a_1", &[9, 0])]);
        assert_eq!(shorten(&odd, js), (odd.clone(), js.to_string(), 0));
        // Not WebAssembly at all, or cut short.
        assert_eq!(shorten(b"hello", js).2, 0);
        let good = module(&[("./bundle_bg.js", "__wbg_a_1", &[0, 0])]);
        assert_eq!(shorten(&good[..good.len() - 2], js).2, 0);
    }

    #[test]
    fn short_names_are_distinct() {
        let names: Vec<String> = (0..3000).map(short_name).collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len());
        assert_eq!(
            (names[0].as_str(), names[51].as_str(), names[52].as_str()),
            ("a", "Z", "aa")
        );
    }
}
