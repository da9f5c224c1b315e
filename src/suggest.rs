//! "Did you mean …?" for misspelt names (operators, signals, segments, zones).

/// The candidate closest to `word` by edit distance, if it is close enough to be a likely typo.
/// Runs on decision paths too (an unknown zone in a context, against some 600 zone names), so
/// it must stay cheap for any word: candidates that cannot be within the limit are dropped by
/// two lower bounds of the distance before any table is built.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let len = word.chars().count();
    let limit = (len / 3).max(1);
    let word = word.to_ascii_lowercase();
    let mut counts = letter_counts(&word);
    candidates
        .into_iter()
        .filter(|c| c.chars().count().abs_diff(len) <= limit && letters_apart(&mut counts, len, c) <= limit)
        .map(|c| (edit_distance(&word, &c.to_ascii_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Which count a character goes in: ASCII ones (lowercased) apart, all others together.
fn bucket(c: char) -> usize {
    if c.is_ascii() {
        c.to_ascii_lowercase() as usize
    } else {
        0
    }
}

/// How often each character occurs, by [`bucket`].
fn letter_counts(word: &str) -> [i32; 128] {
    let mut counts = [0; 128];
    for c in word.chars() {
        counts[bucket(c)] += 1;
    }
    counts
}

/// A lower bound of the edit distance between the word counted in `counts` (of `len`
/// characters) and `other`: the characters either one has that the other lacks, since each edit
/// (insertion, deletion, substitution, swap) removes at most one of those from either side.
/// `counts` is used as scratch space and left as it was.
fn letters_apart(counts: &mut [i32; 128], len: usize, other: &str) -> usize {
    let (mut other_len, mut lack) = (0, 0);
    for c in other.chars() {
        other_len += 1;
        let n = &mut counts[bucket(c)];
        if *n <= 0 {
            lack += 1;
        }
        *n -= 1;
    }
    for c in other.chars() {
        counts[bucket(c)] += 1;
    }
    // The word's characters that `other` did not use: len - (other_len - lack).
    (len + lack - other_len).max(lack)
}

/// Optimal string alignment distance: edits, with a swap of neighbours (`cuont`) counted as one.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for (i, row) in d.chunks_mut(width).enumerate() {
        row[0] = i;
    }
    for (j, cell) in d.iter_mut().take(width).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best =
                (d[(i - 1) * width + j] + 1).min(d[i * width + j - 1] + 1).min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

#[cfg(test)]
mod tests {
    #[test]
    fn swapped_letters_count_once() {
        assert_eq!(super::edit_distance("cuont", "count"), 1);
        assert_eq!(super::edit_distance("kitten", "sitting"), 3);
        assert_eq!(super::nearest("devce", ["device", "page"]), Some("device"));
    }

    #[test]
    fn far_words_are_dropped_before_any_table() {
        assert_eq!(super::nearest("Europe/Parisx", ["Europe/Paris", "Asia/Tokyo"]), Some("Europe/Paris"));
        assert_eq!(super::nearest(&"x".repeat(4096), ["Europe/Paris"]), None);
        assert_eq!(super::nearest("Xurope/Parisx", ["Europe/Paris"]), Some("Europe/Paris"));
        assert_eq!(super::nearest("Mars/Olympus", ["Europe/Paris", "Asia/Tokyo"]), None);
    }

    #[test]
    fn letter_surplus_never_exceeds_the_distance() {
        let words = ["", "a", "ab", "ba", "count", "cuont", "Europe/Paris", "europe/pariß", "é", "kitten", "sitting"];
        for a in words {
            for b in words {
                let (a, b) = (a.to_ascii_lowercase(), b.to_ascii_lowercase());
                let bound = super::letters_apart(&mut super::letter_counts(&a), a.chars().count(), &b);
                assert!(bound <= super::edit_distance(&a, &b), "{a} {b}");
            }
        }
    }
}
