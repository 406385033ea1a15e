//! The operations web page (`GET /`): one self-contained HTML document (no external assets)
//! with a little vanilla JavaScript that reads the admin API with the admin token kept in
//! `sessionStorage`. Chinese first, English by a switch. The usage chart is an SVG drawn here,
//! on the server ([`usage_chart`]), and inlined by the page.

use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::db::ItemStats;

const PAGE: &str = include_str!("../web/index.html");

pub async fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::HeaderName::from_static("content-security-policy"), "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:"),
        ],
        PAGE,
    )
        .into_response()
}

/// Escapes text for XML.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max { s.to_string() } else { format!("{}…", s.chars().take(max - 1).collect::<String>()) }
}

/// Transactions per item (the first `max_rows` items, as ordered) as a horizontal bar chart.
pub fn usage_chart(items: &[ItemStats], max_rows: usize) -> String {
    const WIDTH: usize = 760;
    const LABEL: usize = 300;
    const BAR: usize = 360;
    const ROW: usize = 24;
    const TOP: usize = 34;
    let rows: Vec<&ItemStats> = items.iter().filter(|i| i.transactions > 0).take(max_rows).collect();
    let height = TOP + ROW * rows.len().max(1) + 12;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-label=\"各事项办件量 Transactions per item\" font-family=\"sans-serif\" font-size=\"13\">\
         <text x=\"0\" y=\"18\" font-size=\"15\" font-weight=\"bold\">各事项办件量 · Transactions per item</text>"
    );
    if rows.is_empty() {
        svg.push_str(&format!("<text x=\"0\" y=\"{}\" fill=\"#666\">暂无数据 · No data yet</text>", TOP + 16));
    }
    let max = rows.iter().map(|i| i.transactions).max().unwrap_or(1).max(1);
    for (n, item) in rows.iter().enumerate() {
        let y = TOP + n * ROW;
        let w = ((item.transactions as f64 / max as f64) * BAR as f64).round().max(1.0) as usize;
        let label = if item.item_name.is_empty() { item.item_code.as_str() } else { item.item_name.as_str() };
        svg.push_str(&format!(
            "<g><title>{title}</title><text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\">{label}</text>\
             <rect x=\"{LABEL}\" y=\"{y}\" width=\"{w}\" height=\"{bh}\" fill=\"#1f6feb\"/>\
             <text x=\"{cx}\" y=\"{ty}\">{count}</text></g>",
            title = xml_escape(&format!("{} ({})", label, item.item_code)),
            lx = LABEL - 8,
            ty = y + 15,
            label = xml_escape(&shorten(label, 20)),
            bh = ROW - 6,
            cx = LABEL + w + 6,
            count = item.transactions,
        ));
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(code: &str, name: &str, n: u64) -> ItemStats {
        ItemStats { item_code: code.into(), item_name: name.into(), transactions: n, assisted: 0, elderly: 0, ratings: 0, avg_level: None }
    }

    #[test]
    fn the_chart_scales_bars_and_escapes_names() {
        let svg = usage_chart(&[item("a", "高龄津贴申请", 10), item("b", "<script>&", 5), item("c", "", 0)], 20);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("width=\"360\""), "the largest bar is full width");
        assert!(svg.contains("width=\"180\""), "half the count, half the width");
        assert!(svg.contains("&lt;script&gt;&amp;") && !svg.contains("<script>"));
        assert!(!svg.contains(">c<"), "items without transactions are left out");
        assert!(usage_chart(&[], 20).contains("No data"));
    }

    #[test]
    fn the_page_is_self_contained() {
        assert!(PAGE.contains("<html lang=\"zh-CN\""));
        for external in ["http://", "https://", "src=\"/", "href=\"/"] {
            assert!(!PAGE.contains(external), "external reference {external}");
        }
        assert!(PAGE.contains("sessionStorage"));
    }
}
