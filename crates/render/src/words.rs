//! Every word liveledger shows people, in English and Chinese: one catalogue.
//!
//! The dashboard's and the HTML report's labels are [`Msg`]s; what a flag
//! says ([`Says`], data from the analysis) becomes a sentence in [`says`];
//! flag headlines are keyed by their contract codes. Each entry gives both
//! languages in one `match` arm with no fallback, so the compiler refuses
//! a message shipped half translated. English is the contract's language:
//! a flag's `summary` in the JSON answers is [`says`] in [`Lang::En`].

use analysis::claims::qualify::Problem;
use analysis::claims::said::{By, Compared, Family, Said, Unsupported, Why};
use analysis::flag::{Against, Contradiction, Says};
use analysis::format::{grouped, money};
use analysis::products::report::ProductReport;
use analysis::{Flag, FlagCode};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Zh,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    /// Its place in [`Lang::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// From a `lang` switch (`en`, `zh`) or an `Accept-Language` header:
    /// Chinese when it is the first language asked for.
    pub fn choose(switch: Option<&str>, accept: Option<&str>) -> Lang {
        let zh = |s: &str| s.trim().to_ascii_lowercase().starts_with("zh");
        match switch {
            Some(s) if zh(s) => Lang::Zh,
            Some(s) if s.trim().eq_ignore_ascii_case("en") => Lang::En,
            _ => match accept.and_then(|a| a.split(',').next()) {
                Some(first) if zh(first) => Lang::Zh,
                _ => Lang::En,
            },
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }
}

/// Declares the catalogue: each message, then its English and its Chinese.
macro_rules! catalogue {
    ($($key:ident => $en:literal, $zh:literal;)*) => {
        /// Every label and sentence of the dashboard and the HTML reports.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Msg {
            $($key,)*
        }

        impl Msg {
            pub const ALL: &[Msg] = &[$(Msg::$key,)*];

            pub fn text(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $((Msg::$key, Lang::En) => $en,
                    (Msg::$key, Lang::Zh) => $zh,)*
                }
            }
        }
    };
}

catalogue! {
    Title => "liveledger — live-commerce supervision", "liveledger — 直播电商监管";
    SignIn => "Sign in", "登录";
    SignInHelp => "Paste the token you were issued (liveledger token issue). It is kept in a cookie for this site only.", "粘贴签发给您的令牌（liveledger token issue）。令牌仅保存在本站的 Cookie 中。";
    Token => "Token", "令牌";
    BadToken => "Unknown, revoked or expired token.", "令牌无效、已吊销或已过期。";
    SignOut => "Sign out", "退出";
    SignedInAs => "Signed in as", "当前身份";
    Sessions => "Sessions", "直播场次";
    Cases => "Cases", "售后案件";
    Log => "Log", "日志";
    NoSessions => "No sessions in your scope.", "您的权限范围内没有直播场次。";
    NoCases => "No cases in your scope.", "您的权限范围内没有售后案件。";
    FilterByFlag => "Flag", "风险标记";
    AllSessions => "all", "全部";
    Filter => "Filter", "筛选";
    Session => "Session", "场次";
    Anchor => "Anchor", "主播";
    Platform => "Platform", "平台";
    Started => "Started", "开始";
    Ended => "Ended", "结束";
    Live => "live", "直播中";
    Flags => "Flags", "风险标记";
    VerifiedGmv => "Verified GMV", "核实成交额";
    EstimatedReal => "Estimated real viewers", "估计真实观众";
    ReportedViews => "Reported views", "报告观看量";
    Case => "Case", "案件";
    Status => "Status", "状态";
    Product => "Product", "商品";
    Category => "Complaint", "投诉类型";
    Liable => "Liable", "责任方";
    Due => "Due", "处理期限";
    Overdue => "overdue", "已逾期";
    Action => "Action", "操作";
    Note => "Note", "备注";
    Apply => "Record", "记录";
    NoActions => "no action for your role", "您的角色无可执行操作";
    Checkpoint => "Signed checkpoint", "签名检查点";
    LogSize => "Entries", "条目数";
    RootHash => "Root hash", "根哈希";
    PublicKey => "Public key", "公钥";
    VerifyOffline => "Verify it yourself, offline", "离线自行验证";
    VerifyHelp => "Every answer names this checkpoint. Anyone with the public key can check the log, a proof or an evidence package without trusting this server:", "每个结论都注明了所依据的检查点。任何持有公钥的人都可以不依赖本服务器，离线核验日志、证明或证据包：";
    LiveUpdates => "This page updates itself while the session is live.", "直播进行中，本页自动更新。";
    Language => "中文", "English";
    NotFound => "Not found, or not in your scope.", "未找到，或不在您的权限范围内。";
    Forbidden => "Your role may not do this.", "您的角色无权执行此操作。";
    Intervene => "Act on this session", "处置本场直播";
    Reason => "Reason", "理由";
    // The HTML reports ({0}, {1}…: filled by `Msg::fill`).
    ReportSession => "Session {0}", "直播场次 {0}";
    AnchorOn => "Anchor <b>{0}</b> on <b>{1}</b>, {2}. {3} events.", "主播 <b>{0}</b>，平台 <b>{1}</b>，{2}。共 {3} 条事件。";
    FromTo => "{0} to {1}", "{0} 至 {1}";
    FromOnly => "from {0}", "自 {0} 起";
    StartUnknown => "start unknown", "开始时间不明";
    NoSessionFlags => "No flags: the reported figures agree with what the events show, and every claim checks out.", "无风险标记：报告数据与事件相符，所有宣传均经核实。";
    ComputedAt => "Computed at the signed checkpoint <code>{0}</code> size {1}, root <code>{2}</code>. Every piece of evidence below is a log entry: check it offline with <code>liveledger prove EVENT_ID</code>.", "依据签名检查点 <code>{0}</code>（大小 {1}，根哈希 <code>{2}</code>）得出。下列每项证据都是一条日志记录，可用 <code>liveledger prove EVENT_ID</code> 离线核验。";
    EvidenceEntries => "evidence ({0} entries): {1}", "证据（{0} 条）：{1}";
    LeafOf => "(leaf {0})", "（叶 {0}）";
    Viewers => "Viewers", "观众";
    ReportedCol => "reported", "报告值";
    ObservedCol => "observed", "实测值";
    ViewsRow => "views", "观看量";
    PeakOnline => "peak online", "峰值在线";
    UniqueViewers => "unique viewers", "独立观众";
    SuspectedBots => "suspected bots", "疑似机器人";
    EstimatedRealRow => "estimated real viewers", "估计真实观众";
    InflationRatio => "inflation ratio", "虚增倍数";
    SalesIn => "Sales ({0})", "销售（{0}）";
    OrdersCol => "orders", "订单";
    GmvCol => "GMV", "成交额";
    Placed => "placed", "下单";
    Paid => "paid", "已付";
    Cancelled => "cancelled", "取消";
    Refunded => "refunded", "退款";
    SuspectedBrushing => "suspected brushing", "疑似刷单";
    Brushing => "brushing", "刷单";
    VerifiedRow => "verified", "核实";
    RefundRates => "Refund rate {0} (orders not suspected of brushing: {1}; expected about {2} for these products).", "退款率 {0}（非疑似刷单订单：{1}；此类商品的正常退款率约为 {2}）。";
    LargestRing => "Largest brushing group", "最大刷单团伙";
    RingLine => "{0} accounts, {1} orders; {2} placed without watching, {3} refunded.", "{0} 个账号，{1} 笔订单；{2} 未观看直播即下单，{3} 已退款。";
    AlertsAndInterventions => "Alerts and interventions", "预警与处置";
    AlertRow => "alert", "预警";
    NotAnswered => "not answered", "未处置";
    AnsweredAfter => "answered after {0} s", "{0} 秒后处置";
    NoteLine => "Note: {0}", "注：{0}";
    Claims => "Claims", "宣传";
    ClaimsCount => "{0} claims, {1} with findings.", "共 {0} 条宣传，其中 {1} 条有问题。";
    TimeCol => "time", "时间";
    SessionCol => "session", "场次";
    ProductCol => "product", "商品";
    WhatWasSaid => "what was said", "宣传内容";
    ApprovedCol => "approved", "卖点核对";
    FindingsCol => "findings", "问题";
    NoneFound => "none", "无";
    ReportProduct => "Product {0}", "商品 {0}";
    NeverRegistered => "(never registered)", "（从未登记）";
    CategoryUnknown => "category unknown", "品类不明";
    MerchantIs => " · merchant <b>{0}</b>", " · 商家 <b>{0}</b>";
    NotRegistered => "(not registered)", "（未登记）";
    BrandIs => " · brand {0}", " · 品牌 {0}";
    NoProductFlags => "No flags: the product is qualified and every claim about it checks out.", "无风险标记：商品资质齐全，所有相关宣传均经核实。";
    QualificationsOn => "Qualifications on {0}: {1}", "{0} 的资质：{1}";
    Qualified => "qualified", "资质齐全";
    NotQualified => "not qualified", "资质不全";
    UnknownNotRegistered => "unknown (not registered)", "不明（未登记）";
    RequirementCol => "requirement", "要求";
    BasisCol => "basis", "依据";
    HeldCol => "held", "持有";
    ExpiresOn => " (expires {0})", "（有效期至 {0}）";
    WaivedBy => "waived by attribute {0}", "因属性 {0} 免除";
    Missing => "missing", "缺失";
    ExpiredOn => "{0} expired {1}", "{0} 已于 {1} 过期";
    Malformed => "{0} malformed", "{0} 编号格式错误";
    NotRecognised => "{0} {1} not recognised", "{0} {1} 无法识别";
    NothingRequired => "nothing is required for this category", "该品类无资质要求";
    Inspections => "Inspections", "检验报告";
    ReportCol => "report", "报告";
    LabCol => "lab", "检验机构";
    IssuedCol => "issued", "出具日期";
    ConclusionCol => "conclusion", "结论";
    ResultsCol => "results", "结果";
    Pass => "pass", "合格";
    Fail => "fail", "不合格";
    Listings => "Listings", "上架记录";
    AnchorCol => "anchor", "主播";
    ListedCol => "listed", "上架时间";
    PriceCol => "price", "价格";
    QualifiedThen => "qualified then", "当时资质";
    Yes => "yes", "是";
    No => "no", "否";
    Unknown => "unknown", "不明";
    RefundRateCol => "refund rate", "退款率";
    Exposure => "Exposure", "召回敞口";
    ExposureLine => "A full recall would cost <b>{0}</b> over {1} paid, unrefunded orders: refund {2} + compensation {3} (docs/LIABILITY.md).", "全面召回涉及 {1} 笔已付未退款订单，共需 <b>{0}</b>：退款 {2} + 赔偿 {3}（见 docs/LIABILITY.md）。";
    Complaints => "Complaints", "投诉";
    ChartViewers => "Reported vs observed viewers online", "报告与实测在线人数";
    AxisViewers => "viewers online, per minute", "每分钟在线人数";
    MinuteZero => "minute 0", "第 0 分钟";
    LegendObserved => "— observed (joins − leaves)", "— 实测（进入 − 离开）";
    LegendReported => "- - reported online", "- - 报告在线";
    CaptionViewers => "Reported against observed viewers online.", "报告在线人数与实测在线人数对比。";
    ChartArrivals => "New viewers per minute, suspected bots highlighted", "每分钟新进观众，疑似机器人高亮";
    AxisArrivals => "new viewers per minute", "每分钟新进观众";
    LegendViewers => "■ viewers", "■ 观众";
    LegendBots => "■ suspected bots", "■ 疑似机器人";
    CaptionArrivals => "Arrivals per minute; bot waves stand out as orange spikes.", "每分钟进入人数；机器人潮显示为橙色尖峰。";
    ChartWaterfall => "Sales waterfall from placed to verified GMV", "从下单到核实成交额的瀑布图";
    CaptionWaterfall => "GMV from placed to verified: cancellations, refunds and suspected brushing taken away.", "从下单成交额到核实成交额：扣除取消、退款与疑似刷单。";
    LegendBuyer => "● buyer", "● 买家";
    LegendDevice => "■ device", "■ 设备";
    LegendAddress => "■ address", "■ 地址";
    LegendPayment => "■ payment", "■ 支付方式";
    CaptionRing => "Buyers linked by what they share.", "买家因共用之物相连。";
}

impl Msg {
    /// The message with `{0}`, `{1}`… replaced by `args` (the positions
    /// let a translation put them in its own order).
    /// One pass over the template, so an argument's own braces stay as they are.
    pub fn fill(self, lang: Lang, args: &[&str]) -> String {
        let t = self.text(lang);
        let mut out = String::with_capacity(t.len() + args.iter().map(|a| a.len()).sum::<usize>());
        let mut rest = t;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let arg = after
                .find('}')
                .and_then(|close| Some((after[..close].parse::<usize>().ok()?, close)))
                .and_then(|(i, close)| Some((*args.get(i)?, close)));
            match arg {
                Some((a, close)) => {
                    out.push_str(a);
                    rest = &after[close + 1..];
                }
                None => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }
}

/// A flag's headline (report.md codes).
pub fn flag(code: FlagCode, lang: Lang) -> &'static str {
    use FlagCode::*;
    let (en, zh) = match code {
        ViewerInflation => (
            "reported views far above real viewers",
            "报告观看量远超真实观众",
        ),
        BotViewers => ("bot viewers", "机器人观众"),
        GmvInflation => (
            "reported sales above verified sales",
            "报告成交额高于核实成交额",
        ),
        OrderBrushing => ("order brushing", "刷单"),
        RefundSurge => ("refunds far above the expected rate", "退款率远超正常水平"),
        MetricsInconsistent => ("reported figures contradict each other", "报告数据自相矛盾"),
        ClaimBannedTerm => ("terms advertising law forbids", "使用广告法禁用词"),
        ClaimMedical => ("disease claims for a non-drug", "非药品宣称疗效"),
        ClaimContradicted => (
            "claim contradicted by lab or product data",
            "宣传与检测报告或商品信息不符",
        ),
        ClaimUnsupported => ("claim with nothing to support it", "宣传缺乏依据"),
        ClaimUnapproved => (
            "claim not among the merchant's approved points",
            "宣传超出商家提供的卖点",
        ),
        ProductUnqualified => ("product lacks a required qualification", "商品缺少必需资质"),
    };
    match lang {
        Lang::En => en,
        Lang::Zh => zh,
    }
}

/// A contract name (case status, action, complaint category, liable
/// role, intervention) in a language.
pub fn word(name: &str, lang: Lang) -> &str {
    let zh = match name {
        "open" => "待处理",
        "decided" => "已裁定",
        "remedied" => "已赔付",
        "escalated" => "已升级",
        "closed" => "已结案",
        "decide" => "裁定",
        "remedy" => "赔付",
        "close" => "结案",
        "escalate" => "升级",
        "dispute" => "申诉",
        "quality" => "质量问题",
        "false_advertising" => "虚假宣传",
        "counterfeit" => "假冒伪劣",
        "not_delivered" => "未发货",
        "other" => "其他",
        "warn" => "警告",
        "take_off_sale" => "下架商品",
        "reinstate" => "恢复",
        "suspend" => "暂停直播间",
        "seller" => "销售者",
        "advertiser" => "广告主",
        "endorser" => "广告代言人",
        "platform" => "平台",
        _ => name,
    };
    match lang {
        Lang::En => name,
        Lang::Zh => zh,
    }
}

/// A product's complaints in a language: "3 complaints: false_advertising
/// 2, quality 1" / "3 件投诉：虚假宣传 2，质量问题 1".
pub fn complaints(r: &ProductReport, lang: Lang) -> String {
    if lang == Lang::En {
        return r.complaint_summary();
    }
    let counts: Vec<String> = r
        .complaint_counts()
        .iter()
        .map(|(k, n)| format!("{} {n}", word(k, lang)))
        .collect();
    let mut out = format!("{} 件投诉", r.complaints.len());
    if !counts.is_empty() {
        out.push_str(&format!("：{}", counts.join("，")));
    }
    out
}

/// A flag's summary: what it says, in a language.
pub fn summary(f: &Flag, lang: Lang) -> String {
    says(&f.says, lang)
}

/// What a flag says, as a sentence.
pub fn says(s: &Says, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    let pc = |x: f64| format!("{:.0}%", x * 100.0);
    match s {
        Says::ViewerInflation { views, peak } => {
            let mut parts = Vec::new();
            if let Some(a) = views {
                parts.push(if zh {
                    format!(
                        "报告观看量（{}）为真实观众观看量（{}）的{}",
                        count(a.reported),
                        count(a.observed),
                        times(a, lang)
                    )
                } else {
                    format!(
                        "reported views ({}) are {} the {} views by real viewers",
                        count(a.reported),
                        times(a, lang),
                        count(a.observed)
                    )
                });
            }
            if let Some(a) = peak {
                parts.push(if zh {
                    format!(
                        "报告峰值在线人数（{}）为实测峰值（{}）的{}",
                        count(a.reported),
                        count(a.observed),
                        times(a, lang)
                    )
                } else {
                    format!(
                        "reported peak online ({}) is {} the observed peak of {}",
                        count(a.reported),
                        times(a, lang),
                        count(a.observed)
                    )
                });
            }
            parts.join(if zh { "；" } else { "; " })
        }
        Says::BotViewers {
            bots,
            viewers,
            share,
            mostly,
        } => {
            let mostly: Vec<&str> = mostly.iter().map(|n| signal(n, lang)).collect();
            if zh {
                format!(
                    "{} 名观众中有 {} 名（{}）表现为机器人（主要特征：{}）",
                    grouped(*viewers),
                    grouped(*bots),
                    pc(*share),
                    mostly.join("、")
                )
            } else {
                format!(
                    "{} of {} viewers ({}) behave as bots (mostly: {})",
                    grouped(*bots),
                    grouped(*viewers),
                    pc(*share),
                    mostly.join(", ")
                )
            }
        }
        Says::OrderBrushing {
            orders,
            share,
            groups,
            accounts,
            no_watch,
            refunded,
        } => {
            if zh {
                format!(
                    "{} 笔订单（占下单量 {}）来自 {} 个关联团伙的 {} 个账号，它们共用设备、地址或支付方式；最大的团伙 {} 的订单未观看直播即下单，{} 已退款",
                    grouped(*orders),
                    pc(*share),
                    groups,
                    grouped(*accounts),
                    pc(*no_watch),
                    pc(*refunded)
                )
            } else {
                format!(
                    "{} orders ({} of placed) from {groups} linked group(s) of {} accounts sharing devices, addresses or payments; the largest ordered {} without watching and refunded {}",
                    grouped(*orders),
                    pc(*share),
                    grouped(*accounts),
                    pc(*no_watch),
                    pc(*refunded)
                )
            }
        }
        Says::RefundSurge {
            rate,
            expected,
            brushing,
        } => {
            let (rate, expected) = (pc(*rate), pc(*expected));
            match (zh, brushing) {
                (true, b) => format!(
                    "直播后已付成交额的 {rate} 被退款，而这些商品的正常退款率约为 {expected}{}",
                    b.map_or(String::new(), |(share, rest)| format!(
                        "；刷单订单占退款金额的 {}，其余订单的退款率为 {}",
                        pc(share),
                        pc(rest)
                    ))
                ),
                (false, b) => format!(
                    "{rate} of paid GMV was refunded after the session, against about {expected} expected for these products{}",
                    b.map_or(String::new(), |(share, rest)| format!(
                        "; brushing orders account for {} of the refunded GMV, and {} of the rest was refunded",
                        pc(share),
                        pc(rest)
                    ))
                ),
            }
        }
        Says::GmvInflation {
            currency,
            reported,
            placed,
            verified,
            refunded,
            brushing,
        } => {
            let m = |x: i64| money(x, currency);
            let named = [
                (reported, "reported GMV", "报告成交额"),
                (placed, "placed GMV", "下单成交额"),
            ];
            let parts: Vec<String> = named
                .iter()
                .filter_map(|(a, en, zh_name)| {
                    let a = a.as_ref()?;
                    Some(if zh {
                        format!(
                            "{zh_name} {} 为核实成交额的{}",
                            m(a.reported),
                            times(a, lang)
                        )
                    } else {
                        format!("{en} {} is {}", m(a.reported), times(a, lang))
                    })
                })
                .collect();
            if zh {
                format!(
                    "{}（核实成交额 {}，退款 {}，刷单 {}）",
                    parts.join("，"),
                    m(*verified),
                    m(*refunded),
                    m(*brushing)
                )
            } else {
                format!(
                    "{} the verified {} (refunded {}, brushing {})",
                    parts.join(", "),
                    m(*verified),
                    m(*refunded),
                    m(*brushing)
                )
            }
        }
        Says::MetricsInconsistent { reports, what } => {
            let what: Vec<String> = what
                .iter()
                .map(|c| match (c, zh) {
                    (Contradiction::WentDown(f), false) => format!("cumulative {f} went down"),
                    (Contradiction::WentDown(f), true) => format!("累计{}出现下降", figure_zh(f)),
                    (Contradiction::OnlineAboveViews, false) => "online above views".into(),
                    (Contradiction::OnlineAboveViews, true) => "在线人数高于观看量".into(),
                })
                .collect();
            if zh {
                format!("报告数据在 {reports} 份报告中自相矛盾：{}", what.join("、"))
            } else {
                format!(
                    "reported figures contradict themselves in {reports} report(s): {}",
                    what.join(", ")
                )
            }
        }
        Says::Claims {
            code,
            claims,
            product,
            details,
            more,
        } => {
            let one = *claims == 1;
            if zh {
                let mut s = format!(
                    "关于 {product} 的 {claims} 条宣传{}：{}",
                    claim_headline(*code, one, lang),
                    findings_said(details, lang)
                );
                if *more > 0 {
                    s.push_str(&format!("（另有 {more} 条）"));
                }
                s
            } else {
                let mut s = format!(
                    "{claims} {} about {product} {}: {}",
                    if one { "claim" } else { "claims" },
                    claim_headline(*code, one, lang),
                    findings_said(details, lang)
                );
                if *more > 0 {
                    s.push_str(&format!(" (and {more} more)"));
                }
                s
            }
        }
        Says::Unregistered { product } => {
            if zh {
                format!("{product} 已上架但从未登记：其品类与资质不明")
            } else {
                format!("{product} was listed but never registered: its category and qualifications are unknown")
            }
        }
        Says::Unqualified {
            product,
            category,
            listed,
            problems,
        } => {
            let at = listed.format("%Y-%m-%d %H:%M");
            if zh {
                format!(
                    "{product}（{category}）于 {at} 上架，缺少其品类所需资质：{}",
                    problems_said(problems, lang)
                )
            } else {
                format!(
                    "{product} ({category}) was listed at {at} without what its category requires: {}",
                    problems_said(problems, lang)
                )
            }
        }
        Says::NotQualified {
            product,
            category,
            on,
            problems,
        } => {
            if zh {
                format!(
                    "{product}（{category}）截至 {on} 不具备所需资质：{}",
                    problems_said(problems, lang)
                )
            } else {
                format!(
                    "{product} ({category}) is not qualified as of {on}: {}",
                    problems_said(problems, lang)
                )
            }
        }
    }
}

/// A qualification problem in a language (English: the contract's text).
pub fn problem(p: &Problem, lang: Lang) -> String {
    if lang == Lang::En {
        return p.en();
    }
    match p {
        Problem::Missing { requirement, kinds } => {
            format!("未见{}记录（{}）", requirement.zh, kinds.join(" 或 "))
        }
        Problem::Expired {
            requirement,
            number,
            on,
        } => format!("{} {number} 已于 {on} 过期", requirement.zh),
        Problem::BadNumber {
            requirement,
            number,
            prefix,
        } => format!("{}编号 {number} 不以 {prefix} 开头", requirement.zh),
        Problem::Unrecognised {
            requirement,
            kind,
            number,
            kinds,
            numbers,
        } => format!(
            "无法识别{}：类别“{kind}”编号 {number} 既非已知类别（{}），也非已知编号格式（{}）",
            requirement.zh,
            kinds.join("、"),
            if numbers.is_empty() {
                "未定义".to_string()
            } else {
                numbers.join("、")
            }
        ),
        Problem::FailedInspection {
            report,
            lab,
            issued,
        } => format!("{lab} 出具的检验报告 {report}（{issued}）结论为不合格"),
    }
}

/// What a finding about a claim says, in a language (English: the
/// contract's text). The rule file's English gloss of a term is left out
/// in Chinese: the term itself is Chinese.
pub fn said(s: &Said, lang: Lang) -> String {
    if lang == Lang::En {
        return s.en();
    }
    match s {
        Said::Term {
            matched, family, ..
        } => {
            let kind = match family {
                Family::Banned => "绝对化用语",
                Family::Medical => "医疗用语",
            };
            format!("“{matched}”（{kind}）")
        }
        Said::Contradicted { claimed, by } => {
            let source = match by {
                By::Report {
                    id,
                    lab,
                    issued,
                    before_session,
                    value,
                    unit,
                } => {
                    let when = if *before_session {
                        "直播前已在案"
                    } else {
                        "直播开始后才记录"
                    };
                    format!("{lab} 出具的检验报告 {id}（{issued}，{when}）测得 {value} {unit}")
                }
                By::Attribute { value, unit } => format!("商品登记属性为 {value} {unit}"),
            };
            format!("宣称 {claimed}；{}", source.trim_end())
        }
        Said::Unsupported { claimed, why } => format!("宣称 {claimed}；{}", unsupported(why)),
        Said::NotApproved { text, on_record } => {
            format!("“{text}”不在商家认可的卖点之列（在案 {on_record} 条）")
        }
        Said::NoAgreement { text, anchor } => format!(
            "“{text}”：主播 {} 与商家之间没有在案协议",
            anchor.as_deref().unwrap_or("（未知）")
        ),
    }
}

/// Why an assertion could not be checked, in Chinese.
fn unsupported(u: &Unsupported) -> String {
    match u {
        Unsupported::NoProduct => "该宣传未指明商品".into(),
        Unsupported::NothingOnRecord { attribute } => {
            format!("没有名为“{attribute}”的属性或检验结果在案")
        }
        Unsupported::Uncompared(all) => {
            let each: Vec<String> = all
                .iter()
                .map(|u| {
                    let what = match &u.what {
                        Compared::Attribute(k) => format!("属性 {k}"),
                        Compared::Report(id) => format!("检验报告 {id}"),
                    };
                    match &u.why {
                        Why::UnknownUnit(unit) => format!("{what}：单位“{unit}”未知，未比较"),
                        Why::Incompatible(f, t) => format!("{what}：“{f}”无法与“{t}”比较"),
                        Why::Text(t) => format!("{what}为文本（“{t}”），不是数字"),
                    }
                })
                .collect();
            each.join("；")
        }
    }
}

/// Claim findings with their bases, in a language: "finding [basis]; …".
fn findings_said(details: &[(Said, String)], lang: Lang) -> String {
    let said: Vec<String> = details
        .iter()
        .map(|(d, basis)| match basis.is_empty() {
            true => said(d, lang),
            false => format!("{} [{basis}]", said(d, lang)),
        })
        .collect();
    said.join(if lang == Lang::Zh { "；" } else { "; " })
}

/// Problems with their bases, in a language: "problem [basis]; …".
fn problems_said(problems: &[(Problem, String)], lang: Lang) -> String {
    let said: Vec<String> = problems
        .iter()
        .map(|(p, basis)| format!("{} [{basis}]", problem(p, lang)))
        .collect();
    said.join(if lang == Lang::Zh { "；" } else { "; " })
}

fn count(n: i64) -> String {
    grouped(n.max(0) as u64)
}

/// "3.2x" (English: "… are 3.2x the …"; Chinese: "…的 3.2 倍").
fn times(a: &Against, lang: Lang) -> String {
    match (a.x.is_finite(), lang) {
        (true, Lang::En) => format!("{:.1}x", a.x),
        (false, Lang::En) => "infinitely above".into(),
        (true, Lang::Zh) => format!(" {:.1} 倍", a.x),
        (false, Lang::Zh) => "无穷多倍（实测为零）".into(),
    }
}

/// A bot signal (`Signals::ALL` names).
fn signal(name: &str, lang: Lang) -> &str {
    let (en, zh) = match name {
        "shared_device" => ("shared device", "共用设备"),
        "shared_network" => ("shared network", "共用网络"),
        "join_wave" => ("join wave", "成批涌入"),
        "fresh_account" => ("fresh account", "新注册账号"),
        "no_interaction" => ("no interaction", "毫无互动"),
        "copied_comment" => ("copied comment", "复制评论"),
        "uniform_dwell" => ("uniform dwell", "停留时长一致"),
        "sync_leave" => ("left together", "集体离场"),
        "concurrent_rooms" => ("in two rooms at once", "同时身处两个直播间"),
        "lockstep_rooms" => (
            "moves with a group across rooms",
            "与同一批账号结伴进入其他直播间",
        ),
        "lockstep_repeat" => ("in lockstep in several rooms", "在多个直播间结伴出现"),
        other => (other, other),
    };
    match lang {
        Lang::En => en,
        Lang::Zh => zh,
    }
}

fn figure_zh(name: &str) -> &str {
    match name {
        "views" => "观看量",
        "likes" => "点赞数",
        "orders" => "订单数",
        "gmv" => "成交额",
        other => other,
    }
}

/// What the claims of a claim flag do, for one claim or several.
fn claim_headline(code: FlagCode, one: bool, lang: Lang) -> &'static str {
    use FlagCode::*;
    let (en_one, en_many, zh) = match code {
        ClaimBannedTerm => (
            "uses terms advertising law forbids",
            "use terms advertising law forbids",
            "使用了广告法禁止的用语",
        ),
        ClaimMedical => (
            "claims to prevent or treat disease, for a product that is not a drug or medical device",
            "claim to prevent or treat disease, for a product that is not a drug or medical device",
            "对并非药品或医疗器械的商品宣称预防或治疗疾病",
        ),
        ClaimContradicted => (
            "contradicts what is on record",
            "contradict what is on record",
            "与记录在案的信息相矛盾",
        ),
        ClaimUnsupported => (
            "asserts what nothing on record supports",
            "assert what nothing on record supports",
            "所述内容没有任何记录支持",
        ),
        _ => (
            "goes beyond the merchant's approved selling points",
            "go beyond the merchant's approved selling points",
            "超出了商家认可的卖点",
        ),
    };
    match (lang, one) {
        (Lang::En, true) => en_one,
        (Lang::En, false) => en_many,
        (Lang::Zh, _) => zh,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_follows_the_switch_then_the_browser() {
        assert_eq!(
            Lang::choose(None, Some("zh-CN,zh;q=0.9,en;q=0.8")),
            Lang::Zh
        );
        assert_eq!(Lang::choose(None, Some("en-US,zh;q=0.5")), Lang::En);
        assert_eq!(Lang::choose(Some("en"), Some("zh-CN")), Lang::En);
        assert_eq!(Lang::choose(Some("zh"), None), Lang::Zh);
        assert_eq!(Lang::choose(Some("fr"), None), Lang::En);
        assert_eq!(Lang::choose(None, None), Lang::En);
    }

    #[test]
    fn every_case_word_has_chinese() {
        for (name, _) in analysis::cases::case::Status::ALL {
            assert_ne!(word(name, Lang::Zh), name, "{name}");
        }
        for (name, _) in events::CaseAction::ALL {
            assert_ne!(word(name, Lang::Zh), name, "{name}");
        }
        for (name, _) in events::InterventionAction::ALL {
            assert_ne!(word(name, Lang::Zh), name, "{name}");
        }
        for (name, _) in events::ComplaintCategory::ALL {
            assert_ne!(word(name, Lang::Zh), name, "{name}");
        }
    }

    fn han(s: &str) -> bool {
        s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    }

    /// The `{n}` placeholders of a template, in order of number.
    fn slots(t: &str) -> Vec<usize> {
        let mut v: Vec<usize> = t
            .split('{')
            .skip(1)
            .filter_map(|r| r.split_once('}')?.0.parse().ok())
            .collect();
        v.sort_unstable();
        v
    }

    #[test]
    fn every_message_has_both_languages_with_the_same_slots() {
        for m in Msg::ALL {
            let (en, zh) = (m.text(Lang::En), m.text(Lang::Zh));
            assert!(!en.is_empty() && !zh.is_empty(), "{m:?}");
            assert_eq!(slots(en), slots(zh), "{m:?}: {en} / {zh}");
            // Chinese unless it is a name, a symbol or a code.
            if en.chars().filter(|c| c.is_ascii_alphabetic()).count() > 3 && *m != Msg::Language {
                assert!(han(zh), "{m:?} untranslated: {zh}");
            }
        }
    }

    #[test]
    fn fill_puts_arguments_in_their_places_once() {
        assert_eq!(
            Msg::FromTo.fill(Lang::En, &["{1}", "b"]),
            "{1} to b",
            "an argument's own braces are left alone"
        );
        assert_eq!(
            Msg::RingLine.fill(Lang::Zh, &["1", "2", "3%", "4%"]),
            "1 个账号，2 笔订单；3% 未观看直播即下单，4% 已退款。"
        );
    }

    /// One of each kind of finding, with figures that exercise the branches.
    fn every_finding() -> Vec<Says> {
        let a = |x: f64| Against {
            reported: 12_000,
            x,
            observed: 3_000,
        };
        let at = chrono::DateTime::parse_from_rfc3339("2020-04-01T20:00:00+08:00").unwrap();
        vec![
            Says::ViewerInflation {
                views: Some(a(4.0)),
                peak: Some(a(f64::INFINITY)),
            },
            Says::BotViewers {
                bots: 900,
                viewers: 1_000,
                share: 0.9,
                mostly: vec!["shared_device", "join_wave"],
            },
            Says::OrderBrushing {
                orders: 30,
                share: 0.3,
                groups: 2,
                accounts: 12,
                no_watch: 0.8,
                refunded: 0.5,
            },
            Says::RefundSurge {
                rate: 0.8,
                expected: 0.1,
                brushing: Some((0.6, 0.05)),
            },
            Says::GmvInflation {
                currency: "CNY".into(),
                reported: Some(a(4.0)),
                placed: Some(a(2.0)),
                verified: 3_000,
                refunded: 100,
                brushing: 200,
            },
            Says::MetricsInconsistent {
                reports: 2,
                what: vec![
                    Contradiction::WentDown("views"),
                    Contradiction::OnlineAboveViews,
                ],
            },
            Says::Claims {
                code: FlagCode::ClaimContradicted,
                claims: 4,
                product: "p1".into(),
                details: vec![(every_said()[1].clone(), "CN-AD-28".into())],
                more: 3,
            },
            Says::Unregistered {
                product: "p9".into(),
            },
            Says::Unqualified {
                product: "p2".into(),
                category: "food".into(),
                listed: at,
                problems: every_problem()
                    .into_iter()
                    .map(|p| (p, "art. 35".into()))
                    .collect(),
            },
            Says::NotQualified {
                product: "p2".into(),
                category: "food".into(),
                on: at.date_naive(),
                problems: every_problem()[..1]
                    .iter()
                    .map(|p| (p.clone(), "art. 35".into()))
                    .collect(),
            },
        ]
    }

    fn every_said() -> Vec<Said> {
        use analysis::claims::said::Uncompared;
        let issued = chrono::NaiveDate::from_ymd_opt(2020, 11, 18).unwrap();
        let claimed = || "bird_nest_g ≥ 2 g".to_string();
        let text = || "每碗燕窝含量足2克！".to_string();
        vec![
            Said::Term {
                matched: "最好".into(),
                note: "the best".into(),
                family: Family::Banned,
            },
            Said::Contradicted {
                claimed: claimed(),
                by: By::Report {
                    id: "r1".into(),
                    lab: "GZ Institute".into(),
                    issued,
                    before_session: false,
                    value: 0.1,
                    unit: "g".into(),
                },
            },
            Said::Contradicted {
                claimed: claimed(),
                by: By::Attribute {
                    value: 1.5,
                    unit: "g".into(),
                },
            },
            Said::Unsupported {
                claimed: claimed(),
                why: Unsupported::Uncompared(vec![
                    Uncompared {
                        what: Compared::Report("r2".into()),
                        why: Why::UnknownUnit("oz".into()),
                    },
                    Uncompared {
                        what: Compared::Attribute("bird_nest_g".into()),
                        why: Why::Incompatible("ml".into(), "g".into()),
                    },
                    Uncompared {
                        what: Compared::Attribute("size".into()),
                        why: Why::Text("large".into()),
                    },
                ]),
            },
            Said::Unsupported {
                claimed: claimed(),
                why: Unsupported::NothingOnRecord {
                    attribute: "bird_nest_g".into(),
                },
            },
            Said::Unsupported {
                claimed: claimed(),
                why: Unsupported::NoProduct,
            },
            Said::NotApproved {
                text: text(),
                on_record: 3,
            },
            Said::NoAgreement {
                text: text(),
                anchor: Some("a1".into()),
            },
        ]
    }

    #[test]
    fn every_claim_finding_reads_in_chinese_with_the_same_figures() {
        let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
        for s in every_said() {
            let (en, zh) = (said(&s, Lang::En), said(&s, Lang::Zh));
            assert_eq!(en, s.en());
            assert!(han(&zh), "{zh}");
            let english = zh
                .split(|c: char| !c.is_ascii_alphabetic())
                .filter(|w| w.len() > 3);
            for w in english {
                // Only names and units from the data, never a sentence.
                assert!(en.contains(w), "{w:?} in {zh}");
            }
            assert_eq!(digits(&en), digits(&zh), "{en} / {zh}");
        }
        assert_eq!(
            said(&every_said()[1], Lang::En),
            "says bird_nest_g ≥ 2 g; inspection r1 by GZ Institute (issued 2020-11-18, recorded after the session began) measured 0.1 g"
        );
    }

    fn every_problem() -> Vec<Problem> {
        use analysis::claims::qualify::Named;
        let licence = || Named {
            en: "food production licence".into(),
            zh: "食品生产许可证".into(),
        };
        let on = chrono::NaiveDate::from_ymd_opt(2024, 6, 30).unwrap();
        vec![
            Problem::Missing {
                requirement: licence(),
                kinds: vec!["SC".into()],
            },
            Problem::Expired {
                requirement: licence(),
                number: "SC11744030600123".into(),
                on,
            },
            Problem::BadNumber {
                requirement: licence(),
                number: "XK16".into(),
                prefix: "SC".into(),
            },
            Problem::Unrecognised {
                requirement: licence(),
                kind: "permit".into(),
                number: "91440101".into(),
                kinds: vec!["SC".into()],
                numbers: vec!["SC##############".into()],
            },
            Problem::FailedInspection {
                report: "r1".into(),
                lab: "GZ Institute".into(),
                issued: on,
            },
        ]
    }

    #[test]
    fn every_qualification_problem_reads_in_chinese_with_the_same_figures() {
        for p in every_problem() {
            let (en, zh) = (problem(&p, Lang::En), problem(&p, Lang::Zh));
            assert_eq!(en, p.en());
            assert!(han(&zh) && !han(&en), "{en} / {zh}");
            let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
            assert_eq!(digits(&en), digits(&zh), "{en} / {zh}");
        }
    }

    #[test]
    fn every_finding_reads_in_both_languages_with_the_same_figures() {
        let figures = |s: &str| -> Vec<String> {
            let mut v: Vec<String> = s
                .split(|c: char| !c.is_ascii_digit())
                .filter(|d| !d.is_empty())
                .map(str::to_string)
                .collect();
            v.sort();
            v
        };
        for f in every_finding() {
            let (en, zh) = (says(&f, Lang::En), says(&f, Lang::Zh));
            assert!(han(&zh), "{zh}");
            assert!(!han(&en), "{en}");
            assert_eq!(figures(&en), figures(&zh), "{en} / {zh}");
        }
        assert_eq!(
            says(&every_finding()[1], Lang::En),
            "900 of 1,000 viewers (90%) behave as bots (mostly: shared device, join wave)"
        );
    }
}
