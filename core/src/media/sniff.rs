//! What a file is, judged by its first bytes, never by its name.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Jpeg,
    Png,
    Gif,
    Webp,
    /// HEIC/HEIF (iPhone photos) and AVIF: ISO-BMFF image containers.
    Heic,
    Mp4,
    Mov,
    /// A PDF document (sent as a document where the platform takes one: WhatsApp).
    Pdf,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Jpeg => "JPEG",
            Self::Png => "PNG",
            Self::Gif => "GIF",
            Self::Webp => "WebP",
            Self::Heic => "HEIC",
            Self::Mp4 => "MP4",
            Self::Mov => "MOV",
            Self::Pdf => "PDF",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Gif => "image/gif",
            Self::Webp => "image/webp",
            Self::Heic => "image/heic",
            Self::Mp4 => "video/mp4",
            Self::Mov => "video/quicktime",
            Self::Pdf => "application/pdf",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Gif => "gif",
            Self::Webp => "webp",
            Self::Heic => "heic",
            Self::Mp4 => "mp4",
            Self::Mov => "mov",
            Self::Pdf => "pdf",
        }
    }

    pub fn is_image(self) -> bool {
        matches!(self, Self::Jpeg | Self::Png | Self::Gif | Self::Webp | Self::Heic)
    }

    pub fn is_video(self) -> bool {
        matches!(self, Self::Mp4 | Self::Mov)
    }

    pub fn is_document(self) -> bool {
        matches!(self, Self::Pdf)
    }
}

/// Recognises a file from its first bytes (16 are enough).
pub fn detect(head: &[u8]) -> Option<Kind> {
    match head {
        [0xFF, 0xD8, 0xFF, ..] => Some(Kind::Jpeg),
        [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Some(Kind::Png),
        [b'G', b'I', b'F', b'8', b'7' | b'9', b'a', ..] => Some(Kind::Gif),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some(Kind::Webp),
        [b'%', b'P', b'D', b'F', b'-', ..] => Some(Kind::Pdf),
        [_, _, _, _, b'f', b't', b'y', b'p', brand @ ..] if brand.len() >= 4 => Some(match &brand[..4] {
            b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"mif1" | b"msf1" | b"avif" | b"avis" => {
                Kind::Heic
            }
            b"qt  " => Kind::Mov,
            _ => Kind::Mp4,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_come_from_content_not_names() {
        assert_eq!(detect(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(Kind::Jpeg));
        assert_eq!(detect(b"\x89PNG\r\n\x1a\n...."), Some(Kind::Png));
        assert_eq!(detect(b"GIF89a"), Some(Kind::Gif));
        assert_eq!(detect(b"RIFF\0\0\0\0WEBPVP8 "), Some(Kind::Webp));
        assert_eq!(detect(b"\0\0\0\x18ftypmp42"), Some(Kind::Mp4));
        assert_eq!(detect(b"\0\0\0\x14ftypqt  "), Some(Kind::Mov));
        assert_eq!(detect(b"\0\0\0\x18ftypheic"), Some(Kind::Heic));
        assert_eq!(detect(b"hello world"), None, "text is not media");
        assert_eq!(detect(b""), None);
    }
}
