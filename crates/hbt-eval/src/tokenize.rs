//! The word tokenizer of the BM25 baseline: Unicode-aware, lowercase, no stemming and no stop
//! words (the same for every language, so no language gets a tuned analyzer).
//!
//! * Text is lowercased (full Unicode case mapping) and split on every character that is
//!   neither alphanumeric nor a combining mark; marks stay in their word (Devanagari vowel
//!   signs and virama, Arabic harakat, Thai tone marks).
//! * Scripts written without spaces between words — Thai, Lao, Khmer, Myanmar, Han, Hiragana
//!   and Katakana — have no word boundaries to split on. A run of such characters becomes its
//!   character **unigrams and bigrams** (a character keeps its combining marks): bigrams carry
//!   most of the matching power for Chinese (as in Lucene's CJK analyzer), unigrams keep
//!   one-character words findable. Hangul is written with spaces and is tokenized as words.
//! * Digits are word characters; a run of them is a token of its own when it touches a
//!   spaceless script.

use unicode_categories::UnicodeCategories;

/// Whether `c` belongs to a script written without spaces between words.
fn spaceless(c: char) -> bool {
    matches!(u32::from(c),
        0x0E00..=0x0EFF     // Thai, Lao
        | 0x1000..=0x109F   // Myanmar
        | 0x1780..=0x17FF   // Khmer
        | 0x3005..=0x3007   // 々 〆 〇
        | 0x3040..=0x30FF   // Hiragana, Katakana
        | 0x31F0..=0x31FF   // Katakana phonetic extensions
        | 0x3400..=0x4DBF   // CJK extension A
        | 0x4E00..=0x9FFF   // CJK unified ideographs
        | 0xF900..=0xFAFF   // CJK compatibility ideographs
        | 0xFF66..=0xFF9F   // halfwidth Katakana
        | 0x20000..=0x323AF // CJK extensions B–H
    ) && c.is_alphanumeric()
}

/// The tokens of `text` (see the module docs).
pub fn tokenize(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    let mut units: Vec<String> = Vec::new();
    for c in text.chars() {
        if c.is_mark() {
            // A mark belongs to whatever it follows; a mark after a separator is dropped.
            if let Some(last) = units.last_mut() {
                last.extend(c.to_lowercase());
            } else if !word.is_empty() {
                word.extend(c.to_lowercase());
            }
        } else if spaceless(c) {
            flush_word(&mut word, &mut tokens);
            units.push(c.to_lowercase().collect());
        } else if c.is_alphanumeric() {
            flush_units(&mut units, &mut tokens);
            word.extend(c.to_lowercase());
        } else {
            flush_word(&mut word, &mut tokens);
            flush_units(&mut units, &mut tokens);
        }
    }
    flush_word(&mut word, &mut tokens);
    flush_units(&mut units, &mut tokens);
    tokens
}

fn flush_word(word: &mut String, tokens: &mut Vec<String>) {
    if !word.is_empty() {
        tokens.push(std::mem::take(word));
    }
}

fn flush_units(units: &mut Vec<String>, tokens: &mut Vec<String>) {
    for pair in units.windows(2) {
        tokens.push(format!("{}{}", pair[0], pair[1]));
    }
    tokens.append(units);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaced_scripts_split_into_lowercase_words() {
        assert_eq!(
            tokenize("The Normans (Norman: Nourmands) in 1066!"),
            ["the", "normans", "norman", "nourmands", "in", "1066"]
        );
        assert_eq!(
            tokenize("Straße ÄRGER don't"),
            ["straße", "ärger", "don", "t"]
        );
        assert_eq!(tokenize("Ελλάδα, Россия"), ["ελλάδα", "россия"]);
        assert!(tokenize(" ,.;!? ").is_empty());
    }

    #[test]
    fn combining_marks_stay_in_their_word() {
        // हिन्दी has a virama (U+094D) and vowel signs: one token, not split at the marks.
        assert_eq!(tokenize("हिन्दी भाषा"), ["हिन्दी", "भाषा"]);
        assert_eq!(tokenize("مَدْرَسَة"), ["مَدْرَسَة"]);
    }

    #[test]
    fn spaceless_scripts_give_unigrams_and_bigrams() {
        assert_eq!(
            tokenize("北京大学2008年"),
            ["北京", "京大", "大学", "北", "京", "大", "学", "2008", "年"]
        );
        // Thai: tone marks and above/below vowel signs (combining marks) stay on their
        // consonant; ไ and ำ are letters of their own.
        assert_eq!(tokenize("ไม่"), ["ไม่", "ไ", "ม่"]);
        assert_eq!(tokenize("น้ำ ดี"), ["น้ำ", "น้", "ำ", "ดี"]);
        assert_eq!(tokenize("한국어 문장"), ["한국어", "문장"]);
    }
}
