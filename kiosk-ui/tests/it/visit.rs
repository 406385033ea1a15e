//! A citizen's visit through the window, like kioskd's own visit test: card, search, guide,
//! form prefilled from the card and typed on the on-screen keyboard, confirmation, receipt,
//! rating, goodbye, and nothing of her left for the next person.

use kiosk_ui::demo::DemoSettings;
use kiosk_ui::Screen;
use slint::ComponentHandle;

use crate::util::{start, CARD_ID, CARD_NAME};

fn receipts(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.path().extension().is_some_and(|x| x == "txt") {
                out.push(std::fs::read_to_string(e.path()).unwrap_or_default());
            }
        }
    }
    out
}

#[test]
fn a_whole_visit_by_accessible_labels() {
    let k = start("visit", DemoSettings::default());
    assert!(k.shows("请将身份证放在读卡区"));
    assert!(k.shows("养老"), "the attract screen says what the terminal can do");

    k.place_card();
    k.wait_screen(Screen::Home);
    assert!(k.shows("您好，张*"), "greeted by masked name: {:?}", k.labels());
    k.assert_no_full_identity();

    // Search by pinyin initials on the on-screen keyboard.
    k.tap("搜索事项");
    k.type_keys("zgrz");
    assert_eq!(k.ui.window.get_search_text(), "zgrz");
    k.tap("完成");
    k.wait_screen(Screen::Items);
    k.tap("城乡居民养老保险待遇资格认证");
    k.wait_screen(Screen::Guide);
    assert!(k.shows("办理条件"), "the 办事指南 is shown");
    k.tap("开始办理");
    k.wait_screen(Screen::Form);

    // Card fields are prefilled, masked and locked.
    let fields: Vec<_> = slint::Model::iter(&k.ui.window.get_fields()).collect();
    let name = fields.iter().find(|f| f.key == "name").expect("name field");
    assert!(name.locked && name.value == "张*", "{name:?}");
    let id = fields.iter().find(|f| f.key == "id_number").expect("id field");
    assert!(id.locked && !id.value.contains("195103"), "{id:?}");
    k.assert_no_full_identity();

    // Next without the required fields: the form says what is missing.
    k.tap("下一步");
    k.wait("required errors", |ui| slint::Model::iter(&ui.window.get_fields()).any(|f| f.error == "这一项必须填写"));
    assert_eq!(k.ui.screen(), Screen::Form);

    // The phone number on the digit keypad.
    k.tap("联系电话（手机）");
    k.type_keys("13800138000");
    k.tap("完成");
    // A choice.
    k.tap("在户籍地居住");
    // A note typed in pinyin: "shequ" -> a candidate.
    k.tap("备注");
    k.type_keys("shequ");
    let candidates: Vec<String> = slint::Model::iter(&k.ui.window.get_candidates()).map(|c| c.to_string()).collect();
    assert!(candidates.iter().any(|c| c == "社区"), "{candidates:?}");
    k.tap("社区");
    k.tap("完成");
    let fields: Vec<_> = slint::Model::iter(&k.ui.window.get_fields()).collect();
    assert_eq!(fields.iter().find(|f| f.key == "note").map(|f| f.value.to_string()).as_deref(), Some("社区"));

    k.tap("下一步");
    k.wait_screen(Screen::Confirm);
    assert!(k.shows("13800138000") && k.shows("在户籍地居住"));
    k.tap("确认提交");
    k.wait("the rating screen after printing", |ui| ui.screen() == Screen::Rating && ui.window.get_print_state() == "printed");
    assert!(k.shows("已提交"), "the result text: {:?}", k.labels());

    // The receipt: printed once, masked.
    let printed = receipts(&k.terminal.receipts());
    assert_eq!(printed.len(), 1, "{printed:?}");
    assert!(!printed[0].contains(CARD_NAME) && !printed[0].contains(CARD_ID), "{}", printed[0]);

    // 好差评.
    k.tap("非常满意");
    k.tap("办理快捷");
    k.tap("提交评价");
    k.wait_screen(Screen::Goodbye);
    assert!(k.shows("请取回身份证和回执"));
    k.terminal.control(r#"{"remove": true}"#);
    k.wait_screen(Screen::Attract);

    // The next citizen starts clean.
    k.tap("不放身份证，先看看办事指南");
    k.wait_screen(Screen::Home);
    assert_eq!(k.ui.window.get_search_text(), "");
    assert!(!k.shows("13800138000") && !k.shows("张*") && !k.shows("社区"), "{:?}", k.labels());
    k.assert_no_full_identity();
}

#[test]
fn elderly_mode_is_one_tap_away_and_changes_the_screen() {
    let k = start("elderly", DemoSettings::default());
    let theme = k.ui.window.global::<kiosk_ui::Theme>();
    let normal = (theme.get_body(), k.ui.window.get_columns());
    k.tap("长者模式");
    assert!(theme.get_elderly());
    assert!(theme.get_body() >= normal.0 * 1.4, "type at least 1.4x larger");
    k.place_card();
    k.wait_screen(Screen::Home);
    // The daemon knows too (longer timeouts), and the home screen offers fewer choices.
    k.wait("elderly in the daemon", |ui| ui.window.global::<kiosk_ui::Theme>().get_elderly());
    assert!(k.ui.window.get_columns() < normal.1, "fewer columns");
    let tiles: usize = slint::Model::iter(&k.ui.window.get_tiles()).map(|r| slint::Model::row_count(&r.cells)).sum();
    assert!(tiles <= 6, "at most six choices per page, got {tiles}");
    assert!(k.ui.window.get_pages() > 1, "the rest on further pages");
    k.tap("下一页");
    assert_eq!(k.ui.window.get_page(), 1);
    assert!(!k.shows("社保"), "page two shows other categories");
    k.tap("上一页");
    // Every screen has the toggle; back to standard.
    k.tap("社保");
    k.wait_screen(Screen::Items);
    k.tap("标准模式");
    assert!(!theme.get_elderly());
}

#[test]
fn the_countdown_offers_more_time_then_wipes() {
    let k = start("countdown", DemoSettings { session_timeout_s: Some(8), session_warning_s: Some(5), ..DemoSettings::default() });
    k.place_card();
    k.wait_screen(Screen::Home);
    k.wait("the countdown", |ui| ui.window.get_countdown() > 0);
    assert!(k.shows("需要更多时间"));
    assert!(k.shows("秒后将自动结束办理"));
    k.tap("需要更多时间");
    k.wait("the countdown to go", |ui| ui.window.get_countdown() == 0);
    assert_eq!(k.ui.screen(), Screen::Home, "the visit goes on");
    // Now let it run out: the visit is wiped and the screen goes back to the start.
    k.tap("社保");
    k.wait_screen(Screen::Items);
    k.wait("the second countdown", |ui| ui.window.get_countdown() > 0);
    k.wait("the wipe", |ui| matches!(ui.screen(), Screen::Attract | Screen::Goodbye));
    k.wait_screen(Screen::Attract);
    assert!(!k.shows("张*"), "{:?}", k.labels());
    assert_eq!(k.ui.window.get_countdown(), 0);
}

#[test]
fn card_problems_are_said_in_plain_words() {
    let k = start("card-error", DemoSettings::default());
    k.terminal.control(r#"{"fault": "sam_fail"}"#);
    k.place_card();
    k.wait("a card error", |ui| ui.screen() == Screen::Reading && !ui.window.get_card_error().is_empty());
    assert!(k.shows("读卡器出了故障"), "{:?}", k.labels());
    assert!(k.shows("12345"));
    k.tap("返回");
    k.wait_screen(Screen::Attract);
}

#[test]
fn english_is_one_tap_away() {
    let k = start("english", DemoSettings::default());
    k.tap("English");
    k.wait("English text", |_| true);
    assert!(k.shows("Place your ID card on the reader"), "{:?}", k.labels());
    assert!(k.shows("Pensions"), "catalogue names in English too: {:?}", k.ui.window.get_offer());
    k.tap("中文");
    assert!(k.shows("请将身份证放在读卡区"));
}
