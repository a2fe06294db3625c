//! Decoding of request bodies shared by every network: JSON, `application/x-www-form-urlencoded`
//! (with repeated keys such as `media_ids[]`) and `multipart/form-data`, plus the one-line summary
//! the request log keeps, and what an uploaded file's bytes are (every network that takes media
//! sniffs them rather than trusting the client's Content-Type). Everything here works on an
//! already buffered body and must never panic, whatever bytes arrive.

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;

/// The broad kind of a request body, from its Content-Type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BodyKind {
    Json,
    Form,
    Multipart,
    Other,
}

pub(crate) fn content_type(headers: &HeaderMap) -> &str {
    headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("")
}

pub(crate) fn kind(headers: &HeaderMap) -> BodyKind {
    let mime = content_type(headers).split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if mime == "application/json" || mime.ends_with("+json") {
        BodyKind::Json
    } else if mime == "application/x-www-form-urlencoded" {
        BodyKind::Form
    } else if mime == "multipart/form-data" {
        BodyKind::Multipart
    } else {
        BodyKind::Other
    }
}

/// Decodes `a=1&b[]=2&b[]=3` into pairs in order; repeated keys stay repeated.
pub(crate) fn parse_urlencoded(input: &[u8]) -> Vec<(String, String)> {
    input
        .split(|b| *b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let mut halves = pair.splitn(2, |b| *b == b'=');
            let key = halves.next().unwrap_or_default();
            let value = halves.next().unwrap_or_default();
            (percent_decode(key), percent_decode(value))
        })
        .collect()
}

fn percent_decode(input: &[u8]) -> String {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = input
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok().and_then(|h| u8::from_str_radix(h, 16).ok()));
                match hex {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One part of a multipart body.
#[derive(Clone, Debug)]
pub(crate) struct Part {
    pub(crate) name: String,
    pub(crate) filename: Option<String>,
    pub(crate) content_type: Option<String>,
    pub(crate) data: Bytes,
}

impl Part {
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}

/// Splits a `multipart/form-data` body into its parts. `None` when the body is not multipart or
/// is cut off; real servers answer such bodies with an error rather than guessing.
pub(crate) fn parse_multipart(headers: &HeaderMap, body: &Bytes) -> Option<Vec<Part>> {
    let boundary = boundary(content_type(headers))?;
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let next_delimiter = format!("\r\n--{boundary}");
    let next_delimiter = next_delimiter.as_bytes();

    let mut pos = find(body, delimiter, 0)? + delimiter.len();
    let mut parts = Vec::new();
    loop {
        let rest = body.get(pos..)?;
        if rest.starts_with(b"--") {
            return Some(parts);
        }
        // Transport padding may follow a delimiter before its CRLF.
        let line_end = find(body, b"\r\n", pos)?;
        let headers_start = line_end + 2;
        let (headers_end, data_start) = if body.get(headers_start..)?.starts_with(b"\r\n") {
            (headers_start, headers_start + 2)
        } else {
            let end = find(body, b"\r\n\r\n", headers_start)?;
            (end, end + 4)
        };
        let data_end = find(body, next_delimiter, data_start)?;
        let header_text = String::from_utf8_lossy(body.get(headers_start..headers_end)?);
        let mut part =
            Part { name: String::new(), filename: None, content_type: None, data: body.slice(data_start..data_end) };
        for line in header_text.split("\r\n") {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let name = name.trim().to_ascii_lowercase();
            if name == "content-disposition" {
                for (key, val) in header_params(value) {
                    match key.as_str() {
                        "name" => part.name = val,
                        "filename" => part.filename = Some(val),
                        _ => {}
                    }
                }
            } else if name == "content-type" {
                part.content_type = Some(value.trim().to_owned());
            }
        }
        parts.push(part);
        pos = data_end + next_delimiter.len();
    }
}

fn boundary(content_type: &str) -> Option<String> {
    header_params(content_type)
        .into_iter()
        .find(|(key, _)| key == "boundary")
        .map(|(_, value)| value)
        .filter(|b| !b.is_empty())
}

/// `form-data; name="a"; filename="b.png"` → [("name","a"), ("filename","b.png")]. Quoted values
/// may contain `;`.
fn header_params(value: &str) -> Vec<(String, String)> {
    let mut params = Vec::new();
    let mut chars = value.chars().peekable();
    // Skip the leading token (`form-data`, `multipart/form-data`).
    for c in chars.by_ref() {
        if c == ';' {
            break;
        }
    }
    loop {
        let mut key = String::new();
        for c in chars.by_ref() {
            if c == '=' || c == ';' {
                break;
            }
            key.push(c);
        }
        let key = key.trim().to_ascii_lowercase();
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut val = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => {
                        if let Some(escaped) = chars.next() {
                            val.push(escaped);
                        }
                    }
                    c => val.push(c),
                }
            }
            for c in chars.by_ref() {
                if c == ';' {
                    break;
                }
            }
        } else {
            for c in chars.by_ref() {
                if c == ';' {
                    break;
                }
                val.push(c);
            }
            val = val.trim().to_owned();
        }
        if key.is_empty() && chars.peek().is_none() {
            return params;
        }
        if !key.is_empty() {
            params.push((key, val));
        }
    }
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() {
        return Some(from);
    }
    let first = needle[0];
    let mut i = from;
    while i + needle.len() <= haystack.len() {
        let offset = haystack.get(i..)?.iter().position(|b| *b == first)?;
        i += offset;
        if haystack.get(i..i + needle.len())? == needle {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// The text (status text, message content, a Graph message or caption, a Bluesky post's text) a request carries, and a one-line summary of its
/// body for the request log.
pub(crate) fn describe(headers: &HeaderMap, body: &Bytes) -> (Option<String>, String) {
    if body.is_empty() {
        return (None, "empty".to_owned());
    }
    match kind(headers) {
        BodyKind::Json => match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(value) => (json_text(&value), format!("json: {}", summarize_json(&value))),
            Err(_) => (None, format!("invalid json ({} B)", body.len())),
        },
        BodyKind::Form => {
            let pairs = parse_urlencoded(body);
            let text = pairs
                .iter()
                .find(|(k, _)| matches!(k.as_str(), "status" | "content" | "message" | "caption"))
                .map(|(_, v)| v.clone());
            (text, format!("form: {}", summarize_pairs(&pairs)))
        }
        BodyKind::Multipart => match parse_multipart(headers, body) {
            Some(parts) => (multipart_text(&parts), summarize_parts(&parts)),
            None => (None, format!("malformed multipart ({} B)", body.len())),
        },
        BodyKind::Other => {
            let ct = content_type(headers);
            let ct = if ct.is_empty() { "no content type" } else { ct };
            (None, format!("{ct} ({} B)", body.len()))
        }
    }
}

fn json_text(value: &serde_json::Value) -> Option<String> {
    // `body`: a Matrix event's content; `record.text`: a Bluesky post.
    ["status", "content", "message", "caption", "body"]
        .iter()
        .find_map(|key| value.get(key).and_then(|v| v.as_str()).map(str::to_owned))
        .or_else(|| value.pointer("/record/text").and_then(|v| v.as_str()).map(str::to_owned))
}

fn multipart_text(parts: &[Part]) -> Option<String> {
    parts.iter().find_map(|part| match part.name.as_str() {
        "status" | "content" | "message" | "caption" if part.filename.is_none() => Some(part.text()),
        "payload_json" => serde_json::from_slice::<serde_json::Value>(&part.data).ok().and_then(|v| json_text(&v)),
        _ => None,
    })
}

fn summarize_json(value: &serde_json::Value) -> String {
    let Some(object) = value.as_object() else {
        return "not an object".to_owned();
    };
    let fields: Vec<String> = object
        .iter()
        .map(|(key, value)| match value {
            serde_json::Value::String(s) => format!("{key} ({} chars)", s.chars().count()),
            serde_json::Value::Array(items) => format!("{key}[]={}", items.len()),
            serde_json::Value::Object(_) => format!("{key} {{..}}"),
            other => format!("{key}={other}"),
        })
        .collect();
    if fields.is_empty() { "{}".to_owned() } else { fields.join(", ") }
}

fn summarize_pairs(pairs: &[(String, String)]) -> String {
    let mut fields: Vec<(String, usize, usize)> = Vec::new();
    for (key, value) in pairs {
        match fields.iter_mut().find(|(k, _, _)| k == key) {
            Some(field) => field.1 += 1,
            None => fields.push((key.clone(), 1, value.chars().count())),
        }
    }
    fields
        .into_iter()
        .map(
            |(key, count, chars)| {
                if key.ends_with("[]") { format!("{key}={count}") } else { format!("{key} ({chars} chars)") }
            },
        )
        .collect::<Vec<_>>()
        .join(", ")
}

fn summarize_parts(parts: &[Part]) -> String {
    let fields: Vec<String> = parts
        .iter()
        .map(|part| match &part.filename {
            Some(filename) => format!("{} {} ({} B)", part.name, filename, part.data.len()),
            None => format!("{} ({} B)", part.name, part.data.len()),
        })
        .collect();
    format!("multipart: {}", fields.join(", "))
}

/// A request's text fields, in order, and its files.
pub(crate) type Fields = (Vec<(String, String)>, Vec<Part>);

/// A request's parameters — the query string, then the form, JSON or multipart text fields — and
/// its files; `None` when a multipart body is malformed.
pub(crate) fn fields(query: Option<&str>, headers: &HeaderMap, body: &Bytes) -> Option<Fields> {
    let mut pairs = parse_urlencoded(query.unwrap_or("").as_bytes());
    let mut files = Vec::new();
    match kind(headers) {
        BodyKind::Form => pairs.extend(parse_urlencoded(body)),
        BodyKind::Json => {
            if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(body) {
                for (key, value) in map {
                    let text = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
                    pairs.push((key, text));
                }
            }
        }
        BodyKind::Multipart => {
            for part in parse_multipart(headers, body)? {
                if part.filename.is_some() {
                    files.push(part);
                } else {
                    pairs.push((part.name.clone(), part.text()));
                }
            }
        }
        BodyKind::Other => {}
    }
    Some((pairs, files))
}

/// The image type the bytes are, by their signature: JPEG, PNG or GIF; `None` for anything else.
pub(crate) fn sniff_image(data: &[u8]) -> Option<&'static str> {
    if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if data.starts_with(b"GIF87a") || data.starts_with(b"GIF89a") {
        Some("image/gif")
    } else {
        None
    }
}

/// Whether the bytes are an MP4 (an ISO media file: `ftyp` box first).
pub(crate) fn is_video(data: &[u8]) -> bool {
    data.get(4..8) == Some(b"ftyp")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn multipart_headers(boundary: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let value = format!("multipart/form-data; boundary={boundary}");
        headers.insert(CONTENT_TYPE, HeaderValue::from_str(&value).expect("valid header"));
        headers
    }

    #[test]
    fn urlencoded_keeps_repeated_keys_and_decodes() {
        let pairs = parse_urlencoded(b"status=Hello+w%C3%B6rld%21&media_ids[]=1&media_ids%5B%5D=2&bad=%zz");
        assert_eq!(
            pairs,
            vec![
                ("status".to_owned(), "Hello wörld!".to_owned()),
                ("media_ids[]".to_owned(), "1".to_owned()),
                ("media_ids[]".to_owned(), "2".to_owned()),
                ("bad".to_owned(), "%zz".to_owned()),
            ],
            "Mastodon clients send media_ids[] repeated; a bad escape is kept, not fatal"
        );
    }

    #[test]
    fn multipart_parts_are_split_with_names_and_filenames() {
        let body = Bytes::from_static(
            b"--XyZ\r\nContent-Disposition: form-data; name=\"payload_json\"\r\n\r\n{\"content\":\"hi\"}\r\n--XyZ\r\nContent-Disposition: form-data; name=\"files[0]\"; filename=\"a;b.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n--X\r\n--XyZ--\r\n",
        );
        let parts = parse_multipart(&multipart_headers("XyZ"), &body).expect("well-formed body");
        assert_eq!(parts.len(), 2, "two parts were sent");
        assert_eq!(parts[0].name, "payload_json");
        assert_eq!(parts[1].filename.as_deref(), Some("a;b.png"), "quoted ; stays in the filename");
        assert_eq!(&parts[1].data[..], b"\x89PNG\r\n--X", "data that merely resembles a boundary is kept");
        let (text, summary) = describe(&multipart_headers("XyZ"), &body);
        assert_eq!(text.as_deref(), Some("hi"), "Discord content comes from payload_json");
        assert_eq!(summary, "multipart: payload_json (16 B), files[0] a;b.png (9 B)");
    }

    #[test]
    fn truncated_or_garbage_multipart_is_rejected_without_panic() {
        let headers = multipart_headers("XyZ");
        for body in [
            &b""[..],
            b"--XyZ",
            b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end",
            b"garbage",
            b"--XyZ\r\n\r\n",
        ] {
            assert!(
                parse_multipart(&headers, &Bytes::copy_from_slice(body)).is_none(),
                "a cut-off body is not silently accepted: {body:?}"
            );
        }
    }
}
