//! Language selection and the strings the host computes (messages about daemon answers, device
//! states, rating reasons). The window's own strings are `@tr()` in the .slint files with the
//! English in `lang/en/LC_MESSAGES/kiosk-ui.po`; these are the rest, as (zh, en) pairs.

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "zh" | "zh-CN" | "zh_CN" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// Makes the window's @tr() strings follow this language.
    pub fn select(self) {
        // "" is the source language (Simplified Chinese).
        let _ = slint::select_bundled_translation(match self {
            Lang::Zh => "",
            Lang::En => "en",
        });
    }

    pub fn t(self, zh: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    /// A catalogue text: `key_en` in English when present, else `key`.
    pub fn pick(self, v: &Value, key: &str) -> String {
        if self == Lang::En {
            if let Some(s) = v.get(format!("{key}_en")).and_then(Value::as_str).filter(|s| !s.is_empty()) {
                return s.to_string();
            }
        }
        v.get(key).and_then(Value::as_str).unwrap_or_default().to_string()
    }

    pub fn list_separator(self) -> &'static str {
        self.t("、", ", ")
    }
}

/// Why an item cannot be used now, in plain words (the pause notice when there is one).
pub fn availability_note(lang: Lang, availability: &Value) -> String {
    if availability.get("available").and_then(Value::as_bool).unwrap_or(true) {
        return String::new();
    }
    let notice = lang.pick(availability, "notice");
    let reason = match availability.get("reason").and_then(Value::as_str).unwrap_or("") {
        "paused" => lang.t("暂停办理", "Paused"),
        "offline" => lang.t("已下线", "Withdrawn"),
        "needs_network" => lang.t("需要联网，网络恢复后可办理", "Needs the network; available again once it is back"),
        "stopped_locally" => lang.t("本机暂停办理", "Stopped on this terminal"),
        _ => lang.t("暂不能办理", "Not available now"),
    };
    if notice.is_empty() { reason.to_string() } else { format!("{reason}{}{notice}", lang.t("：", ": ")) }
}

pub fn kind_label(lang: Lang, kind: &str) -> &'static str {
    match kind {
        "form" => lang.t("在线办理", "Apply here"),
        "query" => lang.t("查询", "Check"),
        "print" => lang.t("打印", "Print"),
        _ => lang.t("办事指南", "Guide"),
    }
}

/// The label of the guide screen's main button for an item kind.
pub fn action_label(lang: Lang, kind: &str) -> &'static str {
    match kind {
        "form" => lang.t("开始办理", "Start"),
        "query" => lang.t("开始查询", "Check now"),
        "print" => lang.t("开始打印", "Print now"),
        _ => "",
    }
}

/// A form problem code from kioskd, for the citizen.
pub fn problem(lang: Lang, code: &str) -> &'static str {
    match code {
        "required" => lang.t("这一项必须填写", "This must be filled in"),
        "too_short" => lang.t("内容太短", "Too short"),
        "too_long" => lang.t("内容太长", "Too long"),
        "digits_only" => lang.t("只能填数字", "Digits only"),
        "invalid_phone" => lang.t("请填写11位手机号码，或带区号的固定电话", "Enter an 11-digit mobile number, or a landline with its area code"),
        "invalid_id_number" => lang.t("身份证号码不正确", "This ID number is not valid"),
        "invalid_date" => lang.t("日期应为 年-月-日，例如 1950-01-31", "Dates are year-month-day, e.g. 1950-01-31"),
        "not_an_option" => lang.t("请选择一项", "Choose one"),
        "out_of_range" => lang.t("数值超出范围", "Out of range"),
        "not_a_number" => lang.t("请填写数字", "Enter a number"),
        "invalid_characters" => lang.t("含有不能使用的字符", "Contains characters that cannot be used"),
        _ => lang.t("这一项有问题，请检查", "Please check this"),
    }
}

/// The hint shown in an empty field.
pub fn field_hint(lang: Lang, field_type: &str) -> &'static str {
    match field_type {
        "phone" => lang.t("点这里，输入手机号码", "Tap to enter your mobile number"),
        "date" => lang.t("点这里，输入日期（年月日8位数字）", "Tap to enter the date (8 digits, year month day)"),
        "digits" | "number" => lang.t("点这里，输入数字", "Tap to enter a number"),
        "id_number" => lang.t("点这里，输入身份证号码", "Tap to enter the ID number"),
        _ => lang.t("点这里输入", "Tap to type"),
    }
}

/// A card-reading failure kind from kioskd, as one of the window's message groups.
pub fn card_error_group(kind: &str) -> &'static str {
    match kind {
        "read_failed" | "no_card" => "moved",
        "bad_card_data" | "corrupt_reply" | "malformed_reply" | "timeout" => "unreadable",
        "unknown_card_type" => "unsupported",
        _ => "fault",
    }
}

/// Rating reasons offered for a level (好差评): praise for 4–5, complaints for 1–3.
pub fn reasons(lang: Lang, level: i32) -> Vec<&'static str> {
    if level >= 4 {
        vec![
            lang.t("办理快捷", "Quick"),
            lang.t("操作简单", "Easy to use"),
            lang.t("指引清晰", "Clear instructions"),
            lang.t("字大看得清", "Easy to read"),
        ]
    } else if level == 3 {
        vec![lang.t("还可以更快", "Could be quicker"), lang.t("指引可以更清楚", "Instructions could be clearer"), lang.t("操作有点复杂", "A bit complicated")]
    } else {
        vec![
            lang.t("操作复杂", "Too complicated"),
            lang.t("等待时间长", "Too slow"),
            lang.t("指引不清楚", "Unclear instructions"),
            lang.t("设备故障", "Machine fault"),
            lang.t("没有办成", "Could not get it done"),
        ]
    }
}

pub fn fault_categories(lang: Lang) -> Vec<(&'static str, &'static str)> {
    vec![
        ("idcard", lang.t("读卡器", "Card reader")),
        ("printer", lang.t("打印机", "Printer")),
        ("screen", lang.t("屏幕", "Screen")),
        ("network", lang.t("网络", "Network")),
        ("other", lang.t("其他", "Other")),
    ]
}

/// One device's health from `/v1/status` or `/v1/maintenance/devices`, in words, and whether
/// it is fine.
pub fn device_state(lang: Lang, device: &str, health: &Value) -> (String, bool) {
    let state = health.get("state").and_then(Value::as_str).unwrap_or("unknown");
    let mut ok = state == "ready";
    let mut words = match state {
        "ready" => lang.t("正常", "Working").to_string(),
        "disconnected" => lang.t("未连接（请检查连线）", "Not connected (check the cable)").to_string(),
        "error" | "fault" => lang.t("故障", "Fault").to_string(),
        other => other.to_string(),
    };
    if device == "printer" {
        match health.get("paper").and_then(Value::as_str) {
            Some("out") => {
                ok = false;
                words = lang.t("缺纸，请加纸", "Out of paper: refill it").to_string();
            }
            Some("low") => words.push_str(lang.t("，纸快用完了", ", paper low")),
            _ => {}
        }
        if health.get("cover_open").and_then(Value::as_bool) == Some(true) {
            ok = false;
            words = lang.t("纸仓盖没关好", "The cover is open").to_string();
        }
        if let Some(n) = health.get("held_jobs").and_then(Value::as_u64).filter(|n| *n > 0) {
            words.push_str(&match lang {
                Lang::Zh => format!("；{n} 张回执等待补打"),
                Lang::En => format!("; {n} receipts waiting"),
            });
        }
    }
    (words, ok)
}

/// A knowledge entry's category, in words.
pub fn knowledge_category(lang: Lang, code: &str) -> String {
    match code {
        "anti_fraud" => lang.t("防诈骗提醒", "Anti-fraud advice").into(),
        "policy" => lang.t("政策解读", "Policy explained").into(),
        "notice" => lang.t("通知公告", "Notice").into(),
        "howto" => lang.t("使用指引", "How to use this terminal").into(),
        other => other.to_string(),
    }
}

/// The names of the day's usage counters.
pub fn count_label(lang: Lang, key: &str) -> String {
    match key {
        "view" => lang.t("浏览事项", "Items viewed").into(),
        "start" => lang.t("开始办理", "Services started").into(),
        "submit" => lang.t("提交办理", "Applications sent").into(),
        "rate" => lang.t("评价", "Ratings").into(),
        "form" => lang.t("在线办理", "Applications").into(),
        "query" => lang.t("查询", "Checks").into(),
        "print" => lang.t("打印", "Prints").into(),
        "rating" => lang.t("评价", "Ratings").into(),
        "visit" | "visits" => lang.t("来访人次", "Visits").into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn picks_english_when_there_is_some() {
        let v = json!({ "name": "养老", "name_en": "Pensions", "department": "人社局" });
        assert_eq!(Lang::En.pick(&v, "name"), "Pensions");
        assert_eq!(Lang::Zh.pick(&v, "name"), "养老");
        assert_eq!(Lang::En.pick(&v, "department"), "人社局");
        assert_eq!(Lang::En.pick(&v, "missing"), "");
    }

    #[test]
    fn availability_in_words() {
        assert_eq!(availability_note(Lang::Zh, &json!({ "available": true })), "");
        let paused = json!({ "available": false, "reason": "paused", "notice": "系统升级", "notice_en": "Upgrade" });
        assert_eq!(availability_note(Lang::Zh, &paused), "暂停办理：系统升级");
        assert_eq!(availability_note(Lang::En, &paused), "Paused: Upgrade");
        assert!(availability_note(Lang::Zh, &json!({ "available": false, "reason": "needs_network" })).contains("联网"));
    }

    #[test]
    fn card_errors_group_into_plain_messages() {
        assert_eq!(card_error_group("read_failed"), "moved");
        assert_eq!(card_error_group("bad_card_data"), "unreadable");
        assert_eq!(card_error_group("unknown_card_type"), "unsupported");
        assert_eq!(card_error_group("sam_failed"), "fault");
        assert_eq!(card_error_group("disconnected"), "fault");
    }

    #[test]
    fn printer_states_in_words() {
        let (w, ok) = device_state(Lang::Zh, "printer", &json!({ "state": "ready", "paper": "out", "cover_open": false, "held_jobs": 2 }));
        assert!(!ok);
        assert!(w.contains("缺纸") && w.contains("2"), "{w}");
        let (w, ok) = device_state(Lang::En, "idcard", &json!({ "state": "ready" }));
        assert!(ok);
        assert_eq!(w, "Working");
    }
}
