//! The web console's static assets, embedded in the binary at compile time (no CDN, no files
//! next to the binary, nothing fetched at run time), and the security headers they are served
//! with. The server maps `/` to `index.html` and `/console/<name>` to the other assets; the
//! page itself holds no data, so it is served without authentication and asks for the token
//! before it calls the API.
//!
//! Third-party code: `vendor/uPlot.iife.min.js` and `vendor/uPlot.min.css` are uPlot 1.6.32
//! (MIT, Leon Sorokin; licence in `vendor/uPlot.LICENSE`, served too).

/// One embedded file.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// The name under `/console/` (`index.html` is also `/`).
    pub name: &'static str,
    pub bytes: &'static [u8],
    pub content_type: &'static str,
    /// A strong validator of `bytes` (FNV-1a, computed at compile time), quoted for `ETag`.
    pub etag: &'static str,
}

/// The Content-Security-Policy every console response carries: scripts, styles, images and
/// API calls from this origin only; no inline scripts, no `eval`, no plugins, no framing.
/// (`style-src` allows setting styles from script, which the chart does through the CSSOM;
/// inline `style` attributes in markup stay blocked.)
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

macro_rules! assets {
    ($($name:literal => $ty:literal),* $(,)?) => {
        /// Every embedded asset.
        pub static ASSETS: &[Asset] = &[$(
            Asset {
                name: $name,
                bytes: include_bytes!(concat!("../assets/", $name)),
                content_type: $ty,
                etag: {
                    const HASH: [u8; 18] = etag(include_bytes!(concat!("../assets/", $name)));
                    match std::str::from_utf8(&HASH) {
                        Ok(s) => s,
                        Err(_) => "\"\"",
                    }
                },
            },
        )*];
    };
}

assets! {
    "index.html" => "text/html; charset=utf-8",
    "style.css" => "text/css; charset=utf-8",
    "js/main.js" => "text/javascript; charset=utf-8",
    "js/api.js" => "text/javascript; charset=utf-8",
    "js/dom.js" => "text/javascript; charset=utf-8",
    "js/time.js" => "text/javascript; charset=utf-8",
    "js/explore.js" => "text/javascript; charset=utf-8",
    "js/query.js" => "text/javascript; charset=utf-8",
    "js/builder.js" => "text/javascript; charset=utf-8",
    "js/results.js" => "text/javascript; charset=utf-8",
    "js/chart.js" => "text/javascript; charset=utf-8",
    "js/table.js" => "text/javascript; charset=utf-8",
    "js/status.js" => "text/javascript; charset=utf-8",
    "vendor/uPlot.iife.min.js" => "text/javascript; charset=utf-8",
    "vendor/uPlot.min.css" => "text/css; charset=utf-8",
    "vendor/uPlot.LICENSE" => "text/plain; charset=utf-8",
    "favicon.svg" => "image/svg+xml",
}

/// The asset called `name` (a path under `/console/`, without the leading slash).
pub fn get(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

/// The console's entry page.
pub fn index() -> &'static Asset {
    // `index.html` is the first entry of the table above.
    &ASSETS[0]
}

/// `"` + 16 hex digits of the 64-bit FNV-1a hash of `bytes` + `"`.
const fn etag(bytes: &[u8]) -> [u8; 18] {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        h ^= bytes[i] as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    let digits = b"0123456789abcdef";
    let mut out = [b'"'; 18];
    let mut j = 0;
    while j < 16 {
        out[1 + j] = digits[((h >> (60 - 4 * j)) & 0xf) as usize];
        j += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_is_first_and_every_name_is_unique() {
        assert_eq!(index().name, "index.html");
        for (i, a) in ASSETS.iter().enumerate() {
            assert!(
                ASSETS[i + 1..].iter().all(|b| b.name != a.name),
                "{}",
                a.name
            );
            assert_eq!(get(a.name).map(|b| b.name), Some(a.name));
            assert_eq!(a.etag.len(), 18);
        }
        assert!(get("missing.js").is_none());
    }

    /// The budget: the first load (every asset the page pulls in) under 200 KB.
    #[test]
    fn first_load_fits_the_budget() {
        let total: usize = ASSETS
            .iter()
            .filter(|a| !a.name.ends_with(".LICENSE"))
            .map(|a| a.bytes.len())
            .sum();
        assert!(total < 200 * 1024, "{total} bytes of assets");
    }

    /// Every script and stylesheet the page references is embedded, and the page has no
    /// inline script or style (the CSP would block them).
    #[test]
    fn page_references_only_embedded_files() {
        let html = std::str::from_utf8(index().bytes).unwrap_or_default();
        for attr in ["src=\"/console/", "href=\"/console/"] {
            for part in html.split(attr).skip(1) {
                let name = part.split('"').next().unwrap_or_default();
                assert!(get(name).is_some(), "{name} is referenced but not embedded");
            }
        }
        assert!(!html.contains("<style"), "inline style element");
        assert!(!html.contains(" style=\""), "inline style attribute");
        for part in html.split("<script").skip(1) {
            let tag = part.split('>').next().unwrap_or_default();
            assert!(tag.contains("src="), "inline script: <script{tag}>");
        }
    }

    /// Every JS module imported by another is embedded (a renamed file fails here, not in a
    /// browser).
    #[test]
    fn module_imports_resolve() {
        for a in ASSETS.iter().filter(|a| a.name.starts_with("js/")) {
            let src = std::str::from_utf8(a.bytes).unwrap_or_default();
            for line in src.lines().filter(|l| l.starts_with("import ")) {
                let Some(spec) = line.split(['"', '\'']).nth(1) else {
                    panic!("{}: unparsed import {line}", a.name)
                };
                let name = format!("js/{}", spec.trim_start_matches("./"));
                assert!(get(&name).is_some(), "{}: imports missing {spec}", a.name);
            }
        }
    }
}
