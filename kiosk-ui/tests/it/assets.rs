//! The embedded font covers every character the UI can show (no tofu), and every UI string has
//! its English translation.

use std::collections::BTreeSet;
use std::path::Path;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(ROOT).join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The contents of the double-quoted string literals in a source file.
fn string_literals(src: &str) -> String {
    let mut out = String::new();
    for line in src.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut inside = false;
        let mut escaped = false;
        for c in code.chars() {
            if inside {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    inside = false;
                    out.push('\n');
                } else {
                    out.push(c);
                }
            } else if c == '"' {
                inside = true;
            }
        }
    }
    out
}

fn files(dir: &str, ext: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(Path::new(ROOT).join(dir))
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == ext))
        .map(|e| format!("{dir}/{}", e.file_name().to_string_lossy()))
        .collect();
    v.sort();
    v
}

#[test]
fn every_character_the_ui_can_show_has_a_glyph() {
    let mut needed: BTreeSet<char> = BTreeSet::new();
    let mut add = |text: &str| needed.extend(text.chars().filter(|c| !c.is_control()));
    for f in files("kiosk-ui/ui", "slint").iter().chain(files("kiosk-ui/src", "rs").iter()) {
        add(&string_literals(&read(f)));
    }
    add(&read("kiosk-ui/lang/en/LC_MESSAGES/kiosk-ui.po"));
    add(&read("assets/catalogue/catalogue.json"));
    for f in files("assets/demo", "json") {
        add(&read(&f));
    }
    for text in kiosk_ui::pinyin::all_text() {
        add(text);
    }
    assert!(needed.len() > 6000, "the pinyin dictionary alone brings thousands of hanzi");
    for font in ["assets/fonts/ui/NotoSansSC-Regular.otf", "assets/fonts/ui/NotoSansSC-Bold.otf"] {
        let data = std::fs::read(Path::new(ROOT).join(font)).unwrap();
        let face = ttf_parser::Face::parse(&data, 0).unwrap_or_else(|e| panic!("{font}: {e}"));
        let missing: Vec<String> = needed.iter().filter(|c| face.glyph_index(**c).is_none()).map(|c| format!("{c} U+{:04X}", *c as u32)).collect();
        assert!(missing.is_empty(), "{font} has no glyph for {missing:?}: add them to assets/fonts/ui/make-ui-font.py's coverage and re-run it");
    }
}

#[test]
fn every_ui_string_has_english() {
    let po = read("kiosk-ui/lang/en/LC_MESSAGES/kiosk-ui.po");
    let mut translations = std::collections::BTreeMap::new();
    let mut msgid = None;
    for line in po.lines() {
        if let Some(v) = line.strip_prefix("msgid ") {
            msgid = Some(v.trim_matches('"').replace("\\\"", "\""));
        } else if let Some(v) = line.strip_prefix("msgstr ") {
            if let Some(id) = msgid.take() {
                translations.insert(id, v.trim_matches('"').to_string());
            }
        }
    }
    let mut missing = Vec::new();
    for f in files("kiosk-ui/ui", "slint") {
        let src = read(&f);
        for part in src.split("@tr(\"").skip(1) {
            let id = part.split('"').next().unwrap_or_default().to_string();
            if translations.get(&id).is_none_or(|t| t.is_empty()) {
                missing.push(id);
            }
        }
    }
    assert!(missing.is_empty(), "no English for {missing:?}: add them to kiosk-ui/lang/translations.py and run it");
}
