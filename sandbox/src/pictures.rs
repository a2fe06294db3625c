//! The sandbox's pictures, made in code: every account's profile picture and a large link-card
//! cover, as PNGs whose image data is stored uncompressed (large on purpose, and needing no
//! compression library). A leaf: it imports no other module of the sandbox.

/// Every sandbox account's profile picture: a white disc on violet, 192×192 PNG (made once).
pub(crate) fn avatar_png() -> &'static [u8] {
    static PICTURE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    PICTURE.get_or_init(|| {
        uncompressed_png(192, 192, |x, y| {
            let (dx, dy) = (i64::from(x) - 96, i64::from(y) - 96);
            if dx * dx + dy * dy < 60 * 60 { [255, 255, 255] } else { [99, 100, 255] }
        })
    })
}

/// A warm gradient, 1600×1000, as an uncompressed PNG (made once).
pub(crate) fn cover_picture() -> &'static Vec<u8> {
    static PICTURE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    PICTURE.get_or_init(|| {
        let (width, height) = (1600u32, 1000u32);
        uncompressed_png(width, height, |x, y| {
            let r = 190 + (x * 60 / width) as u8;
            let g = 110 + (y * 90 / height) as u8;
            let b = 50 + ((x / 40 + y / 40) % 2) as u8 * 30;
            [r, g, b]
        })
    })
}

/// An 8-bit RGB PNG whose image data is stored, not deflated: large on purpose, and needing no
/// compression library.
fn uncompressed_png(width: u32, height: u32, pixel: impl Fn(u32, u32) -> [u8; 3]) -> Vec<u8> {
    let mut raw = Vec::with_capacity((height * (width * 3 + 1)) as usize);
    for y in 0..height {
        raw.push(0);
        for x in 0..width {
            raw.extend_from_slice(&pixel(x, y));
        }
    }
    let mut zlib = vec![0x78, 0x01];
    let mut blocks = raw.chunks(65_535).peekable();
    while let Some(block) = blocks.next() {
        zlib.push(u8::from(blocks.peek().is_none()));
        let len = block.len() as u16;
        zlib.extend_from_slice(&len.to_le_bytes());
        zlib.extend_from_slice(&(!len).to_le_bytes());
        zlib.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for byte in &raw {
        a = (a + u32::from(*byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    zlib.extend_from_slice(&((b << 16) | a).to_be_bytes());

    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [(b"IHDR", &ihdr), (b"IDAT", &zlib), (b"IEND", &Vec::new())] {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = png.len();
        png.extend_from_slice(kind);
        png.extend_from_slice(data);
        let crc = crc32(&png[start..]);
        png.extend_from_slice(&crc.to_be_bytes());
    }
    png
}

/// CRC-32 (IEEE), as PNG chunks carry it.
fn crc32(data: &[u8]) -> u32 {
    let table: [u32; 256] =
        std::array::from_fn(|n| (0..8).fold(n as u32, |c, _| if c & 1 == 1 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 }));
    !data.iter().fold(!0u32, |c, byte| table[((c ^ u32::from(*byte)) & 0xFF) as usize] ^ (c >> 8))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_cover_is_a_well_formed_png_over_a_megabyte() {
        assert_eq!(super::crc32(b"123456789"), 0xCBF4_3926, "the CRC-32 check value");
        let png = super::cover_picture();
        assert!(
            png.starts_with(b"\x89PNG\r\n\x1a\n") && png.ends_with(&[0xAE, 0x42, 0x60, 0x82]),
            "IEND's CRC ends it"
        );
        assert!(png.len() > 1_000_000, "{} bytes: a link card's thumbnail has to be fitted", png.len());
    }
}
