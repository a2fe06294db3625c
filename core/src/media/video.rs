//! Probe MP4 and QuickTime (MOV) files — the ISO base media file format — for
//! the facts Fanout checks against each social network's upload limits before
//! posting: container, duration, coded and displayed size, rotation, codecs,
//! frame rate, bitrate, and whether the movie header comes before the media
//! data ("fast start"). The files come from users and may be truncated, still
//! being written, or hostile, so this module must never allocate in proportion
//! to a size or count the file claims (only fixed-size buffers, or amounts
//! already checked against the bytes that really exist and a fixed cap), must
//! never panic on any input, and must never read more than it needs: it seeks
//! past media data and reads only the header fields it uses.
//!
//! Rotation convention: the track header (`tkhd`) matrix is read as the ISO
//! `[a b u; c d v; x y w]` matrix in 16.16 fixed point, which maps a point as
//! `x' = a*x + c*y + tx`, `y' = b*x + d*y + ty`. `a=0, b=1, c=-1, d=0` is
//! reported as 90, `a=-1, d=-1` as 180 and `a=0, b=-1, c=1, d=0` as 270, i.e.
//! degrees clockwise the player turns the picture; this is what ffmpeg's legacy
//! `rotate` tag reports. Only signs are compared (magnitudes under one half
//! count as zero); anything else, including mirrored matrices, reports 0.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::time::Duration;

/// Which flavour of the format the file declares in its `ftyp` major brand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    Mp4,
    Mov,
}

/// The codec of the first video track, from its first sample entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VideoCodec {
    H264,
    Hevc,
    Vp9,
    Av1,
    Mpeg4,
    /// The sample entry's four-character code, as written in the file.
    Other(String),
}

/// The codec of the first audio track, from its first sample entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AudioCodec {
    Aac,
    Mp3,
    Opus,
    Ac3,
    /// The sample entry's four-character code (for `mp4a` with an unknown
    /// object type, `mp4a/0xNN`).
    Other(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct VideoInfo {
    pub container: Container,
    pub duration: Duration,
    /// Coded size of the first video track.
    pub width: u32,
    pub height: u32,
    /// 0, 90, 180 or 270; see the module documentation for the convention.
    pub rotation: u16,
    /// Size as shown to viewers, i.e. `width`/`height` swapped for 90 and 270.
    pub display_width: u32,
    pub display_height: u32,
    pub video_codec: Option<VideoCodec>,
    pub audio_codec: Option<AudioCodec>,
    pub frame_rate: Option<f64>,
    /// Average over the whole file, container overhead included.
    pub bitrate_bps: u64,
    pub bytes: u64,
    /// The movie header (`moov`) comes before the media data (`mdat`), so
    /// players and upload pipelines can start without reading the whole file.
    /// Also true for a file with no `mdat` at all.
    pub fast_start: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("not an MP4 or MOV file (no ftyp box at the start)")]
    NotMp4,
    #[error("the file is cut off: the {what} box at byte {at} runs past the end")]
    Truncated { what: String, at: u64 },
    #[error("the file has no movie header (moov box); it may be incomplete or still being written")]
    NoMovie,
    #[error("the file has no video track")]
    NoVideoTrack,
    #[error("the file is damaged: {0}")]
    Corrupt(String),
    #[error("cannot read the file: {0}")]
    Io(#[from] io::Error),
}

/// Opens `path` and probes it; see [`probe`].
pub fn probe_file(path: &Path) -> Result<VideoInfo, ProbeError> {
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    // Unbuffered on purpose: every read here is a deliberate, small, exact
    // read after a seek, so a read-ahead buffer would only fetch bytes we skip.
    probe(file, len)
}

/// Probes an MP4/MOV stream of `len` bytes. `len` is trusted only as an upper
/// bound: if the stream ends sooner, the result is [`ProbeError::Truncated`].
pub fn probe<R: Read + Seek>(reader: R, len: u64) -> Result<VideoInfo, ProbeError> {
    let mut walker = Walker { reader, len, pos: None, boxes: 0 };
    walker.check_signature()?;

    let file = BoxHeader { kind: *b"file", start: 0, body: 0, end: len, depth: 0 };
    let ftyp = walker.next_child(0, &file)?.ok_or(ProbeError::NotMp4)?;
    let brand = walker.read_prefix(&ftyp, 4)?;
    let container = match brand.as_slice() {
        b"qt  " => Container::Mov,
        [_, _, _, _] => Container::Mp4,
        _ => {
            return Err(corrupt(format!(
                "the ftyp box at byte 0 is only {} bytes long, too short to name the file's brand",
                ftyp.body_len()
            )));
        }
    };

    let mut movie = None;
    let mut seen_mdat = false;
    let mut fast_start = false;
    let mut at = ftyp.end;
    loop {
        // Walking every top-level header (not just up to moov) is what lets us
        // notice a file cut off inside its media data. Once the movie is known,
        // a file with absurdly many top-level boxes (e.g. tiny fragments) is
        // accepted without checking its tail rather than refused.
        if movie.is_some() && walker.boxes >= MAX_BOXES {
            break;
        }
        let Some(child) = walker.next_child(at, &file)? else {
            break;
        };
        at = child.end;
        match &child.kind {
            b"moov" if movie.is_none() => {
                if child.end - child.start > MAX_MOOV_BYTES {
                    return Err(corrupt(format!(
                        "the moov box at byte {} is {} bytes long, more than the {} MiB this app accepts for a movie header",
                        child.start,
                        child.end - child.start,
                        MAX_MOOV_BYTES >> 20
                    )));
                }
                movie = Some(walker.parse_moov(&child)?);
                fast_start = !seen_mdat;
            }
            b"mdat" => seen_mdat = true,
            _ => {}
        }
    }

    let movie = movie.ok_or(ProbeError::NoMovie)?;
    let video = movie.video.ok_or(ProbeError::NoVideoTrack)?;
    let (timescale, ticks) = movie.timing;
    // Fragmented and some live-recorded files leave the movie duration 0 or
    // "unknown" (all ones); the video track's own duration is the next best.
    let duration = duration_from(ticks, timescale).or(video.duration).unwrap_or(Duration::ZERO);
    let bitrate_bps = match duration.as_nanos() {
        0 => 0,
        nanos => u64::try_from(u128::from(len) * 8 * 1_000_000_000 / nanos).unwrap_or(u64::MAX),
    };
    let (display_width, display_height) = match video.rotation {
        90 | 270 => (video.height, video.width),
        _ => (video.width, video.height),
    };
    Ok(VideoInfo {
        container,
        duration,
        width: video.width,
        height: video.height,
        rotation: video.rotation,
        display_width,
        display_height,
        video_codec: video.codec,
        audio_codec: movie.audio,
        frame_rate: video.frame_rate,
        bitrate_bps,
        bytes: len,
        fast_start,
    })
}

/// Real movie headers are kilobytes to a few MiB; anything bigger is more
/// likely an attack or damage than a video a network would accept.
const MAX_MOOV_BYTES: u64 = 64 << 20;
/// The deepest path this parser follows is 9 levels (file, moov, trak, mdia,
/// minf, stbl, stsd, sample entry, wave, esds); this is a backstop.
const MAX_DEPTH: u32 = 16;
/// Bounds the work a hostile file can cause, counted over the whole probe.
const MAX_BOXES: u32 = 100_000;
/// Fixed buffer for streaming `stts` tables; a multiple of the 8-byte entry.
const STTS_CHUNK: usize = 4096;
/// Enough for an ES descriptor with a maximal URL plus the decoder config's
/// object type byte.
const ESDS_PREFIX: usize = 512;

type FourCc = [u8; 4];

fn fourcc_name(kind: &FourCc) -> String {
    if kind.iter().all(|b| (0x20..=0x7e).contains(b)) {
        kind.iter().map(|&b| char::from(b)).collect()
    } else {
        // Binary box types would garble an end-user message; hex stays legible.
        format!("0x{:08x}", u32::from_be_bytes(*kind))
    }
}

fn corrupt(message: String) -> ProbeError {
    ProbeError::Corrupt(message)
}

fn truncated(kind: Option<&FourCc>, at: u64) -> ProbeError {
    ProbeError::Truncated {
        // A header too short to name its box is "the next box".
        what: kind.map_or_else(|| "next".to_string(), fourcc_name),
        at,
    }
}

fn be_u16(buf: &[u8], at: usize) -> Option<u16> {
    let bytes = buf.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes(bytes.try_into().ok()?))
}

fn be_u32(buf: &[u8], at: usize) -> Option<u32> {
    let bytes = buf.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes(bytes.try_into().ok()?))
}

fn be_i32(buf: &[u8], at: usize) -> Option<i32> {
    let bytes = buf.get(at..at.checked_add(4)?)?;
    Some(i32::from_be_bytes(bytes.try_into().ok()?))
}

fn be_u64(buf: &[u8], at: usize) -> Option<u64> {
    let bytes = buf.get(at..at.checked_add(8)?)?;
    Some(u64::from_be_bytes(bytes.try_into().ok()?))
}

/// `None` for a zero timescale or a duration of 0 or all ones, which writers
/// use for "not known".
fn duration_from(ticks: u64, timescale: u32) -> Option<Duration> {
    if timescale == 0 || ticks == 0 || ticks == u64::MAX {
        return None;
    }
    let scale = u64::from(timescale);
    let nanos = u128::from(ticks % scale) * 1_000_000_000 / u128::from(scale);
    Some(Duration::new(ticks / scale, u32::try_from(nanos).unwrap_or(0)))
}

fn rotation_from_matrix(a: i32, b: i32, c: i32, d: i32) -> u16 {
    // Matrices written from floating-point angles can hold e.g. 1/65536
    // instead of 0, so anything under a half counts as zero.
    const HALF: i32 = 0x8000;
    let sign = |v: i32| {
        if v >= HALF {
            1
        } else if v <= -HALF {
            -1
        } else {
            0
        }
    };
    match (sign(a), sign(b), sign(c), sign(d)) {
        (0, 1, -1, 0) => 90,
        (-1, 0, 0, -1) => 180,
        (0, -1, 1, 0) => 270,
        _ => 0,
    }
}

/// Reads the MPEG-4 object type from an `esds` body (version/flags first).
fn esds_object_type(buf: &[u8]) -> Option<u8> {
    // Descriptor lengths are 1 to 4 bytes of 7 bits, high bit = "more".
    fn skip_length(buf: &[u8], at: &mut usize) -> Option<()> {
        for _ in 0..4 {
            let byte = *buf.get(*at)?;
            *at += 1;
            if byte & 0x80 == 0 {
                return Some(());
            }
        }
        Some(())
    }
    let mut at = 4;
    if *buf.get(at)? != 0x03 {
        return None;
    }
    at += 1;
    skip_length(buf, &mut at)?;
    at = at.checked_add(2)?; // ES_ID
    let flags = *buf.get(at)?;
    at += 1;
    if flags & 0x80 != 0 {
        at = at.checked_add(2)?; // dependsOn_ES_ID
    }
    if flags & 0x40 != 0 {
        let url_len = usize::from(*buf.get(at)?);
        at = at.checked_add(1 + url_len)?;
    }
    if flags & 0x20 != 0 {
        at = at.checked_add(2)?; // OCR_ES_Id
    }
    if *buf.get(at)? != 0x04 {
        return None;
    }
    at += 1;
    skip_length(buf, &mut at)?;
    buf.get(at).copied()
}

#[derive(Debug, Clone, Copy)]
struct BoxHeader {
    kind: FourCc,
    start: u64,
    /// First byte after the header (size, type, largesize, uuid).
    body: u64,
    /// One past the last byte; never beyond the parent's end.
    end: u64,
    /// 0 for the whole file, 1 for top-level boxes.
    depth: u32,
}

impl BoxHeader {
    fn body_len(&self) -> u64 {
        self.end.saturating_sub(self.body)
    }

    fn name(&self) -> String {
        fourcc_name(&self.kind)
    }
}

struct Movie {
    /// (timescale, duration) from mvhd.
    timing: (u32, u64),
    video: Option<VideoTrack>,
    audio: Option<AudioCodec>,
}

struct VideoTrack {
    codec: Option<VideoCodec>,
    width: u32,
    height: u32,
    rotation: u16,
    frame_rate: Option<f64>,
    duration: Option<Duration>,
}

struct Walker<R> {
    reader: R,
    len: u64,
    /// Where the reader is known to be, to skip redundant seeks.
    pos: Option<u64>,
    boxes: u32,
}

impl<R: Read + Seek> Walker<R> {
    /// Reads exactly `buf.len()` bytes at `at`, blaming the box `kind` at
    /// `box_at` if the stream ends early (i.e. it is shorter than `len` said).
    fn read_at(&mut self, at: u64, buf: &mut [u8], kind: Option<&FourCc>, box_at: u64) -> Result<(), ProbeError> {
        if self.pos != Some(at) {
            self.pos = None;
            self.reader.seek(SeekFrom::Start(at))?;
        }
        // Unknown until the read succeeds: a failed read_exact may have
        // consumed part of the buffer.
        self.pos = None;
        match self.reader.read_exact(buf) {
            Ok(()) => {
                self.pos = at.checked_add(buf.len() as u64);
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Err(truncated(kind, box_at)),
            Err(e) => Err(e.into()),
        }
    }

    /// Reads at most `want` bytes of `b`'s body; callers check what they got.
    fn read_prefix(&mut self, b: &BoxHeader, want: usize) -> Result<Vec<u8>, ProbeError> {
        let n = usize::try_from(b.body_len()).map_or(want, |len| len.min(want));
        let mut buf = vec![0u8; n];
        self.read_at(b.body, &mut buf, Some(&b.kind), b.start)?;
        Ok(buf)
    }

    /// Tells "not an MP4 at all" apart from "an MP4 cut off in its first
    /// bytes" before any size field is trusted.
    fn check_signature(&mut self) -> Result<(), ProbeError> {
        let avail = usize::try_from(self.len.min(8)).unwrap_or(8);
        if avail < 4 {
            return Err(ProbeError::NotMp4);
        }
        let mut head = [0u8; 8];
        let head = head.get_mut(..avail).ok_or(ProbeError::NotMp4)?;
        self.read_at(0, head, Some(b"ftyp"), 0)?;
        let kind = head.get(4..).unwrap_or_default();
        if !b"ftyp".starts_with(kind) {
            return Err(ProbeError::NotMp4);
        }
        if avail < 8 {
            return Err(truncated(Some(b"ftyp"), 0));
        }
        Ok(())
    }

    /// The error for a box at `at` that would end at `claimed_end` (`None`:
    /// beyond u64) past its parent's end: the file is cut off if it also runs
    /// past the file, otherwise the sizes contradict each other.
    fn overrun(&self, kind: &FourCc, at: u64, claimed_end: Option<u64>, parent: &BoxHeader) -> ProbeError {
        match claimed_end {
            Some(end) if end <= self.len => corrupt(format!(
                "the {} box at byte {at} runs past the end of the {} box at byte {} that contains it",
                fourcc_name(kind),
                parent.name(),
                parent.start
            )),
            _ => truncated(Some(kind), at),
        }
    }

    /// The header of the box starting at `at` inside `parent`, or `None` when
    /// `parent` has no room left for another box.
    fn next_child(&mut self, at: u64, parent: &BoxHeader) -> Result<Option<BoxHeader>, ProbeError> {
        let top = parent.depth == 0;
        let remaining = parent.end.saturating_sub(at);
        if remaining == 0 {
            return Ok(None);
        }
        if remaining < 8 {
            // QuickTime writers end some atoms with a 4-byte zero terminator,
            // so a short tail inside a box is padding; at the top level it is
            // a file cut off mid-header.
            return if top { Err(truncated(None, at)) } else { Ok(None) };
        }
        let depth = parent.depth + 1;
        if depth > MAX_DEPTH {
            return Err(corrupt(format!(
                "boxes are nested more than {MAX_DEPTH} deep inside the {} box at byte {}",
                parent.name(),
                parent.start
            )));
        }
        if self.boxes >= MAX_BOXES {
            return Err(corrupt(format!("it has more than {MAX_BOXES} boxes (reached at byte {at})")));
        }
        self.boxes += 1;

        let mut head = [0u8; 8];
        self.read_at(at, &mut head, None, at)?;
        let [s0, s1, s2, s3, k0, k1, k2, k3] = head;
        let size32 = u32::from_be_bytes([s0, s1, s2, s3]);
        let kind = [k0, k1, k2, k3];
        let mut header_len = 8u64;
        let size = match size32 {
            0 if top => remaining,
            0 => {
                // "Extends to the end of the file" only makes sense for the
                // last top-level box; inside a box it would silently swallow
                // the siblings that follow.
                return Err(corrupt(format!(
                    "the {} box at byte {at} inside the {} box at byte {} has size 0, which is only allowed for the last box of the file",
                    fourcc_name(&kind),
                    parent.name(),
                    parent.start
                )));
            }
            1 => {
                if remaining < 16 {
                    return Err(self.overrun(&kind, at, at.checked_add(16), parent));
                }
                let mut large = [0u8; 8];
                self.read_at(at + 8, &mut large, Some(&kind), at)?;
                header_len = 16;
                u64::from_be_bytes(large)
            }
            n => u64::from(n),
        };
        if &kind == b"uuid" {
            header_len += 16;
        }
        if size < header_len {
            if size32 == 0 {
                // Only a top-level uuid box can get here: the file ends inside
                // its 24-byte header.
                return Err(truncated(Some(&kind), at));
            }
            return Err(corrupt(format!(
                "the {} box at byte {at} declares a size of {size} bytes, smaller than its own {header_len}-byte header",
                fourcc_name(&kind)
            )));
        }
        let end = match at.checked_add(size) {
            Some(end) if end <= parent.end => end,
            claimed => return Err(self.overrun(&kind, at, claimed, parent)),
        };
        Ok(Some(BoxHeader { kind, start: at, body: at + header_len, end, depth }))
    }

    /// The first child of each wanted kind among `parent`'s children from
    /// `from` on; stops early once all are found.
    fn find_children<const N: usize>(
        &mut self,
        parent: &BoxHeader,
        from: u64,
        kinds: [&FourCc; N],
    ) -> Result<[Option<BoxHeader>; N], ProbeError> {
        let mut found = [None; N];
        let mut at = from;
        while let Some(child) = self.next_child(at, parent)? {
            at = child.end;
            for (slot, kind) in found.iter_mut().zip(kinds) {
                if slot.is_none() && child.kind == *kind {
                    *slot = Some(child);
                }
            }
            if found.iter().all(Option::is_some) {
                break;
            }
        }
        Ok(found)
    }

    fn too_short(b: &BoxHeader) -> ProbeError {
        corrupt(format!(
            "the {} box at byte {} is too short ({} bytes) for its contents",
            b.name(),
            b.start,
            b.body_len()
        ))
    }

    fn bad_version(b: &BoxHeader, version: u8) -> ProbeError {
        corrupt(format!("the {} box at byte {} has version {version}, which is not defined", b.name(), b.start))
    }

    fn parse_moov(&mut self, moov: &BoxHeader) -> Result<Movie, ProbeError> {
        let mut timing = None;
        let mut video = None;
        let mut audio = None;
        let mut at = moov.body;
        while let Some(child) = self.next_child(at, moov)? {
            at = child.end;
            match &child.kind {
                b"mvhd" if timing.is_none() => timing = Some(self.read_timing(&child)?),
                b"trak" => self.parse_trak(&child, &mut video, &mut audio)?,
                _ => {}
            }
            if timing.is_some() && video.is_some() && audio.is_some() {
                break;
            }
        }
        let timing =
            timing.ok_or_else(|| corrupt(format!("the moov box at byte {} has no movie header (mvhd)", moov.start)))?;
        Ok(Movie { timing, video, audio })
    }

    /// (timescale, duration) of an mvhd or mdhd, which share this layout.
    fn read_timing(&mut self, b: &BoxHeader) -> Result<(u32, u64), ProbeError> {
        let buf = self.read_prefix(b, 32)?;
        let parsed = match buf.first() {
            Some(0) => be_u32(&buf, 12).zip(be_u32(&buf, 16)).map(|(scale, ticks)| {
                // Keep version 0's "unknown" marker recognisable as such.
                let ticks = if ticks == u32::MAX { u64::MAX } else { u64::from(ticks) };
                (scale, ticks)
            }),
            Some(1) => be_u32(&buf, 20).zip(be_u64(&buf, 24)),
            Some(&v) => return Err(Self::bad_version(b, v)),
            None => None,
        };
        parsed.ok_or_else(|| Self::too_short(b))
    }

    /// (rotation, width, height) from a tkhd.
    fn read_tkhd(&mut self, b: &BoxHeader) -> Result<(u16, u32, u32), ProbeError> {
        let buf = self.read_prefix(b, 96)?;
        let matrix = match buf.first() {
            Some(0) => 40,
            Some(1) => 52,
            Some(&v) => return Err(Self::bad_version(b, v)),
            None => return Err(Self::too_short(b)),
        };
        let field = |i: usize| be_i32(&buf, matrix + 4 * i);
        let (Some(a), Some(bb), Some(c), Some(d), Some(w), Some(h)) =
            (field(0), field(1), field(3), field(4), be_u32(&buf, matrix + 36), be_u32(&buf, matrix + 40))
        else {
            return Err(Self::too_short(b));
        };
        Ok((rotation_from_matrix(a, bb, c, d), w >> 16, h >> 16))
    }

    fn read_handler(&mut self, b: &BoxHeader) -> Result<FourCc, ProbeError> {
        let buf = self.read_prefix(b, 12)?;
        buf.get(8..12).and_then(|h| h.try_into().ok()).ok_or_else(|| Self::too_short(b))
    }

    fn first_sample_entry(&mut self, stsd: &BoxHeader) -> Result<Option<BoxHeader>, ProbeError> {
        let buf = self.read_prefix(stsd, 8)?;
        match be_u32(&buf, 4) {
            None => Err(Self::too_short(stsd)),
            Some(0) => Ok(None),
            Some(_) => self.next_child(stsd.body + 8, stsd),
        }
    }

    fn parse_trak(
        &mut self,
        trak: &BoxHeader,
        video: &mut Option<VideoTrack>,
        audio: &mut Option<AudioCodec>,
    ) -> Result<(), ProbeError> {
        let [tkhd, mdia] = self.find_children(trak, trak.body, [b"tkhd", b"mdia"])?;
        let Some(mdia) = mdia else {
            return Ok(());
        };
        let [mdhd, hdlr, minf] = self.find_children(&mdia, mdia.body, [b"mdhd", b"hdlr", b"minf"])?;
        // Without a handler the track cannot be classified; other tracks may
        // still make the file usable.
        let Some(hdlr) = hdlr else {
            return Ok(());
        };
        let handler = self.read_handler(&hdlr)?;
        let wants_video = &handler == b"vide" && video.is_none();
        let wants_audio = &handler == b"soun" && audio.is_none();
        if !wants_video && !wants_audio {
            return Ok(());
        }
        let stbl = match minf {
            Some(minf) => self.find_children(&minf, minf.body, [b"stbl"])?[0],
            None => None,
        };
        let [stsd, stts] = match stbl {
            Some(stbl) => self.find_children(&stbl, stbl.body, [b"stsd", b"stts"])?,
            None => [None, None],
        };

        if wants_audio {
            if let Some(stsd) = stsd {
                *audio = self.read_audio_codec(&stsd)?;
            }
            return Ok(());
        }

        let (rotation, tk_width, tk_height) = match tkhd {
            Some(tkhd) => self.read_tkhd(&tkhd)?,
            None => (0, 0, 0),
        };
        let (codec, entry_width, entry_height) = match stsd {
            Some(stsd) => self.read_video_entry(&stsd)?,
            None => (None, 0, 0),
        };
        // The sample entry holds the coded size; tkhd holds the presentation
        // size, which differs for anamorphic video, so it is only a fallback.
        let (width, height) =
            if entry_width > 0 && entry_height > 0 { (entry_width, entry_height) } else { (tk_width, tk_height) };
        let timing = match mdhd {
            Some(mdhd) => Some(self.read_timing(&mdhd)?),
            None => None,
        };
        let frame_rate = match (timing, stts) {
            (Some((timescale, _)), Some(stts)) if timescale > 0 => {
                let (samples, ticks) = self.read_stts(&stts)?;
                (samples > 0 && ticks > 0).then(|| samples as f64 * f64::from(timescale) / ticks as f64)
            }
            _ => None,
        };
        *video = Some(VideoTrack {
            codec,
            width,
            height,
            rotation,
            frame_rate,
            duration: timing.and_then(|(scale, ticks)| duration_from(ticks, scale)),
        });
        Ok(())
    }

    fn read_video_entry(&mut self, stsd: &BoxHeader) -> Result<(Option<VideoCodec>, u32, u32), ProbeError> {
        let Some(entry) = self.first_sample_entry(stsd)? else {
            return Ok((None, 0, 0));
        };
        let codec = match &entry.kind {
            b"avc1" | b"avc3" => VideoCodec::H264,
            b"hvc1" | b"hev1" => VideoCodec::Hevc,
            b"vp09" => VideoCodec::Vp9,
            b"av01" => VideoCodec::Av1,
            b"mp4v" => VideoCodec::Mpeg4,
            other => VideoCodec::Other(fourcc_name(other)),
        };
        // VisualSampleEntry: 8 bytes of SampleEntry, 16 reserved, then
        // 16-bit width and height. A short entry just leaves tkhd's size.
        let buf = self.read_prefix(&entry, 28)?;
        let width = be_u16(&buf, 24).map_or(0, u32::from);
        let height = be_u16(&buf, 26).map_or(0, u32::from);
        Ok((Some(codec), width, height))
    }

    fn read_audio_codec(&mut self, stsd: &BoxHeader) -> Result<Option<AudioCodec>, ProbeError> {
        let Some(entry) = self.first_sample_entry(stsd)? else {
            return Ok(None);
        };
        let codec = match &entry.kind {
            b"mp4a" => match self.mp4a_object_type(&entry)? {
                Some(0x40 | 0x66 | 0x67 | 0x68) => AudioCodec::Aac,
                Some(0x69 | 0x6B) => AudioCodec::Mp3,
                Some(other) => AudioCodec::Other(format!("mp4a/0x{other:02x}")),
                None => AudioCodec::Other("mp4a".to_string()),
            },
            b".mp3" => AudioCodec::Mp3,
            b"Opus" => AudioCodec::Opus,
            b"ac-3" => AudioCodec::Ac3,
            other => AudioCodec::Other(fourcc_name(other)),
        };
        Ok(Some(codec))
    }

    fn mp4a_object_type(&mut self, entry: &BoxHeader) -> Result<Option<u8>, ProbeError> {
        // The sound entry's fixed part grows with the QuickTime sound
        // description version (ISO files always write 0); children follow it.
        let head = self.read_prefix(entry, 10)?;
        let fixed = match be_u16(&head, 8) {
            Some(1) => 44,
            Some(2) => 64,
            _ => 28,
        };
        let from = entry.body.saturating_add(fixed);
        if from >= entry.end {
            return Ok(None);
        }
        // QuickTime files wrap esds in a 'wave' atom.
        let [esds, wave] = self.find_children(entry, from, [b"esds", b"wave"])?;
        let esds = match (esds, wave) {
            (Some(esds), _) => Some(esds),
            (None, Some(wave)) => self.find_children(&wave, wave.body, [b"esds"])?[0],
            (None, None) => None,
        };
        match esds {
            Some(esds) => {
                let buf = self.read_prefix(&esds, ESDS_PREFIX)?;
                Ok(esds_object_type(&buf))
            }
            None => Ok(None),
        }
    }

    /// (total samples, total duration in track ticks), streamed through a
    /// fixed buffer because the table may legitimately be megabytes.
    fn read_stts(&mut self, stts: &BoxHeader) -> Result<(u64, u128), ProbeError> {
        let head = self.read_prefix(stts, 8)?;
        let count = be_u32(&head, 4).ok_or_else(|| Self::too_short(stts))?;
        let room = stts.body_len().saturating_sub(8) / 8;
        if u64::from(count) > room {
            return Err(corrupt(format!(
                "the stts box at byte {} lists {count} timing entries but only has room for {room}",
                stts.start
            )));
        }
        let mut left = u64::from(count) * 8;
        let mut at = stts.body + 8;
        let mut samples = 0u64;
        let mut ticks = 0u128;
        let mut chunk = [0u8; STTS_CHUNK];
        while left > 0 {
            let n = usize::try_from(left).map_or(STTS_CHUNK, |left| left.min(STTS_CHUNK));
            let buf = chunk.get_mut(..n).ok_or_else(|| Self::too_short(stts))?;
            self.read_at(at, buf, Some(&stts.kind), stts.start)?;
            for entry in buf.chunks_exact(8) {
                let count = be_u32(entry, 0).unwrap_or(0);
                let delta = be_u32(entry, 4).unwrap_or(0);
                samples = samples.saturating_add(u64::from(count));
                ticks = ticks.saturating_add(u128::from(count) * u128::from(delta));
            }
            at += n as u64;
            left -= n as u64;
        }
        Ok((samples, ticks))
    }
}

#[cfg(test)]
// Test failures should be loud; the file is linted without clippy.toml's
// allow-unwrap-in-tests because it is copied into another crate.
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::io::Cursor;
    use std::time::Instant;

    // ---- a tiny box writer ------------------------------------------------

    #[derive(Default)]
    struct W(Vec<u8>);

    impl W {
        fn u8(mut self, v: u8) -> Self {
            self.0.push(v);
            self
        }
        fn u16(mut self, v: u16) -> Self {
            self.0.extend_from_slice(&v.to_be_bytes());
            self
        }
        fn u32(mut self, v: u32) -> Self {
            self.0.extend_from_slice(&v.to_be_bytes());
            self
        }
        fn i32(mut self, v: i32) -> Self {
            self.0.extend_from_slice(&v.to_be_bytes());
            self
        }
        fn u64(mut self, v: u64) -> Self {
            self.0.extend_from_slice(&v.to_be_bytes());
            self
        }
        fn raw(mut self, v: &[u8]) -> Self {
            self.0.extend_from_slice(v);
            self
        }
        fn zeros(mut self, n: usize) -> Self {
            self.0.resize(self.0.len() + n, 0);
            self
        }
        /// 32-bit time fields for version 0, 64-bit for version 1.
        fn time(self, version: u8, v: u64) -> Self {
            if version == 1 { self.u64(v) } else { self.u32(u32::try_from(v).unwrap()) }
        }
        fn matrix(self, [a, b, c, d]: [i32; 4]) -> Self {
            self.i32(a).i32(b).i32(0).i32(c).i32(d).i32(0).i32(0).i32(0).i32(0x4000_0000)
        }
    }

    fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let size = u32::try_from(body.len() + 8).unwrap();
        W::default().u32(size).raw(kind).raw(body).0
    }

    fn full(kind: &[u8; 4], version: u8, body: W) -> Vec<u8> {
        bx(kind, &W::default().u8(version).zeros(3).raw(&body.0).0)
    }

    fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
        parts.concat()
    }

    const ONE: i32 = 0x1_0000;
    const IDENTITY: [i32; 4] = [ONE, 0, 0, ONE];

    #[derive(Clone, Copy)]
    enum Mdat {
        Normal,
        Large,
        ToEnd,
    }

    #[derive(Clone)]
    struct Opts {
        brand: [u8; 4],
        moov_first: bool,
        version: u8,
        movie_timescale: u32,
        movie_duration: u64,
        matrix: [i32; 4],
        width: u16,
        height: u16,
        codec: [u8; 4],
        video_timescale: u32,
        stts: Vec<(u32, u32)>,
        audio: Option<[u8; 4]>,
        audio_oti: u8,
        mdat: Mdat,
    }

    impl Default for Opts {
        fn default() -> Self {
            Opts {
                brand: *b"isom",
                moov_first: true,
                version: 0,
                movie_timescale: 1000,
                movie_duration: 10_000,
                matrix: IDENTITY,
                width: 1920,
                height: 1080,
                codec: *b"avc1",
                video_timescale: 30_000,
                stts: vec![(300, 1001)],
                audio: Some(*b"mp4a"),
                audio_oti: 0x40,
                mdat: Mdat::Normal,
            }
        }
    }

    fn mvhd(o: &Opts) -> Vec<u8> {
        let v = o.version;
        let body = W::default()
            .time(v, 0)
            .time(v, 0)
            .u32(o.movie_timescale)
            .time(v, o.movie_duration)
            .u32(0x0001_0000)
            .u16(0x0100)
            .zeros(10)
            .matrix(IDENTITY)
            .zeros(24)
            .u32(3);
        full(b"mvhd", v, body)
    }

    fn tkhd(o: &Opts, id: u32, matrix: [i32; 4], w: u16, h: u16) -> Vec<u8> {
        let v = o.version;
        let body = W::default()
            .time(v, 0)
            .time(v, 0)
            .u32(id)
            .u32(0)
            .time(v, o.movie_duration)
            .zeros(8)
            .u16(0)
            .u16(0)
            .u16(0)
            .u16(0)
            .matrix(matrix)
            .u32(u32::from(w) << 16)
            .u32(u32::from(h) << 16);
        full(b"tkhd", v, body)
    }

    fn mdhd(o: &Opts, timescale: u32, duration: u64) -> Vec<u8> {
        let v = o.version;
        let body = W::default().time(v, 0).time(v, 0).u32(timescale).time(v, duration).u16(0x55c4).u16(0);
        full(b"mdhd", v, body)
    }

    fn hdlr(handler: &[u8; 4]) -> Vec<u8> {
        full(b"hdlr", 0, W::default().u32(0).raw(handler).zeros(12).raw(b"Handler\0"))
    }

    fn visual_entry(codec: &[u8; 4], w: u16, h: u16) -> Vec<u8> {
        let body = W::default()
            .zeros(6)
            .u16(1)
            .u16(0)
            .u16(0)
            .zeros(12)
            .u16(w)
            .u16(h)
            .u32(0x0048_0000)
            .u32(0x0048_0000)
            .u32(0)
            .u16(1)
            .zeros(32)
            .u16(0x18)
            .u16(0xffff)
            .raw(&bx(b"avcC", &[1, 0x64, 0, 0x28, 0xff]));
        bx(codec, &body.0)
    }

    /// ES descriptor with a 4-byte length (as some muxers write) around a
    /// decoder config with a 1-byte length.
    fn esds(oti: u8) -> Vec<u8> {
        let dcd = W::default().u8(oti).u8(0x15).zeros(3).u32(128_000).u32(128_000).raw(&[0x05, 2, 0x12, 0x10]);
        let es =
            W::default().u16(1).u8(0).u8(0x04).u8(u8::try_from(dcd.0.len()).unwrap()).raw(&dcd.0).raw(&[0x06, 1, 2]);
        let body = W::default().u8(0x03).raw(&[0x80, 0x80, 0x80]).u8(u8::try_from(es.0.len()).unwrap()).raw(&es.0);
        full(b"esds", 0, body)
    }

    fn audio_entry(codec: &[u8; 4], oti: u8) -> Vec<u8> {
        let mut body = W::default().zeros(6).u16(1).zeros(8).u16(2).u16(16).u16(0).u16(0).u32(44_100 << 16);
        if codec == b"mp4a" {
            body = body.raw(&esds(oti));
        }
        bx(codec, &body.0)
    }

    fn stsd(entry: &[u8]) -> Vec<u8> {
        full(b"stsd", 0, W::default().u32(1).raw(entry))
    }

    fn stts(entries: &[(u32, u32)]) -> Vec<u8> {
        let mut body = W::default().u32(u32::try_from(entries.len()).unwrap());
        for &(count, delta) in entries {
            body = body.u32(count).u32(delta);
        }
        full(b"stts", 0, body)
    }

    fn trak(tkhd: Vec<u8>, mdhd: Vec<u8>, handler: &[u8; 4], stbl_children: &[Vec<u8>]) -> Vec<u8> {
        let stbl = bx(
            b"stbl",
            &cat(&[
                cat(stbl_children),
                full(b"stsc", 0, W::default().u32(0)),
                full(b"stsz", 0, W::default().u32(0).u32(0)),
                full(b"stco", 0, W::default().u32(0)),
            ]),
        );
        let minf = bx(b"minf", &cat(&[full(b"vmhd", 0, W::default().zeros(8)), stbl]));
        let mdia = bx(b"mdia", &cat(&[mdhd, hdlr(handler), minf]));
        bx(b"trak", &cat(&[tkhd, mdia]))
    }

    fn video_trak(o: &Opts) -> Vec<u8> {
        let frames: u64 = o.stts.iter().map(|&(c, d)| u64::from(c) * u64::from(d)).sum();
        trak(
            tkhd(o, 1, o.matrix, o.width, o.height),
            mdhd(o, o.video_timescale, frames),
            b"vide",
            &[stsd(&visual_entry(&o.codec, o.width, o.height)), stts(&o.stts)],
        )
    }

    fn audio_trak(o: &Opts, codec: &[u8; 4]) -> Vec<u8> {
        trak(
            tkhd(o, 2, IDENTITY, 0, 0),
            mdhd(o, 44_100, 441_000),
            b"soun",
            &[stsd(&audio_entry(codec, o.audio_oti)), stts(&[(431, 1024)])],
        )
    }

    fn moov_with(children: &[Vec<u8>]) -> Vec<u8> {
        bx(b"moov", &cat(children))
    }

    fn moov(o: &Opts) -> Vec<u8> {
        let mut children = vec![mvhd(o), video_trak(o)];
        if let Some(codec) = &o.audio {
            children.push(audio_trak(o, codec));
        }
        moov_with(&children)
    }

    fn ftyp(brand: &[u8; 4]) -> Vec<u8> {
        bx(b"ftyp", &W::default().raw(brand).u32(0x200).raw(brand).raw(b"mp41").0)
    }

    fn mdat(kind: Mdat) -> Vec<u8> {
        let payload = vec![0xAB; 1000];
        match kind {
            Mdat::Normal => bx(b"mdat", &payload),
            Mdat::Large => W::default().u32(1).raw(b"mdat").u64(16 + payload.len() as u64).raw(&payload).0,
            Mdat::ToEnd => W::default().u32(0).raw(b"mdat").raw(&payload).0,
        }
    }

    fn build(o: &Opts) -> Vec<u8> {
        let (ftyp, moov, mdat) = (ftyp(&o.brand), moov(o), mdat(o.mdat));
        if o.moov_first { cat(&[ftyp, moov, mdat]) } else { cat(&[ftyp, mdat, moov]) }
    }

    fn run(bytes: &[u8]) -> Result<VideoInfo, ProbeError> {
        probe(Cursor::new(bytes), bytes.len() as u64)
    }

    /// Deterministic xorshift so the "random" tests are reproducible.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    fn assert_corrupt(result: Result<VideoInfo, ProbeError>, needle: &str) {
        match result {
            Err(ProbeError::Corrupt(msg)) => {
                assert!(msg.contains(needle), "{msg:?} should mention {needle:?}")
            }
            other => panic!("expected Corrupt mentioning {needle:?}, got {other:?}"),
        }
    }

    // ---- well-formed files -------------------------------------------------

    #[test]
    fn h264_aac_fast_start() {
        let bytes = build(&Opts::default());
        let info = run(&bytes).unwrap();
        assert_eq!(info.container, Container::Mp4);
        assert_eq!(info.duration, Duration::from_secs(10));
        assert_eq!((info.width, info.height), (1920, 1080));
        assert_eq!(info.rotation, 0);
        assert_eq!((info.display_width, info.display_height), (1920, 1080));
        assert_eq!(info.video_codec, Some(VideoCodec::H264));
        assert_eq!(info.audio_codec, Some(AudioCodec::Aac));
        let fps = info.frame_rate.unwrap();
        assert!((fps - 29.97).abs() < 0.01, "{fps}");
        assert_eq!(info.bytes, bytes.len() as u64);
        assert_eq!(info.bitrate_bps, bytes.len() as u64 * 8 / 10);
        assert!(info.fast_start);
    }

    #[test]
    fn moov_after_mdat_is_not_fast_start() {
        let o = Opts { moov_first: false, ..Opts::default() };
        let info = run(&build(&o)).unwrap();
        assert!(!info.fast_start);
        assert_eq!(info.video_codec, Some(VideoCodec::H264));
        assert_eq!(info.duration, Duration::from_secs(10));
    }

    #[test]
    fn quicktime_brand_is_mov() {
        let o = Opts { brand: *b"qt  ", ..Opts::default() };
        assert_eq!(run(&build(&o)).unwrap().container, Container::Mov);
    }

    #[test]
    fn quicktime_sound_v1_with_wave_wrapped_esds() {
        let o = Opts { brand: *b"qt  ", audio: None, ..Opts::default() };
        let wave = bx(b"wave", &cat(&[bx(b"frma", b"mp4a"), bx(b"mp4a", &[0, 0, 0, 0]), esds(0x40), bx(&[0; 4], &[])]));
        // Sound description version 1: 16 more bytes before the children.
        let entry = bx(
            b"mp4a",
            &W::default()
                .zeros(6)
                .u16(1)
                .u16(1)
                .zeros(6)
                .u16(2)
                .u16(16)
                .u16(0xfffe)
                .u16(0)
                .u32(48_000 << 16)
                .zeros(16)
                .raw(&wave)
                .0,
        );
        let sound = trak(tkhd(&o, 2, IDENTITY, 0, 0), mdhd(&o, 48_000, 480_000), b"soun", &[stsd(&entry)]);
        let bytes = cat(&[ftyp(b"qt  "), moov_with(&[mvhd(&o), video_trak(&o), sound]), mdat(Mdat::Normal)]);
        let info = run(&bytes).unwrap();
        assert_eq!(info.container, Container::Mov);
        assert_eq!(info.audio_codec, Some(AudioCodec::Aac));
    }

    #[test]
    fn rotations_swap_display_dimensions() {
        for (matrix, rotation, display) in [
            ([0, ONE, -ONE, 0], 90, (1080, 1920)),
            ([-ONE, 0, 0, -ONE], 180, (1920, 1080)),
            ([0, -ONE, ONE, 0], 270, (1080, 1920)),
            // Float-derived near-zero terms still count as a clean rotation.
            ([1, ONE - 1, -ONE, -2], 90, (1080, 1920)),
            // A mirror is not a rotation.
            ([-ONE, 0, 0, ONE], 0, (1920, 1080)),
        ] {
            let o = Opts { matrix, ..Opts::default() };
            let info = run(&build(&o)).unwrap();
            assert_eq!(info.rotation, rotation, "{matrix:?}");
            assert_eq!((info.width, info.height), (1920, 1080));
            assert_eq!((info.display_width, info.display_height), display);
        }
    }

    #[test]
    fn version_1_headers_with_64_bit_durations() {
        // 2^32 + 500 ms at a 1 kHz timescale does not fit version 0.
        let o = Opts { version: 1, movie_duration: (1u64 << 32) + 500, matrix: [0, ONE, -ONE, 0], ..Opts::default() };
        let info = run(&build(&o)).unwrap();
        assert_eq!(info.duration, Duration::from_millis((1u64 << 32) + 500));
        assert_eq!(info.rotation, 90);
        assert!((info.frame_rate.unwrap() - 29.97).abs() < 0.01);
    }

    #[test]
    fn largesize_mdat() {
        for moov_first in [true, false] {
            let o = Opts { mdat: Mdat::Large, moov_first, ..Opts::default() };
            let info = run(&build(&o)).unwrap();
            assert_eq!(info.fast_start, moov_first);
            assert_eq!(info.video_codec, Some(VideoCodec::H264));
        }
    }

    #[test]
    fn size_zero_last_box_extends_to_end() {
        let o = Opts { mdat: Mdat::ToEnd, ..Opts::default() };
        let bytes = build(&o);
        let info = run(&bytes).unwrap();
        assert!(info.fast_start);
        assert_eq!(info.bytes, bytes.len() as u64);
    }

    #[test]
    fn uuid_boxes_are_skipped() {
        let o = Opts::default();
        let uuid = W::default().u32(8 + 16 + 4).raw(b"uuid").raw(&[0x11; 16]).raw(b"data").0;
        let bytes = cat(&[ftyp(b"isom"), uuid.clone(), moov(&o), uuid, mdat(Mdat::Normal)]);
        assert!(run(&bytes).unwrap().fast_start);
    }

    #[test]
    fn video_codecs() {
        for (fourcc, codec) in [
            (*b"avc3", VideoCodec::H264),
            (*b"hvc1", VideoCodec::Hevc),
            (*b"hev1", VideoCodec::Hevc),
            (*b"vp09", VideoCodec::Vp9),
            (*b"av01", VideoCodec::Av1),
            (*b"mp4v", VideoCodec::Mpeg4),
            (*b"apch", VideoCodec::Other("apch".to_string())),
        ] {
            let o = Opts { codec: fourcc, ..Opts::default() };
            assert_eq!(run(&build(&o)).unwrap().video_codec, Some(codec));
        }
    }

    #[test]
    fn audio_codecs() {
        for (fourcc, oti, codec) in [
            (*b"mp4a", 0x67, AudioCodec::Aac),
            (*b"mp4a", 0x69, AudioCodec::Mp3),
            (*b"mp4a", 0x6B, AudioCodec::Mp3),
            (*b"mp4a", 0xA5, AudioCodec::Other("mp4a/0xa5".to_string())),
            (*b".mp3", 0, AudioCodec::Mp3),
            (*b"Opus", 0, AudioCodec::Opus),
            (*b"ac-3", 0, AudioCodec::Ac3),
            (*b"sowt", 0, AudioCodec::Other("sowt".to_string())),
        ] {
            let o = Opts { audio: Some(fourcc), audio_oti: oti, ..Opts::default() };
            assert_eq!(run(&build(&o)).unwrap().audio_codec, Some(codec));
        }
        let silent = Opts { audio: None, ..Opts::default() };
        assert_eq!(run(&build(&silent)).unwrap().audio_codec, None);
    }

    #[test]
    fn first_video_track_wins_and_other_handlers_are_ignored() {
        let o = Opts::default();
        let second = Opts { codec: *b"hvc1", width: 640, height: 360, ..Opts::default() };
        let timecode = trak(tkhd(&o, 9, IDENTITY, 0, 0), mdhd(&o, 30, 300), b"tmcd", &[]);
        let bytes = cat(&[ftyp(b"isom"), moov_with(&[timecode, mvhd(&o), video_trak(&o), video_trak(&second)])]);
        let info = run(&bytes).unwrap();
        assert_eq!(info.video_codec, Some(VideoCodec::H264));
        assert_eq!(info.width, 1920);
        assert_eq!(info.audio_codec, None);
    }

    #[test]
    fn unknown_movie_duration_falls_back_to_video_track() {
        let o = Opts { movie_duration: 0, ..Opts::default() };
        let info = run(&build(&o)).unwrap();
        // 300 frames of 1001/30000 s.
        assert_eq!(info.duration, Duration::from_nanos(10_010_000_000));
    }

    #[test]
    fn probe_file_reads_from_disk() {
        let path = std::env::temp_dir().join(format!("video-probe-{}.mp4", std::process::id()));
        std::fs::write(&path, build(&Opts::default())).unwrap();
        let result = probe_file(&path);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(result.unwrap().video_codec, Some(VideoCodec::H264));
        assert!(matches!(
            probe_file(&path),
            Err(ProbeError::Io(ref e)) if e.kind() == io::ErrorKind::NotFound
        ));
    }

    // ---- broken and hostile files ------------------------------------------

    #[test]
    fn empty_and_tiny_files() {
        assert!(matches!(run(&[]), Err(ProbeError::NotMp4)));
        assert!(matches!(run(&[0, 0, 0]), Err(ProbeError::NotMp4)));
        assert!(matches!(run(b"\0\0\0\x18ft"), Err(ProbeError::Truncated { .. })));
        assert!(matches!(run(b"\0\0\0\x18mo"), Err(ProbeError::NotMp4)));
    }

    #[test]
    fn ftyp_only_has_no_movie() {
        assert!(matches!(run(&ftyp(b"isom")), Err(ProbeError::NoMovie)));
        let short = bx(b"ftyp", b"is");
        assert_corrupt(run(&short), "ftyp");
    }

    #[test]
    fn random_garbage_is_not_mp4() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let garbage: Vec<u8> = (0..65_536).map(|_| rng.next() as u8).collect();
        assert!(matches!(run(&garbage), Err(ProbeError::NotMp4)));
        // Garbage behind a valid ftyp must fail cleanly too.
        let bytes = cat(&[ftyp(b"isom"), garbage]);
        assert!(run(&bytes).is_err());
    }

    #[test]
    fn audio_only_has_no_video_track() {
        let o = Opts::default();
        let bytes = cat(&[ftyp(b"M4A "), moov_with(&[mvhd(&o), audio_trak(&o, b"mp4a")])]);
        assert!(matches!(run(&bytes), Err(ProbeError::NoVideoTrack)));
    }

    #[test]
    fn missing_mvhd_is_corrupt() {
        let o = Opts::default();
        let bytes = cat(&[ftyp(b"isom"), moov_with(&[video_trak(&o)])]);
        assert_corrupt(run(&bytes), "mvhd");
    }

    #[test]
    fn truncated_at_several_offsets() {
        for moov_first in [true, false] {
            let bytes = build(&Opts { moov_first, ..Opts::default() });
            let ftyp_len = ftyp(b"isom").len();
            let moov_len = moov(&Opts::default()).len();
            let cuts = [
                9,
                ftyp_len - 1,
                ftyp_len + 3,
                ftyp_len + 100,
                ftyp_len + moov_len / 2,
                bytes.len() - 500,
                bytes.len() - 1,
            ];
            for cut in cuts {
                match run(&bytes[..cut]) {
                    Err(ProbeError::Truncated { .. } | ProbeError::NoMovie) => {}
                    other => panic!("cut at {cut} (moov_first={moov_first}): {other:?}"),
                }
            }
        }
    }

    #[test]
    fn truncation_blames_the_box_that_is_cut() {
        let bytes = build(&Opts::default());
        let err = run(&bytes[..bytes.len() - 10]).unwrap_err();
        let moov_end = (ftyp(b"isom").len() + moov(&Opts::default()).len()) as u64;
        assert!(matches!(&err, ProbeError::Truncated { what, at } if what == "mdat" && *at == moov_end), "{err:?}");
        assert_eq!(err.to_string(), format!("the file is cut off: the mdat box at byte {moov_end} runs past the end"));
    }

    #[test]
    fn length_longer_than_stream_is_truncated_not_panic() {
        let bytes = build(&Opts { moov_first: false, ..Opts::default() });
        // `len` is only an upper bound: the probe never reads the tail of
        // moov it does not need, so cut where it does read (mvhd, moov last).
        let cut = &bytes[..bytes.len() - moov(&Opts::default()).len() + 20];
        let result = probe(Cursor::new(cut), bytes.len() as u64);
        assert!(matches!(result, Err(ProbeError::Truncated { .. })), "{result:?}");
    }

    #[test]
    fn box_claiming_2_pow_63_bytes() {
        let o = Opts::default();
        let huge_mdat = W::default().u32(1).raw(b"mdat").u64(1 << 63).zeros(100).0;
        let bytes = cat(&[ftyp(b"isom"), moov(&o), huge_mdat]);
        assert!(matches!(
            run(&bytes),
            Err(ProbeError::Truncated { ref what, .. }) if what == "mdat"
        ));
        // Near u64::MAX the end offset itself overflows.
        let overflowing = W::default().u32(1).raw(b"moov").u64(u64::MAX).zeros(100).0;
        let bytes = cat(&[ftyp(b"isom"), overflowing]);
        assert!(matches!(run(&bytes), Err(ProbeError::Truncated { ref what, .. }) if what == "moov"));
    }

    #[test]
    fn box_smaller_than_its_header() {
        let bytes = cat(&[ftyp(b"isom"), W::default().u32(4).raw(b"free").0]);
        assert_corrupt(run(&bytes), "smaller than its own 8-byte header");
        let bytes = cat(&[ftyp(b"isom"), W::default().u32(1).raw(b"free").u64(15).0]);
        assert_corrupt(run(&bytes), "16-byte header");
        let bytes = cat(&[ftyp(b"isom"), W::default().u32(20).raw(b"uuid").zeros(12).0]);
        assert_corrupt(run(&bytes), "24-byte header");
    }

    #[test]
    fn child_running_past_its_parent_is_corrupt() {
        let o = Opts::default();
        let mut inner = mvhd(&o);
        inner[3] += 4; // mvhd now claims 4 bytes beyond moov
        let bytes = cat(&[ftyp(b"isom"), moov_with(&[inner]), mdat(Mdat::Normal)]);
        assert_corrupt(run(&bytes), "runs past the end of the moov box");
    }

    #[test]
    fn moov_larger_than_the_cap_is_refused_without_reading_it() {
        /// A stream that is mostly zeros it never stores.
        struct Sparse {
            head: Vec<u8>,
            len: u64,
            pos: u64,
        }
        impl Read for Sparse {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let left = usize::try_from(self.len.saturating_sub(self.pos)).unwrap();
                let n = buf.len().min(left);
                for (i, b) in buf[..n].iter_mut().enumerate() {
                    let at = usize::try_from(self.pos).unwrap() + i;
                    *b = self.head.get(at).copied().unwrap_or(0);
                }
                self.pos += n as u64;
                Ok(n)
            }
        }
        impl Seek for Sparse {
            fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
                let SeekFrom::Start(to) = to else { unreachable!("the probe only seeks from the start") };
                self.pos = to;
                Ok(to)
            }
        }
        let moov_size = MAX_MOOV_BYTES + 1;
        let head = cat(&[ftyp(b"isom"), W::default().u32(1).raw(b"moov").u64(moov_size).0]);
        let len = ftyp(b"isom").len() as u64 + moov_size;
        let result = probe(Sparse { head, len, pos: 0 }, len);
        assert_corrupt(result, "64 MiB");
    }

    #[test]
    fn zero_size_box_in_the_middle_of_moov() {
        let o = Opts::default();
        let zero = W::default().u32(0).raw(b"free").zeros(8).0;
        let bytes = cat(&[ftyp(b"isom"), moov_with(&[mvhd(&o), zero, video_trak(&o)]), mdat(Mdat::Normal)]);
        assert_corrupt(run(&bytes), "size 0");
    }

    #[test]
    fn deep_nesting_is_harmless() {
        let o = Opts::default();
        // 2,000 nested traks: the parser never recurses into unknown layout,
        // so this is skipped without deep recursion and the real track wins.
        let mut nested = video_trak(&o);
        for _ in 0..2_000 {
            nested = bx(b"trak", &nested);
        }
        let bytes = cat(&[ftyp(b"isom"), moov_with(&[mvhd(&o), nested, video_trak(&o)])]);
        let started = Instant::now();
        assert_eq!(run(&bytes).unwrap().video_codec, Some(VideoCodec::H264));
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn depth_cap_is_enforced() {
        let bytes = bx(b"free", &[]);
        let mut walker = Walker { reader: Cursor::new(&bytes), len: bytes.len() as u64, pos: None, boxes: 0 };
        let deep = BoxHeader { kind: *b"stbl", start: 0, body: 0, end: bytes.len() as u64, depth: MAX_DEPTH };
        assert!(matches!(
            walker.next_child(0, &deep),
            Err(ProbeError::Corrupt(msg)) if msg.contains("nested more than 16")
        ));
    }

    #[test]
    fn box_count_is_capped() {
        let o = Opts::default();
        let frees = bx(b"free", &[]).repeat(usize::try_from(MAX_BOXES).unwrap() + 1);
        let bytes = cat(&[ftyp(b"isom"), moov_with(&[frees, mvhd(&o), video_trak(&o)])]);
        assert_corrupt(run(&bytes), "more than 100000 boxes");
    }

    #[test]
    fn stts_claiming_2_pow_32_entries() {
        let o = Opts::default();
        let lying = full(b"stts", 0, W::default().u32(u32::MAX).u32(1).u32(1001));
        let video = trak(
            tkhd(&o, 1, IDENTITY, 1920, 1080),
            mdhd(&o, 30_000, 300_300),
            b"vide",
            &[stsd(&visual_entry(b"avc1", 1920, 1080)), lying],
        );
        let bytes = cat(&[ftyp(b"isom"), moov_with(&[mvhd(&o), video])]);
        assert_corrupt(run(&bytes), "stts");
    }

    #[test]
    fn unknown_box_versions_are_corrupt() {
        let o = Opts::default();
        let mut header = mvhd(&o);
        header[8] = 7;
        let bytes = cat(&[ftyp(b"isom"), moov_with(&[header, video_trak(&o)])]);
        assert_corrupt(run(&bytes), "version 7");
    }

    #[test]
    fn error_messages_read_well() {
        assert_eq!(ProbeError::NotMp4.to_string(), "not an MP4 or MOV file (no ftyp box at the start)");
        assert_eq!(
            ProbeError::NoMovie.to_string(),
            "the file has no movie header (moov box); it may be incomplete or still being written"
        );
        assert_eq!(ProbeError::NoVideoTrack.to_string(), "the file has no video track");
        let io = ProbeError::from(io::Error::new(io::ErrorKind::PermissionDenied, "denied"));
        assert_eq!(io.to_string(), "cannot read the file: denied");
        assert_eq!(fourcc_name(&[0xa9, b'n', b'a', b'm']), "0xa96e616d");
    }

    // ---- property-style sweeps ---------------------------------------------

    /// Offsets where a top-level box ends: a file cut exactly there is
    /// structurally complete, so it may legitimately probe as Ok.
    fn top_level_boundaries(bytes: &[u8]) -> Vec<usize> {
        let mut at = 0;
        let mut out = vec![];
        while at + 8 <= bytes.len() {
            let size = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
            at += size;
            out.push(at);
        }
        out
    }

    #[test]
    fn every_prefix_fails_cleanly() {
        for moov_first in [true, false] {
            let bytes = build(&Opts { moov_first, ..Opts::default() });
            let boundaries = top_level_boundaries(&bytes);
            for cut in 0..bytes.len() {
                let started = Instant::now();
                let result = run(&bytes[..cut]);
                assert!(started.elapsed() < Duration::from_secs(2), "cut {cut}");
                match result {
                    Err(ProbeError::NotMp4) if cut < 4 => {}
                    Err(ProbeError::Truncated { .. } | ProbeError::NoMovie) => {}
                    Ok(_) if boundaries.contains(&cut) => {}
                    other => panic!("cut at {cut} (moov_first={moov_first}): {other:?}"),
                }
            }
        }
    }

    #[test]
    fn single_byte_corruptions_never_panic_or_hang() {
        let mut rng = Rng(0x0123_4567_89AB_CDEF);
        for moov_first in [true, false] {
            let original = build(&Opts { moov_first, ..Opts::default() });
            for _ in 0..1_000 {
                let mut bytes = original.clone();
                let at = usize::try_from(rng.next() % bytes.len() as u64).unwrap();
                let value = rng.next() as u8;
                bytes[at] = value;
                let started = Instant::now();
                let _ = run(&bytes);
                assert!(started.elapsed() < Duration::from_secs(2), "byte {at} = {value:#x}");
            }
        }
    }
}
