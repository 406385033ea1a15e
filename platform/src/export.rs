//! Exports for onward data sharing (article 24): CSV (RFC 4180, UTF-8 with a header row) and JSON
//! lines, from a [`Table`].
//!
//! What leaves the platform: transactions carry the item, the place (terminal, division code),
//! the times, the assisted/elderly flags and the applicant's *masked* name and ID number
//! (`张*`, `441882********0022`) so a department can match a record to its own case without the
//! export holding the identity; the form values themselves stay sealed on the platform. Ratings
//! carry the level, reasons and the complaint text with digit runs scrubbed. Usage is counts.
//! Times are RFC 3339 in China time; `seq` is the platform's row number, for incremental
//! exports (`after=<last seq>`).
//!
//! CSV text cells that begin with `=`, `+`, `-` or `@` get a leading `'` so a spreadsheet does
//! not run them as formulas.

use serde_json::{Map, Value};

use crate::db::{Cell, Table};
use crate::time;

/// Columns holding Unix times, written as RFC 3339.
const TIME_COLUMNS: &[&str] = &["created_at", "received_at"];

fn cell_value(column: &str, c: &Cell) -> Value {
    match c {
        Cell::Null => Value::Null,
        Cell::Int(t) if TIME_COLUMNS.contains(&column) => Value::String(time::format_local(*t)),
        Cell::Int(n) => Value::from(*n),
        Cell::Float(f) => serde_json::Number::from_f64((f * 100.0).round() / 100.0).map(Value::Number).unwrap_or(Value::Null),
        Cell::Bool(b) => Value::Bool(*b),
        Cell::Text(s) => Value::String(s.clone()),
    }
}

fn csv_field(column: &str, c: &Cell) -> String {
    let text = match (c, cell_value(column, c)) {
        (Cell::Text(s), _) => {
            if s.starts_with(['=', '+', '-', '@']) {
                format!("'{s}")
            } else {
                s.clone()
            }
        }
        (_, Value::Null) => String::new(),
        (_, Value::String(s)) => s,
        (_, v) => v.to_string(),
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// CSV with a header row, lines ending in CRLF.
pub fn to_csv(t: &Table) -> String {
    let mut out = t.columns.join(",");
    out.push_str("\r\n");
    for row in &t.rows {
        let fields: Vec<String> = t.columns.iter().zip(row).map(|(col, c)| csv_field(col, c)).collect();
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    out
}

/// One JSON object per line.
pub fn to_jsonl(t: &Table) -> String {
    let mut out = String::new();
    for row in &t.rows {
        let obj: Map<String, Value> = t.columns.iter().zip(row).map(|(col, c)| (col.to_string(), cell_value(col, c))).collect();
        out.push_str(&Value::Object(obj).to_string());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table {
            columns: vec!["seq", "item_name", "created_at", "assisted", "avg_level", "complaint"],
            rows: vec![
                vec![Cell::Int(1), Cell::Text("养老, \"认证\"".into()), Cell::Int(0), Cell::Bool(true), Cell::Float(4.333_33), Cell::Null],
                vec![Cell::Int(2), Cell::Text("=cmd()".into()), Cell::Int(86_400), Cell::Bool(false), Cell::Null, Cell::Text("多行\n文字".into())],
            ],
        }
    }

    #[test]
    fn csv_quotes_and_guards() {
        let csv = to_csv(&table());
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines[0], "seq,item_name,created_at,assisted,avg_level,complaint");
        assert_eq!(lines[1], "1,\"养老, \"\"认证\"\"\",1970-01-01T08:00:00+08:00,true,4.33,");
        assert!(lines[2].starts_with("2,'=cmd(),1970-01-02T08:00:00+08:00,false,,\"多行"));
    }

    #[test]
    fn jsonl_is_one_object_per_line() {
        let j = to_jsonl(&table());
        let rows: Vec<Value> = j.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0]["item_name"], "养老, \"认证\"");
        assert_eq!(rows[0]["created_at"], "1970-01-01T08:00:00+08:00");
        assert_eq!(rows[0]["avg_level"], 4.33);
        assert_eq!(rows[1]["avg_level"], Value::Null);
        assert_eq!(rows[1]["item_name"], "=cmd()", "JSON needs no formula guard");
    }
}
