//! Text normalisation for claim checking.
//!
//! Anchors and transcribers write the same words many ways: full-width
//! letters (`ＢＥＳＴ`), spaces or punctuation inside a phrase (`最 佳`,
//! `No. 1`), traditional characters (`國家級`), any case. [`Normal`] folds
//! all of these away — full-width → half-width, lower case, traditional →
//! simplified for the characters the rule lists use, and separators
//! (whitespace, punctuation, emoji) removed — while remembering where each
//! folded character came from and whether a separator stood before it.
//! That last bit restores word boundaries for Latin words, so that `best`
//! matches in "the best deal" but not in "bestseller".

/// A folded text: what matching runs on, and the way back to the original.
#[derive(Clone, Debug)]
pub struct Normal<'a> {
    /// The folded text, separators removed.
    pub text: String,
    original: &'a str,
    /// Per folded character: its byte offset in `text`, the byte range it
    /// came from in `original`, and whether a separator preceded it.
    chars: Vec<Folded>,
}

#[derive(Clone, Copy, Debug)]
struct Folded {
    at: u32,
    from: u32,
    to: u32,
    gap_before: bool,
}

impl<'a> Normal<'a> {
    pub fn new(original: &'a str) -> Normal<'a> {
        let mut text = String::with_capacity(original.len());
        let mut chars = Vec::with_capacity(original.len());
        let mut gap = false;
        for (from, c) in original.char_indices() {
            let to = (from + c.len_utf8()) as u32;
            let c = half_width(c);
            if is_separator(c) {
                gap = true;
                continue;
            }
            for c in c.to_lowercase().map(simplified) {
                chars.push(Folded {
                    at: text.len() as u32,
                    from: from as u32,
                    to,
                    gap_before: gap,
                });
                text.push(c);
                gap = false;
            }
        }
        Normal {
            text,
            original,
            chars,
        }
    }

    /// The index of the folded character starting at byte `at` of `text`
    /// (or `chars.len()` for the end).
    fn index(&self, at: usize) -> usize {
        self.chars.partition_point(|f| (f.at as usize) < at)
    }

    /// The original text behind the folded bytes `start..end`.
    pub fn original(&self, start: usize, end: usize) -> &'a str {
        let (i, j) = (self.index(start), self.index(end));
        if i >= j || j > self.chars.len() {
            return "";
        }
        &self.original[self.chars[i].from as usize..self.chars[j - 1].to as usize]
    }

    /// Whether folded bytes `start..end` begin and end on word boundaries
    /// where that matters: a Latin letter or digit at either edge must not
    /// run on into another one without a separator between them.
    pub fn bounded(&self, start: usize, end: usize) -> bool {
        let (i, j) = (self.index(start), self.index(end));
        let alnum = |k: usize| {
            self.text[self.chars[k].at as usize..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric())
        };
        let left_ok = i == 0 || self.chars[i].gap_before || !alnum(i) || !alnum(i - 1);
        let right_ok =
            j >= self.chars.len() || self.chars[j].gap_before || !alnum(j - 1) || !alnum(j);
        left_ok && right_ok
    }

    /// Words: runs of Latin letters and digits not broken by a separator,
    /// and every other character on its own (Chinese is not written with
    /// spaces, so a character is the smallest unit that can repeat).
    pub fn tokens(&self) -> Vec<&str> {
        let mut out = Vec::new();
        let mut run_start: Option<usize> = None;
        for f in &self.chars {
            let at = f.at as usize;
            let c = self.text[at..].chars().next().unwrap_or(' ');
            let latin = c.is_ascii_alphanumeric();
            if let Some(s) = run_start {
                if !latin || f.gap_before {
                    out.push(&self.text[s..at]);
                    run_start = None;
                }
            }
            if latin {
                run_start.get_or_insert(at);
            } else {
                out.push(&self.text[at..at + c.len_utf8()]);
            }
        }
        if let Some(s) = run_start {
            out.push(&self.text[s..]);
        }
        out
    }
}

/// The folded form of a text, for exact comparison.
pub fn fold(s: &str) -> String {
    Normal::new(s).text
}

/// The tokens with immediate repetitions of one to four tokens removed
/// ("very very good" → "very good", "超超超好" → "超好"): the tolerance for
/// an anchor's emphasis when comparing with approved selling points.
pub fn squash<'t>(tokens: &[&'t str]) -> Vec<&'t str> {
    let mut out: Vec<&str> = Vec::with_capacity(tokens.len());
    for t in tokens {
        out.push(t);
        // After each push, drop a just-completed repeat of the last n tokens.
        'shrink: loop {
            for n in 1..=4 {
                let len = out.len();
                if len >= 2 * n && out[len - n..] == out[len - 2 * n..len - n] {
                    out.truncate(len - n);
                    continue 'shrink;
                }
            }
            break;
        }
    }
    out
}

/// Full-width ASCII forms and the ideographic space → their half-width forms.
fn half_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        '\u{FFE5}' => '¥',
        _ => c,
    }
}

/// Whitespace, punctuation, symbols and emoji. `#`, `%` and `+` are kept:
/// they carry meaning in "#1", "100%" and "3+".
fn is_separator(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_whitespace()
            || c.is_ascii_control()
            || (c.is_ascii_punctuation() && !matches!(c, '#' | '%' | '+'));
    }
    c.is_whitespace()
        || matches!(c,
            '\u{00A0}'..='\u{00BF}'     // Latin-1 punctuation: « » · ¿ …
            | '\u{2000}'..='\u{206F}'   // general punctuation, zero-width spaces
            | '\u{2190}'..='\u{2BFF}'   // arrows, symbols, dingbats: ★ ✓ ➡
            | '\u{3001}'..='\u{3006}'   // CJK punctuation (〇 U+3007 is a digit)
            | '\u{3008}'..='\u{303F}'
            | '\u{FE00}'..='\u{FE0F}'   // variation selectors
            | '\u{FE10}'..='\u{FE6F}'   // vertical and small forms
            | '\u{FF5F}'..='\u{FF65}'   // half-width CJK punctuation
            | '\u{1F000}'..='\u{1FAFF}' // emoji
        )
}

/// Traditional → simplified, for the characters of the rule lists and the
/// words around them. Cheap and deliberately small: a full conversion
/// table (OpenCC) is phrase-based and would be a heavy dependency.
fn simplified(c: char) -> char {
    match c {
        '國' => '国',
        '級' => '级',
        '頂' => '顶',
        '極' => '极',
        '價' => '价',
        '網' => '网',
        '療' => '疗',
        '癒' => '愈',
        '預' => '预',
        '壓' => '压',
        '藥' => '药',
        '絕' => '绝',
        '對' => '对',
        '無' => '无',
        '獨' => '独',
        '權' => '权',
        '號' => '号',
        '專' => '专',
        '業' => '业',
        '醫' => '医',
        '減' => '减',
        '發' => '发',
        '髮' => '发',
        '復' => '复',
        '殺' => '杀',
        '腫' => '肿',
        '癥' => '症',
        '優' => '优',
        '質' => '质',
        '產' => '产',
        '廠' => '厂',
        '獎' => '奖',
        '驗' => '验',
        '證' => '证',
        '體' => '体',
        '劑' => '剂',
        '臟' => '脏',
        '腎' => '肾',
        '萬' => '万',
        '長' => '长',
        '壽' => '寿',
        '氣' => '气',
        '脈' => '脉',
        '膚' => '肤',
        '淨' => '净',
        '純' => '纯',
        '稱' => '称',
        '軍' => '军',
        '銷' => '销',
        '總' => '总',
        '統' => '统',
        '歷' => '历',
        '來' => '来',
        '時' => '时',
        '間' => '间',
        '這' => '这',
        '個' => '个',
        '們' => '们',
        '還' => '还',
        '為' => '为',
        '會' => '会',
        '說' => '说',
        '買' => '买',
        '賣' => '卖',
        '錢' => '钱',
        '貨' => '货',
        '點' => '点',
        '種' => '种',
        '樣' => '样',
        '從' => '从',
        '寶' => '宝',
        '貴' => '贵',
        '實' => '实',
        '際' => '际',
        '滿' => '满',
        '選' => '选',
        '窩' => '窝',
        '輪' => '轮',
        '讓' => '让',
        '與' => '与',
        '盡' => '尽',
        '僅' => '仅',
        '領' => '领',
        '導' => '导',
        '戰' => '战',
        '勝' => '胜',
        '嚴' => '严',
        '衛' => '卫',
        '營' => '营',
        '養' => '养',
        '顏' => '颜',
        '傷' => '伤',
        '斷' => '断',
        '濕' => '湿',
        '蟲' => '虫',
        '風' => '风',
        '腸' => '肠',
        '護' => '护',
        '膽' => '胆',
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn folds_width_case_separators_and_traditional_forms() {
        assert_eq!(fold("ＢＥＳＴ　Ｄｅａｌ！"), "bestdeal");
        assert_eq!(fold("最 佳"), "最佳");
        assert_eq!(fold("最-佳!"), "最佳");
        assert_eq!(fold("國家級"), "国家级");
        assert_eq!(fold("No. 1"), "no1");
        assert_eq!(fold("#1 🔥"), "#1");
        assert_eq!(fold("100％ 純"), "100%纯");
        assert_eq!(fold("「每份含3克」。"), "每份含3克");
    }

    #[test]
    fn originals_and_word_boundaries() {
        let n = Normal::new("The ＢＥＳＴ deal, bestseller");
        let at = n.text.find("best").unwrap();
        assert_eq!(n.original(at, at + 4), "ＢＥＳＴ");
        assert!(n.bounded(at, at + 4));
        let at2 = n.text.rfind("best").unwrap();
        assert_eq!(n.original(at2, at2 + 4), "best");
        assert!(!n.bounded(at2, at2 + 4), "bestseller is not 'best'");
        // Chinese next to Latin is a boundary.
        let n = Normal::new("最best");
        assert!(n.bounded(3, 7));
    }

    #[test]
    fn tokens_and_squash() {
        let n = Normal::new("very very good!!");
        assert_eq!(n.tokens(), ["very", "very", "good"]);
        assert_eq!(squash(&n.tokens()), ["very", "good"]);
        let n = Normal::new("超超超好吃 好吃");
        assert_eq!(squash(&n.tokens()), ["超", "好", "吃"]);
        let n = Normal::new("buy now buy now");
        assert_eq!(squash(&n.tokens()), ["buy", "now"]);
        // Nothing repeated: unchanged.
        let n = Normal::new("每份含3克核心成分");
        assert_eq!(squash(&n.tokens()).concat(), "每份含3克核心成分");
    }

    proptest! {
        #[test]
        fn folding_is_idempotent(s in "\\PC{0,40}") {
            let once = fold(&s);
            prop_assert_eq!(fold(&once), once);
        }

        #[test]
        fn separators_inside_a_phrase_do_not_matter(
            s in "[a-z0-9\u{4e00}-\u{4e80}]{1,20}",
            seps in proptest::collection::vec(prop::sample::select(vec![" ", "，", "!", "·", "　", "-", "🔥"]), 20),
        ) {
            let mut spaced = String::new();
            for (c, sep) in s.chars().zip(seps.iter().cycle()) {
                spaced.push(c);
                spaced.push_str(sep);
            }
            prop_assert_eq!(fold(&spaced), fold(&s));
        }

        #[test]
        fn full_width_and_case_do_not_matter(s in "[!-~]{1,30}") {
            let wide: String = s.chars().map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap()).collect();
            prop_assert_eq!(fold(&wide), fold(&s.to_uppercase()));
        }

        #[test]
        fn every_folded_span_maps_back_into_the_original(s in "\\PC{0,40}") {
            let n = Normal::new(&s);
            for (i, _) in n.text.char_indices() {
                let next = n.text[i..].chars().next().map_or(i, |c| i + c.len_utf8());
                let orig = n.original(i, next);
                prop_assert!(!orig.is_empty());
                prop_assert!(s.contains(orig));
            }
        }
    }
}
