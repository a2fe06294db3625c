//! `fanout prepare`: fits files to a target with the media pipeline and reports, per file, the
//! result and everything that was changed. Preparation runs on blocking threads, two files at a
//! time per core.

use std::path::Path;

use fanout_core::error::{Error, Result};
use fanout_core::media::{self, Fit, FitOptions, Focus, Limits, Prepared};
use fanout_core::profiles::{self, Target};
use serde_json::json;

use crate::args::{FitArg, HandoffArgs, PlanArgs, PrepareArgs};
use crate::exit;

fn parse_focus(text: &str) -> Result<Focus> {
    let bad = || Error::invalid(format!("--focus '{text}' is not X,Y with both between 0 and 1, such as 0.5,0.3"));
    let (x, y) = text.split_once(',').ok_or_else(bad)?;
    let (x, y): (f64, f64) = (x.trim().parse().map_err(|_| bad())?, y.trim().parse().map_err(|_| bad())?);
    Focus::new(x, y).ok_or_else(bad)
}

fn output_name(file: &Path, target: Target, extension: &str) -> String {
    let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "media".into());
    format!("{stem}.{}.{extension}", target.id())
}

fn parse_target(id: &str) -> Result<Target> {
    fanout_core::networks::target(id).ok_or_else(|| {
        let known: Vec<&str> = fanout_core::networks::targets().iter().map(|t| t.id()).collect();
        Error::invalid(format!("unknown target '{id}'; known targets: {}", known.join(", ")))
    })
}

/// `fanout plan`: the draft against each target kind, with the problems and the files it would send.
pub async fn plan(args: &PlanArgs) -> Result<u8> {
    let targets = args.targets.iter().map(|t| parse_target(t)).collect::<Result<Vec<_>>>()?;
    let media = args.media.iter().map(|p| fanout_core::files::inspect_media(p)).collect::<Result<Vec<_>>>()?;
    let text = args.text.clone();
    let cache_dir = std::env::temp_dir().join("fanout-plan-variants");
    let plans = tokio::task::spawn_blocking(move || {
        let cache = fanout_core::media::cache::VariantCache::new(cache_dir, 256 * 1024 * 1024);
        targets
            .iter()
            .map(|t| {
                let rules = fanout_core::plan::TargetRules::from_profile(profiles::profile(*t));
                (*t, fanout_core::plan::plan_target(&rules, &text, &media, &cache, &[]))
            })
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| Error::invalid(format!("planning stopped: {e}")))?;
    let mut report = Vec::new();
    for (target, plan) in &plans {
        let files: Vec<serde_json::Value> = plan
            .files
            .iter()
            .map(|f| match f {
                fanout_core::plan::PlannedFile::Image { source, variant } => json!({
                    "source": source, "kind": "image", "width": variant.width, "height": variant.height,
                    "bytes": variant.bytes, "format": variant.format.extension(), "changes": variant.changes,
                }),
                fanout_core::plan::PlannedFile::Video { source, bytes } => {
                    json!({"source": source, "kind": "video", "bytes": bytes})
                }
                fanout_core::plan::PlannedFile::Document { source, bytes } => {
                    json!({"source": source, "kind": "document", "bytes": bytes})
                }
            })
            .collect();
        let problems: Vec<String> = plan.problems.iter().map(ToString::to_string).collect();
        if !args.json {
            let mark = if problems.is_empty() { "✓" } else { "✗" };
            out!("{mark} {}", target.display_name());
            for p in &problems {
                out!("    {p}");
            }
            for f in &files {
                if f["kind"] == "image" {
                    out!(
                        "    {}: {}×{} {}, {:.1} KB",
                        f["source"].as_str().unwrap_or_default(),
                        f["width"],
                        f["height"],
                        f["format"].as_str().unwrap_or_default().to_uppercase(),
                        f["bytes"].as_f64().unwrap_or(0.0) / 1000.0
                    );
                }
            }
        }
        report.push(json!({"target": target.id(), "ok": problems.is_empty(), "problems": problems, "files": files}));
    }
    if args.json {
        println!("{}", crate::terminal::json(&serde_json::Value::Array(report)));
    }
    Ok(if plans.iter().all(|(_, p)| p.problems.is_empty()) { 0 } else { exit::INPUT })
}

/// `fanout handoff`: the app's share page with the post filled in, and its photos prepared for it.
pub async fn handoff(args: &HandoffArgs) -> Result<u8> {
    use fanout_core::handoff::{self, Intent};
    let intent = Intent::parse(&args.to).ok_or_else(|| {
        let known: Vec<&str> = Intent::ALL.iter().map(|i| i.id()).collect();
        Error::invalid(format!("unknown app '{}'; known: {}", args.to, known.join(", ")))
    })?;
    let shared = handoff::intent(intent, &args.text, args.link.as_deref(), args.media.len())?;
    let out = args.out.clone().unwrap_or_else(|| std::env::temp_dir().join(format!("fanout-handoff-{}", intent.id())));
    let files = args.media.clone();
    let prepared = tokio::task::spawn_blocking(move || handoff::prepare_media(intent, &files, &out))
        .await
        .map_err(|e| Error::invalid(format!("preparation stopped: {e}")))??;
    if args.json {
        println!(
            "{}",
            crate::terminal::json(
                &json!({"app": intent.id(), "url": shared.url, "notes": shared.notes, "files": prepared})
            )
        );
    } else {
        out!("{}", shared.url);
        for note in &shared.notes {
            err!("note: {note}");
        }
        for path in &prepared {
            err!("ready to attach: {}", path.display());
        }
    }
    if args.open {
        opener::open(&shared.url)
            .map_err(|e| Error::invalid(format!("cannot open the {} share page: {e}", intent.display_name())))?;
    }
    Ok(0)
}

pub async fn run(args: &PrepareArgs) -> Result<u8> {
    let target = parse_target(&args.target)?;
    let focus = args.focus.as_deref().map(parse_focus).transpose()?.unwrap_or(Focus::CENTRE);
    let fit = match args.fit {
        FitArg::Crop => Fit::Crop,
        FitArg::Pad => Fit::Pad,
        FitArg::PadSolid => Fit::PadSolid([255, 255, 255]),
    };
    if let Some(out) = &args.out {
        std::fs::create_dir_all(out).map_err(|e| Error::io(format!("cannot create {}", out.display()), e))?;
    }
    let files = args.files.clone();
    let options = FitOptions { fit, focus };
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let results = tokio::task::spawn_blocking(move || {
        media::prepare_files(&files, profiles::profile(target), &options, &Limits::default(), threads)
    })
    .await
    .map_err(|e| Error::invalid(format!("preparation stopped: {e}")))?;

    let mut failed = false;
    let mut report = Vec::new();
    for (file, result) in args.files.iter().zip(results) {
        match result {
            Ok(Prepared::Image(variant)) => {
                let written = match &args.out {
                    Some(out) => {
                        let path = out.join(output_name(file, target, variant.format.extension()));
                        std::fs::write(&path, &variant.bytes)
                            .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
                        Some(path)
                    }
                    None => None,
                };
                let changes: Vec<String> = variant.changes.iter().map(ToString::to_string).collect();
                if !args.json {
                    out!("{} → {}", file.display(), target.display_name());
                    out!(
                        "  {}×{} {}, {:.1} KB{}",
                        variant.width,
                        variant.height,
                        variant.format.extension().to_uppercase(),
                        variant.bytes.len() as f64 / 1000.0,
                        written.as_ref().map(|p| format!(" → {}", p.display())).unwrap_or_default()
                    );
                    out!("  {}", changes.join("; "));
                }
                report.push(json!({
                    "file": file, "target": target.id(), "ok": true, "kind": "image",
                    "width": variant.width, "height": variant.height, "bytes": variant.bytes.len(),
                    "format": variant.format.extension(), "changes": changes, "output": written,
                }));
            }
            Ok(Prepared::Video { info, problems }) => {
                let rules = profiles::profile(target).video.clone();
                // Where ffmpeg is installed and an output folder is given, convert to fit.
                if !problems.is_empty()
                    && let (Some(out), Some(rules)) = (&args.out, rules)
                    && media::transcode::ffmpeg().is_some()
                {
                    let path = out.join(output_name(file, target, "mp4"));
                    let (input, output, probe) = (file.clone(), path.clone(), info.clone());
                    let quiet = args.json;
                    let converted = tokio::task::spawn_blocking(move || {
                        media::transcode::transcode(&input, &output, &probe, &rules, |p| {
                            if !quiet {
                                eprint!("\r  converting… {:>3.0}%", p * 100.0);
                            }
                        })
                    })
                    .await
                    .map_err(|e| Error::invalid(format!("conversion stopped: {e}")))?;
                    if !args.json {
                        err!();
                    }
                    match converted {
                        Ok(fitted) => {
                            if !args.json {
                                out!(
                                    "{} → {}: converted to fit ({})",
                                    file.display(),
                                    target.display_name(),
                                    problems.join("; ")
                                );
                                out!(
                                    "  {}×{} H.264/AAC MP4, {:.1} s, {:.1} MB → {}",
                                    fitted.display_width,
                                    fitted.display_height,
                                    fitted.duration.as_secs_f64(),
                                    fitted.bytes as f64 / 1e6,
                                    path.display()
                                );
                            }
                            report.push(json!({
                                "file": file, "target": target.id(), "ok": true, "kind": "video", "converted": true,
                                "width": fitted.display_width, "height": fitted.display_height, "bytes": fitted.bytes,
                                "seconds": fitted.duration.as_secs_f64(), "fixed": problems, "output": path,
                            }));
                            continue;
                        }
                        Err(e) => {
                            failed = true;
                            if !args.json {
                                err!("✗ {}: {e}", file.display());
                            }
                            report.push(json!({"file": file, "target": target.id(), "ok": false, "kind": "video", "problems": problems, "error": e.to_string()}));
                            continue;
                        }
                    }
                }
                failed |= !problems.is_empty();
                if !args.json {
                    out!(
                        "{} → {}: video {}×{}, {:.1} s, {:.1} MB",
                        file.display(),
                        target.display_name(),
                        info.display_width,
                        info.display_height,
                        info.duration.as_secs_f64(),
                        info.bytes as f64 / 1e6
                    );
                    if problems.is_empty() {
                        out!("  ready as it is");
                    }
                    for p in &problems {
                        out!("  ✗ {p}");
                    }
                    if !problems.is_empty() {
                        let how = if media::transcode::ffmpeg().is_some() {
                            "give --out DIR and Fanout converts it with ffmpeg"
                        } else {
                            "install ffmpeg and give --out DIR to let Fanout convert it"
                        };
                        out!("  ({how})");
                    }
                }
                report.push(json!({
                    "file": file, "target": target.id(), "ok": problems.is_empty(), "kind": "video",
                    "width": info.display_width, "height": info.display_height, "bytes": info.bytes,
                    "seconds": info.duration.as_secs_f64(), "problems": problems,
                }));
            }
            Err(e) => {
                failed = true;
                if !args.json {
                    err!("✗ {e}");
                }
                report.push(json!({"file": file, "target": target.id(), "ok": false, "error": e.reason}));
            }
        }
    }
    if args.json {
        println!("{}", crate::terminal::json(&serde_json::Value::Array(report)));
    }
    Ok(if failed { exit::INPUT } else { 0 })
}
