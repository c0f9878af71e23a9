//! The engine's source files import each other in one direction only: this test reads every
//! file of `src/`, resolves each `crate::`, `super::` and `self::` path it names to the file
//! that defines the item (following `pub use` re-exports), and fails on any cycle, naming
//! it. Test modules inside a file count too. Declaring a child module (`mod x;`) is not an
//! import; a re-export is.
#![allow(clippy::disallowed_methods)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A source file and the module path it defines (`["lsm", "flush"]`; `[]` for lib.rs).
struct File {
    module: Vec<String>,
    text: String,
}

fn collect(dir: &Path, root: &Path, out: &mut Vec<File>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(root).unwrap();
            let mut module: Vec<String> = rel
                .with_extension("")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(module.last().map(String::as_str), Some("mod" | "lib")) {
                module.pop();
            }
            out.push(File {
                module,
                text: std::fs::read_to_string(&path).unwrap(),
            });
        }
    }
}

/// Code without comments and string literals (a path in a doc comment is not an import).
fn code(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut in_str = false;
        let mut prev = ' ';
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            if !in_str && c == '/' && chars.peek() == Some(&'/') {
                break;
            }
            if c == '"' && prev != '\\' {
                in_str = !in_str;
            } else if !in_str {
                out.push(c);
            }
            prev = c;
        }
        out.push('\n');
    }
    out
}

/// Every path the code names: `use` trees flattened, and inline `crate::a::b` paths. Each
/// comes with the inline-module depth it appears at (`super` inside `mod tests { .. }`
/// names the file's own module).
fn paths(code: &str) -> Vec<(Vec<String>, usize)> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut inline_mod_depths: Vec<usize> = Vec::new();
    let bytes: Vec<char> = code.chars().collect();
    let mut i = 0;
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    while i < bytes.len() {
        let rest: String = bytes[i..bytes.len().min(i + 200)].iter().collect();
        let at_word = i == 0 || !ident(bytes[i - 1]);
        if at_word && (rest.starts_with("mod ") || rest.starts_with("pub mod ")) {
            // `mod name {` opens an inline module; `mod name;` declares a file.
            let after = rest.split_once("mod ").unwrap().1;
            let decl: String = after
                .chars()
                .take_while(|&c| c != ';' && c != '{')
                .collect();
            if after[decl.len()..].starts_with('{') {
                inline_mod_depths.push(depth + 1);
            }
        }
        if at_word && (rest.starts_with("use ") || rest.starts_with("pub use ")) {
            let start = i + rest.find("use ").unwrap() + 4;
            let end = start + bytes[start..].iter().position(|&c| c == ';').unwrap();
            let tree: String = bytes[start..end].iter().collect();
            for p in flatten(&tree) {
                out.push((p, inline_mod_depths.len()));
            }
            i = end;
            continue;
        }
        if at_word && (rest.starts_with("crate::") || rest.starts_with("super::")) {
            let end = i + bytes[i..]
                .iter()
                .position(|&c| !(ident(c) || c == ':'))
                .unwrap_or(bytes.len() - i);
            let p: String = bytes[i..end].iter().collect();
            out.push((
                p.split("::")
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect(),
                inline_mod_depths.len(),
            ));
            i = end;
            continue;
        }
        match bytes[i] {
            '{' => depth += 1,
            '}' => {
                if inline_mod_depths.last() == Some(&depth) {
                    inline_mod_depths.pop();
                }
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// `a::{b, c::{d, e as f}}` -> `a::b`, `a::c::d`, `a::c::e`.
fn flatten(tree: &str) -> Vec<Vec<String>> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let mut out = Vec::new();
    expand(&tree, &mut Vec::new(), &mut out);
    out
}

fn expand(tree: &str, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match tree.find('{') {
        None => {
            let name = tree.split("as").next().unwrap_or(tree);
            let mut p = prefix.clone();
            p.extend(name.split("::").filter(|s| !s.is_empty()).map(String::from));
            out.push(p);
        }
        Some(open) => {
            let head = &tree[..open];
            let inner = &tree[open + 1..tree.len() - 1];
            let n = prefix.len();
            prefix.extend(head.split("::").filter(|s| !s.is_empty()).map(String::from));
            let mut level = 0;
            let mut start = 0;
            for (k, c) in inner.char_indices() {
                match c {
                    '{' => level += 1,
                    '}' => level -= 1,
                    ',' if level == 0 => {
                        if start < k {
                            expand(&inner[start..k], prefix, out);
                        }
                        start = k + 1;
                    }
                    _ => {}
                }
            }
            if start < inner.len() {
                expand(&inner[start..], prefix, out);
            }
            prefix.truncate(n);
        }
    }
}

struct Graph {
    files: BTreeMap<Vec<String>, Vec<(Vec<String>, usize)>>,
}

impl Graph {
    /// The file an absolute path (`["lsm", "flush", "write_memtable"]`) is defined in.
    fn resolve(&self, path: &[String], seen: &mut BTreeSet<Vec<String>>) -> Option<Vec<String>> {
        // The longest prefix that is a file.
        let mut k = path.len();
        while k > 0 && !self.files.contains_key(&path[..k]) {
            k -= 1;
        }
        let file = path[..k].to_vec();
        let Some(item) = path.get(k) else {
            return Some(file);
        };
        if !seen.insert(path.to_vec()) {
            return Some(file);
        }
        // A re-export in that file: follow it.
        for (used, depth) in self.files.get(&file)? {
            if *depth == 0 && used.last() == Some(item) {
                let abs = absolute(&file, used, 0, &|p| self.files.contains_key(p))?;
                if abs != path {
                    let mut target = abs;
                    target.extend(path[k + 1..].iter().cloned());
                    return self.resolve(&target, seen);
                }
            }
        }
        Some(file)
    }
}

/// A path as named in `file` at inline-module depth `depth`, made absolute (`None` for other
/// crates and std). A path starting with a child module's name is relative to `file`
/// (`pub use catalog::Catalog` in `index/mod.rs`).
fn absolute(
    file: &[String],
    used: &[String],
    depth: usize,
    is_file: &dyn Fn(&[String]) -> bool,
) -> Option<Vec<String>> {
    let first = used.first()?;
    let mut base: Vec<String> = match first.as_str() {
        "crate" => Vec::new(),
        "super" => {
            if depth > 0 {
                file.to_vec()
            } else {
                file[..file.len().checked_sub(1)?].to_vec()
            }
        }
        "self" => file.to_vec(),
        child if depth == 0 && is_file(&[file, &[child.to_string()]].concat()) => {
            let mut p = file.to_vec();
            p.extend(used.iter().cloned());
            return Some(p);
        }
        _ => return None,
    };
    let mut rest = &used[1..];
    while rest.first().is_some_and(|s| s == "super") {
        base.pop();
        rest = &rest[1..];
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

/// The import cycles among `files`, each as `a -> b -> a`.
fn cycles(files: &[File]) -> Vec<String> {
    let graph = Graph {
        files: files
            .iter()
            .map(|f| (f.module.clone(), paths(&code(&f.text))))
            .collect(),
    };
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (file, used) in &graph.files {
        for (p, depth) in used {
            let Some(abs) = absolute(file, p, *depth, &|p| graph.files.contains_key(p)) else {
                continue;
            };
            if let Some(target) = graph.resolve(&abs, &mut BTreeSet::new())
                && &target != file
            {
                edges.entry(file.clone()).or_default().insert(target);
            }
        }
    }
    let mut found = Vec::new();
    for start in edges.keys() {
        // Depth-first search for a path back to `start`.
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        let mut visited = BTreeSet::new();
        while let Some((node, trail)) = stack.pop() {
            for next in edges.get(&node).into_iter().flatten() {
                if next == start {
                    let names: Vec<String> = trail.iter().map(|m| display(m)).collect();
                    found.push(format!("{} -> {}", names.join(" -> "), display(start)));
                } else if visited.insert(next.clone()) {
                    let mut t = trail.clone();
                    t.push(next.clone());
                    stack.push((next.clone(), t));
                }
            }
        }
    }
    found
}

fn display(module: &[String]) -> String {
    if module.is_empty() {
        "lib".into()
    } else {
        module.join("::")
    }
}

#[test]
fn no_source_file_imports_a_file_that_imports_it_back() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    collect(&root, &root, &mut files);
    assert!(files.len() > 30, "the walk found the sources");
    let found = cycles(&files);
    assert!(found.is_empty(), "import cycles:\n{}", found.join("\n"));
}

#[test]
fn a_cycle_is_found_through_re_exports_and_test_modules() {
    let file = |module: &str, text: &str| File {
        module: module
            .split('/')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        text: text.into(),
    };
    let clean = [
        file("", "mod a;\nmod b;\npub use a::A;\n"),
        file("a", "pub struct A;\n// use crate::b::B;\n"),
        file(
            "b",
            "use crate::A;\npub struct B;\nmod tests {\n    use super::*;\n}\n",
        ),
    ];
    assert_eq!(cycles(&clean), Vec::<String>::new());
    // `a` now names `b` from its test module; `b` reaches `a` through the root re-export.
    let cyclic = [
        file("", "mod a;\nmod b;\npub use a::A;\n"),
        file(
            "a",
            "pub struct A;\n#[cfg(test)]\nmod tests {\n    use crate::b::B;\n}\n",
        ),
        file("b", "use crate::A;\npub struct B;\n"),
    ];
    let found = cycles(&cyclic);
    assert!(found.contains(&"a -> b -> a".to_string()), "{found:?}");
    assert_eq!(
        flatten("super::{a, b::{c, d as e}}").len(),
        3,
        "use trees are flattened"
    );
}
