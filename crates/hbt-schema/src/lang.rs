//! Language codes. hbt names languages by ISO 639-1 codes (`en`, `zh`, ...); anything else is
//! refused with an error naming the code, so a typo in an experiment file cannot silently
//! produce an empty language.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Every ISO 639-1 code, sorted.
const ISO_639_1: &[&str] = &[
    "aa", "ab", "ae", "af", "ak", "am", "an", "ar", "as", "av", "ay", "az", "ba", "be", "bg", "bh",
    "bi", "bm", "bn", "bo", "br", "bs", "ca", "ce", "ch", "co", "cr", "cs", "cu", "cv", "cy", "da",
    "de", "dv", "dz", "ee", "el", "en", "eo", "es", "et", "eu", "fa", "ff", "fi", "fj", "fo", "fr",
    "fy", "ga", "gd", "gl", "gn", "gu", "gv", "ha", "he", "hi", "ho", "hr", "ht", "hu", "hy", "hz",
    "ia", "id", "ie", "ig", "ii", "ik", "io", "is", "it", "iu", "ja", "jv", "ka", "kg", "ki", "kj",
    "kk", "kl", "km", "kn", "ko", "kr", "ks", "ku", "kv", "kw", "ky", "la", "lb", "lg", "li", "ln",
    "lo", "lt", "lu", "lv", "mg", "mh", "mi", "mk", "ml", "mn", "mr", "ms", "mt", "my", "na", "nb",
    "nd", "ne", "ng", "nl", "nn", "no", "nr", "nv", "ny", "oc", "oj", "om", "or", "os", "pa", "pi",
    "pl", "ps", "pt", "qu", "rm", "rn", "ro", "ru", "rw", "sa", "sc", "sd", "se", "sg", "si", "sk",
    "sl", "sm", "sn", "so", "sq", "sr", "ss", "st", "su", "sv", "sw", "ta", "te", "tg", "th", "ti",
    "tk", "tl", "tn", "to", "tr", "ts", "tt", "tw", "ty", "ug", "uk", "ur", "uz", "ve", "vi", "vo",
    "wa", "wo", "xh", "yi", "yo", "za", "zh", "zu",
];

/// A language code that hbt does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown language `{code}` (expected an ISO 639-1 code such as en, de or zh)")]
pub struct UnknownLanguage {
    /// The code as given.
    pub code: String,
}

/// A validated ISO 639-1 language code, stored in lower case.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Lang([u8; 2]);

impl Lang {
    /// Parses a code such as `en` or `ZH`; unknown codes are an error naming the code.
    pub fn parse(code: &str) -> Result<Lang, UnknownLanguage> {
        let lower = code.trim().to_ascii_lowercase();
        match ISO_639_1.binary_search(&lower.as_str()) {
            Ok(_) => {
                let b = lower.as_bytes();
                Ok(Lang([b[0], b[1]]))
            }
            Err(_) => Err(UnknownLanguage {
                code: code.to_string(),
            }),
        }
    }

    /// The two-letter code.
    pub fn as_str(&self) -> &str {
        // Only ASCII letters from ISO_639_1 are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl FromStr for Lang {
    type Err = UnknownLanguage;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Lang::parse(s)
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Lang {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Lang {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Lang::parse(&code).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_sorted_for_binary_search() {
        assert!(ISO_639_1.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn parses_known_codes_case_insensitively() {
        assert_eq!(Lang::parse("ZH").unwrap().as_str(), "zh");
        assert_eq!(Lang::parse("th").unwrap().to_string(), "th");
    }

    #[test]
    fn rejects_unknown_codes_with_the_code_in_the_message() {
        let err = Lang::parse("xx").unwrap_err().to_string();
        assert!(err.contains("`xx`"), "{err}");
        assert!(Lang::parse("eng").is_err());
        assert!(Lang::parse("").is_err());
    }
}
