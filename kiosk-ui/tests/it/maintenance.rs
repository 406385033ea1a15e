//! The assistants' maintenance menu: hidden gesture, PIN with lockout, device status, paper,
//! test page, fault report, out of service.

use kiosk_ui::demo::DemoSettings;
use kiosk_ui::Screen;

use crate::util::start;

fn pin(k: &crate::util::Kiosk, digits: &str) {
    k.type_keys(digits);
    k.tap("完成");
}

#[test]
fn wrong_pins_lock_the_menu() {
    let k = start("pin-lockout", DemoSettings::default());
    k.tap_corner(4);
    assert_eq!(k.ui.screen(), Screen::Attract, "four taps are not the gesture");
    k.tap_corner(1);
    k.wait_screen(Screen::Pin);
    pin(&k, "000000");
    k.wait("a wrong-PIN message", |ui| !ui.window.get_pin_error().is_empty());
    assert!(k.ui.window.get_pin_error().contains("还可以再试"), "{}", k.ui.window.get_pin_error());
    let mut locked = false;
    for _ in 0..8 {
        pin(&k, "000000");
        k.wait("an answer", |ui| ui.window.get_pin_dots().is_empty());
        k.ui.wait_until(std::time::Duration::from_millis(300), |_| false);
        if k.ui.window.get_pin_error().contains("锁定") {
            locked = true;
            break;
        }
    }
    assert!(locked, "locked out after repeated wrong PINs: {}", k.ui.window.get_pin_error());
    // Even the right PIN is refused while locked.
    pin(&k, "123456");
    k.ui.wait_until(std::time::Duration::from_millis(500), |_| false);
    assert_eq!(k.ui.screen(), Screen::Pin);
    assert!(k.ui.window.get_pin_error().contains("锁定"));
    k.tap("取消");
    k.wait_screen(Screen::Attract);
}

fn receipt_count(k: &crate::util::Kiosk) -> usize {
    std::fs::read_dir(k.terminal.receipts()).map(|d| d.flatten().filter(|e| e.path().extension().is_some_and(|x| x == "txt")).count()).unwrap_or(0)
}

#[test]
fn the_menu_does_what_an_assistant_needs() {
    let k = start("maintenance", DemoSettings::default());
    k.tap_corner(5);
    k.wait_screen(Screen::Pin);
    pin(&k, "123456");
    k.wait_screen(Screen::Maintenance);
    k.wait("device status", |ui| slint::Model::iter(&ui.window.get_devices()).any(|d| d.state == "正常"));
    assert!(k.shows("今日统计"));

    // Paper runs out: the menu shows it; refilled: it clears.
    k.terminal.control(r#"{"paper": "out"}"#);
    k.wait("paper out", |ui| slint::Model::iter(&ui.window.get_devices()).any(|d| d.state.contains("缺纸")));
    k.terminal.control(r#"{"paper": "ok"}"#);
    k.tap("已加纸");
    k.wait("paper ok", |ui| !slint::Model::iter(&ui.window.get_devices()).any(|d| d.state.contains("缺纸")));

    // Test page.
    let before = receipt_count(&k);
    k.tap("打印测试页");
    k.wait("the test page message", |ui| ui.window.get_maintenance_message().contains("测试页"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while receipt_count(&k) == before && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(receipt_count(&k), before + 1, "one test page printed");

    // Fault report.
    k.tap("报告故障");
    k.wait_screen(Screen::Fault);
    k.tap("提交故障报告");
    assert!(k.ui.window.get_maintenance_message().contains("故障类别"), "a category is needed first");
    k.tap("打印机");
    k.type_keys("que");
    k.tap("缺");
    assert!(k.ui.window.get_fault_text().contains("缺"), "{}", k.ui.window.get_fault_text());
    k.tap("提交故障报告");
    k.wait_screen(Screen::Maintenance);
    assert!(k.ui.window.get_maintenance_message().contains("故障已记录"));

    // Out of service, seen by citizens; then back.
    k.tap("暂停服务");
    k.wait("out of service", |ui| ui.window.get_out_of_service());
    k.tap("退出维护");
    k.wait_screen(Screen::OutOfService);
    k.place_card();
    std::thread::sleep(std::time::Duration::from_millis(800));
    k.ui.pump();
    assert_eq!(k.ui.screen(), Screen::OutOfService, "no visit starts while out of service");
    k.tap_corner(5);
    k.wait_screen(Screen::Pin);
    pin(&k, "123456");
    k.wait_screen(Screen::Maintenance);
    k.tap("恢复服务");
    k.wait("in service", |ui| !ui.window.get_out_of_service());
    k.tap("退出维护");
    k.wait("a citizen screen", |ui| matches!(ui.screen(), Screen::Attract | Screen::Home | Screen::Reading));
}
