//! A minimal, valid PDF 1.4 document: pages of plain text lines in Helvetica,
//! with a correct cross-reference table, so PDF readers open it without
//! repair. Enough for a simulated settlement report; not a PDF library.

/// Lines per A4 page at 14 pt leading.
const LINES_PER_PAGE: usize = 54;

// Helvetica in a PDF without an embedded font covers only Latin-1-ish
// single-byte text; we choose to write every character outside printable
// ASCII as `?` because the report text is ours (labels, amounts, ids) and a
// wrong glyph is better than a broken file.
/// `text` as a PDF literal string: `(…)` with `\`, `(` and `)` escaped.
fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len().saturating_add(2));
    out.push('(');
    for c in text.chars() {
        match c {
            '\\' | '(' | ')' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => out.push('?'),
        }
    }
    out.push(')');
    out
}

/// A PDF with `lines` set on as many A4 pages as they need.
pub(crate) fn document(lines: &[String]) -> Vec<u8> {
    let pages: Vec<&[String]> = if lines.is_empty() {
        vec![&[]]
    } else {
        lines.chunks(LINES_PER_PAGE).collect()
    };
    // Objects: 1 catalog, 2 page tree, 3 font, then a page and its content
    // stream for each page.
    let page_id = |i: usize| 4usize.saturating_add(i.saturating_mul(2));
    let kids: Vec<String> = (0..pages.len())
        .map(|i| format!("{} 0 R", page_id(i)))
        .collect();
    let mut objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        format!(
            "<< /Type /Pages /Kids [{}] /Count {} >>",
            kids.join(" "),
            pages.len()
        )
        .into_bytes(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_vec(),
    ];
    for (i, page) in pages.iter().enumerate() {
        let mut content = String::from("BT\n/F1 11 Tf\n14 TL\n50 800 Td\n");
        for line in page.iter() {
            content.push_str(&literal(line));
            content.push_str(" Tj T*\n");
        }
        content.push_str("ET\n");
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
                page_id(i).saturating_add(1)
            )
            .into_bytes(),
        );
        let mut stream = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
        stream.extend_from_slice(content.as_bytes());
        stream.extend_from_slice(b"endstream");
        objects.push(stream);
    }

    let mut out: Vec<u8> = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i.saturating_add(1)).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref_at = out.len();
    let size = objects.len().saturating_add(1);
    out.extend_from_slice(format!("xref\n0 {size}\n0000000000 65535 f \n").as_bytes());
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {size} /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n")
            .as_bytes(),
    );
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Every xref entry points at the `N 0 obj` it names, and startxref at the table.
    fn assert_well_formed(pdf: &[u8]) {
        let text = String::from_utf8_lossy(pdf);
        assert!(pdf.starts_with(b"%PDF-1.4\n"));
        assert!(text.ends_with("%%EOF\n"));
        let startxref: usize = text
            .rsplit("startxref\n")
            .next()
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(pdf[startxref..].starts_with(b"xref\n"));
        let table = &text[startxref..];
        for (n, line) in table
            .lines()
            .skip(3)
            .take_while(|l| l.ends_with(" n "))
            .enumerate()
        {
            let offset: usize = line[..10].parse().unwrap();
            let expected = format!("{} 0 obj", n + 1);
            assert!(pdf[offset..].starts_with(expected.as_bytes()), "{expected}");
        }
    }

    #[test]
    fn one_and_several_pages_are_well_formed() {
        let one = document(&[
            "Payout (XISA93DJ): 12.34 EUR".to_owned(),
            "é \\ ok".to_owned(),
        ]);
        assert_well_formed(&one);
        let text = String::from_utf8_lossy(&one);
        assert!(text.contains("(Payout \\(XISA93DJ\\): 12.34 EUR) Tj"));
        assert!(text.contains("(? \\\\ ok) Tj"));
        let lines: Vec<String> = (0..120).map(|i| format!("line {i}")).collect();
        let three = document(&lines);
        assert_well_formed(&three);
        assert!(String::from_utf8_lossy(&three).contains("/Count 3"));
        assert_well_formed(&document(&[]));
    }
}
