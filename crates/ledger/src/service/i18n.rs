//! The dashboard's words in English and Chinese, from one catalogue.
//!
//! Every text the dashboard shows is a [`Msg`]; [`Msg::text`] gives it in
//! a [`Lang`]. The compiler checks that each message has both languages
//! (a `match` with no fallback), so a new message cannot ship half
//! translated. Flag headlines are keyed by their contract codes.

use analysis::FlagCode;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Zh,
}

impl Lang {
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

/// Every message of the dashboard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Msg {
    Title,
    SignIn,
    SignInHelp,
    Token,
    BadToken,
    SignOut,
    SignedInAs,
    Sessions,
    Cases,
    Log,
    NoSessions,
    NoCases,
    FilterByFlag,
    AllSessions,
    Filter,
    Session,
    Anchor,
    Platform,
    Started,
    Ended,
    Live,
    Flags,
    VerifiedGmv,
    EstimatedReal,
    ReportedViews,
    Case,
    Status,
    Product,
    Category,
    Liable,
    Due,
    Overdue,
    Action,
    Note,
    Apply,
    NoActions,
    Checkpoint,
    LogSize,
    RootHash,
    PublicKey,
    VerifyOffline,
    VerifyHelp,
    LiveUpdates,
    Language,
    NotFound,
    Forbidden,
    Intervene,
    Reason,
}

impl Msg {
    pub fn text(self, lang: Lang) -> &'static str {
        use Msg::*;
        let (en, zh) = match self {
            Title => ("liveledger — live-commerce supervision", "liveledger — 直播电商监管"),
            SignIn => ("Sign in", "登录"),
            SignInHelp => (
                "Paste the token you were issued (liveledger token issue). It is kept in a cookie for this site only.",
                "粘贴签发给您的令牌（liveledger token issue）。令牌仅保存在本站的 Cookie 中。",
            ),
            Token => ("Token", "令牌"),
            BadToken => ("Unknown, revoked or expired token.", "令牌无效、已吊销或已过期。"),
            SignOut => ("Sign out", "退出"),
            SignedInAs => ("Signed in as", "当前身份"),
            Sessions => ("Sessions", "直播场次"),
            Cases => ("Cases", "售后案件"),
            Log => ("Log", "日志"),
            NoSessions => ("No sessions in your scope.", "您的权限范围内没有直播场次。"),
            NoCases => ("No cases in your scope.", "您的权限范围内没有售后案件。"),
            FilterByFlag => ("Flag", "风险标记"),
            AllSessions => ("all", "全部"),
            Filter => ("Filter", "筛选"),
            Session => ("Session", "场次"),
            Anchor => ("Anchor", "主播"),
            Platform => ("Platform", "平台"),
            Started => ("Started", "开始"),
            Ended => ("Ended", "结束"),
            Live => ("live", "直播中"),
            Flags => ("Flags", "风险标记"),
            VerifiedGmv => ("Verified GMV", "核实成交额"),
            EstimatedReal => ("Estimated real viewers", "估计真实观众"),
            ReportedViews => ("Reported views", "报告观看量"),
            Case => ("Case", "案件"),
            Status => ("Status", "状态"),
            Product => ("Product", "商品"),
            Category => ("Complaint", "投诉类型"),
            Liable => ("Liable", "责任方"),
            Due => ("Due", "处理期限"),
            Overdue => ("overdue", "已逾期"),
            Action => ("Action", "操作"),
            Note => ("Note", "备注"),
            Apply => ("Record", "记录"),
            NoActions => ("no action for your role", "您的角色无可执行操作"),
            Checkpoint => ("Signed checkpoint", "签名检查点"),
            LogSize => ("Entries", "条目数"),
            RootHash => ("Root hash", "根哈希"),
            PublicKey => ("Public key", "公钥"),
            VerifyOffline => ("Verify it yourself, offline", "离线自行验证"),
            VerifyHelp => (
                "Every answer names this checkpoint. Anyone with the public key can check the log, a proof or an evidence package without trusting this server:",
                "每个结论都注明了所依据的检查点。任何持有公钥的人都可以不依赖本服务器，离线核验日志、证明或证据包：",
            ),
            LiveUpdates => ("This page updates itself while the session is live.", "直播进行中，本页自动更新。"),
            Language => ("中文", "English"),
            NotFound => ("Not found, or not in your scope.", "未找到，或不在您的权限范围内。"),
            Forbidden => ("Your role may not do this.", "您的角色无权执行此操作。"),
            Intervene => ("Act on this session", "处置本场直播"),
            Reason => ("Reason", "理由"),
        };
        match lang {
            Lang::En => en,
            Lang::Zh => zh,
        }
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

/// A case status or action, by its contract name.
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
        _ => name,
    };
    match lang {
        Lang::En => name,
        Lang::Zh => zh,
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
}
