#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Build catalogue.json, the sample service catalogue and knowledge content.

Usage:
    pip install pypinyin          # only needed to regenerate, never at run time
    python3 assets/catalogue/make-catalogue.py [assets/catalogue/catalogue.json]
    python3 assets/catalogue/make-catalogue.py --check [assets/catalogue/catalogue.json]

The texts below are the source; the committed catalogue.json is what everything else reads.
What this script adds to the texts:

- `pinyin`: lower-case initials of each item name (pypinyin, phrase-aware), letters and digits
  only; a few polyphones can be pinned in PINYIN_FIX;
- `code`: an illustrative 31-character implementation code: the department's 18-character
  unified social credit code (fabricated, with valid GB 11714 and GB 32100 check characters)
  followed by 13 digits; the digits are derived from the item name so codes stay stable when
  items are added or reordered. None of these codes is official.

The output is deterministic: running the script twice gives the same bytes.
"""

import hashlib
import json
import re
import sys
from pathlib import Path

# ---------------------------------------------------------------------------------------------
# Departments: name -> (registration-authority + type prefix, region code)
# "11" = organ of state (机关), "12" = public institution (事业单位), "13" = people's organisation
# run by the establishment office (群团组织). Region 440000 = Guangdong, 441800 = Qingyuan.

DEPARTMENTS = {
    "广东省人力资源和社会保障厅": ("11", "440000"),
    "清远市人力资源和社会保障局": ("11", "441800"),
    "清远市医疗保障局": ("11", "441800"),
    "清远市住房公积金管理中心": ("12", "441800"),
    "清远市公安局": ("11", "441800"),
    "清远市民政局": ("11", "441800"),
    "清远市自然资源局": ("11", "441800"),
    "清远市农业农村局": ("11", "441800"),
    "国家税务总局广东省税务局": ("11", "440000"),
    "清远市残疾人联合会": ("13", "441800"),
}

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100, no I O S V Z


def _digits(seed: str, n: int) -> str:
    h = hashlib.sha256(seed.encode("utf-8")).hexdigest()
    return "".join(str(int(c, 16) % 10) for c in h)[:n]


def org_code(seed: str) -> str:
    """GB 11714 organisation code: 8 characters + check character."""
    body = "00" + _digits("org:" + seed, 6)  # provincial/municipal organs mostly start "00"
    weights = [3, 7, 9, 10, 5, 8, 4, 2]
    s = sum(int(c) * w for c, w in zip(body, weights))
    c = 11 - s % 11
    check = "X" if c == 10 else "0" if c == 11 else str(c)
    return body + check


def uscc(department: str) -> str:
    prefix, region = DEPARTMENTS[department]
    body = prefix + region + org_code(department)
    weights = [pow(3, i, 31) for i in range(17)]
    s = sum(USCC_CHARS.index(c) * w for c, w in zip(body, weights))
    c = (31 - s % 31) % 31
    return body + USCC_CHARS[c]


def item_code(department: str, name: str) -> str:
    return uscc(department) + "4442" + _digits("item:" + name, 6) + "000"


# ---------------------------------------------------------------------------------------------
# Pinyin initials

PINYIN_FIX: dict[str, str] = {}  # name -> initials, where pypinyin picks the wrong reading


def initials(name: str) -> str:
    if name in PINYIN_FIX:
        return PINYIN_FIX[name]
    from pypinyin import Style, lazy_pinyin

    out = lazy_pinyin(name, style=Style.FIRST_LETTER, errors=lambda s: list(s))
    return re.sub(r"[^a-z0-9]", "", "".join(out).lower())


# ---------------------------------------------------------------------------------------------
# Building blocks

SECTION_TITLES = [
    ("办理条件", "Eligibility"),
    ("所需材料", "Documents needed"),
    ("办理流程", "Steps"),
    ("办理时限", "Time limit"),
    ("收费标准", "Fees"),
    ("咨询电话", "Helpline"),
]


def guide(summary, summary_en, *pairs):
    assert len(pairs) == 6, "six sections: conditions, materials, steps, time, fees, helpline"
    return {
        "summary": summary,
        "summary_en": summary_en,
        "sections": [
            {"title": t, "title_en": te, "body": b, "body_en": be}
            for (t, te), (b, be) in zip(SECTION_TITLES, pairs)
        ],
    }


FREE = ("不收费。", "Free of charge.")
INSTANT = ("即时办结，当场出结果。", "Done on the spot.")
ID_ONLY = ("本人有效的居民身份证。", "Your own valid resident ID card.")

TEL_RS = ("12333（人社服务热线）；12345（政务服务便民热线）。",
          "12333 (human resources and social security hotline); 12345 (government service hotline).")
TEL_YB = ("12393（医保服务热线）；12345（政务服务便民热线）。",
          "12393 (medical insurance hotline); 12345 (government service hotline).")
TEL_GJJ = ("12329（住房公积金服务热线）。", "12329 (housing provident fund hotline).")
TEL_SW = ("12366（纳税缴费服务热线）。", "12366 (tax and fee payment hotline).")
TEL_12345 = ("12345（政务服务便民热线），也可咨询村（居）委会。",
             "12345 (government service hotline), or ask your village (community) committee.")
TEL_NY = ("12316（三农服务热线）；12345（政务服务便民热线）。",
          "12316 (agriculture and rural affairs hotline); 12345 (government service hotline).")


def steps_query(what, what_en):
    return (
        f"1.将身份证放在读卡区，核验身份；2.系统自动查询{what}；3.结果只显示在屏幕上，看完请点“退出”，"
        "屏幕不会保留您的信息。",
        f"1. Place your ID card on the reader to verify your identity. 2. The terminal looks up "
        f"{what_en}. 3. The result is shown on the screen only; tap \"Exit\" when you have read it, "
        "and nothing of yours stays on the screen.",
    )


def steps_print(doc, doc_en):
    return (
        f"1.将身份证放在读卡区，核验身份；2.核对屏幕上显示的信息；3.点“打印”，取走《{doc}》和身份证。",
        f"1. Place your ID card on the reader to verify your identity. 2. Check the details on the "
        f"screen. 3. Tap \"Print\" and take the {doc_en} and your ID card with you.",
    )


def steps_form(after, after_en):
    return (
        f"1.将身份证放在读卡区，姓名、身份证号自动填入；2.按提示填写其余内容并核对；3.提交后取走回执。{after}",
        ("1. Place your ID card on the reader; your name and ID number are filled in for you. "
         "2. Fill in the rest as prompted and check it. 3. Submit and take your receipt. " + after_en).rstrip(),
    )


# Form fields ---------------------------------------------------------------------------------

def f_name():
    return {"key": "name", "label": "姓名", "label_en": "Name", "type": "text",
            "required": True, "prefill": "card.name", "locked": True}


def f_id():
    return {"key": "id_number", "label": "身份证号", "label_en": "ID number", "type": "id_number",
            "required": True, "prefill": "card.id_number", "locked": True}


def f_gender():
    return {"key": "gender", "label": "性别", "label_en": "Sex", "type": "choice", "required": True,
            "prefill": "card.gender", "locked": True,
            "options": [{"value": "male", "label": "男", "label_en": "Male"},
                        {"value": "female", "label": "女", "label_en": "Female"}]}


def f_birth():
    return {"key": "birth_date", "label": "出生日期", "label_en": "Date of birth", "type": "date",
            "required": True, "prefill": "card.birth_date", "locked": True}


def f_address():
    return {"key": "address", "label": "住址（以身份证为准）", "label_en": "Address (as on ID card)",
            "type": "text", "required": True, "prefill": "card.address", "locked": True}


def f_nation():
    return {"key": "nation", "label": "民族", "label_en": "Ethnic group", "type": "text",
            "required": False, "prefill": "card.nation", "locked": True}


def f_phone(label="联系电话（手机）", label_en="Mobile phone"):
    return {"key": "phone", "label": label, "label_en": label_en, "type": "phone", "required": True}


def f_note():
    return {"key": "note", "label": "备注", "label_en": "Notes", "type": "text", "required": False,
            "max_len": 100}


def f_choice(key, label, label_en, options, required=True):
    return {"key": key, "label": label, "label_en": label_en, "type": "choice", "required": required,
            "options": [{"value": v, "label": l, "label_en": le} for v, l, le in options]}


BANKS = [
    ("sscard", "社会保障卡（金融账户）", "Social security card (bank account)"),
    ("rcb", "农村商业银行（农村信用社）", "Rural commercial bank (rural credit cooperative)"),
    ("psbc", "中国邮政储蓄银行", "Postal Savings Bank of China"),
    ("abc", "中国农业银行", "Agricultural Bank of China"),
    ("icbc", "中国工商银行", "Industrial and Commercial Bank of China"),
    ("ccb", "中国建设银行", "China Construction Bank"),
    ("boc", "中国银行", "Bank of China"),
    ("other", "其他银行", "Other bank"),
]


def f_bank():
    return f_choice("bank", "收款银行", "Bank for payments", BANKS)


def f_account():
    return {"key": "account", "label": "银行卡号（或社保卡号）", "label_en": "Bank card number (or social security card number)",
            "type": "digits", "required": True, "min_len": 16, "max_len": 19}


def f_household():
    return {"key": "household_size", "label": "家庭共同生活人数", "label_en": "People living in the household",
            "type": "number", "required": True, "min": 1, "max": 20}


def f_consent():
    return f_choice("consent", "是否同意民政部门核对家庭经济状况（须全体家庭成员签署授权书）",
                    "Do you agree that the civil affairs department checks your household's finances "
                    "(all household members must sign an authorisation)?",
                    [("agree", "同意", "I agree")])


ACTIVE = {"state": "active"}

# ---------------------------------------------------------------------------------------------
# Categories

CATEGORIES = [
    ("shebao", "社保", "Social insurance"),
    ("yibao", "医保", "Medical insurance"),
    ("yanglao", "养老", "Pensions"),
    ("gongjijin", "公积金", "Housing provident fund"),
    ("huzheng", "户政", "Household registration and ID cards"),
    ("minzheng", "民政", "Civil affairs and social assistance"),
    ("budongchan", "不动产", "Real estate"),
    ("nongye", "农业农村", "Agriculture and rural affairs"),
    ("shuiwu", "税务", "Taxes"),
    ("jiuye", "就业", "Employment"),
    ("canlian", "残疾人服务", "Services for people with disabilities"),
]

# ---------------------------------------------------------------------------------------------
# Items. Each: dict with the keys of the format minus code and pinyin (added below).

RS_PROV = "广东省人力资源和社会保障厅"
RS = "清远市人力资源和社会保障局"
YB = "清远市医疗保障局"
GJJ = "清远市住房公积金管理中心"
GA = "清远市公安局"
MZ = "清远市民政局"
ZR = "清远市自然资源局"
NY = "清远市农业农村局"
SW = "国家税务总局广东省税务局"
CL = "清远市残疾人联合会"

ITEMS = []


def item(**kw):
    kw.setdefault("status", ACTIVE)
    ITEMS.append(kw)


# ---- 社保 -----------------------------------------------------------------------------------

item(
    name="社保参保缴费证明打印",
    name_en="Print a certificate of social insurance contributions",
    department=RS_PROV, category="shebao",
    keywords=["社保证明", "参保证明", "缴费证明", "打印证明", "社保记录", "交社保证明"],
    kind="print", identity="card",
    guide=guide(
        "打印本人在广东省参加社会保险和缴费情况的证明，可用于子女入学、购房、办理居住证等。在广东参保的人员都可以打印。",
        "Print a certificate of your social insurance enrolment and contributions in Guangdong, "
        "for example for a child's school place, buying a home or a residence permit. Anyone insured in Guangdong can print one.",
        ("在广东省参加过企业职工养老保险、失业保险、工伤保险或城乡居民养老保险，有参保缴费记录。只能打印本人的证明。",
         "You have been enrolled in Guangdong in employee pension, unemployment or work-injury insurance, "
         "or in the residents' pension scheme, and have contribution records. You can only print your own certificate."),
        ID_ONLY,
        steps_print("社会保险参保缴费证明（个人）", "certificate"),
        ("即时打印。证明上有校验码，办事单位可扫码核验真伪。",
         "Printed at once. The certificate carries a verification code that offices can scan to check it."),
        FREE, TEL_RS),
    print={"document": "社会保险参保缴费证明（个人）",
           "document_en": "Certificate of Social Insurance Enrolment and Contributions (Individual)",
           "needs_online": True},
)

item(
    name="社保个人权益记录查询",
    name_en="Check your social insurance record",
    department=RS_PROV, category="shebao",
    keywords=["查社保", "社保记录", "缴费年限", "交了多少年", "社保查询", "权益单"],
    kind="query", identity="card",
    guide=guide(
        "查询本人的社会保险参保状态、累计缴费月数和养老保险个人账户金额。",
        "Check your social insurance enrolment status, the total months you have paid and your pension personal account.",
        ("在广东省参加社会保险的人员，只能查询本人记录。",
         "Anyone insured in Guangdong; you can only see your own record."),
        ID_ONLY,
        steps_query("您的参保和缴费记录", "your enrolment and contribution record"),
        ("即时查询。最近一个月的缴费可能要到下月才显示。",
         "Immediate. Last month's payment may not show until the following month."),
        FREE, TEL_RS),
    query={"service": "shebao.rights_record", "repeated": False, "result_fields": [
        {"key": "status", "label": "参保状态", "label_en": "Enrolment status"},
        {"key": "schemes", "label": "参保险种", "label_en": "Insurance schemes"},
        {"key": "insured_place", "label": "参保地", "label_en": "Where insured"},
        {"key": "paid_months", "label": "累计缴费月数", "label_en": "Total months paid"},
        {"key": "last_paid_month", "label": "最近缴费年月", "label_en": "Last month paid"},
        {"key": "pension_account", "label": "养老保险个人账户累计储存额（元）",
         "label_en": "Pension personal account total (CNY)"},
    ]},
)

item(
    name="社会保障卡挂失",
    name_en="Report a lost social security card",
    department=RS, category="shebao",
    keywords=["社保卡丢了", "挂失", "社保卡", "补卡", "卡不见了", "卡被偷"],
    kind="form", identity="card",
    guide=guide(
        "社会保障卡丢失或被盗时，先办理挂失，防止被他人冒用。挂失后可到社保卡合作银行网点补卡。",
        "If your social security card is lost or stolen, report it first so nobody else can use it. "
        "You can then get a replacement at a partner bank branch.",
        ("本人的社会保障卡遗失或被盗。", "Your own social security card has been lost or stolen."),
        ID_ONLY,
        steps_form("补卡请带身份证到社保卡合作银行网点办理。",
                   "For a replacement card, take your ID card to a partner bank branch."),
        ("提交后一般1个工作日内生效。需要马上止付的，请同时拨打12333或合作银行客服电话。",
         "Usually takes effect within 1 working day. To stop payments at once, also call 12333 or the bank's customer line."),
        ("挂失不收费；补卡是否收费以合作银行网点公示为准。",
         "Reporting a loss is free; any replacement fee is as posted at the partner bank."),
        TEL_RS),
    form={
        "fields": [
            f_name(), f_id(), f_phone(),
            f_choice("reason", "挂失原因", "Reason", [
                ("lost", "遗失", "Lost"), ("stolen", "被盗", "Stolen")]),
            f_choice("replace", "是否需要补卡", "Do you need a replacement card?", [
                ("yes", "需要", "Yes"), ("no", "暂不需要", "Not now")]),
            f_note(),
        ],
        "receipt_title": "社会保障卡挂失回执",
        "receipt_title_en": "Receipt: lost social security card report",
        "result": "已提交挂失申请，处理结果将以短信通知，一般1个工作日内生效。",
        "result_en": "Your report has been submitted. You will get a text message with the result; it usually takes effect within 1 working day.",
    },
)

item(
    name="灵活就业人员社保缴费",
    name_en="Social insurance for flexible workers",
    department=RS, category="shebao",
    keywords=["灵活就业", "个体户", "自己交社保", "交社保", "打零工", "断缴", "补交社保"],
    kind="guide", identity="none",
    guide=guide(
        "没有工作单位的个体工商户和灵活就业人员，可以个人身份参加职工养老保险，按月、按季或按年缴费。本指南说明怎么登记、怎么交费。",
        "Self-employed people and flexible workers without an employer can join the employee pension insurance "
        "as individuals and pay monthly, quarterly or yearly. This guide explains how to register and pay.",
        ("年满16周岁、未到法定退休年龄，没有用人单位的个体工商户、非全日制从业人员和其他灵活就业人员。外省户籍人员可在广东就业地参保。",
         "Self-employed business owners, part-time workers and other flexible workers aged 16 or over and below the statutory "
         "retirement age, with no employer. People from other provinces may enrol where they work in Guangdong."),
        ("本人居民身份证；用于扣费的本人银行卡（签订代扣协议时需要）。",
         "Your resident ID card; your own bank card if you want payments deducted automatically."),
        ("1.通过“粤省事”小程序或到镇（街）人社窗口办理灵活就业人员参保登记；2.选择缴费基数；"
         "3.通过“粤税通”小程序、银行柜面或银行代扣缴费；4.缴费后可在本机打印参保缴费证明。",
         "1. Register as a flexible worker through the Yueshengshi mini-program or at the town human resources counter. "
         "2. Choose your contribution base. 3. Pay through the Yueshuitong mini-program, at a bank counter or by bank deduction. "
         "4. After paying you can print a contribution certificate on this terminal."),
        ("参保登记即时办结；缴费一般1至3个工作日到账。",
         "Registration is immediate; a payment usually shows within 1 to 3 working days."),
        ("办理不收费。社会保险费按本人选择的缴费基数和规定费率缴纳。",
         "The service is free. Contributions depend on the base you choose and the statutory rate."),
        ("12333（人社服务热线）；12366（纳税缴费服务热线）。",
         "12333 (human resources and social security hotline); 12366 (tax and fee payment hotline).")),
)

item(
    name="失业保险金申领指南",
    name_en="How to claim unemployment benefit",
    department=RS, category="shebao",
    keywords=["失业金", "领失业金", "失业补助", "没工作", "失业保险", "被辞退"],
    kind="guide", identity="none",
    guide=guide(
        "参加失业保险的人员非本人意愿失业后，可以申领失业保险金，同时享受失业期间的医疗保险待遇。",
        "If you were insured against unemployment and lost your job against your will, you can claim unemployment benefit "
        "and keep medical insurance cover while unemployed.",
        ("同时满足：1.失业前单位和本人已缴纳失业保险费满1年；2.非因本人意愿中断就业；3.已办理失业登记，并有求职要求。",
         "All of: 1. you and your employer paid unemployment insurance for at least 1 year; 2. you lost your job against "
         "your will; 3. you have registered as unemployed and are looking for work."),
        ("本人居民身份证；本人社会保障卡或银行卡。解除劳动关系的信息由系统核查，一般不需另交证明。",
         "Your resident ID card; your social security card or bank card. The end of your employment is checked in the "
         "system, so usually no extra proof is needed."),
        ("1.先办理失业登记（可在本机“就业”分类办理）；2.通过“粤省事”小程序、广东人社网上服务平台或到镇（街）人社窗口申领；3.审核通过后按月发放到本人账户。",
         "1. Register as unemployed first (you can do this on this terminal under \"Employment\"). 2. Claim through the "
         "Yueshengshi mini-program, the Guangdong human resources online service or at the town counter. 3. Once approved, "
         "the benefit is paid monthly into your account."),
        ("一般自受理之日起10个工作日内审核完毕。",
         "Usually decided within 10 working days of acceptance."),
        FREE, TEL_RS),
)

# ---- 医保 -----------------------------------------------------------------------------------

item(
    name="医保个人账户余额查询",
    name_en="Check your medical insurance account balance",
    department=YB, category="yibao",
    keywords=["医保余额", "医保卡里还有多少钱", "医保账户", "查医保", "医保卡余额"],
    kind="query", identity="card",
    guide=guide(
        "查询本人职工医保个人账户余额和参保状态。城乡居民医保没有个人账户，只显示参保状态。",
        "Check the balance of your employee medical insurance personal account and your enrolment status. "
        "Residents' medical insurance has no personal account, so only the status is shown.",
        ("在广东省参加基本医疗保险的人员，只能查询本人信息。",
         "Anyone enrolled in basic medical insurance in Guangdong; you can only see your own information."),
        ID_ONLY,
        steps_query("您的参保状态和个人账户余额", "your enrolment status and account balance"),
        ("即时查询。当天刷卡消费的金额可能次日才扣减显示。",
         "Immediate. Spending from today may only show tomorrow."),
        FREE, TEL_YB),
    query={"service": "yibao.balance", "repeated": False, "result_fields": [
        {"key": "scheme", "label": "参保险种", "label_en": "Insurance scheme"},
        {"key": "status", "label": "参保状态", "label_en": "Enrolment status"},
        {"key": "insured_place", "label": "参保地", "label_en": "Where insured"},
        {"key": "balance", "label": "个人账户余额（元）", "label_en": "Account balance (CNY)"},
        {"key": "as_of", "label": "余额截至时间", "label_en": "Balance as of"},
    ]},
)

item(
    name="城乡居民医保参保缴费",
    name_en="Residents' medical insurance: enrolment and payment",
    department=YB, category="yibao",
    keywords=["交医保", "农村医保", "合作医疗", "新农合", "医保缴费", "居民医保", "给家人交医保"],
    kind="guide", identity="none",
    guide=guide(
        "没有参加职工医保的城乡居民（包括农村居民、学生和儿童），每年在集中缴费期缴纳下一年度的城乡居民医保费，缴费后从次年1月1日起享受待遇。",
        "Residents who are not in the employee scheme, including villagers, students and children, pay each year during "
        "the collection period for the following year; cover starts on 1 January.",
        ("本省户籍且未参加职工医保的城乡居民；持本省居住证的外省户籍人员也可在居住地参保。",
         "Guangdong residents not covered by employee medical insurance; people from other provinces holding a Guangdong "
         "residence permit may also enrol where they live."),
        ("参保人的居民身份证或户口簿。为家人缴费时，提供家人的姓名和身份证号即可。",
         "The insured person's ID card or household register. To pay for a family member you only need their name and ID number."),
        ("1.在集中缴费期内缴费（一般为每年9月至12月，以当地公告为准）；2.可通过“粤税通”“粤省事”小程序或银行柜面缴费，"
         "也可向村（居）委会咨询代收安排；3.缴费后可在本机打印缴费凭证。",
         "1. Pay during the collection period (usually September to December; see the local notice). 2. Pay through the "
         "Yueshuitong or Yueshengshi mini-programs or at a bank counter, or ask your village committee about collection. "
         "3. After paying you can print a receipt on this terminal."),
        ("缴费即时到账，次年1月1日起享受待遇。在集中缴费期以外参保的，按规定设置待遇等待期。",
         "Payment is credited at once and cover starts on 1 January. If you enrol outside the collection period, a waiting "
         "period applies."),
        ("办理不收费。个人缴费标准每年由当地公布；低保对象、特困人员等困难群众的个人缴费按规定给予资助。",
         "The service is free. The personal contribution is announced locally each year; low-income and other "
         "eligible residents get help with it."),
        ("12393（医保服务热线）；12366（缴费问题）。",
         "12393 (medical insurance hotline); 12366 (payment questions).")),
)

item(
    name="异地就医备案",
    name_en="Register for medical treatment in another city",
    department=YB, category="yibao",
    keywords=["异地就医", "外地看病", "备案", "去外地住院", "跟子女住", "省外就医"],
    kind="form", identity="card",
    guide=guide(
        "本市参保人员要在省外或省内其他城市看病，先办理异地就医备案，就能在当地联网定点医院直接结算，不用先垫钱再回来报销。",
        "If you are insured here and need treatment in another province or city, register first; you can then settle bills "
        "directly at networked hospitals there instead of paying first and claiming back later.",
        ("本市基本医疗保险参保人员，因异地长期居住、常驻异地工作、转诊或临时外出需要在异地就医的。",
         "People insured here who need treatment elsewhere because they live or work there long-term, are referred, or are travelling."),
        ("本人居民身份证。异地长期居住的，按要求提供居住证明或签署个人承诺书。",
         "Your resident ID card. If you live elsewhere long-term, a proof of residence or a signed personal undertaking."),
        steps_form("备案后在备案地联网定点医院就医，出示医保电子凭证或社保卡即可结算。",
                   "After registering, show your medical insurance QR code or social security card at networked hospitals there."),
        ("即时办结，本机提交后一般1个工作日内生效。临时外出就医备案有效期不少于6个月。",
         "Immediate; a registration made here usually takes effect within 1 working day. A temporary registration lasts at least 6 months."),
        FREE, TEL_YB),
    form={
        "fields": [
            f_name(), f_id(), f_phone(),
            f_choice("filing_type", "备案类型", "Type of registration", [
                ("long_term", "异地长期居住（含异地安置退休）", "Living elsewhere long-term (including retirees)"),
                ("work", "常驻异地工作", "Working elsewhere long-term"),
                ("referral", "异地转诊就医", "Referred to a hospital elsewhere"),
                ("temporary", "因探亲、旅游等临时外出就医", "Temporary trip (family visit, travel)"),
            ]),
            {"key": "destination", "label": "就医地（省、市）", "label_en": "Where you will be treated (province, city)",
             "type": "text", "required": True, "max_len": 30},
            {"key": "start_date", "label": "备案开始日期", "label_en": "Start date", "type": "date", "required": True},
            f_note(),
        ],
        "receipt_title": "异地就医备案回执",
        "receipt_title_en": "Receipt: registration for treatment elsewhere",
        "result": "已提交，备案结果将以短信通知，一般1个工作日内完成。",
        "result_en": "Submitted. You will get a text message with the result, usually within 1 working day.",
    },
)

item(
    name="医保电子凭证激活指引",
    name_en="How to activate your medical insurance QR code",
    department=YB, category="yibao",
    keywords=["医保电子凭证", "医保码", "手机看病", "激活医保", "扫码看病", "亲情账户"],
    kind="guide", identity="none",
    guide=guide(
        "医保电子凭证（医保码）可以代替实体社保卡看病、买药。用微信、支付宝或“国家医保服务平台”APP免费激活，家人也可以通过“亲情账户”帮老人激活。",
        "The medical insurance e-voucher (QR code) replaces the physical card for doctors and pharmacies. Activate it free "
        "in WeChat, Alipay or the National Medical Insurance app; family members can do it for an elderly relative.",
        ("已参加基本医疗保险的人员，有一部能上网的智能手机即可。没有智能手机的老人可由家人代为激活和使用。",
         "Anyone with basic medical insurance and a smartphone. Older people without one can have a family member activate and use it for them."),
        ("本人居民身份证；已实名认证的微信或支付宝。",
         "Your resident ID card; a WeChat or Alipay account registered in your real name."),
        ("1.打开微信或支付宝，搜索“医保电子凭证”；2.点“激活”或“领取”，按提示刷脸认证；3.看病、买药时出示医保码即可结算。本机不能代为激活。",
         "1. Open WeChat or Alipay and search for \"医保电子凭证\". 2. Tap \"Activate\" and follow the face check. "
         "3. Show the code when paying at a hospital or pharmacy. This terminal cannot activate it for you."),
        ("即时激活。", "Activated at once."),
        ("不收费。任何人以“激活医保卡”为由向您要钱或要短信验证码，都是诈骗。",
         "Free. Anyone who asks you for money or a text-message code to \"activate your card\" is a fraudster."),
        TEL_YB),
)

item(
    name="城乡居民医保缴费凭证打印",
    name_en="Print a receipt for residents' medical insurance",
    department=YB, category="yibao",
    keywords=["医保缴费凭证", "医保收据", "交费证明", "医保发票", "医保凭证"],
    kind="print", identity="card",
    guide=guide(
        "打印本人城乡居民医保的参保缴费凭证，可用于学校、单位查验或留存。",
        "Print a receipt of your residents' medical insurance contributions, for a school or employer or for your records.",
        ("已缴纳城乡居民医保费的参保人，只能打印本人凭证。缴费后一般1至3个工作日才能打印。",
         "Anyone who has paid residents' medical insurance; you can only print your own. It can usually be printed 1 to 3 working days after paying."),
        ID_ONLY,
        steps_print("城乡居民基本医疗保险参保缴费凭证", "receipt"),
        ("即时打印。", "Printed at once."),
        FREE,
        ("12393（医保服务热线）；12366（纳税缴费服务热线）。",
         "12393 (medical insurance hotline); 12366 (tax and fee payment hotline).")),
    print={"document": "城乡居民基本医疗保险参保缴费凭证",
           "document_en": "Receipt for Residents' Basic Medical Insurance Contributions",
           "needs_online": True},
)

item(
    name="门诊特定病种待遇认定指南",
    name_en="How to apply for outpatient cover of specified illnesses",
    department=YB, category="yibao",
    keywords=["慢性病", "特殊病", "门特", "高血压", "糖尿病", "门诊报销", "长期吃药"],
    kind="guide", identity="none",
    guide=guide(
        "患有规定的慢性病、重大疾病，需要长期在门诊治疗的参保人，经认定后门诊费用可以按特定病种待遇报销，减轻吃药看病负担。",
        "Insured people with listed chronic or serious illnesses who need long-term outpatient treatment can, once approved, "
        "have outpatient costs reimbursed at the specified-illness rate.",
        ("本市基本医疗保险参保人，患有门诊特定病种目录内的疾病（如恶性肿瘤门诊治疗、尿毒症透析、器官移植术后等），并符合认定标准。",
         "People insured here with an illness on the list (such as outpatient cancer treatment, dialysis or care after an "
         "organ transplant) who meet the diagnostic criteria."),
        ("本人居民身份证或医保电子凭证；病历、检查检验报告、出院小结等诊断资料。",
         "Your ID card or medical insurance QR code; medical records, test reports and discharge summaries."),
        ("1.到具备认定资格的定点医疗机构就诊；2.医生确认符合标准后，由医院在系统中申报；3.认定通过后，在选定的医院门诊就医按规定报销。",
         "1. See a doctor at a designated hospital that can approve the illness. 2. If you meet the criteria, the hospital "
         "applies for you in the system. 3. Once approved, outpatient treatment at the chosen hospital is reimbursed."),
        ("医院申报后一般5个工作日内完成认定。", "Usually decided within 5 working days of the hospital's application."),
        FREE, TEL_YB),
)

# ---- 养老 -----------------------------------------------------------------------------------

item(
    name="城乡居民养老保险待遇资格认证",
    name_en="Pension eligibility certification (urban and rural residents)",
    department=RS_PROV, category="yanglao",
    keywords=["养老", "资格认证", "领养老金", "生存认证", "年审", "认证", "养老金认证"],
    kind="form", identity="card",
    guide=guide(
        "正在领取城乡居民养老保险待遇的人员，每12个月需要认证一次，确认本人仍符合领取条件。可在本机免费办理。",
        "People receiving the residents' pension must confirm every 12 months that they are still eligible. "
        "You can do it here free of charge.",
        ("正在领取城乡居民养老保险待遇的人员。逾期未认证的，养老金暂停发放，认证通过后恢复并补发。",
         "Anyone receiving the residents' pension. If you miss it, payments are suspended and then resumed, with arrears, once you are certified."),
        ("本人居民身份证。须本人到场办理，不能由他人代办。",
         "Your own resident ID card. You must come in person; nobody can do it for you."),
        ("1.本人将身份证放在读卡区；2.核对信息，填写联系电话和居住情况；3.提交后取走回执。必要时村（居）协办员会上门核实。",
         "1. Place your own ID card on the reader. 2. Check your details and enter your phone number and where you live. "
         "3. Submit and take the receipt. A village assistant may visit to confirm if needed."),
        ("一般3个工作日内完成，认证有效期12个月。", "Usually done within 3 working days; valid for 12 months."),
        FREE, TEL_RS),
    form={
        "fields": [
            f_name(), f_id(), f_phone(),
            f_choice("residence", "目前居住情况", "Where you live now", [
                ("home", "在户籍地居住", "At my registered home"),
                ("elsewhere_in_province", "在省内其他地方居住（如随子女）", "Elsewhere in Guangdong (e.g. with children)"),
                ("outside_province", "在省外居住", "Outside Guangdong"),
            ]),
            f_note(),
        ],
        "receipt_title": "养老保险待遇资格认证回执",
        "receipt_title_en": "Receipt: pension eligibility certification",
        "result": "已提交，审核结果将以短信通知，一般3个工作日内完成。",
        "result_en": "Submitted. You will get a text message with the result, usually within 3 working days.",
    },
)

item(
    name="城乡居民养老保险参保登记",
    name_en="Enrol in the urban and rural residents' pension scheme",
    department=RS, category="yanglao",
    keywords=["农村养老保险", "参保", "买养老保险", "新农保", "居民养老", "养老保险登记"],
    kind="form", identity="card",
    guide=guide(
        "年满16周岁、没有参加职工养老保险的城乡居民，可以在户籍地参加城乡居民养老保险，按年缴费，年满60周岁后按月领取养老金。",
        "Residents aged 16 or over who are not in the employee pension scheme can join the residents' pension where they "
        "are registered, pay yearly, and receive a monthly pension from age 60.",
        ("年满16周岁（不含在校学生），非机关事业单位工作人员，且没有参加职工基本养老保险的本地户籍城乡居民。",
         "Locally registered residents aged 16 or over (not full-time students) who are not civil servants or public "
         "institution staff and are not in the employee pension scheme."),
        ID_ONLY,
        steps_form("登记成功后请按年缴费，可选择不同缴费档次，多缴多得。",
                   "Once enrolled, pay each year; you can choose a contribution level, and paying more gives a bigger pension."),
        ("一般5个工作日内完成。", "Usually done within 5 working days."),
        ("登记不收费。养老保险费按本人选择的缴费档次缴纳；重度残疾人等困难群体由政府按规定代缴。",
         "Enrolment is free. You pay at the level you choose; the government pays for people with severe disabilities "
         "and other eligible groups."),
        TEL_RS),
    form={
        "fields": [
            f_name(), f_id(), f_gender(), f_birth(), f_nation(), f_address(), f_phone(),
            {"key": "residence_address", "label": "现居住地址（与身份证不同时填写）",
             "label_en": "Current address (if different from the ID card)", "type": "text",
             "required": False, "max_len": 60},
            f_choice("special_group", "是否属于以下人员", "Do any of these apply to you?", [
                ("none", "都不是", "None of these"),
                ("dibao", "低保对象", "Receiving minimum living allowance"),
                ("tekun", "特困人员", "Destitute person under state support"),
                ("disabled", "重度残疾人（一、二级）", "Severe disability (grade 1 or 2)"),
                ("other", "其他困难群体", "Other hardship group"),
            ]),
            f_note(),
        ],
        "receipt_title": "城乡居民养老保险参保登记回执",
        "receipt_title_en": "Receipt: residents' pension enrolment",
        "result": "已提交，审核结果将以短信通知，一般5个工作日内完成。",
        "result_en": "Submitted. You will get a text message with the result, usually within 5 working days.",
    },
)

item(
    name="养老金发放明细查询",
    name_en="Check your pension payments",
    department=RS_PROV, category="yanglao",
    keywords=["养老金", "查养老金", "养老金到账", "发了多少钱", "退休金", "养老金明细"],
    kind="query", identity="card",
    guide=guide(
        "查询本人近12个月城乡居民养老金或企业职工养老金的每月发放金额、发放日期和到账银行。",
        "See the monthly amounts, dates and bank of your residents' or employee pension over the last 12 months.",
        ("正在领取基本养老金的人员，只能查询本人记录。", "People receiving a basic pension; you can only see your own record."),
        ID_ONLY,
        steps_query("您近12个月的养老金发放记录", "your pension payments over the last 12 months"),
        ("即时查询。", "Immediate."),
        FREE, TEL_RS),
    query={"service": "yanglao.payments", "repeated": True, "result_fields": [
        {"key": "month", "label": "发放年月", "label_en": "Month"},
        {"key": "pension_type", "label": "待遇类型", "label_en": "Pension type"},
        {"key": "amount", "label": "发放金额（元）", "label_en": "Amount (CNY)"},
        {"key": "paid_on", "label": "发放日期", "label_en": "Paid on"},
        {"key": "bank", "label": "到账银行", "label_en": "Bank"},
    ]},
)

item(
    name="城乡居民养老保险待遇申领指南",
    name_en="How to start receiving the residents' pension",
    department=RS, category="yanglao",
    keywords=["60岁领养老金", "领取养老金", "满60岁", "待遇申领", "开始领养老金"],
    kind="guide", identity="none",
    guide=guide(
        "参加城乡居民养老保险的人员年满60周岁、累计缴费满15年，可以申请按月领取养老金，领取终身。",
        "Members of the residents' pension scheme aged 60 with at least 15 years of contributions can apply for a monthly pension for life.",
        ("参加城乡居民养老保险、年满60周岁、累计缴费满15年，且未领取其他国家规定的基本养老保障待遇。缴费不满15年的，可按规定补缴。",
         "Members aged 60 with 15 years of contributions who receive no other basic state pension. If you paid for less "
         "than 15 years, you may be able to pay the missing years."),
        ("本人居民身份证、户口簿；本人社会保障卡或银行卡。",
         "Your resident ID card and household register; your social security card or bank card."),
        ("1.年满60周岁前后，向村（居）协办员或镇（街）人社窗口申请；2.审核通过后，从年满60周岁的次月起按月发放到本人社保卡金融账户；3.以后每12个月做一次资格认证。",
         "1. Around your 60th birthday, apply through the village assistant or the town counter. 2. Once approved, the "
         "pension is paid monthly to your social security card from the month after you turn 60. 3. Confirm your "
         "eligibility every 12 months."),
        ("受理后一般10个工作日内核定。", "Usually decided within 10 working days of acceptance."),
        FREE, TEL_RS),
)

# ---- 公积金 ---------------------------------------------------------------------------------

item(
    name="公积金个人账户查询",
    name_en="Check your housing provident fund account",
    department=GJJ, category="gongjijin",
    keywords=["公积金", "查公积金", "公积金余额", "住房公积金", "公积金账户"],
    kind="query", identity="card",
    guide=guide(
        "查询本人住房公积金账户的余额、月缴存额、缴存单位和缴至年月。",
        "See your housing provident fund balance, monthly deposit, employer and the month paid up to.",
        ("在清远市缴存住房公积金的职工，只能查询本人账户。",
         "Employees paying into the Qingyuan housing provident fund; you can only see your own account."),
        ID_ONLY,
        steps_query("您的公积金账户", "your provident fund account"),
        ("即时查询。", "Immediate."),
        FREE, TEL_GJJ),
    query={"service": "gongjijin.account", "repeated": False, "result_fields": [
        {"key": "status", "label": "账户状态", "label_en": "Account status"},
        {"key": "balance", "label": "账户余额（元）", "label_en": "Balance (CNY)"},
        {"key": "monthly", "label": "月缴存额（元）", "label_en": "Monthly deposit (CNY)"},
        {"key": "paid_until", "label": "缴至年月", "label_en": "Paid up to"},
        {"key": "employer", "label": "缴存单位", "label_en": "Employer"},
    ]},
)

item(
    name="公积金提取指南",
    name_en="How to withdraw from your housing provident fund",
    department=GJJ, category="gongjijin",
    keywords=["提取公积金", "取公积金", "公积金取钱", "建房提取", "退休提取", "租房提取"],
    kind="guide", identity="none",
    guide=guide(
        "在买房、建房、还房贷、租房、退休等情况下，可以申请提取本人住房公积金账户里的钱。",
        "You can withdraw from your provident fund account to buy, build or repair a home, repay a mortgage, pay rent, or on retirement.",
        ("购买、建造、翻建、大修自住住房；偿还购房贷款；租房自住；离休、退休；完全丧失劳动能力并与单位终止劳动关系；出境定居等。",
         "Buying, building, rebuilding or repairing your own home; repaying a home loan; renting a home to live in; "
         "retirement; total loss of working capacity with employment ended; emigration; and similar."),
        ("本人居民身份证；本人银行卡；与提取原因相应的证明，如购房合同、建房审批文件、退休证明等。",
         "Your ID card and bank card; proof of the reason, such as a purchase contract, building permit or retirement certificate."),
        ("1.通过“粤省事”小程序、公积金网上服务大厅或到公积金中心窗口申请；2.审核通过后转入本人银行卡。本机可查询账户，暂不能办理提取。",
         "1. Apply through the Yueshengshi mini-program, the fund's online service or at a fund office. 2. Once approved, the "
         "money goes to your bank card. This terminal can show your account but cannot process withdrawals yet."),
        ("材料齐全的，一般3个工作日内到账。", "With complete documents, usually paid within 3 working days."),
        FREE, TEL_GJJ),
)

item(
    name="公积金缴存证明打印",
    name_en="Print a housing provident fund contribution certificate",
    department=GJJ, category="gongjijin",
    keywords=["公积金证明", "缴存证明", "贷款证明", "公积金打印"],
    kind="print", identity="card",
    guide=guide(
        "打印本人住房公积金缴存情况证明，可用于申请住房贷款、落户等。",
        "Print a certificate of your housing provident fund deposits, for a home loan application, residence registration and similar.",
        ("在清远市缴存住房公积金的职工，只能打印本人证明。",
         "Employees paying into the Qingyuan housing provident fund; you can only print your own."),
        ID_ONLY,
        steps_print("住房公积金个人缴存证明", "certificate"),
        ("即时打印。", "Printed at once."),
        FREE, TEL_GJJ),
    print={"document": "住房公积金个人缴存证明",
           "document_en": "Certificate of Housing Provident Fund Deposits (Individual)",
           "needs_online": True},
)

# ---- 户政 -----------------------------------------------------------------------------------

item(
    name="户口迁移指南",
    name_en="How to move your household registration",
    department=GA, category="huzheng",
    keywords=["迁户口", "户口迁移", "落户", "迁入", "迁出", "投靠", "户口"],
    kind="guide", identity="none",
    guide=guide(
        "因结婚、投靠亲属、购房、就业等原因需要把户口迁到新地方的，按迁入地落户政策办理。跨省迁移可在迁入地派出所一站式办理。",
        "If you need to move your household registration because of marriage, joining relatives, buying a home or work, "
        "the rules of the new place apply. Moves between provinces can be done in one stop at the new place's police station.",
        ("符合迁入地落户条件，如夫妻投靠、子女投靠父母、父母投靠子女、合法稳定住所、就业等。",
         "You meet the new place's conditions, for example joining a spouse, parents or children, a lawful stable home, or employment."),
        ("本人居民身份证、居民户口簿；证明迁移理由的材料，如结婚证、出生医学证明、房产证、劳动合同等。",
         "Your ID card and household register; proof of the reason, such as a marriage certificate, birth certificate, "
         "property certificate or employment contract."),
        ("1.到迁入地派出所或政务服务中心公安窗口提出申请；2.民警审核材料；3.符合条件的办理迁入，迁出手续由系统联办，一般无需回原籍。",
         "1. Apply at the police station or public security counter where you are moving to. 2. An officer checks your "
         "documents. 3. If eligible, you are registered; the move out is handled through the system, usually without returning home."),
        ("材料齐全、符合条件的，一般5个工作日内办结。", "With complete documents, usually done within 5 working days."),
        FREE, TEL_12345),
)

item(
    name="居民身份证换领预约",
    name_en="Book an appointment to renew your ID card",
    department=GA, category="huzheng",
    keywords=["身份证过期", "换身份证", "身份证到期", "办身份证", "预约", "身份证坏了"],
    kind="form", identity="card",
    guide=guide(
        "身份证快到期、已过期、损坏或登记内容变更的，可以在本机预约到户籍地派出所或政务服务中心公安窗口换领，减少排队。",
        "If your ID card is expiring, expired, damaged or its details have changed, book a time here at the police "
        "station or public security counter and avoid queuing.",
        ("身份证有效期满或3个月内到期；证件严重损坏不能辨认；姓名、民族等登记项目变更。",
         "Your card has expired or expires within 3 months; it is too damaged to read; or your name or other details have changed."),
        ("原居民身份证；居民户口簿。证件照可在受理点现场拍摄。",
         "Your current ID card and household register. Your photo can be taken at the counter."),
        steps_form("请按预约时间到受理点，现场采集人像和指纹。",
                   "Go to the counter at your booked time for your photo and fingerprints."),
        ("按规定自受理之日起60日内制发，可选择邮寄送达。",
         "Issued within 60 days of acceptance as required by law; it can be posted to you."),
        ("工本费每证20元；办理临时身份证每证10元。", "Card fee CNY 20; a temporary ID card costs CNY 10."),
        TEL_12345),
    form={
        "fields": [
            f_name(), f_id(), f_phone(),
            f_choice("reason", "换领原因", "Reason", [
                ("expiring", "有效期满或即将到期", "Expired or expiring"),
                ("damaged", "证件损坏", "Damaged"),
                ("changed", "登记项目变更", "Details changed"),
            ]),
            f_choice("site", "受理地点", "Where to go", [
                ("police_station", "户籍所在地派出所", "Police station of your registered home"),
                ("county_center", "县（市、区）政务服务中心公安窗口", "Public security counter, county government service centre"),
            ]),
            {"key": "date", "label": "预约日期", "label_en": "Appointment date", "type": "date", "required": True},
            f_choice("slot", "预约时段", "Time of day", [
                ("am", "上午（9:00—12:00）", "Morning (9:00–12:00)"),
                ("pm", "下午（14:30—17:30）", "Afternoon (14:30–17:30)"),
            ]),
            f_note(),
        ],
        "receipt_title": "居民身份证换领预约回执",
        "receipt_title_en": "Receipt: ID card renewal appointment",
        "result": "预约已提交，确认短信将发到您的手机。请按时携带原身份证和户口簿到受理点办理。",
        "result_en": "Your booking has been submitted; a confirmation will be sent by text message. Bring your current ID "
                     "card and household register at the booked time.",
    },
)

item(
    name="新生儿入户指南",
    name_en="How to register a newborn",
    department=GA, category="huzheng",
    keywords=["小孩上户口", "新生儿", "出生登记", "报户口", "入户", "出生一件事"],
    kind="guide", identity="none",
    guide=guide(
        "婴儿出生后一个月内，由父母一方申报出生登记，可随父或随母落户。通过“出生一件事”还可一次办好医保参保、社保卡申领等。",
        "Within one month of birth, one parent registers the baby, who may take either parent's registration. Through "
        "the \"birth, one thing\" service you can also enrol the baby in medical insurance and apply for a social security card at the same time.",
        ("父母一方为本地户籍的新生儿。", "A newborn with at least one parent registered here."),
        ("出生医学证明；父母双方的居民身份证、居民户口簿；父母的结婚证（非婚生育的按规定提供相关材料）。",
         "The birth certificate; both parents' ID cards and household registers; the parents' marriage certificate "
         "(other documents apply if the parents are not married)."),
        ("1.通过“粤省事”小程序“出生一件事”在线申请，或到户籍地派出所办理；2.民警审核；3.办结后领取或邮寄户口簿。",
         "1. Apply online through Yueshengshi (\"birth, one thing\") or at the police station of your registered home. "
         "2. An officer checks the application. 3. Collect the household register or have it posted."),
        ("材料齐全的，当场办结；网上申请的一般3个工作日内办结。",
         "With complete documents, done on the spot; online applications usually within 3 working days."),
        FREE, TEL_12345),
)

# ---- 民政 -----------------------------------------------------------------------------------

item(
    name="高龄津贴申请",
    name_en="Apply for the old-age allowance",
    department=MZ, category="minzheng",
    keywords=["高龄津贴", "老人补贴", "80岁补贴", "长寿金", "老人金", "高龄补贴"],
    kind="form", identity="card",
    guide=guide(
        "本地户籍的高龄老人可以申请高龄津贴，按月发放到本人银行卡或社保卡。家人可以带老人的身份证帮忙申请。",
        "Older residents registered here can apply for the old-age allowance, paid monthly to their bank or social "
        "security card. Family members may apply using the older person's ID card.",
        ("本市户籍、年满80周岁的老年人。年龄起点和发放标准以各县（市、区）规定为准。",
         "Residents registered in this city aged 80 or over. The starting age and amount follow your county's rules."),
        ("老人的居民身份证、户口簿；老人本人的银行卡或社会保障卡。",
         "The older person's ID card and household register; their own bank card or social security card."),
        steps_form("村（居）委会核实后报镇（街）审核。", "The village committee checks and passes it to the town for approval."),
        ("一般20个工作日内完成审核，审核通过后次月起按月发放。",
         "Usually decided within 20 working days; paid monthly from the following month."),
        FREE, TEL_12345),
    form={
        "fields": [
            f_name(), f_id(), f_gender(), f_birth(), f_address(),
            f_phone("联系电话（本人或家属手机）", "Mobile phone (yours or a relative's)"),
            f_bank(), f_account(), f_note(),
        ],
        "receipt_title": "高龄津贴申请回执",
        "receipt_title_en": "Receipt: old-age allowance application",
        "result": "已提交，由镇（街）民政部门审核，审核结果将以短信通知，一般20个工作日内完成。",
        "result_en": "Submitted. The town civil affairs office will review it and send the result by text message, usually within 20 working days.",
    },
)

item(
    name="最低生活保障申请",
    name_en="Apply for the minimum living allowance (dibao)",
    department=MZ, category="minzheng",
    keywords=["低保", "申请低保", "生活困难", "没收入", "救济", "困难补助"],
    kind="form", identity="card",
    guide=guide(
        "家庭人均收入低于当地低保标准、财产状况符合规定的家庭，可以申请最低生活保障，按月领取低保金。",
        "Households whose income per person is below the local minimum and whose assets meet the rules can apply for the "
        "minimum living allowance, paid monthly.",
        ("本地户籍，共同生活的家庭成员人均收入低于当地低保标准，且家庭财产符合当地规定。",
         "Registered here; the household's income per person is below the local standard, and its assets meet local rules."),
        ("全体家庭成员的身份证、户口簿；收入情况说明；残疾人证、病历等证明（如有）；全体家庭成员签署的家庭经济状况核对授权书。",
         "ID cards and household registers of all members; a statement of income; disability certificates or medical "
         "records if any; an authorisation for a check of the household's finances signed by every member."),
        ("1.在本机或镇（街）窗口提出申请；2.镇（街）入户调查并核对家庭经济状况；3.在村（居）公示；4.审核确认后按月发放。",
         "1. Apply here or at the town office. 2. The town visits your home and checks your finances. 3. The result is "
         "posted publicly in the village. 4. Once confirmed, the allowance is paid monthly."),
        ("自受理之日起30个工作日内完成审核确认，特殊情况可延长至45个工作日。",
         "Decided within 30 working days of acceptance, or 45 in special cases."),
        FREE, TEL_12345),
    form={
        "fields": [
            f_name(), f_id(), f_address(), f_phone(), f_household(),
            {"key": "monthly_income", "label": "家庭月总收入（元）", "label_en": "Household income per month (CNY)",
             "type": "number", "required": True, "min": 0, "max": 100000},
            f_choice("hardship", "主要困难原因", "Main cause of hardship", [
                ("illness", "因病", "Illness"),
                ("disability", "因残", "Disability"),
                ("old_age", "年老无劳动能力", "Old age, unable to work"),
                ("no_income", "失业或无稳定收入", "Unemployed or no steady income"),
                ("other", "其他", "Other"),
            ]),
            {"key": "description", "label": "困难情况说明", "label_en": "Describe your situation", "type": "text",
             "required": True, "max_len": 100},
            f_consent(),
        ],
        "receipt_title": "最低生活保障申请回执",
        "receipt_title_en": "Receipt: minimum living allowance application",
        "result": "已提交。镇（街）工作人员将联系您入户调查，审核结果将以短信通知，一般30个工作日内完成。",
        "result_en": "Submitted. Town staff will contact you to visit your home; you will get the result by text message, usually within 30 working days.",
    },
)

item(
    name="临时救助申请",
    name_en="Apply for temporary assistance",
    department=MZ, category="minzheng",
    keywords=["临时救助", "急难", "突发困难", "救急", "看病没钱", "火灾", "遭灾"],
    kind="form", identity="card",
    guide=guide(
        "因火灾、交通事故、突发重病等意外，生活暂时出现严重困难的家庭或个人，可以申请临时救助。情况紧急的可先行救助。",
        "Households or people in sudden severe hardship because of a fire, traffic accident, sudden serious illness or "
        "similar can apply for temporary assistance. Urgent cases are helped first and the paperwork follows.",
        ("因意外事件、突发重大疾病或生活必需支出突然增加，导致基本生活暂时出现严重困难的家庭或个人。",
         "Households or people whose basic living is temporarily in severe difficulty because of an accident, a sudden "
         "serious illness or a sudden rise in essential costs."),
        ("居民身份证、户口簿；医疗费用票据、事故证明等相关证明。",
         "ID card and household register; medical bills, an accident report or other proof."),
        steps_form("情况紧急的，请同时联系村（居）委会或拨打12345。",
                   "If it is urgent, also contact your village committee or call 12345."),
        ("一般自受理之日起20个工作日内审批；紧急情况先行救助，事后补办手续。",
         "Usually decided within 20 working days of acceptance; urgent cases are helped first."),
        FREE, TEL_12345),
    form={
        "fields": [
            f_name(), f_id(), f_address(), f_phone(), f_household(),
            f_choice("cause", "困难原因", "Cause of hardship", [
                ("illness", "突发重大疾病", "Sudden serious illness"),
                ("accident", "火灾、交通事故等意外", "Fire, traffic accident or other mishap"),
                ("expense", "生活必需支出突然增加", "Sudden rise in essential costs"),
                ("other", "其他", "Other"),
            ]),
            {"key": "description", "label": "困难情况说明", "label_en": "Describe your situation", "type": "text",
             "required": True, "max_len": 100},
            f_consent(),
        ],
        "receipt_title": "临时救助申请回执",
        "receipt_title_en": "Receipt: temporary assistance application",
        "result": "已提交，审核结果将以短信通知。情况紧急的，请同时联系村（居）委会或拨打12345。",
        "result_en": "Submitted. You will get the result by text message. If it is urgent, also contact your village committee or call 12345.",
    },
)

item(
    name="特困人员救助供养申请指南",
    name_en="How to apply for support as a destitute person",
    department=MZ, category="minzheng",
    keywords=["五保", "五保户", "特困", "无依无靠", "孤寡老人", "敬老院", "特困供养"],
    kind="guide", identity="none",
    guide=guide(
        "无劳动能力、无生活来源、无人赡养的老年人、残疾人和未成年人，可以申请特困人员救助供养，由政府保障基本生活和照料。",
        "Older people, people with disabilities and minors who cannot work, have no income and no one to support them "
        "can apply for state support covering basic living and care.",
        ("同时具备：无劳动能力；无生活来源；无法定赡养、抚养、扶养义务人，或者义务人无履行能力。适用于老年人、残疾人和未满16周岁的未成年人。",
         "All of: unable to work; no income; no one legally obliged to support you, or they are unable to. Applies to "
         "older people, people with disabilities and children under 16."),
        ("居民身份证、户口簿；残疾人证（如有）；收入和财产情况说明。",
         "ID card and household register; disability certificate if any; a statement of income and assets."),
        ("1.向户籍所在地镇（街）提出申请，行动不便的可委托村（居）委会代为申请；2.调查核实并公示；3.县级民政部门确认；4.可选择在家分散供养或到敬老院集中供养。",
         "1. Apply at your town office; if you cannot get there, the village committee can apply for you. 2. Your "
         "situation is checked and posted publicly. 3. The county civil affairs bureau confirms it. 4. Choose support at "
         "home or in a care home."),
        ("一般自受理之日起30个工作日内完成。", "Usually decided within 30 working days of acceptance."),
        FREE, TEL_12345),
)

item(
    name="婚姻登记指南",
    name_en="Marriage registration guide",
    department=MZ, category="minzheng",
    keywords=["结婚", "结婚登记", "领结婚证", "离婚登记", "婚姻登记", "补领结婚证"],
    kind="guide", identity="none",
    guide=guide(
        "结婚、离婚和补领婚姻登记证，由男女双方本人到婚姻登记机关办理，可以先在网上预约。",
        "Marriage, divorce and replacement certificates are handled by both parties in person at a marriage registry; you can book online first.",
        ("结婚：双方完全自愿，男满22周岁、女满20周岁，均无配偶，且没有禁止结婚的亲属关系。",
         "Marriage: both parties consent freely, the man is at least 22 and the woman at least 20, neither is married, "
         "and they are not related in a prohibited way."),
        ("双方本人有效的居民身份证；双方近期半身免冠合影照片（可现场拍照）。",
         "Both parties' valid ID cards; a recent joint head-and-shoulders photo (can be taken there)."),
        ("1.通过“粤省事”小程序预约；2.双方共同到婚姻登记机关，填写声明书并签名；3.审查合格的当场颁发结婚证。",
         "1. Book through the Yueshengshi mini-program. 2. Go together to the registry and sign the declaration. "
         "3. If all is in order, the certificate is issued on the spot."),
        ("当场办结。离婚登记设有30日冷静期。", "Done on the spot. Divorce registration has a 30-day cooling-off period."),
        FREE, TEL_12345),
)

item(
    name="社会救助家庭经济状况核对授权书打印",
    name_en="Print the authorisation for a household financial check",
    department=MZ, category="minzheng",
    keywords=["授权书", "低保授权书", "核对授权", "经济状况核对", "救助材料"],
    kind="print", identity="card",
    guide=guide(
        "申请低保、特困供养、临时救助时，全体家庭成员要签署家庭经济状况核对授权书。本机打印带申请人姓名的授权书，签名后交村（居）委会。",
        "Applications for the minimum living allowance, destitute support or temporary assistance need an authorisation "
        "signed by all household members. This prints one with the applicant's name; sign it and hand it to the village committee.",
        ("准备申请社会救助的家庭，由申请人本人打印。", "Households applying for social assistance; the applicant prints it."),
        ("申请人本人的居民身份证。", "The applicant's own ID card."),
        steps_print("社会救助家庭经济状况核对授权书", "authorisation"),
        ("即时打印，不需要联网。", "Printed at once; no network connection needed."),
        FREE, TEL_12345),
    print={"document": "社会救助家庭经济状况核对授权书",
           "document_en": "Authorisation for a Household Financial Check (Social Assistance)",
           "needs_online": False},
)

# ---- 不动产 ---------------------------------------------------------------------------------

item(
    name="不动产登记信息查询",
    name_en="Check your real estate registration",
    department=ZR, category="budongchan",
    keywords=["房产证", "查房产", "不动产查询", "房子登记", "土地证", "宅基地证", "名下房产"],
    kind="query", identity="card",
    guide=guide(
        "查询登记在本人名下的房屋、土地等不动产的坐落、面积、权利类型，以及是否抵押、查封。",
        "See the location, area and type of right of real estate registered in your name, and whether it is mortgaged or seized.",
        ("不动产权利人本人，只能查询本人名下的不动产。",
         "Owners of registered real estate; you can only see property in your own name."),
        ID_ONLY,
        steps_query("您名下的不动产登记信息", "the real estate registered in your name"),
        ("即时查询。本机结果仅供参考，需要书面证明的请到不动产登记中心开具。",
         "Immediate. The result is for reference; for a written certificate go to the real estate registration centre."),
        FREE, TEL_12345),
    query={"service": "budongchan.records", "repeated": True, "result_fields": [
        {"key": "unit_no", "label": "不动产单元号", "label_en": "Property unit number"},
        {"key": "location", "label": "坐落", "label_en": "Location"},
        {"key": "right_type", "label": "权利类型", "label_en": "Type of right"},
        {"key": "area", "label": "面积（平方米）", "label_en": "Area (m²)"},
        {"key": "registered_on", "label": "登记日期", "label_en": "Registered on"},
        {"key": "encumbrance", "label": "抵押、查封情况", "label_en": "Mortgage or seizure"},
    ]},
)

item(
    name="不动产权证办理指南",
    name_en="How to get a real estate title certificate",
    department=ZR, category="budongchan",
    keywords=["办房产证", "不动产证", "红本", "房屋登记", "农房确权", "过户", "继承房子"],
    kind="guide", identity="none",
    guide=guide(
        "购买房屋、继承或受赠房产、农村宅基地和房屋确权等，需要到不动产登记机构办理登记，领取不动产权证书。",
        "Buying a home, inheriting or receiving property, or confirming rights to a rural homestead and house all need "
        "registration at the real estate registry, which issues a title certificate.",
        ("依法取得房屋、土地等不动产权利的权利人，或其委托的代理人。",
         "Anyone who has lawfully acquired rights to a house, land or other real estate, or their authorised agent."),
        ("身份证、户口簿；不动产登记申请书；权属来源材料，如购房合同、完税凭证、继承证明、宅基地批准文件等；需要时提供测绘成果。",
         "ID card and household register; the application form; proof of how you acquired it, such as a purchase "
         "contract, tax receipt, inheritance papers or homestead approval; a survey if required."),
        ("1.网上预约或到不动产登记中心窗口申请；2.受理、审核，需要时实地查看；3.登簿；4.领取证书，也可选择邮寄。",
         "1. Book online or apply at the registration centre. 2. The application is checked, with a site visit if needed. "
         "3. The right is entered in the register. 4. Collect the certificate or have it posted."),
        ("一般登记5个工作日内办结。", "Ordinary registration usually takes up to 5 working days."),
        ("住宅类每件80元（含第一本证书），每增加一本证书加收工本费10元；符合条件的按规定减免。",
         "Residential: CNY 80 per case (including the first certificate), CNY 10 for each extra certificate; exemptions apply where eligible."),
        TEL_12345),
)

item(
    name="不动产权属证明打印",
    name_en="Print a real estate ownership certificate",
    department=ZR, category="budongchan",
    keywords=["房产证明", "有房证明", "无房证明", "不动产证明", "权属证明"],
    kind="print", identity="card",
    status={
        "state": "offline",
        "notice": "本事项已下线，自助机不再提供。需要开具不动产权属证明的，请携带身份证到清远市不动产登记中心窗口办理，或通过“粤省事”小程序申请。",
        "notice_en": "This service has been withdrawn from the terminal. For a real estate ownership certificate, take "
                     "your ID card to the Qingyuan real estate registration centre, or apply through the Yueshengshi mini-program.",
    },
    guide=guide(
        "打印本人名下不动产的权属证明（有房或无房证明），用于子女入学、申请保障性住房等。",
        "Print a certificate of the real estate you own (or that you own none), for a child's school place, subsidised housing and similar.",
        ("不动产权利人本人或需要开具无房证明的本人。", "The owner, or a person who needs a certificate of owning no property."),
        ID_ONLY,
        steps_print("不动产登记信息查询结果证明", "certificate"),
        ("即时打印。", "Printed at once."),
        FREE, TEL_12345),
    print={"document": "不动产登记信息查询结果证明",
           "document_en": "Certificate of Real Estate Registration Search Results",
           "needs_online": True},
)

# ---- 农业农村 -------------------------------------------------------------------------------

item(
    name="耕地地力保护补贴查询",
    name_en="Check your farmland protection subsidy",
    department=NY, category="nongye",
    keywords=["种粮补贴", "耕地补贴", "地力补贴", "农业补贴", "粮食补贴", "惠农补贴", "种田补贴"],
    kind="query", identity="card",
    status={
        "state": "paused",
        "notice": "因2026年度补贴发放数据核对，本事项于12月1日至12月31日暂停查询，预计2027年1月1日恢复。如有疑问请咨询镇农业农村办或拨打12316。",
        "notice_en": "Because the 2026 subsidy payment data is being checked, this service is paused from 1 to 31 "
                     "December and should resume on 1 January 2027. For questions ask the town agriculture office or call 12316.",
        "from": "2026-12-01T08:00:00+08:00",
        "until": "2026-12-31T23:59:59+08:00",
    },
    guide=guide(
        "查询本户近几年耕地地力保护补贴的补贴面积、标准、金额和发放情况。",
        "See the area, rate, amount and payment of your household's farmland protection subsidy over recent years.",
        ("拥有耕地承包权的种地农民。已改为建房、养殖等非农用途的耕地和长年抛荒地不再享受补贴。",
         "Farmers who hold land contract rights and farm the land. Land turned to building, livestock farming or other "
         "uses, and land left idle for years, no longer qualifies."),
        ("承包户户主本人的居民身份证。", "The ID card of the head of the contracting household."),
        steps_query("本户的补贴发放记录", "your household's subsidy payments"),
        ("即时查询。当年补贴一般在发放后才能查到。", "Immediate. This year's subsidy shows once it has been paid."),
        FREE, TEL_NY),
    query={"service": "nongye.farmland_subsidy", "repeated": True, "result_fields": [
        {"key": "year", "label": "补贴年度", "label_en": "Year"},
        {"key": "area", "label": "补贴面积（亩）", "label_en": "Area (mu)"},
        {"key": "rate", "label": "补贴标准（元/亩）", "label_en": "Rate (CNY per mu)"},
        {"key": "amount", "label": "补贴金额（元）", "label_en": "Amount (CNY)"},
        {"key": "paid_on", "label": "发放日期", "label_en": "Paid on"},
        {"key": "account_tail", "label": "到账账户（尾号）", "label_en": "Account (last digits)"},
    ]},
)

item(
    name="农村宅基地申请指南",
    name_en="How to apply for a rural homestead",
    department=NY, category="nongye",
    keywords=["宅基地", "建房", "起房子", "农村建房", "批地建房", "一户一宅"],
    kind="guide", identity="none",
    guide=guide(
        "本村集体经济组织成员需要建房的，以户为单位申请宅基地，经村、镇两级审查批准后，取得宅基地批准书和乡村建设规划许可证才能动工。",
        "Members of the village collective who need to build apply per household. After village and town review, you "
        "receive a homestead approval and a rural planning permit before building may start.",
        ("本村集体经济组织成员，符合“一户一宅”；已有宅基地面积达标的，或出卖、出租、赠与住宅后再申请的，不予批准。面积标准：平原不超过80平方米，丘陵不超过120平方米，山区不超过150平方米。",
         "Members of the village collective, one homestead per household. Refused if you already have enough, or sold, "
         "rented out or gave away your house. Limits: 80 m² on plains, 120 m² in hills, 150 m² in mountains."),
        ("农村宅基地和建房（规划许可）申请表；户口簿和家庭成员身份证；建房设计图（可选用政府免费提供的农房设计图集）。",
         "The rural homestead and house-building application form; household register and members' ID cards; house "
         "plans (free standard designs are available from the government)."),
        ("1.向村民小组提出申请，经会议讨论并公示；2.村级审查后报镇（街）；3.镇（街）组织联审，核发批准书和规划许可证；4.开工前实地放样，竣工后验收。",
         "1. Apply to your villagers' group, which discusses it and posts it publicly. 2. The village reviews it and "
         "sends it to the town. 3. The town reviews it with the departments and issues the approval and permit. "
         "4. The plot is marked out before building and inspected when done."),
        ("镇（街）受理后20个工作日内作出审批决定。", "The town decides within 20 working days of acceptance."),
        FREE,
        ("12316（三农服务热线）；12345（政务服务便民热线）。",
         "12316 (agriculture and rural affairs hotline); 12345 (government service hotline).")),
)

item(
    name="农机购置与应用补贴申请指南",
    name_en="How to apply for the farm machinery subsidy",
    department=NY, category="nongye",
    keywords=["农机补贴", "买农机", "拖拉机补贴", "收割机", "插秧机", "农机"],
    kind="guide", identity="none",
    guide=guide(
        "购买补贴范围内农业机械的农民和农业生产经营组织，可以申请农机购置与应用补贴，先购机后补贴，资金直接发到本人账户。",
        "Farmers and farming businesses who buy machinery on the subsidy list can apply; you buy first, then the subsidy "
        "is paid straight into your account.",
        ("从事农业生产的个人和农业生产经营组织，购买并使用补贴范围内的农机具。",
         "Individuals and farming businesses who buy and use machinery on the subsidy list."),
        ("居民身份证；购机发票；本人银行卡或社会保障卡；按要求需挂牌的农机提供牌证。",
         "ID card; purchase invoice; your bank or social security card; registration papers for machines that need plates."),
        ("1.自主选择补贴范围内的机具购买；2.购机后通过农机补贴申请系统或到县农业农村局申请；3.核验机具；4.审核后补贴资金发到本人账户。",
         "1. Choose and buy machinery on the list. 2. Apply through the subsidy system or at the county agriculture bureau. "
         "3. The machine is inspected. 4. After approval, the subsidy is paid into your account."),
        ("县级农业农村部门一般在受理后15个工作日内完成核验。",
         "The county agriculture bureau usually completes the inspection within 15 working days of acceptance."),
        FREE, TEL_NY),
)

# ---- 税务 -----------------------------------------------------------------------------------

item(
    name="个人所得税纳税记录打印",
    name_en="Print your individual income tax record",
    department=SW, category="shuiwu",
    keywords=["个税", "纳税证明", "完税证明", "纳税记录", "个人所得税", "交税证明"],
    kind="print", identity="card",
    status={
        "state": "paused",
        "notice": "因系统升级，本事项于12月10日8:00至12月10日18:00暂停办理，请改日办理或前往镇政务服务中心。",
        "notice_en": "Because of a system upgrade, this service is paused on 10 December from 8:00 to 18:00. Please "
                     "come back another day or go to the town government service centre.",
        "from": "2026-12-10T08:00:00+08:00",
        "until": "2026-12-10T18:00:00+08:00",
    },
    guide=guide(
        "打印本人个人所得税纳税记录，可用于购房、购车、落户、申请贷款等。",
        "Print your individual income tax record, for buying a home or car, residence registration, loans and similar.",
        ("有个人所得税纳税申报记录的纳税人，只能打印本人记录。",
         "Taxpayers with individual income tax filings; you can only print your own."),
        ID_ONLY,
        steps_print("个人所得税纳税记录", "tax record"),
        ("即时打印。纳税记录上有验证码，可在个人所得税APP或电子税务局核验。",
         "Printed at once. It carries a code that can be checked in the IIT app or the e-tax bureau."),
        FREE, TEL_SW),
    print={"document": "个人所得税纳税记录", "document_en": "Individual Income Tax Payment Record",
           "needs_online": True},
)

item(
    name="城乡居民社保费缴费记录查询",
    name_en="Check your residents' insurance payments",
    department=SW, category="shuiwu",
    keywords=["查缴费", "交了没有", "医保交了吗", "养老交了吗", "缴费记录", "社保费"],
    kind="query", identity="card",
    guide=guide(
        "查询本人近几年缴纳城乡居民养老保险费和城乡居民医保费的记录，看看钱有没有交上。",
        "See your payments for the residents' pension and residents' medical insurance over recent years, to check they went through.",
        ("城乡居民养老保险或城乡居民医保的缴费人，只能查询本人记录。",
         "Anyone paying into the residents' pension or medical insurance; you can only see your own record."),
        ID_ONLY,
        steps_query("您的城乡居民社保费缴费记录", "your residents' insurance payments"),
        ("即时查询。刚缴的费用一般1至3个工作日后可查到。", "Immediate. A new payment usually shows within 1 to 3 working days."),
        FREE, TEL_SW),
    query={"service": "shuiwu.resident_contributions", "repeated": True, "result_fields": [
        {"key": "year", "label": "缴费年度", "label_en": "Year"},
        {"key": "fee_type", "label": "费种", "label_en": "Type"},
        {"key": "amount", "label": "缴费金额（元）", "label_en": "Amount (CNY)"},
        {"key": "paid_on", "label": "缴费日期", "label_en": "Paid on"},
        {"key": "channel", "label": "缴费渠道", "label_en": "Paid through"},
    ]},
)

item(
    name="个人所得税综合所得年度汇算指南",
    name_en="Annual individual income tax reconciliation guide",
    department=SW, category="shuiwu",
    keywords=["个税汇算", "退税", "年度汇算", "个税APP", "补税", "个人所得税"],
    kind="guide", identity="none",
    guide=guide(
        "上一年度取得工资薪金等综合所得的纳税人，在每年3月1日至6月30日办理年度汇算，多退少补。",
        "Taxpayers with wages and other comprehensive income file an annual reconciliation between 1 March and 30 June: "
        "overpaid tax is refunded and underpaid tax is paid.",
        ("需要申请退税或补税的纳税人。需补税但全年综合所得收入不超过12万元，或补税金额不超过400元的，可以不办理。",
         "Taxpayers owed a refund or owing tax. If you owe tax but earned no more than CNY 120,000 in the year, or owe "
         "no more than CNY 400, you need not file."),
        ("本人居民身份证；用于退税的本人银行卡。", "Your ID card; your own bank card for any refund."),
        ("1.下载并注册“个人所得税”APP；2.选择“综合所得年度汇算”，核对收入和扣除；3.提交申报，申请退税或缴纳税款。也可委托单位代办。",
         "1. Install and register the IIT app. 2. Choose the annual reconciliation and check income and deductions. "
         "3. Submit and claim the refund or pay. Your employer can also file for you."),
        ("退税经税务机关审核后发放到本人银行卡。", "Refunds are paid to your bank card after the tax office has checked them."),
        FREE, TEL_SW),
)

# ---- 就业 -----------------------------------------------------------------------------------

item(
    name="就业登记",
    name_en="Employment registration",
    department=RS, category="jiuye",
    keywords=["就业登记", "找到工作", "登记就业", "开店", "个体户登记", "灵活就业登记"],
    kind="form", identity="card",
    guide=guide(
        "已经实现就业的个体经营者和灵活就业人员，可以在本机办理就业登记，方便享受就业扶持政策。单位招用的职工由单位办理。",
        "Self-employed and flexible workers who have found work can register here, which makes employment support "
        "available to them. Employees are registered by their employer.",
        ("法定劳动年龄内、已实现就业的人员，包括个体经营和灵活就业。",
         "People of working age who have work, including self-employment and flexible work."),
        ("本人居民身份证；个体经营的提供营业执照。", "Your ID card; a business licence if self-employed."),
        steps_form("", ""),
        ("一般5个工作日内完成。", "Usually done within 5 working days."),
        FREE, TEL_RS),
    form={
        "fields": [
            f_name(), f_id(), f_phone(),
            f_choice("employment_type", "就业类型", "Type of work", [
                ("self_employed", "个体经营", "Self-employed"),
                ("flexible", "灵活就业", "Flexible work"),
                ("employed", "单位就业", "Employed by an organisation"),
            ]),
            {"key": "employer", "label": "工作单位或经营项目", "label_en": "Employer or business", "type": "text",
             "required": True, "max_len": 50},
            {"key": "workplace", "label": "工作地点", "label_en": "Place of work", "type": "text",
             "required": True, "max_len": 50},
            {"key": "start_date", "label": "就业日期", "label_en": "Start date", "type": "date", "required": True},
            f_note(),
        ],
        "receipt_title": "就业登记回执",
        "receipt_title_en": "Receipt: employment registration",
        "result": "已提交，审核结果将以短信通知，一般5个工作日内完成。",
        "result_en": "Submitted. You will get a text message with the result, usually within 5 working days.",
    },
)

item(
    name="失业登记",
    name_en="Unemployment registration",
    department=RS, category="jiuye",
    keywords=["失业登记", "没工作", "失业了", "找工作", "失业证", "待业"],
    kind="form", identity="card",
    guide=guide(
        "有劳动能力、想找工作但目前没有工作的人员，可以在常住地办理失业登记，享受免费职业介绍、职业培训等服务。领取失业保险金也要先办失业登记。",
        "People who can work and want a job but have none can register as unemployed where they live, for free job "
        "referrals and training. Registration is also needed before claiming unemployment benefit.",
        ("法定劳动年龄内、有劳动能力、有就业要求、处于无业状态的人员，可在户籍地或常住地办理。",
         "People of working age who can work, want work and have none; register where you are registered or where you live."),
        ID_ONLY,
        steps_form("登记后可享受免费职业介绍和职业培训。", "After registering you can use free job referrals and training."),
        ("一般3个工作日内完成。", "Usually done within 3 working days."),
        FREE, TEL_RS),
    form={
        "fields": [
            f_name(), f_id(), f_address(), f_phone(),
            f_choice("reason", "失业原因", "Why you are out of work", [
                ("contract_ended", "与单位解除或终止劳动合同", "Employment contract ended"),
                ("business_closed", "个体经营停业", "Own business closed"),
                ("graduate", "毕业后未就业", "Not yet employed after graduating"),
                ("returned", "返乡后未就业", "Returned home and not yet employed"),
                ("other", "其他", "Other"),
            ]),
            {"key": "last_day", "label": "最后工作日期（如有）", "label_en": "Last day of work (if any)",
             "type": "date", "required": False},
            f_choice("wish", "需要的服务", "Help you want", [
                ("job_referral", "职业介绍", "Job referral"),
                ("training", "职业技能培训", "Skills training"),
                ("none", "暂不需要", "None for now"),
            ]),
            f_note(),
        ],
        "receipt_title": "失业登记回执",
        "receipt_title_en": "Receipt: unemployment registration",
        "result": "已提交，审核结果将以短信通知，一般3个工作日内完成。",
        "result_en": "Submitted. You will get a text message with the result, usually within 3 working days.",
    },
)

item(
    name="职业技能培训补贴申领指南",
    name_en="How to claim a vocational training subsidy",
    department=RS, category="jiuye",
    keywords=["培训补贴", "学技术", "免费培训", "粤菜师傅", "南粤家政", "广东技工", "考证补贴"],
    kind="guide", identity="none",
    guide=guide(
        "参加职业技能培训并取得证书的劳动者，可以申领职业技能培训补贴。“粤菜师傅”“广东技工”“南粤家政”等培训项目也适用。",
        "Workers who take vocational training and obtain a certificate can claim a training subsidy; this includes the "
        "\"Cantonese Chef\", \"Guangdong Technician\" and \"South Guangdong Housekeeping\" programmes.",
        ("在本省参加职业技能培训，并取得职业资格证书、职业技能等级证书或专项职业能力证书的劳动者（含农村劳动力）。",
         "Workers, including rural workers, who trained in Guangdong and obtained a vocational qualification, skill-level "
         "certificate or special skill certificate."),
        ("本人居民身份证；培训后取得的证书；本人社会保障卡（用于发放补贴）。",
         "Your ID card; the certificate you obtained; your social security card for the payment."),
        ("1.参加培训并取得证书；2.取得证书之日起12个月内，通过“粤省事”小程序、广东人社网上服务平台或到镇（街）人社窗口申请；3.审核通过后补贴发到社会保障卡。",
         "1. Complete the training and get the certificate. 2. Within 12 months of getting it, apply through Yueshengshi, "
         "the Guangdong human resources online service or at the town counter. 3. Once approved, the subsidy goes to your "
         "social security card."),
        ("一般20个工作日内审核发放。", "Usually paid within 20 working days."),
        FREE, TEL_RS),
)

# ---- 残疾人服务 -----------------------------------------------------------------------------

item(
    name="残疾人两项补贴申请",
    name_en="Apply for the two disability subsidies",
    department=MZ, category="canlian",
    keywords=["残疾补贴", "两项补贴", "护理补贴", "生活补贴", "残疾人补助", "残疾金"],
    kind="form", identity="card",
    guide=guide(
        "困难残疾人生活补贴和重度残疾人护理补贴合称“两项补贴”，符合条件的残疾人可以申请，按月发放到本人账户。",
        "The living subsidy for low-income disabled people and the care subsidy for severely disabled people are known "
        "as the \"two subsidies\"; eligible people receive them monthly.",
        ("持有第二代残疾人证。生活补贴：低保家庭中的残疾人等困难残疾人；护理补贴：残疾等级为一级、二级且需要长期照护的重度残疾人（本地另有规定的从其规定）。",
         "You hold a second-generation disability certificate. Living subsidy: disabled people in low-income (dibao) "
         "households and other hardship cases. Care subsidy: grade 1 or 2 disability needing long-term care (local rules may extend this)."),
        ("身份证、户口簿；第二代残疾人证；低保证明（申请生活补贴的）；本人银行卡或社会保障卡。",
         "ID card and household register; second-generation disability certificate; proof of dibao (for the living "
         "subsidy); your bank or social security card."),
        steps_form("镇（街）初审后报县级民政部门审定。", "The town checks it first and the county civil affairs bureau decides."),
        ("一般20个工作日内完成，符合条件的从受理申请当月起计发。",
         "Usually decided within 20 working days; paid from the month the application was accepted."),
        FREE,
        ("12345（政务服务便民热线）；12385（残疾人服务热线）。",
         "12345 (government service hotline); 12385 (disability services hotline).")),
    form={
        "fields": [
            f_name(), f_id(), f_gender(), f_address(),
            f_phone("联系电话（本人或家属手机）", "Mobile phone (yours or a relative's)"),
            f_choice("subsidy", "申请补贴", "Subsidy applied for", [
                ("living", "困难残疾人生活补贴", "Living subsidy"),
                ("care", "重度残疾人护理补贴", "Care subsidy"),
                ("both", "两项都申请", "Both"),
            ]),
            f_choice("disability_type", "残疾类别", "Type of disability", [
                ("vision", "视力残疾", "Visual"),
                ("hearing", "听力残疾", "Hearing"),
                ("speech", "言语残疾", "Speech"),
                ("physical", "肢体残疾", "Physical"),
                ("intellectual", "智力残疾", "Intellectual"),
                ("mental", "精神残疾", "Mental"),
                ("multiple", "多重残疾", "Multiple"),
            ]),
            f_choice("disability_grade", "残疾等级", "Disability grade", [
                ("1", "一级", "Grade 1"), ("2", "二级", "Grade 2"),
                ("3", "三级", "Grade 3"), ("4", "四级", "Grade 4"),
            ]),
            f_bank(), f_account(), f_note(),
        ],
        "receipt_title": "残疾人两项补贴申请回执",
        "receipt_title_en": "Receipt: disability subsidies application",
        "result": "已提交，由镇（街）初审后报县级民政部门审定，审核结果将以短信通知，一般20个工作日内完成。",
        "result_en": "Submitted. The town checks it and the county civil affairs bureau decides; you will get the result by text message, usually within 20 working days.",
    },
)

item(
    name="残疾人证办理指南",
    name_en="How to get a disability certificate",
    department=CL, category="canlian",
    keywords=["残疾证", "办残疾证", "残疾评定", "残疾鉴定", "残疾人证换证"],
    kind="guide", identity="none",
    guide=guide(
        "符合国家残疾标准的人员，经残疾评定后可以办理《中华人民共和国残疾人证》，凭证享受残疾人各项补贴和优惠。",
        "People who meet the national disability standard can, after an assessment, get the national disability "
        "certificate, which gives access to disability subsidies and concessions.",
        ("视力、听力、言语、肢体、智力、精神残疾及多重残疾，符合国家残疾标准的人员。",
         "People with a visual, hearing, speech, physical, intellectual, mental or multiple disability that meets the national standard."),
        ("居民身份证、户口簿；近期免冠照片（可现场拍照）；相关病历、检查资料。",
         "ID card and household register; a recent photo (can be taken there); relevant medical records."),
        ("1.向户籍地县级残联或通过网上申请；2.到指定医疗机构进行残疾评定；3.县级残联审核后发证，可选择邮寄。行动不便的可申请上门评定。",
         "1. Apply to the county disabled persons' federation or online. 2. Have an assessment at a designated hospital. "
         "3. The federation checks it and issues the certificate, which can be posted. Home assessments are available for people who cannot travel."),
        ("评定后一般15个工作日内完成审核发证。", "Usually issued within 15 working days of the assessment."),
        ("办证不收费；评定费用按当地规定执行。", "The certificate is free; assessment fees follow local rules."),
        ("12385（残疾人服务热线）；12345（政务服务便民热线）。",
         "12385 (disability services hotline); 12345 (government service hotline).")),
)

# ---------------------------------------------------------------------------------------------
# Knowledge content

KNOWLEDGE = [
    {
        "id": "kn-antifraud-pension-2026",
        "title": "警惕冒充社保人员的诈骗电话",
        "title_en": "Beware of fraudsters posing as social insurance staff",
        "category": "anti_fraud",
        "body": "最近有骗子冒充社保、医保工作人员打电话，说您的社保卡“被冻结”“有异常”，或者说养老金要“重新认证”，"
                "让您说出银行卡密码、短信验证码，或者把钱转到“安全账户”。\n\n"
                "请记住：社保、医保部门不会打电话向您要密码和验证码，也不会让您转账。养老金资格认证不收任何费用，"
                "在村里的粤智助自助机上就能免费办理。\n\n"
                "接到这类电话请马上挂断，不要点陌生短信里的链接。拿不准的时候，问问家里人或村委会，也可以拨打12333咨询；"
                "已经被骗的，请立即拨打110报警。",
        "body_en": "Fraudsters are phoning people pretending to be social or medical insurance staff. They say your card "
                   "has been \"frozen\" or \"has a problem\", or that your pension must be \"re-certified\", and ask for "
                   "your bank PIN, a text-message code, or a transfer to a \"safe account\".\n\n"
                   "Remember: the insurance offices never ask for your PIN or codes by phone and never ask you to "
                   "transfer money. Pension certification is free, and you can do it on the Yue Zhi Zhu terminal in your village.\n\n"
                   "Hang up at once and do not tap links in text messages from strangers. If in doubt, ask your family or "
                   "the village committee, or call 12333. If you have been cheated, call the police on 110 straight away.",
        "image": "antifraud-phone.png",
        "start": "2026-01-01", "expires": "2027-06-30",
    },
    {
        "id": "kn-antifraud-subsidy-2026",
        "title": "政府补贴不会让您先交钱",
        "title_en": "Government subsidies never ask you to pay first",
        "category": "anti_fraud",
        "body": "有人以“帮您领高龄补贴”“发放惠农补贴”“帮您办低保”为名上门或打电话，要您先交“手续费”“保证金”，"
                "或者要您的银行卡和密码。\n\n"
                "高龄津贴、低保金、耕地地力保护补贴等，都是政府直接发到您本人的银行卡或社保卡上，申请和领取都不收费，"
                "也不需要任何中间人“帮忙”。\n\n"
                "遇到要先交钱的“补贴”，一定是诈骗。可以到村委会核实，也可以在自助机上查询本人的补贴发放情况。",
        "body_en": "Some people call or come to your door offering to \"get your old-age allowance\", \"pay out farming "
                   "subsidies\" or \"arrange your dibao\", and ask you to pay a \"handling fee\" or \"deposit\" first, "
                   "or ask for your bank card and PIN.\n\n"
                   "The old-age allowance, the minimum living allowance, the farmland protection subsidy and other "
                   "payments go straight from the government to your own bank or social security card. Applying and "
                   "receiving them is free, and no go-between is needed.\n\n"
                   "A \"subsidy\" you must pay for first is always a fraud. Check with the village committee, or look "
                   "up your own payments on this terminal.",
        "image": "antifraud-subsidy.png",
        "start": "2026-01-01", "expires": "2027-06-30",
    },
    {
        "id": "kn-antifraud-health-products-2026",
        "title": "警惕“免费体检”“保健品治病”骗局",
        "title_en": "Beware of \"free check-up\" and \"miracle supplement\" scams",
        "category": "anti_fraud",
        "body": "一些人用免费旅游、免费讲座、免费体检把老人请去，然后夸大病情，推销高价“保健品”，说能治高血压、糖尿病，"
                "甚至让老人用医保卡刷卡。\n\n"
                "保健品不是药，不能代替药物治病。看病吃药请到正规医院和药店，听医生的话。\n\n"
                "医保卡（社保卡）和医保码不要借给别人，也不要把密码告诉别人。发现有人利用医保卡骗钱，可拨打12393举报。",
        "body_en": "Some people lure older people with free trips, talks or health checks, exaggerate their illnesses and "
                   "sell expensive \"health products\" they claim cure high blood pressure or diabetes, sometimes even "
                   "asking them to pay with their medical insurance card.\n\n"
                   "Supplements are not medicine and cannot replace it. See a proper hospital or pharmacy and follow your doctor.\n\n"
                   "Never lend your medical insurance (social security) card or QR code, and never tell anyone your PIN. "
                   "To report misuse of medical insurance, call 12393.",
        "image": None,
        "start": "2026-03-01", "expires": "2027-03-31",
    },
    {
        "id": "kn-howto-start",
        "title": "自助机怎么用：三步办成事",
        "title_en": "Using the terminal: three steps",
        "category": "howto",
        "body": "第一步，放身份证：把居民身份证平放在屏幕下方的读卡区，等屏幕提示“读取成功”再拿开。\n\n"
                "第二步，找事项：点首页的分类，如“养老”“医保”；也可以在搜索框输入“养老金”“低保”等词，"
                "或者输入拼音首字母，比如“ylj”就能找到养老金。\n\n"
                "第三步，办事情：按屏幕提示填写、核对、提交，取走回执和身份证。办完请点“退出”，屏幕上不会留下您的信息。"
                "不会操作的，可以请便民服务站的工作人员帮忙。",
        "body_en": "Step one, your ID card: lay your resident ID card flat on the reader below the screen and wait until "
                   "the screen says it has been read.\n\n"
                   "Step two, find the service: tap a category on the home screen, such as \"Pensions\" or \"Medical "
                   "insurance\", or type a word such as 养老金 or 低保 in the search box. Pinyin initials work too: "
                   "\"ylj\" finds 养老金 (pension).\n\n"
                   "Step three, get it done: fill in, check and submit as the screen shows, then take your receipt and "
                   "your ID card. Tap \"Exit\" when you finish; nothing of yours stays on the screen. If you need help, "
                   "ask the staff at the village service station.",
        "image": "howto-idcard.png",
        "start": "2026-01-01", "expires": "2027-12-31",
    },
    {
        "id": "kn-howto-elderly-mode",
        "title": "字太小看不清？请用“长者模式”",
        "title_en": "Text too small? Use Senior Mode",
        "category": "howto",
        "body": "点首页上的“长者模式”按钮，屏幕上的字会变大，颜色对比更清楚，办事步骤更少，每一步留给您的时间也更长。\n\n"
                "打开语音播报后，自助机会把屏幕上的提示读出来。\n\n"
                "还是不方便的，可以请村便民服务站的协助人员陪您一起办。",
        "body_en": "Tap the \"Senior Mode\" button on the home screen: the text gets bigger, the colours clearer, there "
                   "are fewer steps and you get more time for each one.\n\n"
                   "With voice prompts switched on, the terminal reads the instructions aloud.\n\n"
                   "If it is still difficult, an assistant at the village service station can go through it with you.",
        "image": "howto-elderly-mode.png",
        "start": "2026-01-01", "expires": "2027-12-31",
    },
    {
        "id": "kn-howto-rating",
        "title": "办完事，请给我们打个分",
        "title_en": "Please rate our service",
        "category": "howto",
        "body": "每办完一件事，屏幕上会请您评价：非常满意、满意、基本满意、不满意、非常不满意，点一下就行。\n\n"
                "评价不需要填写个人信息，您的意见会直接交给办理部门，用来改进服务。\n\n"
                "有意见或投诉，也可以拨打12345政务服务便民热线。",
        "body_en": "After each service the screen asks you to rate it: very satisfied, satisfied, fairly satisfied, "
                   "dissatisfied or very dissatisfied. One tap is enough.\n\n"
                   "Rating needs no personal details; your opinion goes straight to the department to improve the service.\n\n"
                   "For comments or complaints you can also call the 12345 government service hotline.",
        "image": None,
        "start": "2026-01-01", "expires": "2027-12-31",
    },
    {
        "id": "kn-howto-privacy",
        "title": "您的信息在自助机上安全吗？",
        "title_en": "Is your information safe on the terminal?",
        "category": "howto",
        "body": "身份证上的信息只用于您这一次办事，办完、拿走身份证或者长时间没有操作，自助机都会自动清除。\n\n"
                "回执上的身份证号只显示部分数字。回执请自己收好，不用的请撕碎再丢。\n\n"
                "不要让陌生人替您操作，也不要把身份证交给不认识的人。离开前记得带走身份证和回执。",
        "body_en": "Your ID card details are used only for the service you are doing now. When you finish, take your "
                   "card away or leave the terminal idle, everything is cleared.\n\n"
                   "Receipts show only part of your ID number. Keep your receipt safe, and tear it up before throwing it away.\n\n"
                   "Do not let strangers operate the terminal for you or hand your ID card to anyone you do not know. "
                   "Take your card and receipt with you when you leave.",
        "image": None,
        "start": "2026-01-01", "expires": "2027-12-31",
    },
    {
        "id": "kn-policy-resident-pension",
        "title": "城乡居民养老保险：多缴多得、长缴多得",
        "title_en": "Residents' pension: pay more, pay longer, get more",
        "category": "policy",
        "body": "年满16周岁（不含在校学生）、没有参加职工养老保险的城乡居民，可以在户籍地参加城乡居民养老保险。\n\n"
                "参保人每年选择一个缴费档次缴费，政府给予缴费补贴，选择的档次越高、缴费年限越长，将来领到的养老金越多。"
                "重度残疾人等缴费困难群体，由政府按规定代缴。\n\n"
                "年满60周岁、累计缴费满15年的，可以按月领取养老金，领取终身。养老金由基础养老金和个人账户养老金组成。"
                "具体缴费档次和补贴标准以当地公布为准。",
        "body_en": "Residents aged 16 or over (not full-time students) who are not in the employee pension scheme can "
                   "join the residents' pension where they are registered.\n\n"
                   "Members choose a contribution level each year and the government adds a subsidy; the higher the "
                   "level and the longer you pay, the bigger your pension. The government pays for people with severe "
                   "disabilities and others who cannot afford it.\n\n"
                   "From age 60, with at least 15 years of contributions, you receive a monthly pension for life, made "
                   "up of a basic pension and a personal account pension. Contribution levels and subsidies are set locally.",
        "image": "policy-pension.png",
        "start": "2026-01-01", "expires": "2027-06-30",
    },
    {
        "id": "kn-notice-medical-2027",
        "title": "2027年度城乡居民医保缴费正在进行",
        "title_en": "Payments for 2027 residents' medical insurance are open",
        "category": "notice",
        "body": "2027年度城乡居民基本医疗保险集中缴费正在进行，截止时间以当地医保、税务部门公告为准。"
                "按时缴费的，2027年1月1日起享受医保待遇。\n\n"
                "缴费渠道：“粤税通”或“粤省事”小程序、银行柜面，也可向村（居）委会咨询代收安排。低保对象、特困人员等困难群众的个人缴费按规定给予资助。\n\n"
                "集中缴费期结束后才参保的，要等待一段时间才能享受待遇。请尽早为自己和家人缴费。",
        "body_en": "Payments for 2027 residents' basic medical insurance are open; see the local medical insurance and tax "
                   "notices for the closing date. If you pay in time, cover starts on 1 January 2027.\n\n"
                   "Pay through the Yueshuitong or Yueshengshi mini-programs or at a bank counter, or ask your village "
                   "committee about collection. Low-income and other eligible residents get help with the contribution.\n\n"
                   "If you enrol after the collection period, you must wait before cover starts. Please pay early for "
                   "yourself and your family.",
        "image": None,
        "start": "2026-09-01", "expires": "2026-12-31",
    },
    {
        "id": "kn-policy-elderly-allowance",
        "title": "高龄津贴怎么领",
        "title_en": "How the old-age allowance works",
        "category": "policy",
        "body": "本市户籍、年满80周岁的老年人，可以申请高龄津贴，年龄越大，标准越高。具体标准由各县（市、区）制定。\n\n"
                "申请可以在村里的自助机上办理，也可以到村（居）委会办理。老人行动不便的，家属可以带老人的身份证代为申请。\n\n"
                "高龄津贴按月发放到老人本人的银行卡或社保卡，申请和领取都不收费。",
        "body_en": "Residents registered in this city aged 80 or over can apply for the old-age allowance; the older "
                   "you are, the more you receive. Each county sets the amounts.\n\n"
                   "You can apply on the terminal in your village or at the village committee. If the older person "
                   "cannot come, a relative can apply with their ID card.\n\n"
                   "The allowance is paid monthly to the older person's own bank or social security card. Applying and "
                   "receiving it are free.",
        "image": None,
        "start": "2026-06-01", "expires": "2027-06-30",
    },
    {
        "id": "kn-notice-upgrade-20261210",
        "title": "12月10日部分事项暂停办理的通知",
        "title_en": "Some services paused on 10 December",
        "category": "notice",
        "body": "因系统升级，2026年12月10日8:00至18:00，“个人所得税纳税记录打印”暂停办理，其他事项正常办理。\n\n"
                "需要打印纳税记录的，请改日办理，或前往镇政务服务中心。给您带来不便，敬请谅解。",
        "body_en": "Because of a system upgrade, \"Print your individual income tax record\" is paused on 10 December "
                   "2026 from 8:00 to 18:00. All other services work as usual.\n\n"
                   "If you need a tax record, please come back another day or go to the town government service "
                   "centre. We apologise for the inconvenience.",
        "image": None,
        "start": "2026-12-01", "expires": "2026-12-10",
    },
    {
        "id": "kn-notice-spring-festival-2026",
        "title": "2026年春节假期服务安排",
        "title_en": "Service arrangements for the 2026 Spring Festival",
        "category": "notice",
        "body": "春节假期期间，村便民服务站的自助机按服务站开放时间正常使用，查询、打印类事项可随时办理。\n\n"
                "需要部门审核的申请，假期中照常提交，审核将在节后第一个工作日起依次办理。\n\n"
                "祝大家新春快乐！",
        "body_en": "During the Spring Festival holiday the terminals at village service stations work during the stations' "
                   "opening hours, and look-ups and printing are available as usual.\n\n"
                   "Applications that need a department's review can still be submitted; they will be processed from the "
                   "first working day after the holiday.\n\n"
                   "Happy New Year!",
        "image": None,
        "start": "2026-02-01", "expires": "2026-02-28",
    },
    {
        "id": "kn-notice-new-year-2027",
        "title": "2027年元旦假期服务安排",
        "title_en": "Service arrangements for New Year 2027",
        "category": "notice",
        "body": "元旦假期期间，村便民服务站的自助机按服务站开放时间正常使用，查询、打印类事项可随时办理。\n\n"
                "需要部门审核的申请，假期中照常提交，审核将在节后第一个工作日起依次办理。",
        "body_en": "During the New Year holiday the terminals at village service stations work during the stations' "
                   "opening hours, and look-ups and printing are available as usual.\n\n"
                   "Applications that need a department's review can still be submitted; they will be processed from the "
                   "first working day after the holiday.",
        "image": None,
        "start": "2026-12-25", "expires": "2027-01-05",
    },
]


# ---------------------------------------------------------------------------------------------

ITEM_KEYS = ["code", "name", "name_en", "department", "category", "keywords", "pinyin", "kind",
             "identity", "status", "guide", "form", "query", "print"]


def build() -> dict:
    items = []
    for it in ITEMS:
        it = dict(it)
        it["code"] = item_code(it["department"], it["name"])
        it["pinyin"] = initials(it["name"])
        items.append({k: it[k] for k in ITEM_KEYS if k in it})
    return {
        "schema": 1,
        "version": "2026.12.01.1",
        "published_at": "2026-12-01T08:00:00+08:00",
        "categories": [{"code": c, "name": n, "name_en": e, "order": i + 1}
                       for i, (c, n, e) in enumerate(CATEGORIES)],
        "items": items,
        "knowledge": KNOWLEDGE,
    }


# ---------------------------------------------------------------------------------------------
# Checks: the invariants of README.md, then this sample's counts (tests rely on them).

FIELD_TYPES = {"text", "digits", "phone", "id_number", "date", "choice", "number"}
PREFILL_TYPES = {"card.name": "text", "card.id_number": "id_number", "card.gender": "choice",
                 "card.birth_date": "date", "card.address": "text", "card.nation": "text"}
FIELD_KEYS = {"key", "label", "label_en", "type", "required", "prefill", "locked", "options",
              "min_len", "max_len", "min", "max"}
REQUIRED_ITEMS = {
    "城乡居民养老保险待遇资格认证": "form", "社保参保缴费证明打印": "print", "医保个人账户余额查询": "query",
    "高龄津贴申请": "form", "城乡居民养老保险参保登记": "form", "养老金发放明细查询": "query",
    "城乡居民医保参保缴费": "guide", "异地就医备案": "form", "医保电子凭证激活指引": "guide",
    "公积金个人账户查询": "query", "公积金提取指南": "guide", "户口迁移指南": "guide",
    "居民身份证换领预约": "form", "最低生活保障申请": "form", "临时救助申请": "form",
    "残疾人两项补贴申请": "form", "不动产登记信息查询": "query", "不动产权证办理指南": "guide",
    "耕地地力保护补贴查询": "query", "农村宅基地申请指南": "guide", "灵活就业人员社保缴费": "guide",
    "个人所得税纳税记录打印": "print", "城乡居民医保缴费凭证打印": "print", "就业登记": "form",
    "失业登记": "form",
}


def check(d: dict) -> list[str]:
    from datetime import date, datetime

    errs: list[str] = []
    E = errs.append
    zh_ascii = re.compile(r"[,;()?!]|(?<!\d):|:(?!\d)")

    def text(where, v, zh):
        if not isinstance(v, str) or not v.strip() or v != v.strip():
            E(f"{where}: empty or padded text")
        elif zh and zh_ascii.search(v):
            E(f"{where}: ASCII punctuation in Chinese text")

    if set(d) != {"schema", "version", "published_at", "categories", "items", "knowledge"}:
        E("top-level keys")
    if d.get("schema") != 1 or not re.fullmatch(r"\d{4}\.\d{2}\.\d{2}\.\d+", d.get("version", "")):
        E("schema or version")
    datetime.fromisoformat(d["published_at"])

    cats = [c["code"] for c in d["categories"]]
    if len(set(cats)) != len(cats) or [c["order"] for c in d["categories"]] != list(range(1, len(cats) + 1)):
        E("category codes or order")

    codes, names, services = set(), set(), set()
    for it in d["items"]:
        w = it.get("name", "?")
        if it["code"] in codes or not re.fullmatch(r"[0-9A-Z]{18}\d{13}", it["code"]):
            E(f"{w}: code")
        if w in names:
            E(f"{w}: duplicate name")
        codes.add(it["code"]), names.add(w)
        text(f"{w}.name", w, True), text(f"{w}.name_en", it["name_en"], False)
        text(f"{w}.department", it["department"], True)
        if it["category"] not in cats:
            E(f"{w}: category")
        kw = it["keywords"]
        if not 3 <= len(kw) <= 10 or len(set(kw)) != len(kw):
            E(f"{w}: keywords")
        if it["pinyin"] != initials(w) or len(it["pinyin"]) != len(re.findall(r"[\u3400-\u9fffA-Za-z0-9]", w)):
            E(f"{w}: pinyin")
        kind = it["kind"]
        if kind not in ("guide", "form", "query", "print"):
            E(f"{w}: kind")
        if it["identity"] != ("none" if kind == "guide" else "card"):
            E(f"{w}: identity")
        for block in ("form", "query", "print"):
            if (block in it) != (block == kind):
                E(f"{w}: block {block}")
        st = it["status"]
        want = {"active": {"state"}, "offline": {"state", "notice", "notice_en"},
                "paused": {"state", "notice", "notice_en", "from", "until"}}.get(st["state"])
        if want is None or set(st) != want:
            E(f"{w}: status")
        elif st["state"] != "active":
            text(f"{w}.notice", st["notice"], True), text(f"{w}.notice_en", st["notice_en"], False)
        if st["state"] == "paused":
            f, u = datetime.fromisoformat(st["from"]), datetime.fromisoformat(st["until"])
            if f.utcoffset() is None or u.utcoffset() is None or not f < u:
                E(f"{w}: pause window")
        g = it["guide"]
        text(f"{w}.summary", g["summary"], True), text(f"{w}.summary_en", g["summary_en"], False)
        if len(g["summary"]) > 120:
            E(f"{w}: summary too long")
        if [(x["title"], x["title_en"]) for x in g["sections"]] != SECTION_TITLES:
            E(f"{w}: guide sections")
        for x in g["sections"]:
            text(f"{w}.{x['title']}", x["body"], True), text(f"{w}.{x['title']}_en", x["body_en"], False)
            if len(x["body"]) > 200 or "\n" in x["body"] or "\n" in x["body_en"]:
                E(f"{w}: section {x['title']} too long or has line breaks")
        if kind == "form":
            fm = it["form"]
            for k in ("receipt_title", "result"):
                text(f"{w}.{k}", fm[k], True), text(f"{w}.{k}_en", fm[k + "_en"], False)
            keys = [f["key"] for f in fm["fields"]]
            if len(set(keys)) != len(keys) or keys[:2] != ["name", "id_number"]:
                E(f"{w}: field keys")
            for f in fm["fields"]:
                fw = f"{w}.{f['key']}"
                if set(f) - FIELD_KEYS or not re.fullmatch(r"[a-z][a-z0-9_]*", f["key"]):
                    E(f"{fw}: keys")
                if f["type"] not in FIELD_TYPES or not isinstance(f.get("required"), bool):
                    E(f"{fw}: type or required")
                text(f"{fw}.label", f["label"], True), text(f"{fw}.label_en", f["label_en"], False)
                if "prefill" in f:
                    if PREFILL_TYPES.get(f["prefill"]) != f["type"] or f.get("locked") is not True:
                        E(f"{fw}: prefill")
                    if f["prefill"] == "card.gender" and [o["value"] for o in f["options"]] != ["male", "female"]:
                        E(f"{fw}: gender options")
                elif "locked" in f:
                    E(f"{fw}: locked without prefill")
                opts = f.get("options")
                if (f["type"] == "choice") != (opts is not None):
                    E(f"{fw}: options")
                elif opts is not None and (not opts or len({o["value"] for o in opts}) != len(opts)
                                           or any(set(o) != {"value", "label", "label_en"} for o in opts)):
                    E(f"{fw}: options")
                if ("min_len" in f or "max_len" in f) and f["type"] not in ("text", "digits"):
                    E(f"{fw}: length bounds")
                if ("min" in f or "max" in f) and f["type"] != "number":
                    E(f"{fw}: value bounds")
        if kind == "query":
            q = it["query"]
            if set(q) != {"service", "repeated", "result_fields"} or not isinstance(q["repeated"], bool):
                E(f"{w}: query keys")
            if q["service"] in services or not re.fullmatch(r"[a-z]+(\.[a-z_]+)+", q["service"]):
                E(f"{w}: service")
            services.add(q["service"])
            rk = [r["key"] for r in q["result_fields"]]
            if len(set(rk)) != len(rk) or any(set(r) != {"key", "label", "label_en"} for r in q["result_fields"]):
                E(f"{w}: result fields")
        if kind == "print":
            p = it["print"]
            if set(p) != {"document", "document_en", "needs_online"} or not isinstance(p["needs_online"], bool):
                E(f"{w}: print block")

    ids = set()
    for k in d["knowledge"]:
        w = k.get("id", "?")
        if set(k) != {"id", "title", "title_en", "category", "body", "body_en", "image", "start", "expires"}:
            E(f"{w}: keys")
        if w in ids or not re.fullmatch(r"kn-[a-z0-9-]+", w):
            E(f"{w}: id")
        ids.add(w)
        if k["category"] not in ("anti_fraud", "policy", "notice", "howto"):
            E(f"{w}: category")
        text(f"{w}.title", k["title"], True), text(f"{w}.title_en", k["title_en"], False)
        text(f"{w}.body", k["body"], True), text(f"{w}.body_en", k["body_en"], False)
        for b in (k["body"], k["body_en"]):
            if re.search(r"(?<!\n)\n(?!\n)|\n\n\n", b):
                E(f"{w}: paragraphs must be separated by exactly one blank line")
        if k["body"].count("\n\n") != k["body_en"].count("\n\n"):
            E(f"{w}: paragraph counts differ")
        if k["image"] is not None and not re.fullmatch(r"[a-z0-9-]+\.png", k["image"]):
            E(f"{w}: image")
        if date.fromisoformat(k["start"]) > date.fromisoformat(k["expires"]):
            E(f"{w}: start after expires")

    # This sample's promises (README "What this sample contains").
    today, now = date(2026, 12, 4), datetime.fromisoformat("2026-12-04T12:00:00+08:00")
    items = d["items"]
    kinds = {it["name"]: it["kind"] for it in items}
    if len(items) < 34:
        E("fewer than 34 items")
    for c in cats:
        if sum(it["category"] == c for it in items) < 2:
            E(f"category {c}: fewer than 2 items")
    for n, k in REQUIRED_ITEMS.items():
        if kinds.get(n) != k:
            E(f"required item {n} ({k}) missing")
    paused = [it["status"] for it in items if it["status"]["state"] == "paused"]
    ahead = [s for s in paused if datetime.fromisoformat(s["from"]) > now]
    current = [s for s in paused if datetime.fromisoformat(s["from"]) <= now < datetime.fromisoformat(s["until"])]
    if len(paused) != 2 or len(ahead) != 1 or len(current) != 1:
        E("want exactly one pause ahead and one current")
    if sum(it["status"]["state"] == "offline" for it in items) != 1:
        E("want exactly one offline item")
    kn = d["knowledge"]
    if len(kn) < 8:
        E("fewer than 8 knowledge entries")
    if sum(date.fromisoformat(k["expires"]) < today for k in kn) != 1:
        E("want exactly one expired knowledge entry")
    if sum(date.fromisoformat(k["start"]) > today for k in kn) != 1:
        E("want exactly one knowledge entry not yet started")
    return errs


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["--check"]:
        path = Path(args[1]) if len(args) > 1 else Path(__file__).with_name("catalogue.json")
        raw = path.read_text(encoding="utf-8")
        d = json.loads(raw)
        errs = check(d)
        if raw != json.dumps(d, ensure_ascii=False, indent=2) + "\n":
            errs.append("not in canonical form (2-space indentation, trailing newline)")
        if raw != json.dumps(build(), ensure_ascii=False, indent=2) + "\n":
            errs.append("differs from what make-catalogue.py generates")
        for e in errs:
            print("error:", e)
        print(f"{path}: {len(d['items'])} items, {len(d['knowledge'])} knowledge entries, "
              f"{len(errs)} errors")
        sys.exit(1 if errs else 0)
    out = Path(args[0]) if args else Path(__file__).with_name("catalogue.json")
    d = build()
    errs = check(d)
    if errs:
        for e in errs:
            print("error:", e)
        sys.exit(1)
    text = json.dumps(d, ensure_ascii=False, indent=2) + "\n"
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out} ({len(text.encode('utf-8'))} bytes)")


if __name__ == "__main__":
    main()
