//! A rule-based, Unicode-aware sentence splitter for turning plain SQuAD v1.1 paragraphs into
//! LAReQA-style candidate sentences, plus [`measure_agreement`] to compare its output with the
//! sentence breaks shipped with XQuAD-R and MLQA-R.
//!
//! Offsets are **character** offsets (Unicode scalar values, as Python indexes strings), the
//! convention of the shipped `sentence_breaks`.
//!
//! # Rules
//! The rules follow the conventions of the shipped breaks where those are consistent, and
//! ordinary typography elsewhere:
//!
//! * **Strong terminators** `! ? ؟ । ॥ ‼ ⁇ ⁈ ⁉`, the Greek question mark `;` (U+037E, and ASCII
//!   `;` when the nearest letter before it is Greek, since U+037E normalises to `;`), and the
//!   full-width `。 ！ ？ ｡` end a sentence.
//! * **Weak terminators** `.` and `…` end a sentence unless an abbreviation rule applies.
//! * A run of terminators (`?!`, `...`, `. . .`) counts as one; closing quotes and brackets
//!   (`" ' ” ’ » ) ] 」 』 ） 》` …) and zero-width spaces after it stay with the sentence. An ASCII
//!   quote directly followed by a non-space character opens the next sentence instead.
//! * A terminator followed by a bracketed citation marker (`.[12]`, `।[citation needed]`) does
//!   not end the sentence: the shipped breaks never split there (0 of 367 cases).
//! * After a terminator the next sentence must start with whitespace, except into a caseless
//!   script (Arabic, Devanagari, Hebrew, Thai, CJK), where Wikipedia-derived paragraphs often
//!   glue sentences (`…الجدار.يعد`, `है।कोलेनकाइमा`). Full-width terminators need no space.
//! * No break before a lowercase letter; none after a full-width terminator directly followed
//!   by an ASCII digit (the shipped Chinese breaks never split `。1997年`).
//! * After a single `.`: no break after a single cased letter (initials `J. R. R. Tolkien`,
//!   `z. B.`), after titles and common abbreviations (`Dr.`, `St.`, `Mr.`, `vs.`, `г.`, …),
//!   after dotted acronyms (`U.S.`, `e.g.`), after number abbreviations before a digit
//!   (`p. 12`, `No. 5`), after a German ordinal before a month or century (`am 7. November`).
//!   Sentence-final abbreviations (`etc.`, `usw.`, `т.д.`) do end a sentence before a capital.
//! * Decimals (`3.5`, `१३.२`) never split: a dot without following whitespace only splits
//!   into a caseless-script letter.
//! * **Thai** has no sentence punctuation; sentences are separated by spaces, but most spaces
//!   are not sentence breaks (the shipped breaks, from a statistical segmenter, split at about
//!   12% of spaces between Thai letters). The splitter breaks at a space between Thai letters
//!   only when the next word starts with a clause-initial connective (`ในขณะที่`, `ซึ่ง`, `โดย`,
//!   `นอกจากนี้`, `เนื่องจาก`, …) and both sides are at least 20 characters long.

use std::collections::HashSet;

/// Splits `text` into sentences. Returns half-open spans [start, end) in CHARACTER offsets
/// (Unicode scalar values, as Python indexes strings), trimmed of surrounding whitespace.
///
/// The spans are in order, do not overlap and are never empty; empty or whitespace-only text
/// gives an empty vector and text without any sentence break gives one span. See the module
/// documentation for the rules.
pub fn split_sentences(text: &str) -> Vec<(usize, usize)> {
    let chars: Vec<char> = text.chars().collect();
    let breaks = find_breaks(&chars);
    let mut spans = Vec::with_capacity(breaks.len() + 1);
    let mut start = 0;
    for end in breaks.into_iter().chain(std::iter::once(chars.len())) {
        if let Some(span) = trim_span(&chars, start, end) {
            spans.push(span);
        }
        start = end;
    }
    spans
}

/// How well a splitter's output reproduces shipped sentence breaks (counts, addable).
///
/// A shipped sentence is *reproduced* when the splitter outputs a span with exactly the same
/// start and end once both are trimmed of surrounding whitespace (shipped spans sometimes
/// include a leading or trailing space). A paragraph is *identical* when the splitter's whole
/// list of spans equals the trimmed shipped list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SplitAgreement {
    /// Paragraphs compared.
    pub paragraphs: usize,
    /// Paragraphs whose whole segmentation is identical to the shipped one.
    pub paragraphs_identical: usize,
    /// Sentences in the shipped breaks.
    pub shipped_sentences: usize,
    /// Shipped sentences that the splitter reproduced exactly (after trimming whitespace).
    pub reproduced_sentences: usize,
}

impl SplitAgreement {
    /// Adds the counts of `other` to `self`.
    pub fn add(&mut self, other: SplitAgreement) {
        self.paragraphs += other.paragraphs;
        self.paragraphs_identical += other.paragraphs_identical;
        self.shipped_sentences += other.shipped_sentences;
        self.reproduced_sentences += other.reproduced_sentences;
    }

    /// Share of shipped sentences reproduced exactly (0..=1); 0 when there are none.
    pub fn sentence_rate(&self) -> f64 {
        ratio(self.reproduced_sentences, self.shipped_sentences)
    }

    /// Share of paragraphs whose whole segmentation is identical (0..=1); 0 when there are none.
    pub fn paragraph_rate(&self) -> f64 {
        ratio(self.paragraphs_identical, self.paragraphs)
    }
}

/// Compares `split_sentences(context)` with the shipped breaks of one paragraph.
///
/// `shipped` holds half-open [start, end) character offsets into `context` (ends past the
/// text are clamped). Both sides are trimmed of surrounding whitespace before comparing; a
/// shipped sentence counts as reproduced when a split span has the same start and end, and
/// the paragraph counts as identical when the two lists of spans are equal. The result
/// describes one paragraph (`paragraphs == 1`).
pub fn measure_agreement(context: &str, shipped: &[(usize, usize)]) -> SplitAgreement {
    let chars: Vec<char> = context.chars().collect();
    let produced = split_sentences(context);
    let produced_set: HashSet<(usize, usize)> = produced.iter().copied().collect();
    let mut trimmed: Vec<(usize, usize)> = Vec::with_capacity(shipped.len());
    let mut reproduced = 0;
    for &(start, end) in shipped {
        let end = end.min(chars.len());
        let start = start.min(end);
        match trim_span(&chars, start, end) {
            Some(span) => {
                if produced_set.contains(&span) {
                    reproduced += 1;
                }
                trimmed.push(span);
            }
            // A whitespace-only shipped sentence cannot be reproduced; keep it counted.
            None => trimmed.push((start, start)),
        }
    }
    trimmed.sort_unstable();
    SplitAgreement {
        paragraphs: 1,
        paragraphs_identical: usize::from(trimmed == produced),
        shipped_sentences: shipped.len(),
        reproduced_sentences: reproduced,
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// `[start, end)` without surrounding whitespace, or `None` when nothing is left.
fn trim_span(chars: &[char], mut start: usize, mut end: usize) -> Option<(usize, usize)> {
    while start < end && chars[start].is_whitespace() {
        start += 1;
    }
    while end > start && chars[end - 1].is_whitespace() {
        end -= 1;
    }
    (end > start).then_some((start, end))
}

/// Writing systems the rules tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    Thai,
    Devanagari,
    Hebrew,
    Arabic,
    Cjk,
    Greek,
    Other,
}

fn script(c: char) -> Script {
    match u32::from(c) {
        0x0E00..=0x0E7F => Script::Thai,
        0x0900..=0x097F => Script::Devanagari,
        0x0590..=0x05FF => Script::Hebrew,
        0x0600..=0x06FF | 0x0750..=0x077F | 0x08A0..=0x08FF | 0xFB50..=0xFDFF | 0xFE70..=0xFEFF => {
            Script::Arabic
        }
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xAC00..=0xD7AF => {
            Script::Cjk
        }
        0x0370..=0x03FF | 0x1F00..=0x1FFF => Script::Greek,
        _ => Script::Other,
    }
}

/// Scripts without letter case, where sentences may follow a terminator without a space.
fn is_caseless(c: char) -> bool {
    matches!(
        script(c),
        Script::Thai | Script::Devanagari | Script::Hebrew | Script::Arabic | Script::Cjk
    )
}

fn is_fullwidth_terminator(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '｡')
}

fn is_strong_terminator(c: char) -> bool {
    matches!(
        c,
        '!' | '?' | '؟' | '।' | '॥' | '‼' | '⁇' | '⁈' | '⁉' | '\u{037E}'
    ) || is_fullwidth_terminator(c)
}

fn is_weak_terminator(c: char) -> bool {
    matches!(c, '.' | '…')
}

/// Characters that stay with the sentence they follow.
fn is_closer(c: char) -> bool {
    matches!(
        c,
        '"' | '\''
            | '”'
            | '’'
            | '»'
            | ')'
            | ']'
            | '}'
            | '」'
            | '』'
            | '）'
            | '》'
            | '›'
            | '〉'
            | '】'
            | '〕'
            | '＂'
            | '\u{200B}'
    )
}

/// Characters that may open a sentence before its first letter.
fn is_opener(c: char) -> bool {
    matches!(
        c,
        '"' | '\''
            | '“'
            | '‘'
            | '«'
            | '„'
            | '('
            | '['
            | '¿'
            | '¡'
            | '「'
            | '『'
            | '（'
            | '《'
            | '〈'
            | '【'
            | '〔'
    )
}

fn is_terminator(chars: &[char], i: usize) -> bool {
    let c = chars[i];
    if is_strong_terminator(c) || is_weak_terminator(c) {
        return true;
    }
    // ASCII ';' is the Greek question mark (U+037E normalises to it) in Greek text.
    c == ';'
        && chars[..i]
            .iter()
            .rev()
            .take(64)
            .find(|ch| ch.is_alphabetic())
            .is_some_and(|&ch| script(ch) == Script::Greek)
}

/// Titles and abbreviations after which a capitalised word continues the sentence.
const TITLES: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "st", "mt", "jr", "sr", "rev", "gen", "col", "lt", "sgt",
    "capt", "gov", "sen", "rep", "hon", "fr", "vs", "cf", "e.g", "i.e", "approx", "ca", "bzw",
    "z.b", "u.a", "d.h", "vgl", "sog", "sra", "srta", "ud", "uds", "av", "г", "гг", "т.е", "т.к",
    "др", "им", "ул", "стр", "см", "пр", "св",
];

/// Abbreviations that stand before a number (`p. 12`, `No. 5`).
const NUMBER_ABBREVIATIONS: &[&str] = &[
    "no", "nr", "núm", "vol", "pp", "p", "op", "art", "fig", "c", "r", "d", "b", "ca", "cap", "ch",
    "sec",
];

/// Abbreviations that usually end a sentence when a capital follows.
const FINAL_ABBREVIATIONS: &[&str] = &["etc", "usw", "u.s.w", "v.v", "vv", "ecc", "т.д", "т.п"];

/// Words after which `7.` is a German ordinal (`am 7. November`, `im 20. Jahrhundert`).
const ORDINAL_NEXT: &[&str] = &[
    "Januar",
    "Jänner",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
    "Jahrhundert",
    "Jahrhunderts",
    "Jahrtausend",
    "Jahrtausends",
];

/// Thai clause-initial connectives that, after a space, usually start a new sentence.
const THAI_STARTERS: &[&str] = &[
    "ในขณะที่",
    "ซึ่ง",
    "โดย",
    "นอกจากนี้",
    "แม้ว่า",
    "ถึงแม้",
    "เนื่องจาก",
    "เพราะ",
    "ดังนั้น",
    "อย่างไรก็ตาม",
    "ต่อมา",
    "หาก",
    "ทั้งนี้",
    "จากนั้น",
    "เมื่อ",
    "พร้อม",
    "ทำให้",
    "อย่างเช่น",
    "ได้แก่",
    "ก็",
    "หลังจาก",
];

/// Minimum length in characters of the Thai text on each side of a space break.
const THAI_MIN_SIDE: usize = 20;

fn starts_with_at(chars: &[char], at: usize, prefix: &str) -> bool {
    let mut rest = chars.get(at..).unwrap_or_default().iter();
    prefix.chars().all(|p| rest.next() == Some(&p))
}

fn skip_whitespace(chars: &[char], mut i: usize) -> usize {
    while i < chars.len() && chars[i].is_whitespace() {
        i += 1;
    }
    i
}

/// Character offsets where a new sentence starts (whitespace before it goes to neither side).
fn find_breaks(chars: &[char]) -> Vec<usize> {
    let n = chars.len();
    let mut breaks = Vec::new();
    let mut last = 0;
    let mut i = 0;
    while i < n {
        let c = chars[i];
        if c.is_whitespace() {
            let next = skip_whitespace(chars, i);
            if i > last && thai_space_break(chars, i, next, last) {
                breaks.push(next);
                last = next;
            }
            i = next;
            continue;
        }
        if !is_terminator(chars, i) {
            i += 1;
            continue;
        }
        let run = scan_run(chars, i);
        let next = skip_whitespace(chars, run.end);
        if next >= n {
            break;
        }
        if !run.glued_citation && ends_sentence(chars, i, &run, next, last) {
            breaks.push(run.end);
            last = run.end;
        }
        i = run.end.max(i + 1);
    }
    breaks
}

/// Whether the whitespace `[start, next)` separates two Thai sentences.
fn thai_space_break(chars: &[char], start: usize, next: usize, last: usize) -> bool {
    if start == 0 || next >= chars.len() {
        return false;
    }
    let before = chars[start - 1];
    (script(before) == Script::Thai || before == ')')
        && script(chars[next]) == Script::Thai
        && start - last >= THAI_MIN_SIDE
        && chars.len() - next >= THAI_MIN_SIDE
        && THAI_STARTERS.iter().any(|s| starts_with_at(chars, next, s))
}

/// A terminator with the punctuation that belongs to it.
struct Run {
    /// Exclusive end of the run: where the next sentence would start.
    end: usize,
    /// The run is a single terminator character (no `?!`, `...`, `г..`).
    single: bool,
    /// A bracketed citation marker follows the terminator.
    glued_citation: bool,
}

fn scan_run(chars: &[char], i: usize) -> Run {
    let n = chars.len();
    let weak = is_weak_terminator(chars[i]);
    let mut j = i + 1;
    loop {
        if j < n && is_terminator(chars, j) {
            j += 1;
        } else if weak && j + 1 < n && chars[j] == ' ' && chars[j + 1] == '.' {
            j += 2; // spaced ellipsis ". . ."
        } else {
            break;
        }
    }
    let single = j == i + 1;
    let mut glued_citation = false;
    while j < n {
        let c = chars[j];
        if c == '"' || c == '\'' {
            // A quote glued to the next word opens the next sentence.
            let closes = chars
                .get(j + 1)
                .is_none_or(|&a| a.is_whitespace() || is_closer(a));
            if !closes {
                break;
            }
            j += 1;
        } else if c == '[' {
            match citation_len(chars, j) {
                Some(len) => {
                    glued_citation = true;
                    j += len;
                }
                None => break,
            }
        } else if is_closer(c) {
            j += 1;
        } else {
            break;
        }
    }
    Run {
        end: j,
        single,
        glued_citation,
    }
}

/// Length of a citation marker `[12]` / `[citation needed]` starting at `at`, brackets included.
fn citation_len(chars: &[char], at: usize) -> Option<usize> {
    let rest = &chars[at + 1..];
    let close = rest.iter().take(41).position(|&c| c == ']' || c == '[')?;
    (close >= 1 && rest[close] == ']').then_some(close + 2)
}

/// The word that ends at `i` (not crossing whitespace or `last`), without opening punctuation.
fn word_before(chars: &[char], i: usize, last: usize) -> String {
    let mut k = i;
    while k > last && !chars[k - 1].is_whitespace() {
        k -= 1;
    }
    chars[k..i].iter().skip_while(|&&c| is_opener(c)).collect()
}

/// `U.S`, `e.g`, `D.C`: single alphanumerics joined by dots (the final dot excluded).
fn is_dotted_acronym(word: &str) -> bool {
    let mut parts = 0;
    for part in word.split('.') {
        let mut it = part.chars();
        match (it.next(), it.next()) {
            (Some(c), None) if c.is_alphanumeric() => parts += 1,
            _ => return false,
        }
    }
    parts >= 2
}

/// Whether the terminator run starting at `i` ends a sentence; `next` is the first
/// non-whitespace character after the run.
fn ends_sentence(chars: &[char], i: usize, run: &Run, next: usize, last: usize) -> bool {
    let c = chars[i];
    let spaced = next > run.end;
    let mut k = next;
    while k + 1 < chars.len() && is_opener(chars[k]) {
        k += 1;
    }
    let following = chars[k];
    if is_fullwidth_terminator(c) {
        return !following.is_ascii_digit();
    }
    if following.is_lowercase() {
        return false;
    }
    let previous = if i > 0 { chars[i - 1] } else { ' ' };
    if is_strong_terminator(c) {
        if spaced {
            return true;
        }
        let letter = following.is_alphabetic();
        return (letter && is_caseless(following))
            || (following.is_numeric() && is_caseless(previous))
            || (letter && is_caseless(previous) && c != '!' && c != '?');
    }
    // '.' or '…'
    let word = word_before(chars, i, last);
    let is_dot = c == '.' && run.single;
    if is_dot {
        let mut letters = word.chars();
        if let (Some(l), None) = (letters.next(), letters.next()) {
            if l.is_alphabetic() && (l.is_uppercase() || l.is_lowercase()) {
                return false; // initial: "J. R. R. Tolkien", "z. B."
            }
        }
    }
    if !spaced {
        return following.is_alphabetic() && is_caseless(following);
    }
    if is_dot {
        let lower = word.to_lowercase();
        if FINAL_ABBREVIATIONS.contains(&lower.as_str()) {
            return true;
        }
        if TITLES.contains(&lower.as_str()) {
            return false;
        }
        if following.is_numeric() && NUMBER_ABBREVIATIONS.contains(&lower.as_str()) {
            return false;
        }
        if is_dotted_acronym(&word) {
            return false;
        }
        if (1..=2).contains(&word.len()) && word.chars().all(|d| d.is_ascii_digit()) {
            let next_word: String = chars[k..]
                .iter()
                .take_while(|ch| ch.is_alphanumeric())
                .collect();
            if ORDINAL_NEXT.contains(&next_word.as_str()) {
                return false;
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sentences of `text` as strings.
    fn sentences(text: &str) -> Vec<String> {
        let chars: Vec<char> = text.chars().collect();
        split_sentences(text)
            .into_iter()
            .map(|(s, e)| chars[s..e].iter().collect())
            .collect()
    }

    #[test]
    fn empty_and_whitespace_only_text_gives_no_sentences() {
        assert!(split_sentences("").is_empty());
        assert!(split_sentences(" \t\n  ").is_empty());
    }

    #[test]
    fn text_without_terminator_is_one_trimmed_sentence() {
        assert_eq!(split_sentences("  no full stop here  "), vec![(2, 19)]);
        assert_eq!(sentences("Ends with a dot."), vec!["Ends with a dot."]);
    }

    #[test]
    fn english_abbreviations_decimals_and_initials() {
        let text = "Dr. Smith paid $3.5 million in the U.S. last year. \
                    J. R. R. Tolkien wrote it, e.g. in 1937. Is that so? Yes!  It is.";
        assert_eq!(
            sentences(text),
            vec![
                "Dr. Smith paid $3.5 million in the U.S. last year.",
                "J. R. R. Tolkien wrote it, e.g. in 1937.",
                "Is that so?",
                "Yes!",
                "It is.",
            ]
        );
    }

    #[test]
    fn abbreviations_before_numbers_and_final_abbreviations() {
        assert_eq!(
            sentences("See vol. 2, p. 55 and No. 7 for details, etc. Then stop... Next one."),
            vec![
                "See vol. 2, p. 55 and No. 7 for details, etc.",
                "Then stop...",
                "Next one."
            ]
        );
    }

    #[test]
    fn no_break_before_lowercase_or_without_space_in_latin_text() {
        assert_eq!(
            sentences("He said wait... and left. Visit example.com today.It works."),
            vec![
                "He said wait... and left.",
                "Visit example.com today.It works."
            ]
        );
    }

    #[test]
    fn closing_quotes_and_brackets_stay_with_the_sentence() {
        assert_eq!(
            sentences("He said \"Stop.\" Then he left. (It rained.) «Fin.» Done."),
            vec![
                "He said \"Stop.\"",
                "Then he left.",
                "(It rained.)",
                "«Fin.»",
                "Done."
            ]
        );
    }

    #[test]
    fn citation_glued_to_terminator_keeps_the_sentence_open() {
        assert_eq!(
            sentences("Il fut roi.[12] Son fils régna. Fin."),
            vec!["Il fut roi.[12] Son fils régna.", "Fin."]
        );
    }

    #[test]
    fn german_ordinals_before_months_do_not_break() {
        assert_eq!(
            sentences("Er wurde am 7. November 1888 geboren. Im 20. Jahrhundert starb er. Ende."),
            vec![
                "Er wurde am 7. November 1888 geboren.",
                "Im 20. Jahrhundert starb er.",
                "Ende."
            ]
        );
    }

    #[test]
    fn russian_with_abbreviations() {
        let text = "Город основан в 1147 г. Москва — столица России. Это т.д. Конец!";
        assert_eq!(
            sentences(text),
            vec![
                "Город основан в 1147 г. Москва — столица России.",
                "Это т.д.",
                "Конец!"
            ]
        );
        // Character offsets: Cyrillic letters are two bytes each in UTF-8.
        let spans = split_sentences("Привет. Мир.");
        assert_eq!(spans, vec![(0, 7), (8, 12)]);
    }

    #[test]
    fn greek_question_mark_both_forms() {
        assert_eq!(
            sentences("Τι κάνεις; Καλά είμαι. Πού πας\u{037E} Σπίτι."),
            vec!["Τι κάνεις;", "Καλά είμαι.", "Πού πας\u{037E}", "Σπίτι."]
        );
        // In Latin text ';' is a semicolon.
        assert_eq!(sentences("One; Two."), vec!["One; Two."]);
    }

    #[test]
    fn arabic_with_and_without_space() {
        let text = "ما هذا؟ هذا كتاب. إنه جميل!ذهبت إلى البيت.";
        assert_eq!(
            sentences(text),
            vec!["ما هذا؟", "هذا كتاب.", "إنه جميل!", "ذهبت إلى البيت."]
        );
        let spans = split_sentences("مرحبا.يعد");
        assert_eq!(spans, vec![(0, 6), (6, 9)]);
    }

    #[test]
    fn hindi_danda_and_decimals() {
        let text = "यह एक वाक्य है। यह दूसरा है॥तीसरा वाक्य १३.२ प्रतिशत है।";
        assert_eq!(
            sentences(text),
            vec!["यह एक वाक्य है।", "यह दूसरा है॥", "तीसरा वाक्य १३.२ प्रतिशत है।"]
        );
        assert_eq!(split_sentences("नमस्ते। दुनिया।"), vec![(0, 7), (8, 15)]);
    }

    #[test]
    fn chinese_and_japanese_full_width_punctuation() {
        assert_eq!(
            sentences("我爱北京。你呢？很好！「是的。」他说。"),
            vec!["我爱北京。", "你呢？", "很好！", "「是的。」", "他说。"]
        );
        assert_eq!(
            split_sentences("今日は晴れです。明日は雨でしょう。"),
            vec![(0, 8), (8, 17)]
        );
        // The shipped Chinese breaks never split before an ASCII digit.
        assert_eq!(
            sentences("他回到乐团。1999年，他们发行专辑。"),
            vec!["他回到乐团。1999年，他们发行专辑。"]
        );
    }

    #[test]
    fn thai_breaks_only_at_spaces_before_connectives() {
        let first = "ทีมรับของแพนเธอร์สได้อันดับที่หกของลีก";
        let second = "ในขณะที่เป็นผู้นำในเอ็นเอฟแอลด้วยการอินเตอร์เซป";
        let text = format!("{first} {second}");
        let n1 = first.chars().count();
        let n2 = second.chars().count();
        assert_eq!(split_sentences(&text), vec![(0, n1), (n1 + 1, n1 + 1 + n2)]);
        // A space before an ordinary word does not break.
        let plain = "ทีมรับของแพนเธอร์สได้อันดับที่หกของลีก สี่ ครั้ง";
        assert_eq!(split_sentences(plain).len(), 1);
    }

    #[test]
    fn edge_cases_give_ordered_non_empty_spans() {
        for text in [
            ".",
            "...",
            "[",
            ".[",
            ".[1",
            "\"",
            ".\"",
            "。",
            "؟",
            " . ",
            ";",
            "a.[x] b",
            "U.S.",
            "Ά; ;",
            "(",
            "Dr.",
            "ทีม ซึ่ง",
            "1. 2. 3.",
            "!!! ???",
        ] {
            let n = text.chars().count();
            let spans = split_sentences(text);
            let mut previous_end = 0;
            for &(start, end) in &spans {
                assert!(
                    previous_end <= start && start < end && end <= n,
                    "{text:?}: {spans:?}"
                );
                previous_end = end;
            }
        }
    }

    #[test]
    fn agreement_counts_and_rates() {
        let text = "One two. Three four. Five.";
        let exact = measure_agreement(text, &[(0, 8), (9, 20), (21, 26)]);
        assert_eq!(
            exact,
            SplitAgreement {
                paragraphs: 1,
                paragraphs_identical: 1,
                shipped_sentences: 3,
                reproduced_sentences: 3
            }
        );
        // Shipped spans with surrounding spaces still match after trimming.
        let padded = measure_agreement(text, &[(0, 9), (8, 21), (21, 26)]);
        assert_eq!(padded.reproduced_sentences, 3);
        assert_eq!(padded.paragraphs_identical, 1);
        // A merged shipped sentence is not reproduced, and the paragraph differs.
        let merged = measure_agreement(text, &[(0, 20), (21, 26)]);
        assert_eq!(merged.reproduced_sentences, 1);
        assert_eq!(merged.paragraphs_identical, 0);

        let mut total = SplitAgreement::default();
        assert_eq!(total.sentence_rate(), 0.0);
        assert_eq!(total.paragraph_rate(), 0.0);
        total.add(exact);
        total.add(merged);
        assert_eq!(total.paragraphs, 2);
        assert_eq!(total.shipped_sentences, 5);
        assert!((total.sentence_rate() - 0.8).abs() < 1e-12);
        assert!((total.paragraph_rate() - 0.5).abs() < 1e-12);
    }
}
