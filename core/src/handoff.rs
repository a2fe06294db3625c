//! Hand-off: reaching what no API reaches (WhatsApp chats and Status, Messenger, a personal
//! Telegram chat) by opening the platform's own share intent with the post filled in: WhatsApp,
//! Telegram, Messenger, Facebook, Threads, Bluesky, X or email, percent-encoded exactly. A URL
//! carries text and a link, never a file: where the post has media, the intent's notes tell the
//! user to attach it themselves, and `prepare_media` fits the photos for that app (metadata
//! removed; videos and documents as they are), for `fanout handoff` and the app's hand-off.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::error::{Error, Result};
use crate::text::{self, TextCounting};

/// Everything but RFC 3986's unreserved characters is encoded, so the text survives every app's
/// parser (a `+` or `&` in the post stays itself; spaces become `%20`, which `mailto:` needs).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    WhatsApp,
    Telegram,
    Messenger,
    Facebook,
    Threads,
    Bluesky,
    X,
    Email,
}

impl Intent {
    pub const ALL: [Intent; 8] = [
        Intent::WhatsApp,
        Intent::Telegram,
        Intent::Messenger,
        Intent::Facebook,
        Intent::Threads,
        Intent::Bluesky,
        Intent::X,
        Intent::Email,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Self::WhatsApp => "whatsapp",
            Self::Telegram => "telegram",
            Self::Messenger => "messenger",
            Self::Facebook => "facebook",
            Self::Threads => "threads",
            Self::Bluesky => "bluesky",
            Self::X => "x",
            Self::Email => "email",
        }
    }

    pub fn parse(id: &str) -> Option<Intent> {
        Self::ALL.into_iter().find(|i| i.id() == id)
    }

    pub fn display_name(self) -> &'static str {
        match self {
            Self::WhatsApp => "WhatsApp",
            Self::Telegram => "Telegram",
            Self::Messenger => "Messenger",
            Self::Facebook => "Facebook",
            Self::Threads => "Threads",
            Self::Bluesky => "Bluesky",
            Self::X => "X",
            Self::Email => "email",
        }
    }
}

/// A share intent ready to open, with what the user should know before tapping Send.
#[derive(Debug, Clone, PartialEq)]
pub struct Handoff {
    pub url: String,
    pub notes: Vec<String>,
}

fn enc(text: &str) -> String {
    utf8_percent_encode(text, COMPONENT).to_string()
}

/// The first http(s) link in the text, if any.
pub fn first_link(text: &str) -> Option<&str> {
    text.split_whitespace()
        .find(|w| w.starts_with("https://") || w.starts_with("http://"))
        .map(|w| w.trim_end_matches(['.', ',', ')', '!', '?', ':', ';']))
}

/// The share intent for `text` (and an explicit `link`, else the first link in the text), with
/// notes for what the intent cannot carry.
pub fn intent(target: Intent, text: &str, link: Option<&str>, media_count: usize) -> Result<Handoff> {
    let text = text.trim();
    let link = link.map(str::trim).filter(|l| !l.is_empty()).or_else(|| first_link(text));
    if text.is_empty() && link.is_none() {
        return Err(Error::invalid("nothing to share: give some text or a link"));
    }
    let mut notes = Vec::new();
    let url = match target {
        Intent::WhatsApp => format!("https://wa.me/?text={}", enc(text)),
        Intent::Telegram => {
            // Telegram's share page requires `url`; a post without a link shares its text there.
            let rest = link.map_or(String::new(), |l| text.replace(l, "").trim().to_owned());
            match link {
                Some(l) if rest.is_empty() => format!("https://t.me/share/url?url={}", enc(l)),
                Some(l) => format!("https://t.me/share/url?url={}&text={}", enc(l), enc(&rest)),
                None => format!("https://t.me/share/url?url={}", enc(text)),
            }
        }
        Intent::Messenger | Intent::Facebook => {
            let link = link.ok_or_else(|| {
                Error::invalid(format!(
                    "{} shares a link only; add one to the text or give it apart",
                    target.display_name()
                ))
            })?;
            if text != link {
                notes.push(format!("{} carries the link only; paste the text yourself", target.display_name()));
            }
            match target {
                Intent::Messenger => format!("fb-messenger://share?link={}", enc(link)),
                _ => format!("https://www.facebook.com/sharer/sharer.php?u={}", enc(link)),
            }
        }
        Intent::Threads => format!("https://www.threads.net/intent/post?text={}", enc(text)),
        Intent::Bluesky => format!("https://bsky.app/intent/compose?text={}", enc(text)),
        Intent::X => format!("https://x.com/intent/post?text={}", enc(text)),
        Intent::Email => {
            let subject: String = text.lines().next().unwrap_or_default().chars().take(78).collect();
            format!("mailto:?subject={}&body={}", enc(&subject), enc(text))
        }
    };
    let limit = match target {
        Intent::Bluesky => Some((300, TextCounting::Graphemes)),
        Intent::Threads => Some((500, TextCounting::Utf8Bytes)),
        Intent::X => Some((280, TextCounting::Chars)),
        _ => None,
    };
    if let Some((limit, counting)) = limit {
        let length = text::count(text, counting);
        if length > limit {
            notes.push(format!(
                "the text is {length}/{limit} {} for {}: the app will ask you to shorten it",
                counting.unit(),
                target.display_name()
            ));
        }
    }
    if media_count > 0 {
        notes.push(format!(
            "a share link cannot carry files: attach the prepared {} yourself",
            if media_count == 1 { "photo" } else { "photos" }
        ));
    }
    Ok(Handoff { url, notes })
}

impl Intent {
    /// The target whose media rules the app takes (X and email have none: fitted as for
    /// Mastodon, any shape, metadata removed).
    pub fn media_target(self) -> crate::profiles::Target {
        use crate::profiles::Target;
        match self {
            Intent::WhatsApp => Target::WhatsApp,
            Intent::Telegram => Target::Telegram,
            Intent::Threads => Target::Threads,
            Intent::Bluesky => Target::Bluesky,
            Intent::Messenger | Intent::Facebook => Target::FacebookFeed,
            Intent::X | Intent::Email => Target::Mastodon,
        }
    }
}

/// Prepares `files` for `intent`'s app into `out` (fitted, metadata removed) so the user can
/// attach them by hand; videos and documents are handed over as they are. Returns the files to attach.
pub fn prepare_media(
    intent: Intent,
    files: &[std::path::PathBuf],
    out: &std::path::Path,
) -> Result<Vec<std::path::PathBuf>> {
    use crate::media::{self, FitOptions, Limits, Prepared};
    if files.is_empty() {
        return Ok(Vec::new());
    }
    std::fs::create_dir_all(out).map_err(|e| Error::io(format!("cannot create {}", out.display()), e))?;
    let target = intent.media_target();
    let results =
        media::prepare_files(files, crate::profiles::profile(target), &FitOptions::default(), &Limits::default(), 2);
    let mut prepared = Vec::with_capacity(files.len());
    for (file, result) in files.iter().zip(results) {
        match result {
            Ok(Prepared::Image(variant)) => {
                let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "media".into());
                let path = out.join(format!("{stem}.{}.{}", target.id(), variant.format.extension()));
                std::fs::write(&path, &variant.bytes)
                    .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
                prepared.push(path);
            }
            Ok(Prepared::Video { .. }) => prepared.push(file.clone()),
            // A document (PDF) is handed over as it is.
            Err(_) if crate::files::inspect_media(file).is_ok_and(|f| f.kind.is_document()) => {
                prepared.push(file.clone())
            }
            Err(e) => return Err(Error::invalid(format!("{}: {e}", file.display()))),
        }
    }
    Ok(prepared)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(target: Intent, text: &str, expect: &str) {
        assert_eq!(intent(target, text, None, 0).expect("an intent").url, expect);
    }

    #[test]
    fn intents_carry_the_text_exactly() {
        let text = "Fish & chips + 🍺 at 6? https://example.org/menu?a=1&b=2";
        check(
            Intent::WhatsApp,
            text,
            "https://wa.me/?text=Fish%20%26%20chips%20%2B%20%F0%9F%8D%BA%20at%206%3F%20https%3A%2F%2Fexample.org%2Fmenu%3Fa%3D1%26b%3D2",
        );
        check(
            Intent::Telegram,
            text,
            "https://t.me/share/url?url=https%3A%2F%2Fexample.org%2Fmenu%3Fa%3D1%26b%3D2&text=Fish%20%26%20chips%20%2B%20%F0%9F%8D%BA%20at%206%3F",
        );
        check(Intent::Telegram, "just words", "https://t.me/share/url?url=just%20words");
        check(
            Intent::Facebook,
            "see https://example.org",
            "https://www.facebook.com/sharer/sharer.php?u=https%3A%2F%2Fexample.org",
        );
        check(Intent::Email, "Line one\nline two", "mailto:?subject=Line%20one&body=Line%20one%0Aline%20two");
        check(Intent::Bluesky, "hi", "https://bsky.app/intent/compose?text=hi");
    }

    #[test]
    fn what_an_intent_cannot_carry_is_said() {
        let err = intent(Intent::Messenger, "no link here", None, 0).expect_err("needs a link");
        assert!(err.to_string().contains("shares a link only"), "{err}");
        let long = intent(Intent::Bluesky, &"é".repeat(301), None, 2).expect("an intent");
        assert_eq!(long.notes.len(), 2, "{:?}", long.notes);
        assert!(long.notes[0].contains("301/300 graphemes"));
        assert!(long.notes[1].contains("attach the prepared photos yourself"));
        assert!(intent(Intent::X, "  ", None, 0).is_err(), "nothing to share");
    }
}
