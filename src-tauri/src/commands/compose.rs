//! The composer: attaching files, the live check, sharing, drafts, editing and cancelling a post,
//! and the hand-off to apps no API reaches.

use fanout_core::clock::Timestamp;
use fanout_core::drafts;
use fanout_core::media::Focus;
use fanout_core::model::{DraftId, HeaderKind, MediaRef, Template};
use fanout_core::plan::PlannedFile;
use fanout_core::post::{self, Draft, MediaDetail};
use fanout_core::store::deliveries::Filter;
use tauri::{AppHandle, Manager, State};
use tauri_plugin_dialog::DialogExt;

use super::{open_external, parse_post_id};
use crate::error::{AppError, Result};
use crate::models::{
    ComposerState, DeliveryView, DraftFileView, DraftInput, DraftProblemView, DraftSave, DraftSummary, DraftView,
    EditResult, HandoffView, LinkCardView, MediaOrder, MediaReceived, MediaView, PlanView, PlannedFileView,
    ShareResult, TargetPlanView, TargetText,
};
use crate::state::{AppState, lock};

pub(super) fn draft(state: &AppState, input: &DraftInput) -> Result<Draft> {
    let ids: Vec<String> = input.media.iter().map(|m| m.id.clone()).collect();
    let media_details = input
        .media
        .iter()
        .map(|m| MediaDetail {
            name: state.attachments.get(&m.id).map(|a| a.name),
            alt_text: m.alt_text.clone(),
            focus: match (m.focus_x, m.focus_y) {
                (Some(x), Some(y)) => Focus::new(x, y),
                _ => None,
            },
        })
        .collect();
    Ok(Draft {
        text: input.text.clone(),
        media: state.attachments.paths(&ids)?,
        media_details,
        targets: input.targets.clone(),
        texts: input.texts.iter().map(|t| (t.account_id.clone(), t.text.clone())).collect(),
        story: input.story,
        again: input.again,
        scheduled_at: input.scheduled_at.map(|ms| Timestamp(ms as i64)),
        first_comments: input.first_comments.iter().map(|c| (c.account_id.clone(), c.text.clone())).collect(),
        recipients: input
            .messaging
            .iter()
            .filter_map(|m| m.list.as_ref().map(|list| (m.account_id.clone(), list.clone())))
            .collect(),
        templates: input
            .messaging
            .iter()
            .filter_map(|m| {
                let t = m.template.as_ref()?;
                let header = match t.header.as_deref() {
                    Some("image") => Some(HeaderKind::Image),
                    Some("video") => Some(HeaderKind::Video),
                    Some("document") => Some(HeaderKind::Document),
                    _ => None,
                };
                let template =
                    Template { name: t.name.clone(), language: t.language.clone(), params: t.params.clone(), header };
                Some((m.account_id.clone(), template))
            })
            .collect(),
        replaces: input.replaces.as_deref().map(parse_post_id).transpose()?,
        orders: MediaOrder::to_core(&input.orders),
    })
}

/// Opens the system's file picker for photos and videos and attaches what the user picks.
/// `FANOUT_PICK_FILES` (paths separated like `PATH`) answers for the picker in automated runs.
#[tauri::command]
#[specta::specta]
pub async fn pick_media(app: AppHandle, state: State<'_, AppState>) -> Result<Vec<MediaView>> {
    let paths: Vec<std::path::PathBuf> = match std::env::var_os("FANOUT_PICK_FILES") {
        Some(list) => std::env::split_paths(&list).collect(),
        None => {
            let picked = tauri::async_runtime::spawn_blocking(move || {
                app.dialog()
                    .file()
                    .add_filter(
                        "Photos, videos and PDFs",
                        &["jpg", "jpeg", "png", "gif", "webp", "heic", "mp4", "mov", "pdf"],
                    )
                    .blocking_pick_files()
            })
            .await?;
            picked.unwrap_or_default().into_iter().filter_map(|p| p.into_path().ok()).collect()
        }
    };
    paths.iter().map(|p| Ok(MediaView::from(&state.attachments.add_path(p)?))).collect()
}

/// Attaches a pasted or dropped file from its bytes.
#[tauri::command]
#[specta::specta]
pub async fn attach_bytes(state: State<'_, AppState>, name: String, data: Vec<u8>) -> Result<MediaView> {
    Ok(MediaView::from(&state.attachments.add_bytes(&name, &data)?))
}

#[tauri::command]
#[specta::specta]
pub fn detach_media(state: State<'_, AppState>, id: String) {
    state.attachments.remove(&id);
}

/// The files dropped on or handed to the calling window since it last asked.
#[tauri::command]
#[specta::specta]
pub fn take_received_media(window: tauri::WebviewWindow, state: State<'_, AppState>) -> MediaReceived {
    lock(&state.received).remove(window.label()).unwrap_or_default()
}

/// The composer's live check: per target, the text count, the problems and the files it will get.
#[tauri::command]
#[specta::specta]
pub async fn review_draft(app: AppHandle, draft_input: DraftInput) -> Result<PlanView> {
    tauri::async_runtime::spawn_blocking(move || {
        let state = app.state::<AppState>();
        let draft = draft(&state, &draft_input)?;
        let outbox = state.cx.outbox(&state.tuning);
        let review = post::review(&outbox, &state.cx.registry, &state.cx.variants(), &draft, state.cx.clock.now())?;
        let file_view = |file: &PlannedFile| match file {
            PlannedFile::Image { source, variant } => PlannedFileView {
                media_id: state.attachments.id_of(source),
                mime: variant.format.mime().to_owned(),
                width: Some(variant.width),
                height: Some(variant.height),
                bytes: variant.bytes as f64,
                changes: variant.changes.clone(),
                preview: crate::addresses::variant_url(&variant.path),
            },
            PlannedFile::Document { source, bytes } => PlannedFileView {
                media_id: state.attachments.id_of(source),
                mime: "application/pdf".to_owned(),
                width: None,
                height: None,
                bytes: *bytes as f64,
                changes: Vec::new(),
                preview: None,
            },
            PlannedFile::Video { source, bytes } => PlannedFileView {
                media_id: state.attachments.id_of(source),
                mime: "video/mp4".to_owned(),
                width: None,
                height: None,
                bytes: *bytes as f64,
                changes: Vec::new(),
                preview: None,
            },
        };
        Ok(PlanView {
            ready: review.is_ready(),
            targets: review
                .plans
                .iter()
                .map(|(account, plan)| {
                    let story = draft.story && state.cx.registry.get(account.network).story_target().is_some();
                    TargetPlanView::new(account, plan, story, file_view)
                })
                .collect(),
            problems: review.problems.iter().map(DraftProblemView::from).collect(),
        })
    })
    .await?
}

/// Queues the post: one delivery per target, in one transaction; the worker takes it from there.
#[tauri::command]
#[specta::specta]
pub async fn share(app: AppHandle, draft_input: DraftInput) -> Result<ShareResult> {
    tauri::async_runtime::spawn_blocking(move || {
        let state = app.state::<AppState>();
        let draft = draft(&state, &draft_input)?;
        let outbox = state.cx.outbox(&state.tuning);
        let (post_id, deliveries) = post::enqueue(
            &outbox,
            &state.cx.registry,
            &state.cx.variants(),
            &state.cx.media_dir(),
            &draft,
            state.cx.clock.now(),
        )?;
        release(&state, &draft_input);
        Ok(ShareResult {
            post_id: post_id.to_string(),
            deliveries: deliveries.iter().map(|(id, _)| id.to_string()).collect(),
        })
    })
    .await?
}

/// The card of the text's first link, as the networks that show one will (read once per address
/// while the app runs; none when there is no link or the page cannot be read in 5 seconds).
#[tauri::command]
#[specta::specta]
pub async fn link_preview(app: AppHandle, text: String) -> Result<Option<LinkCardView>> {
    let Some(link) = fanout_core::link_card::first_link(&text).map(str::to_owned) else {
        return Ok(None);
    };
    let state = app.state::<AppState>();
    if let Some(known) = lock(&state.link_cards).get(&link) {
        return Ok(known.clone());
    }
    let card = match fanout_core::link_card::read(&state.cx.http, &link).await {
        None => None,
        Some(card) => {
            let picture = match &card.image {
                Some(address) => {
                    fanout_core::link_card::cached_picture(&state.cx.http, &state.cx.variants(), address).await
                }
                None => None,
            };
            Some(LinkCardView {
                url: card.url,
                host: card.host,
                title: card.title,
                description: card.description,
                image: picture.as_deref().and_then(crate::addresses::variant_url),
            })
        }
    };
    lock(&state.link_cards).insert(link, card.clone());
    Ok(card)
}

/// Keeps the composer's draft in the data folder, its files copied in by content hash.
#[tauri::command]
#[specta::specta]
pub async fn save_draft(app: AppHandle, save: DraftSave) -> Result<DraftSummary> {
    tauri::async_runtime::spawn_blocking(move || {
        let state = app.state::<AppState>();
        let id = save.id.as_deref().map(parse_draft_id).transpose()?;
        let media_dir = state.cx.media_dir();
        let media = save
            .media
            .iter()
            .map(|m| {
                Ok(MediaRef {
                    alt_text: m.alt_text.as_ref().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()),
                    focus: m.focus_x.zip(m.focus_y).and_then(|(x, y)| Focus::new(x, y)),
                    ..state.attachments.store(&m.id, &media_dir)?
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let draft =
            drafts::save(&state.cx.store, id, &save.name, save.state.into_content(), media, state.cx.clock.now())?;
        Ok(DraftSummary::from(&draft))
    })
    .await?
}

#[tauri::command]
#[specta::specta]
pub fn list_drafts(state: State<'_, AppState>) -> Result<Vec<DraftSummary>> {
    Ok(drafts::list(&state.cx.store)?.iter().map(DraftSummary::from).collect())
}

/// Opens a draft: its state, and its files attached to the composer again.
#[tauri::command]
#[specta::specta]
pub async fn open_draft(app: AppHandle, id: String) -> Result<DraftView> {
    tauri::async_runtime::spawn_blocking(move || {
        let state = app.state::<AppState>();
        let draft = drafts::get(&state.cx.store, parse_draft_id(&id)?)?;
        let (media, missing, kept) = reattach(
            &state,
            draft.media.iter().map(|m| (m.path.as_path(), m.file_name.as_str(), m.alt_text.clone(), m.focus)),
        );
        Ok(DraftView {
            id: draft.id.to_string(),
            name: draft.name.clone(),
            state: ComposerState::from_content(&draft.content, &kept),
            media,
            missing,
        })
    })
    .await?
}

#[tauri::command]
#[specta::specta]
pub fn delete_draft(state: State<'_, AppState>, id: String) -> Result<bool> {
    Ok(drafts::delete(&state.cx.store, parse_draft_id(&id)?)?)
}

/// Kept files (path, the user's name for it, alt text, focus) attached to the composer again;
/// the names of those gone from the data folder; and where each file is now (none: gone).
pub(super) fn reattach<'a>(
    state: &AppState,
    files: impl IntoIterator<Item = (&'a std::path::Path, &'a str, Option<String>, Option<Focus>)>,
) -> (Vec<DraftFileView>, Vec<String>, Vec<Option<usize>>) {
    let mut media = Vec::new();
    let mut missing = Vec::new();
    let mut kept = Vec::new();
    for (path, name, alt_text, focus) in files {
        match state.attachments.add_stored(path, name) {
            Ok(attachment) => {
                kept.push(Some(media.len()));
                media.push(DraftFileView {
                    media: MediaView::from(&attachment),
                    alt_text,
                    focus_x: focus.map(|f| f.x),
                    focus_y: focus.map(|f| f.y),
                });
            }
            Err(_) => {
                kept.push(None);
                missing.push(name.to_owned());
            }
        }
    }
    (media, missing, kept)
}

/// The attachments a share, an edit or the queue has copied into the post are no longer the
/// composer's.
pub(super) fn release(state: &AppState, input: &DraftInput) {
    for media in &input.media {
        state.attachments.remove(&media.id);
    }
}

pub(super) fn parse_draft_id(id: &str) -> Result<DraftId> {
    id.parse().map_err(|_| fanout_core::Error::invalid(format!("'{id}' is not a draft's id")).into())
}

/// A post in the outbox as a draft: to edit it, or to duplicate it. Its files are attached to
/// the composer again.
#[tauri::command]
#[specta::specta]
pub async fn open_post(app: AppHandle, post_id: String) -> Result<DraftView> {
    tauri::async_runtime::spawn_blocking(move || {
        let state = app.state::<AppState>();
        let post = parse_post_id(&post_id)?;
        let outbox = state.cx.outbox(&state.tuning);
        let draft = post::draft_of(&outbox, post)?;
        // A post's files come back under the names the user's files had, kept with the post.
        let (media, missing, kept) = reattach(
            &state,
            draft.media.iter().zip(&draft.media_details).map(|(path, detail)| {
                let name = detail.name.as_deref().unwrap_or("file");
                (path.as_path(), name, detail.alt_text.clone(), detail.focus)
            }),
        );
        let pairs = |v: &[(String, String)]| {
            v.iter().map(|(a, t)| TargetText { account_id: a.clone(), text: t.clone() }).collect::<Vec<_>>()
        };
        Ok(DraftView {
            id: post.to_string(),
            name: String::new(),
            state: ComposerState {
                text: draft.text.clone(),
                targets: draft.targets.clone(),
                texts: pairs(&draft.texts),
                first_comments: pairs(&draft.first_comments),
                story: draft.story,
                later: draft.scheduled_at.is_some(),
                scheduled_at: draft.scheduled_at.map(|t| t.0 as f64),
                messaging: Vec::new(),
                orders: MediaOrder::from_core(draft.orders.iter().map(|(a, o)| (a, o)), &kept),
            },
            media,
            missing,
        })
    })
    .await?
}

/// Edits a post that has not gone out: the composer's draft takes its place for every delivery
/// that has not started, in one transaction.
#[tauri::command]
#[specta::specta]
pub async fn edit_post(app: AppHandle, post_id: String, draft_input: DraftInput) -> Result<EditResult> {
    tauri::async_runtime::spawn_blocking(move || {
        let state = app.state::<AppState>();
        let old = parse_post_id(&post_id)?;
        let draft = draft(&state, &draft_input)?;
        let outbox = state.cx.outbox(&state.tuning);
        let edited = post::edit(
            &outbox,
            &state.cx.registry,
            &state.cx.variants(),
            &state.cx.media_dir(),
            old,
            &draft,
            state.cx.clock.now(),
        )?;
        release(&state, &draft_input);
        let ids: Vec<_> = edited.unchanged.iter().map(|d| d.id).collect();
        let unchanged = if ids.is_empty() {
            Vec::new()
        } else {
            outbox.list(&Filter { ids, ..Filter::default() })?.iter().map(DeliveryView::from).collect()
        };
        Ok(EditResult {
            post_id: edited.post.to_string(),
            deliveries: edited.deliveries.iter().map(|(id, _)| id.to_string()).collect(),
            unchanged,
        })
    })
    .await?
}

/// Cancels every delivery of a post that has not gone out; how many.
#[tauri::command]
#[specta::specta]
pub fn cancel_post(state: State<'_, AppState>, post_id: String) -> Result<u32> {
    let post = parse_post_id(&post_id)?;
    Ok(state.cx.outbox(&state.tuning).cancel_post(post, state.cx.clock.now())? as u32)
}

/// Hands the post to an app no API reaches (WhatsApp chats and Status, Messenger, Facebook's
/// share dialog, Telegram…): its share page opens with the text filled in, the text is also on
/// the clipboard, and the photos, prepared for that app, are shown in the file manager to attach.
#[tauri::command]
#[specta::specta]
pub async fn hand_off(
    app: AppHandle,
    state: State<'_, AppState>,
    to: String,
    text: String,
    media: Vec<String>,
) -> Result<HandoffView> {
    use fanout_core::handoff::{self, Intent};
    use tauri_plugin_clipboard_manager::ClipboardExt;
    let intent = Intent::parse(&to).ok_or_else(|| AppError::new("invalid_input", format!("no hand-off to '{to}'")))?;
    let files = state.attachments.paths(&media)?;
    let shared = handoff::intent(intent, &text, None, files.len())?;
    let out = state.cx.data_dir.join("handoff").join(intent.id());
    let prepared = tauri::async_runtime::spawn_blocking(move || {
        // Last time's files are not this post's.
        let _ = std::fs::remove_dir_all(&out);
        handoff::prepare_media(intent, &files, &out)
    })
    .await
    .map_err(|e| AppError::new("app", format!("preparation stopped: {e}")))??;
    let mut notes = shared.notes;
    if !text.trim().is_empty()
        && let Err(e) = app.clipboard().write_text(text.trim().to_owned())
    {
        tracing::warn!(error = %e, "the hand-off text was not copied");
        notes.push("the text could not be put on the clipboard; copy it from the composer".into());
    }
    if let Some(first) = prepared.first()
        && std::env::var_os("FANOUT_OPEN_URL_FILE").is_none()
    {
        let _ = tauri_plugin_opener::reveal_item_in_dir(first);
    }
    open_external(&shared.url)?;
    Ok(HandoffView {
        app: intent.display_name().into(),
        notes,
        files: u32::try_from(prepared.len()).unwrap_or(u32::MAX),
    })
}
