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
