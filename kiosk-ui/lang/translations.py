#!/usr/bin/env python3
"""Writes en/LC_MESSAGES/kiosk-ui.po from the English below.

The source strings are the @tr("...") texts of ../ui/*.slint (Simplified Chinese). Run after
changing UI text: `python3 kiosk-ui/lang/translations.py`. It fails, listing them, when a source
string has no English here; the crate's tests check the same thing.
"""
import pathlib, re, sys

EN = {
    "English": "中文",
    "{} 秒后将自动结束办理，并清除您的信息。": "In {} seconds this visit ends and your details are cleared.",
    "上一页": "Previous page",
    "下一步": "Next",
    "下一页": "Next page",
    "不放身份证，先看看办事指南": "Browse service guides without a card",
    "不满意": "Dissatisfied",
    "中文": "中文",
    "中文拼音输入": "Chinese (pinyin) input",
    "今日统计": "Today",
    "删除": "Delete",
    "刷新": "Refresh",
    "办事指南": "Service guide",
    "办理结束": "Done",
    "即将结束办理": "Your visit is about to end",
    "取消": "Cancel",
    "可以选择原因（可不选）：": "You can pick reasons (optional):",
    "向上翻": "Scroll up",
    "向下翻": "Scroll down",
    "回执已打印，请取走。": "Your receipt is printed. Please take it.",
    "回执稍后补打，请向协办员领取。": "Your receipt will be printed later; ask the village assistant for it.",
    "基本满意": "Fair",
    "填写信息": "Fill in the form",
    "如需帮助，请联系村里的协办员，或拨打 12345 政务服务便民热线。": "For help, ask the village assistant or call the 12345 government service hotline.",
    "完成": "Done",
    "已从身份证读取": "From your ID card",
    "已加纸": "Paper refilled",
    "恢复服务": "Resume service",
    "您好！您还没有放身份证，可以先看看办事指南；办理事项时请放身份证。": "Hello! You have not placed an ID card. You can read the guides; to apply for something, place your card.",
    "您好，{}": "Hello, {}",
    "您对这次服务满意吗？": "Were you satisfied with this service?",
    "您的信息已从本机清除。感谢使用，再见！": "Your details have been cleared from this machine. Thank you, goodbye!",
    "您还在吗？": "Are you still there?",
    "我要投诉": "Make a complaint",
    "打印机暂时不能打印": "The printer cannot print right now",
    "打印机缺纸": "Printer out of paper",
    "打印机缺纸或纸仓未关好。您的事项已经办好，资料已保存；回执会在协办员处理打印机后自动补打，请向村里的协办员领取。": "The printer is out of paper or its cover is open. Your application is done and saved; the receipt prints by itself once the assistant has fixed the printer. Please ask the village assistant for it.",
    "打印测试页": "Print a test page",
    "把身份证放在读卡区的示意图": "Picture: put the ID card on the reader",
    "投诉内容": "Your complaint",
    "报告故障": "Report a fault",
    "拼音": "Pinyin",
    "拿走身份证": "Remove card",
    "提交投诉": "Send complaint",
    "提交故障报告": "Send fault report",
    "提交评价": "Send rating",
    "搜索事项": "Search services",
    "搜索：输入拼音首字母（如 ylj）或关键词": "Search: pinyin initials (e.g. ylj) or a keyword",
    "放好后请不要移动，系统会自动读取。": "Keep it still; it is read automatically.",
    "放置身份证": "Place card",
    "政务服务便民热线：12345": "Government service hotline: 12345",
    "政务服务自助机": "Government self-service terminal",
    "政策知识": "Policies and advice",
    "政策知识和防骗提醒": "Policies and anti-fraud advice",
    "故障类别": "What is broken",
    "故障说明": "Fault description",
    "数字输入": "Digits",
    "暂停服务": "Out of service",
    "服务评价": "Rate the service",
    "本机可以办理：": "At this terminal you can:",
    "本机暂不支持这种证件。请使用居民身份证，或向村协办员求助。": "This card type is not supported here. Please use a resident ID card, or ask the village assistant.",
    "本机正在维护，暂停服务": "This terminal is being serviced",
    "标准模式": "Standard mode",
    "正在办理": "Working on it",
    "正在打印回执……": "Printing your receipt…",
    "正在打印回执，请稍候……": "Printing your receipt, please wait…",
    "正在提交，请稍候……": "Sending, please wait…",
    "正在读取身份证，请不要移动……": "Reading your ID card, keep it still…",
    "没有找到相关事项。可以换个关键词，或返回首页按分类查找。": "Nothing found. Try another word, or go back and look by category.",
    "没有读到身份证": "The ID card could not be read",
    "满意": "Satisfied",
    "演示：": "Demo:",
    "现在不是服务时间": "Closed now",
    "用下面的键盘输入": "Type with the keyboard below",
    "知道了，继续": "OK, continue",
    "确认提交": "Confirm and send",
    "空格": "Space",
    "立即同步": "Sync now",
    "第 {} / {} 页": "Page {} of {}",
    "简单说明故障情况": "Describe the fault briefly",
    "粤智助政务服务自助机": "Yuezhizhu government self-service terminal",
    "结束办理": "Finish",
    "维护密码": "Maintenance PIN",
    "维护登录": "Maintenance login",
    "维护菜单": "Maintenance",
    "网络暂时中断：标有“需要联网”的事项暂不能办理，其他事项照常办理，资料会在联网后自动上传。": "The network is down: services marked 'needs the network' are unavailable; everything else works and is uploaded once the network is back.",
    "英文字母输入": "Latin letters",
    "装纸": "Refill paper",
    "设备状态": "Devices",
    "请取回身份证和回执": "Please take your ID card and receipt",
    "请将身份证放在读卡区": "Place your ID card on the reader",
    "请核对以下信息，确认无误后点“确认提交”。": "Check the details below, then tap 'Confirm and send'.",
    "请核对信息": "Check your details",
    "请说说遇到的问题，我们会转给有关部门处理。也可以拨打 12345 政务服务便民热线。": "Tell us what went wrong; we pass it on to the department concerned. You can also call the 12345 government service hotline.",
    "请输入协办员维护密码": "Enter the assistant's maintenance PIN",
    "请选择要办理的事项": "What would you like to do?",
    "读不出这张卡。请确认放的是居民身份证，正面朝上，平放在读卡区中间。": "This card cannot be read. Make sure it is a resident ID card, lying flat in the middle of the reader.",
    "读卡器出了故障，暂时不能读卡。请联系村里的协办员，或拨打 12345 政务服务便民热线。": "The card reader has a fault and cannot read cards now. Please ask the village assistant, or call the 12345 hotline.",
    "读取身份证": "Reading ID card",
    "身份证被移动或拿开了。请把身份证重新平放在读卡区，等读取完成再拿走。": "The card was moved or lifted. Put it back flat on the reader and leave it until reading is done.",
    "返回": "Back",
    "进度": "Progress",
    "退出维护": "Leave maintenance",
    "长者模式": "Elderly mode",
    "需要更多时间": "I need more time",
    "非常不满意": "Very dissatisfied",
    "非常满意": "Very satisfied",
    "首页": "Home",
}

here = pathlib.Path(__file__).resolve().parent
sources = sorted({m for p in sorted((here.parent / "ui").glob("*.slint"))
                  for m in re.findall(r'@tr\("((?:[^"\\]|\\.)*)"', p.read_text(encoding="utf-8"))})
missing = [s for s in sources if s not in EN]
if missing:
    sys.exit("no English for:\n" + "\n".join(missing))

def q(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

out = ['msgid ""', 'msgstr ""', '"Content-Type: text/plain; charset=UTF-8\\n"', '"Language: en\\n"', '']
for s in sources:
    out += [f"msgid {q(s)}", f"msgstr {q(EN[s])}", ""]
(here / "en" / "LC_MESSAGES" / "kiosk-ui.po").write_text("\n".join(out), encoding="utf-8")
print(f"{len(sources)} strings written")
