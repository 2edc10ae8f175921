//! Plain text tidied, and turned into HTML paragraphs with clickable links.

/// Trim the ends and collapse runs of blank lines left by `{% if %}` blocks.
pub(super) fn tidy(text: &str) -> String {
    let mut out = String::new();
    let mut blank = 0;
    for line in text.trim().lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        out.push_str(line);
    }
    out
}

/// Plain text as HTML paragraphs: escaped, lines kept, links clickable.
pub(super) fn paragraphs(text: &str) -> String {
    text.split("\n\n")
        .map(|paragraph| {
            let lines: Vec<String> = paragraph.lines().map(linkify).collect();
            format!("<p style=\"margin:0 0 12px\">{}</p>", lines.join("<br>\n"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// What a feed item says of a message: the text after the greeting, up to the
/// first paragraph that is complete in itself — one that ends with a colon takes
/// what follows it along, so that no item ends with "…:" and nothing after.
/// Links stay out (the item links itself); the signature too.
pub fn feed_body(text: &str) -> String {
    let paragraphs: Vec<&str> = text
        .split("\n-- \n")
        .next()
        .unwrap_or(text)
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let mut out: Vec<String> = Vec::new();
    for paragraph in paragraphs.iter().skip(1) {
        let lines: Vec<&str> = paragraph
            .lines()
            .filter(|line| !line.trim_start().starts_with("http"))
            .collect();
        if lines.is_empty() {
            continue;
        }
        let joined = lines.join("\n");
        let open = joined.trim_end().ends_with(':');
        out.push(if open {
            joined
                .trim_end()
                .trim_end_matches(':')
                .trim_end()
                .to_owned()
                + ":"
        } else {
            joined
        });
        if !open {
            break;
        }
    }
    let body = out.join("\n");
    let body = body.trim_end().trim_end_matches(':').trim_end();
    if body.is_empty() {
        text.lines().next().unwrap_or_default().to_owned()
    } else {
        body.to_owned()
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn linkify(line: &str) -> String {
    line.split(' ')
        .map(|word| {
            if word.starts_with("https://") || word.starts_with("http://") {
                let url = escape(word);
                format!("<a href=\"{url}\" style=\"color:#0b5cad\">{url}</a>")
            } else {
                escape(word)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feed_item_never_ends_with_a_colon_and_nothing_after() {
        let offer = "Hallo Olena,\n\nDas Jobcenter sucht eine Sprachmittlung:\n\nSprache: Ukrainisch\nWann: 03.12.2026\n\nBitte bis 17:00 antworten:\nhttps://x.example/offers/1\n\n-- \nMittler";
        assert_eq!(
            feed_body(offer),
            "Das Jobcenter sucht eine Sprachmittlung:\nSprache: Ukrainisch\nWann: 03.12.2026"
        );
        let cancelled = "Guten Tag,\n\nder Termin wurde abgesagt.\n\nGrund: krank";
        assert_eq!(feed_body(cancelled), "der Termin wurde abgesagt.");
        let link_only = "Hallo,\n\nIhr Link:\nhttps://x.example/room/abc";
        assert_eq!(feed_body(link_only), "Ihr Link");
    }

    #[test]
    fn blank_runs_collapse_and_html_is_escaped_with_links_kept() {
        assert_eq!(tidy("\n  Hallo\n\n\n\nWelt  \n"), "Hallo\n\nWelt");
        assert_eq!(
            paragraphs("<b>&</b>\nhttps://x.example/a?b=1&c=2"),
            "<p style=\"margin:0 0 12px\">&lt;b&gt;&amp;&lt;/b&gt;<br>\n\
             <a href=\"https://x.example/a?b=1&amp;c=2\" style=\"color:#0b5cad\">\
             https://x.example/a?b=1&amp;c=2</a></p>"
        );
    }
}
