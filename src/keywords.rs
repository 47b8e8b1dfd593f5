//! The byte prefilter before anything else: which of the selected rules' keywords occur in a
//! file as whole Go words, found in one pass over the bytes for all rules (an Aho–Corasick
//! automaton over every keyword), not one search per keyword and rule.

use aho_corasick::{AhoCorasick, Input, MatchKind};

use crate::text::is_word_byte;
use crate::transforms::Rule;

/// The keywords (`Rule::keywords` and `Rule::requires`) of a set of rules.
pub struct KeywordIndex {
    /// The ids of the rules this index was built for.
    rules: Vec<&'static str>,
    words: Vec<&'static str>,
    /// For each word, the other words it starts with (`Fatal` for `Fatalln`): they match where
    /// it does, and a leftmost-longest search reports only the longest.
    prefixes: Vec<Vec<usize>>,
    /// `None` when the rules have no keyword at all.
    automaton: Option<AhoCorasick>,
}

/// Which words of a [`KeywordIndex`] occur in one text.
pub struct Present<'i> {
    index: &'i KeywordIndex,
    found: Vec<bool>,
}

impl KeywordIndex {
    pub fn new(rules: &[&'static Rule]) -> Self {
        let mut words: Vec<&'static str> = rules
            .iter()
            .flat_map(|rule| rule.keywords.iter().chain(rule.requires))
            .copied()
            .collect();
        words.sort_unstable();
        words.dedup();
        // Only fails for patterns far beyond the automaton's limits: fall back to the
        // one-search-per-word path then. Leftmost-longest, not overlapping: only a leftmost
        // search runs the automaton's SIMD prefilter (Teddy), a third of the instructions.
        let automaton = (!words.is_empty())
            .then(|| {
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(&words)
                    .ok()
            })
            .flatten();
        let prefixes = words
            .iter()
            .map(|word| {
                (0..words.len())
                    .filter(|&other| words[other].len() < word.len())
                    .filter(|&other| word.starts_with(words[other]))
                    .collect()
            })
            .collect();
        KeywordIndex {
            rules: rules.iter().map(|rule| rule.id).collect(),
            words,
            prefixes,
            automaton,
        }
    }

    /// Whether this index was built for exactly `rules`.
    pub fn is_for(&self, rules: &[&'static Rule]) -> bool {
        self.rules.len() == rules.len()
            && self
                .rules
                .iter()
                .zip(rules)
                .all(|(built, rule)| *built == rule.id)
    }

    /// The words that occur in `bytes` as whole words (see [`crate::text::contains_word`]).
    pub fn scan(&self, bytes: &[u8]) -> Present<'_> {
        let mut found = vec![false; self.words.len()];
        match &self.automaton {
            Some(automaton) => self.scan_with(automaton, bytes, &mut found),
            None => {
                for (slot, word) in found.iter_mut().zip(&self.words) {
                    *slot = crate::text::contains_word(bytes, word);
                }
            }
        }
        Present { index: self, found }
    }

    /// Every occurrence of every keyword, overlapping ones included, so a longer identifier
    /// around one keyword or a longer keyword at the same place hides nothing; each is tested as
    /// a whole word. The search restarts one byte after each match's start, so a keyword that
    /// starts inside a match is found; the keywords starting where a match starts are the
    /// matched one and its prefixes.
    fn scan_with(&self, automaton: &AhoCorasick, bytes: &[u8], found: &mut [bool]) {
        let mut missing = found.len();
        let mut from = 0;
        while let Some(hit) = automaton.find(Input::new(bytes).range(from..)) {
            let longest = hit.pattern().as_usize();
            for &pattern in std::iter::once(&longest).chain(&self.prefixes[longest]) {
                let end = hit.start() + self.words[pattern].len();
                if !found[pattern] && is_whole_word(bytes, hit.start(), end) {
                    found[pattern] = true;
                    missing -= 1;
                }
            }
            if missing == 0 {
                return;
            }
            from = hit.start() + 1;
        }
    }
}

/// Whether `bytes[start..end]` is not part of a longer identifier.
fn is_whole_word(bytes: &[u8], start: usize, end: usize) -> bool {
    (start == 0 || !is_word_byte(bytes[start - 1]))
        && (end >= bytes.len() || !is_word_byte(bytes[end]))
}

impl Present<'_> {
    pub fn has(&self, word: &str) -> bool {
        self.index
            .words
            .binary_search(&word)
            .is_ok_and(|at| self.found[at])
    }

    /// Whether `rule`'s keywords allow it here: one of its keywords and, when it names any, one
    /// of the words it requires.
    pub fn admits(&self, rule: &Rule) -> bool {
        let has = |word: &&str| self.has(word);
        rule.keywords.iter().any(has) && (rule.requires.is_empty() || rule.requires.iter().any(has))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::RULES;

    fn present(text: &str) -> Vec<&'static str> {
        let index = KeywordIndex::new(RULES);
        let found = index.scan(text.as_bytes());
        index
            .words
            .iter()
            .copied()
            .filter(|word| found.has(word))
            .collect()
    }

    #[test]
    fn finds_whole_words_only() {
        assert_eq!(present("x.Fatalf(y)"), ["Fatalf"]);
        assert_eq!(present("deferred undefer _defer"), Vec::<&str>::new());
        assert_eq!(present("\tdefer f()\n"), ["defer"]);
    }

    #[test]
    fn a_longer_word_around_a_keyword_hides_no_later_one() {
        // `Fatalx` starts with the keyword `Fatal`; the `Fatal` after it still counts.
        assert_eq!(present("Fatalx Fatal"), ["Fatal"]);
        // Two keywords starting at one place: `Fatal` is part of `Fatalln`.
        assert_eq!(present("log.Fatalln()"), ["Fatalln"]);
        assert_eq!(present("log.Fatal()"), ["Fatal"]);
        // A keyword ending where a longer one that starts earlier ends: `Begin` in `MustBegin`.
        assert_eq!(present("db.MustBegin()"), ["MustBegin"]);
        assert_eq!(present("xMustBegin Begin"), ["Begin"]);
    }

    /// The automaton finds what one whole-word search per keyword finds, on texts made of
    /// keywords that overlap, nest and touch, and on the rules' fixtures.
    #[test]
    fn scan_agrees_with_one_search_per_word() {
        let index = KeywordIndex::new(RULES);
        let joints = ["", ".", " ", "x", "_", "os."];
        let mut texts: Vec<String> = Vec::new();
        for first in &index.words {
            for second in &index.words {
                for joint in joints {
                    texts.push(format!("{first}{joint}{second}"));
                    texts.push(format!("{}{joint}{second}", &first[1..]));
                    texts.push(format!("{first}{joint}{}", &second[..second.len() - 1]));
                }
            }
        }
        texts.extend(crate::syntax::fixture_texts());
        assert!(texts.len() > 10_000, "{} texts", texts.len());
        for text in &texts {
            let found = index.scan(text.as_bytes());
            for word in &index.words {
                assert_eq!(
                    found.has(word),
                    crate::text::contains_word(text.as_bytes(), word),
                    "{word} in {text:?}"
                );
            }
        }
    }

    #[test]
    fn keywords_with_a_dot_match_at_word_ends() {
        assert_eq!(present("f, err := os.Create(p)"), ["os.Create"]);
        assert_eq!(present("f, err := bos.Create(p)"), Vec::<&str>::new());
    }

    #[test]
    fn a_rule_is_admitted_by_its_keywords_and_requires() {
        let index = KeywordIndex::new(RULES);
        let exit = crate::transforms::find("exit-after-defer").unwrap();
        assert!(!index.scan(b"os.Exit(1)").admits(exit));
        assert!(index.scan(b"defer g(); os.Exit(1)").admits(exit));
        assert!(index.is_for(RULES));
        assert!(!index.is_for(&RULES[1..]));
    }
}
