//! What reaches the terminal. Post texts, account names and platforms' error texts come from
//! outside, and a control character among them could clear the screen, retitle the window, fake
//! a line or turn text around. Everything the CLI prints passes through here: control and
//! direction-changing characters are shown as `\u{…}` escapes, never sent raw. It must never
//! change a printable character.
//!
//! `clean` escapes C0 (but newline and tab), DEL, C1 and the direction and isolate controls;
//! `json` writes a `--json` line with them as `\uXXXX`; `LogWriter` is the log on standard error.
//! The `out!` and `err!` macros (in `main.rs`) print a line to standard output or error through
//! `clean`.

use std::borrow::Cow;
use std::io::Write;

/// Characters a terminal acts on rather than shows: C0 (but newline and tab, which Fanout's own
/// layout uses), DEL, C1 (8-bit CSI among them), and the Unicode direction and isolate controls
/// (the "Trojan Source" set).
fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every unsafe character written by `escape`; borrowed when there is none.
fn escape_with(text: &str, escape: impl Fn(char) -> String) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            out.push_str(&escape(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `text` with every unsafe character shown as `\u{…}`.
pub fn clean(text: &str) -> Cow<'_, str> {
    escape_with(text, |c| c.escape_unicode().to_string())
}

/// A JSON value on one line. serde_json escapes C0 itself; DEL, C1 and the direction controls
/// are written as `\uXXXX` too, which JSON reads back as the same characters.
pub fn json(value: &serde_json::Value) -> String {
    escape_with(&value.to_string(), |c| format!("\\u{:04x}", u32::from(c))).into_owned()
}

/// The log's writer: standard error, with the same escaping (log lines carry platforms' texts).
pub struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        std::io::stderr().write_all(clean(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_direction_characters_are_shown_not_sent() {
        assert_eq!(clean("plain text, ünïcode, 日本語 🎉\n\tok"), "plain text, ünïcode, 日本語 🎉\n\tok");
        assert_eq!(clean("\u{1b}[2J cleared"), "\\u{1b}[2J cleared", "a screen clear");
        assert_eq!(clean("\u{1b}]0;owned\u{7}"), "\\u{1b}]0;owned\\u{7}", "a window title");
        assert_eq!(clean("sent\rfailed"), "sent\\u{d}failed", "a carriage return cannot overwrite the line");
        assert_eq!(clean("abc\u{202e}fed"), "abc\\u{202e}fed", "a right-to-left override");
        assert_eq!(clean("\u{9b}31m"), "\\u{9b}31m", "an 8-bit CSI");
    }

    #[test]
    fn json_stays_json_with_the_same_text() {
        let value = serde_json::json!({ "text": "a\u{1b}[2J\u{202e}b\u{7f}" });
        let line = json(&value);
        assert!(!line.chars().any(is_unsafe), "{line}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&line).expect("valid JSON"), value);
    }
}
