//! Paths in query values: written readably (`?next=/bookings`), and followed only
//! when they are plain paths of this site.

/// A path for a query value (`?next=…`): slashes stay readable.
const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

pub fn url_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, QUERY_VALUE).to_string()
}

/// Only plain paths of this site are followed after sign-in or a language switch:
/// one leading slash, then visible ASCII only. Browsers drop tabs and line breaks
/// from a URL and read a backslash as a slash, so `/%09/evil.example` would lead
/// to `//evil.example`; a line break would not fit into a header at all.
pub(crate) fn local_path(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path[1..].starts_with(['/', '\\'])
                && path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            path.to_owned()
        }
        _ => "/".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_plain_paths_of_this_site_are_followed() {
        for good in [
            "/",
            "/bookings",
            "/bookings?state=open&page=2",
            "/lang/de?next=%2Fjobs",
        ] {
            assert_eq!(local_path(Some(good)), good);
        }
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/ok\r\nSet-Cookie: x=1",
            "https://evil.example",
            "evil.example",
            "/\u{a0}/evil.example",
            "/ok\\..\\x",
            "",
        ] {
            assert_eq!(local_path(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(local_path(None), "/");
    }
}
