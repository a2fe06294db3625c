//! How each platform counts a post's length. Mastodon counts grapheme clusters with every URL
//! weighing 23 and a remote mention counting only its local part; Discord counts characters.

use unicode_segmentation::UnicodeSegmentation;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextCounting {
    /// Unicode scalar values.
    Chars,
    /// User-perceived characters (grapheme clusters).
    Graphemes,
    /// UTF-8 bytes (the strict reading of Threads' "emoji count as bytes").
    Utf8Bytes,
    /// Mastodon's rule: graphemes, each URL counts `url_weight`, `@user@domain` counts as `@user`.
    Mastodon { url_weight: usize },
}

impl TextCounting {
    pub fn unit(self) -> &'static str {
        match self {
            Self::Chars | Self::Mastodon { .. } => "characters",
            Self::Graphemes => "graphemes",
            Self::Utf8Bytes => "bytes",
        }
    }
}

pub fn count(text: &str, counting: TextCounting) -> usize {
    match counting {
        TextCounting::Chars => text.chars().count(),
        TextCounting::Graphemes => text.graphemes(true).count(),
        TextCounting::Utf8Bytes => text.len(),
        TextCounting::Mastodon { url_weight } => count_mastodon(text, url_weight),
    }
}

fn count_mastodon(text: &str, url_weight: usize) -> usize {
    let mut total = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let token_start = rest.find(|c: char| !c.is_whitespace()).unwrap_or(rest.len());
        total += rest[..token_start].graphemes(true).count();
        rest = &rest[token_start..];
        let token_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let token = &rest[..token_end];
        total += count_mastodon_token(token, url_weight);
        rest = &rest[token_end..];
    }
    total
}

fn count_mastodon_token(token: &str, url_weight: usize) -> usize {
    if let Some(at) = token.find("https://").or_else(|| token.find("http://")) {
        // Trailing sentence punctuation is not part of the link.
        let link = token[at..].trim_end_matches(['.', ',', ')', '!', '?', ':', ';']);
        let after = &token[at + link.len()..];
        let scheme_len = if link.starts_with("https://") { 8 } else { 7 };
        if link.len() > scheme_len {
            return token[..at].graphemes(true).count() + url_weight + after.graphemes(true).count();
        }
    }
    if let Some(mention) = token.strip_prefix('@')
        && let Some((user, domain)) = mention.split_once('@')
        && !user.is_empty()
        && domain.contains('.')
    {
        let domain_len = domain.trim_end_matches(['.', ',', '!', '?', ':', ';']).len();
        let trailing = &domain[domain_len..];
        return 1 + user.graphemes(true).count() + trailing.graphemes(true).count();
    }
    token.graphemes(true).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(text: &str, counting: TextCounting, expect: usize) {
        assert_eq!(count(text, counting), expect, "length of {text:?} under {counting:?}");
    }

    const MASTODON: TextCounting = TextCounting::Mastodon { url_weight: 23 };

    #[test]
    fn counts_the_way_each_platform_does() {
        check("hello", TextCounting::Chars, 5);
        check("👍🏽", TextCounting::Chars, 2);
        check("👍🏽", TextCounting::Graphemes, 1);
        check("👨‍👩‍👧 family", MASTODON, 8);
        check("see https://example.com/a/very/long/path?with=query", MASTODON, 4 + 23);
        check("(https://example.com/x).", MASTODON, 1 + 23 + 2);
        check("hi @alice@mastodon.social!", MASTODON, 3 + 6 + 1);
        check("@local mention", MASTODON, 14);
        check("  spaced\n\nlines  ", MASTODON, 17);
        check("https:// alone", MASTODON, 14);
    }
}
