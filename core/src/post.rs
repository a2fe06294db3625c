//! From what the user asked for to a queued post: every check that can be made before anything is
//! enqueued (accounts, text length per target, media files, schedule), then the media copied into
//! the data folder by content hash, then `Outbox::enqueue`'s one transaction.
//!
//! All problems are reported together, one line each, naming the target, the file and the limit,
//! so the user fixes everything in one go. Nothing is enqueued while any remains.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::files::{MediaFile, inspect_media, store_media};
use crate::media::cache::VariantCache;
use crate::media::{FitOptions, Focus};
use crate::model::{Account, DeliveryId, Health, MediaRef, Post, PostId, RecipientList, Template};
use crate::outbox::Outbox;
use crate::plan::{self, TargetPlan, TargetRules};
use crate::profiles;
use crate::store::{accounts, cache, posts, recipients};

/// What the user asked to share.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub text: String,
    pub media: Vec<PathBuf>,
    /// Per file of `media`, in order (missing: none set).
    pub media_details: Vec<MediaDetail>,
    /// Account names or ids.
    pub targets: Vec<String>,
    /// A target's own text in place of `text`: (account name or id, text).
    pub texts: Vec<(String, String)>,
    /// Share the images as full-screen 9:16 stories (padded, never cropped).
    pub story: bool,
    /// Share it even where the same post went to an account in the last week.
    pub again: bool,
    pub scheduled_at: Option<Timestamp>,
    /// The recipient list each WhatsApp target messages: (account name or id, list name or id).
    pub recipients: Vec<(String, String)>,
    /// The approved template a WhatsApp target sends instead of the text: (account, template).
    pub templates: Vec<(String, Template)>,
    /// A comment an Instagram target adds under the post once it is live: (account, text).
    pub first_comments: Vec<(String, String)>,
    /// The post this draft edits: it is not "the same post sent before".
    pub replaces: Option<PostId>,
    /// A target's own order of `media`: (account name or id, positions in `media`, each once).
    pub orders: Vec<(String, Vec<usize>)>,
}

/// What the user set for one file in the composer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MediaDetail {
    pub alt_text: Option<String>,
    pub focus: Option<Focus>,
    /// The name the user's file had, where the path no longer says it (a copy kept by hash).
    pub name: Option<String>,
}

impl Draft {
    fn detail(&self, index: usize) -> MediaDetail {
        self.media_details.get(index).cloned().unwrap_or_default()
    }

    /// The text `account` gets: its own (by id or name) where one was written.
    pub fn text_for(&self, account: &Account) -> &str {
        let id = account.id.to_string();
        self.texts
            .iter()
            .find(|(r, _)| *r == id || *r == account.name)
            .map_or(self.text.as_str(), |(_, text)| text.as_str())
    }

    /// The recipient list a WhatsApp target messages, as named in the draft.
    pub fn list_for(&self, account: &Account) -> Option<&str> {
        let id = account.id.to_string();
        self.recipients.iter().find(|(r, _)| *r == id || *r == account.name).map(|(_, list)| list.as_str())
    }

    /// The first comment an Instagram target adds, where one was written.
    pub fn first_comment_for(&self, account: &Account) -> Option<&str> {
        let id = account.id.to_string();
        self.first_comments
            .iter()
            .find(|(r, _)| *r == id || *r == account.name)
            .map(|(_, text)| text.trim())
            .filter(|text| !text.is_empty())
    }

    /// The template a WhatsApp target sends, where one was picked.
    pub fn template_for(&self, account: &Account) -> Option<&Template> {
        let id = account.id.to_string();
        self.templates.iter().find(|(r, _)| *r == id || *r == account.name).map(|(_, t)| t)
    }

    /// The order `account` gets the files in, where the user gave it its own.
    pub fn order_for(&self, account: &Account) -> Option<&[usize]> {
        let id = account.id.to_string();
        self.orders.iter().find(|(r, _)| *r == id || *r == account.name).map(|(_, o)| o.as_slice())
    }

    /// The positions in `media` that `account` gets, in its order: its own when that is a valid
    /// order, else the shared one.
    fn positions_for(&self, account: &Account, len: usize) -> Vec<usize> {
        self.order_for(account)
            .filter(|o| crate::model::is_permutation(o, len))
            .map_or_else(|| (0..len).collect(), <[usize]>::to_vec)
    }
}

/// The rules an account's network applies: the table's, with what the platform told us at link
/// time (a Mastodon server's own limits) in their place.
pub fn rules_for(
    registry: &crate::networks::Registry,
    account: &Account,
    cached: Option<&serde_json::Value>,
    story: bool,
) -> TargetRules {
    let network = registry.get(account.network);
    let label = format!("{} account '{}'", account.network.display_name(), account.name);
    let image = crate::networks::image_spec_for(network.as_ref(), cached, story);
    let video = crate::networks::video_rules_for(network.as_ref(), cached, story);
    if story && let Some(target) = network.story_target() {
        // The network's own story kind: its limits, text included (a story carries none).
        return TargetRules { label, image, video, ..TargetRules::from_profile(profiles::profile(target)) };
    }
    TargetRules { label, image, video, ..network.rules(cached) }
}

/// A draft that passed every check.
#[derive(Debug, Clone)]
pub struct Checked {
    pub targets: Vec<Account>,
    pub media: Vec<MediaFile>,
    /// What each account will get.
    pub plans: Vec<(Account, TargetPlan)>,
    /// The recipient list of each WhatsApp target.
    pub audiences: Vec<(crate::model::AccountId, RecipientList)>,
}

pub use crate::problems::{DraftProblem, NotReady};

/// How far back a post counts as shared already (so sharing it again asks first).
pub const DUPLICATE_WINDOW: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

/// A draft looked over as the composer shows it: the problems that concern the whole post, and
/// what each target would get with its own problems. Nothing in it is an error yet.
#[derive(Debug, Clone)]
pub struct Review {
    pub problems: Vec<DraftProblem>,
    pub media: Vec<MediaFile>,
    pub plans: Vec<(Account, TargetPlan)>,
    /// The recipient list of each WhatsApp target that names one that exists.
    pub audiences: Vec<(crate::model::AccountId, RecipientList)>,
}

impl Review {
    pub fn is_ready(&self) -> bool {
        self.problems.is_empty() && self.plans.iter().all(|(_, plan)| plan.problems.is_empty())
    }
}

/// Checks a draft against everything known without a network call; returns the target accounts
/// and the inspected media, or every problem at once.
pub fn check(
    outbox: &Outbox,
    registry: &crate::networks::Registry,
    variants: &VariantCache,
    draft: &Draft,
    now: Timestamp,
) -> Result<Checked> {
    let review = review(outbox, registry, variants, draft, now)?;
    if let Some(full) = review.plans.iter().flat_map(|(_, plan)| &plan.problems).find(|p| p.code == "disk_full") {
        // Nothing to fix in the post: the machine cannot hold its files. Said once, as a local error.
        return Err(Error::io(
            format!("nothing was queued: {}", full.message),
            std::io::Error::from(std::io::ErrorKind::StorageFull),
        ));
    }
    let targets: Vec<crate::plan::Problem> =
        review.plans.iter().flat_map(|(_, plan)| plan.problems.iter().cloned()).collect();
    if review.problems.is_empty() && targets.is_empty() {
        let accounts = review.plans.iter().map(|(a, _)| a.clone()).collect();
        Ok(Checked { targets: accounts, media: review.media, plans: review.plans, audiences: review.audiences })
    } else {
        Err(Error::NotReady(NotReady { problems: review.problems, targets }))
    }
}

/// Looks a draft over: what [`check`] checks, kept apart per target for the composer. Blocking
/// (images are fitted here). Fails only when the database cannot be read.
pub fn review(
    outbox: &Outbox,
    registry: &crate::networks::Registry,
    variants: &VariantCache,
    draft: &Draft,
    now: Timestamp,
) -> Result<Review> {
    let mut problems: Vec<DraftProblem> = Vec::new();
    if draft.targets.is_empty() {
        problems.push(DraftProblem::NoTargets);
    }
    let mut targets: Vec<Account> = Vec::new();
    let mut facts = Vec::new();
    let mut audiences: Vec<(crate::model::AccountId, RecipientList)> = Vec::new();
    outbox.store().read(|tx| {
        for reference in &draft.targets {
            match accounts::find(tx, reference) {
                Ok(account) if targets.iter().any(|t| t.id == account.id) => {}
                Ok(account) => {
                    let scope = registry.get(account.network).cache_scope(&account);
                    let cached = match scope {
                        Some(scope) => cache::get(tx, &scope)?.map(|(v, _)| v),
                        None => None,
                    };
                    facts.push(cached);
                    if registry.get(account.network).features().messaging
                        && let Some(list) = draft.list_for(&account)
                        && let Some(found) = recipients::find(tx, account.id, list)?
                    {
                        audiences.push((account.id, found));
                    }
                    targets.push(account);
                }
                Err(Error::UnknownAccount(r)) => {
                    problems.push(DraftProblem::UnknownAccount(r));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    })?;
    for account in &targets {
        let features = registry.get(account.network).features();
        if !features.messaging && (draft.list_for(account).is_some() || draft.template_for(account).is_some()) {
            problems.push(DraftProblem::NotMessaging(account.name.clone()));
        }
        if features.first_comment.is_none() && draft.first_comment_for(account).is_some() {
            problems.push(DraftProblem::NoComments(account.name.clone()));
        }
        if let Some(order) = draft.order_for(account)
            && !crate::model::is_permutation(order, draft.media.len())
        {
            problems.push(DraftProblem::MediaOrder { account: account.name.clone(), files: draft.media.len() });
        }
        if !account.enabled {
            problems.push(DraftProblem::Disabled(account.name.clone()));
        }
        if account.health == Health::NeedsReconnect {
            problems.push(DraftProblem::NeedsReconnect {
                account: account.name.clone(),
                detail: account.health_detail.clone(),
            });
        }
    }
    if draft.text.trim().is_empty() && draft.texts.iter().all(|(_, t)| t.trim().is_empty()) && draft.media.is_empty() {
        problems.push(DraftProblem::Empty);
    }
    let mut media = Vec::new();
    for path in &draft.media {
        match inspect_media(path) {
            Ok(file) => media.push(file),
            Err(e) => problems.push(DraftProblem::Media(e.to_string())),
        }
    }
    if let Some(at) = draft.scheduled_at
        && at.0 < now.0 - 60_000
    {
        problems.push(DraftProblem::PastSchedule(at));
    }
    if let Some(at) = draft.scheduled_at
        && at.0 > now.plus(crate::outbox::SCHEDULE_HORIZON).0
    {
        problems.push(DraftProblem::FarSchedule(at));
    }
    if !draft.again {
        let mut hashes = None;
        // The same message may go to the same people again; a post to the public may not.
        for account in targets.iter().filter(|a| !registry.get(a.network).features().messaging) {
            if let Some(at) = shared_before(outbox, account, draft, &media, &mut hashes, now)? {
                problems.push(DraftProblem::Duplicate { account: account.name.clone(), at });
            }
        }
    }
    let mut planned = Vec::new();
    for (account, cached) in targets.iter().zip(&facts) {
        let rules = rules_for(registry, account, cached.as_ref(), draft.story);
        // Each target is planned with the files in the order it gets them.
        let positions = if media.len() == draft.media.len() {
            draft.positions_for(account, media.len())
        } else {
            (0..media.len()).collect()
        };
        let ordered: Vec<MediaFile> = positions.iter().map(|&i| media[i].clone()).collect();
        let fits: Vec<FitOptions> = positions.iter().map(|&i| FitOptions::at(draft.detail(i).focus)).collect();
        let features = registry.get(account.network).features();
        let template = draft.template_for(account).filter(|_| features.messaging);
        // A template carries its own approved wording: the post's text is not sent.
        let text = if template.is_some() { "" } else { draft.text_for(account) };
        let mut plan = plan::plan_target(&rules, text, &ordered, variants, &fits);
        if let Some(limit) = features.first_comment
            && let Some(comment) = draft.first_comment_for(account)
            && comment.chars().count() > limit
        {
            plan.problems.push(plan::Problem::new(
                "comment_too_long",
                vec![("count", comment.chars().count().to_string()), ("limit", limit.to_string())],
                format!(
                    "the first comment for {} is {} characters, over {}'s {limit}",
                    rules.label,
                    comment.chars().count(),
                    account.network.display_name(),
                ),
                Some("shorten it".into()),
            ));
        }
        if features.messaging {
            let audience = audiences.iter().find(|(a, _)| *a == account.id).map(|(_, l)| l);
            plan.problems.extend(messaging_problems(
                &rules.label,
                draft.list_for(account),
                audience,
                template,
                &ordered,
            ));
        }
        let fetched_by_address = profiles::profile(registry.get(account.network).target()).media_by_public_url;
        if !media.is_empty() && fetched_by_address && account.options.media_host.is_none() {
            plan.problems.push(plan::Problem::new(
                "no_media_host",
                vec![],
                format!("{} fetches photos and videos from a public address and has nowhere to find them", rules.label),
                Some("link it again with an S3-compatible bucket, or leave the files out for it".into()),
            ));
        }
        planned.push((account.clone(), plan));
    }
    Ok(Review { problems, media, plans: planned, audiences })
}

/// Text as a reader compares it: runs of white space are one space, the ends trimmed.
fn normalized(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// When the same text and files went to `account` in the last week, if they did. The draft's
/// files are hashed only when an earlier post's text matches (`hashes` keeps them for the next
/// account); a file that cannot be read is left to the media checks.
fn shared_before(
    outbox: &Outbox,
    account: &Account,
    draft: &Draft,
    media: &[MediaFile],
    hashes: &mut Option<Vec<String>>,
    now: Timestamp,
) -> Result<Option<Timestamp>> {
    let text = normalized(draft.text_for(account));
    if text.is_empty() && media.is_empty() {
        return Ok(None);
    }
    let since = Timestamp(now.0 - i64::try_from(DUPLICATE_WINDOW.as_millis()).unwrap_or(i64::MAX));
    let earlier = outbox.store().read(|tx| {
        // Every post of the week with the same text, however many came after it.
        let ids = posts::recent_with_text(tx, account.id, since, |earlier| normalized(earlier) == text)?;
        ids.into_iter().map(|id| posts::get(tx, id)).collect::<Result<Vec<_>>>()
    })?;
    for post in earlier.into_iter().flatten() {
        if Some(post.id) == draft.replaces
            || normalized(post.text_for(account.id)) != text
            || post.media.len() != media.len()
        {
            continue;
        }
        if hashes.is_none() {
            let mut all = Vec::with_capacity(media.len());
            for file in media {
                let Ok(bytes) = std::fs::read(&file.path) else { return Ok(None) };
                all.push(hex::encode(Sha256::digest(&bytes)));
            }
            *hashes = Some(all);
        }
        let same_files = hashes.as_ref().is_some_and(|h| post.media.iter().map(|m| &m.sha256).eq(h.iter()));
        if same_files {
            return Ok(Some(post.created_at));
        }
    }
    Ok(None)
}

/// What a WhatsApp target still lacks: a recipient list with people on it, and every value of
/// its template (and the file for the template's header).
fn messaging_problems(
    label: &str,
    list: Option<&str>,
    audience: Option<&RecipientList>,
    template: Option<&Template>,
    media: &[MediaFile],
) -> Vec<plan::Problem> {
    let mut problems = Vec::new();
    let mut add = |code, values: Vec<(&'static str, String)>, message: String, fix: &str| {
        problems.push(plan::Problem::new(code, values, message, Some(fix.to_owned())));
    };
    match (list, audience) {
        (None, _) => add(
            "no_recipient_list",
            vec![],
            format!("{label} messages the people on a recipient list, and none is picked"),
            "pick one of its recipient lists, or leave WhatsApp out",
        ),
        (Some(name), None) => add(
            "unknown_recipient_list",
            vec![("list", name.to_owned())],
            format!("{label} has no recipient list named '{name}'"),
            "pick one of its recipient lists",
        ),
        (Some(_), Some(found)) if found.members.is_empty() => add(
            "empty_recipient_list",
            vec![("list", found.name.clone())],
            format!("the recipient list '{}' of {label} has nobody on it", found.name),
            "add the people who opted in first",
        ),
        _ => {}
    }
    if let Some(template) = template {
        for (n, value) in template.params.iter().enumerate() {
            if value.trim().is_empty() {
                add(
                    "template_value_missing",
                    vec![("n", (n + 1).to_string())],
                    format!("the template '{}' needs a value for {{{{{}}}}}", template.name, n + 1),
                    "fill in every value of the template",
                );
            }
        }
        if let Some(kind) = template.header {
            let wanted = kind.as_str();
            if !media.iter().any(|m| m.mime.starts_with(wanted)) {
                add(
                    "template_header_missing",
                    vec![("kind", wanted.to_owned())],
                    format!("the template '{}' shows a {wanted} at the top and the post has none", template.name),
                    "attach one, or pick a template without a media header",
                );
            }
        }
    }
    problems
}

/// A checked draft made into a post, its media copied: the post and one (account, recipient)
/// per delivery, with each delivery's account. `queue::enqueue` writes several of them together.
pub(crate) type Prepared = (Post, Vec<(crate::model::AccountId, Option<crate::model::Recipient>)>, Vec<Account>);

pub(crate) fn prepare(
    outbox: &Outbox,
    registry: &crate::networks::Registry,
    variants: &VariantCache,
    media_dir: &Path,
    draft: &Draft,
    now: Timestamp,
) -> Result<Prepared> {
    let Checked { targets, media, audiences, .. } = check(outbox, registry, variants, draft, now)?;
    let mut stored = Vec::with_capacity(media.len());
    for (index, file) in media.iter().enumerate() {
        let detail = draft.detail(index);
        let copy = store_media(file, media_dir)?;
        stored.push(MediaRef {
            alt_text: detail.alt_text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()),
            focus: detail.focus,
            file_name: detail.name.unwrap_or(copy.file_name.clone()),
            ..copy
        });
    }
    let texts = targets
        .iter()
        .filter_map(|a| {
            let own = draft.text_for(a);
            (own != draft.text).then(|| (a.id, own.trim_end().to_owned()))
        })
        .collect();
    let post = Post {
        id: PostId::new(),
        text: draft.text.trim_end().to_owned(),
        media: stored,
        created_at: now,
        scheduled_at: draft.scheduled_at,
        texts,
        story: draft.story,
        templates: targets
            .iter()
            .filter(|a| registry.get(a.network).features().messaging)
            .filter_map(|a| draft.template_for(a).map(|t| (a.id, t.clone())))
            .collect(),
        first_comments: targets
            .iter()
            .filter(|a| registry.get(a.network).features().first_comment.is_some())
            .filter_map(|a| draft.first_comment_for(a).map(|t| (a.id, t.to_owned())))
            .collect(),
        // Only orders that differ from the shared one are kept.
        orders: targets
            .iter()
            .map(|a| (a.id, draft.positions_for(a, media.len())))
            .filter(|(_, order)| order.iter().enumerate().any(|(i, &p)| i != p))
            .collect(),
    };
    // One delivery per account, or per recipient for an account that messages people.
    let mut plan: Vec<(crate::model::AccountId, Option<crate::model::Recipient>)> = Vec::new();
    let mut accounts = Vec::new();
    for account in &targets {
        match audiences.iter().find(|(a, _)| *a == account.id) {
            Some((_, list)) => {
                for member in &list.members {
                    plan.push((account.id, Some(member.recipient.clone())));
                    accounts.push(account.clone());
                }
            }
            None => {
                plan.push((account.id, None));
                accounts.push(account.clone());
            }
        }
    }
    Ok((post, plan, accounts))
}

/// Checks the draft, copies its media, and enqueues one delivery per target.
pub fn enqueue(
    outbox: &Outbox,
    registry: &crate::networks::Registry,
    variants: &VariantCache,
    media_dir: &Path,
    draft: &Draft,
    now: Timestamp,
) -> Result<(PostId, Vec<(DeliveryId, Account)>)> {
    let (post, plan, accounts) = prepare(outbox, registry, variants, media_dir, draft, now)?;
    let deliveries = outbox.enqueue_to(&post, &plan, now)?;
    Ok((post.id, deliveries.into_iter().zip(accounts).collect()))
}

/// What an edit did: the edited post (a new id), its deliveries with their accounts, and the
/// deliveries of the post before that had started or gone out, which it left as they were.
#[derive(Debug, Clone)]
pub struct Edited {
    pub post: PostId,
    pub deliveries: Vec<(DeliveryId, Account)>,
    pub unchanged: Vec<crate::model::Delivery>,
}

/// Edits a post that has not gone out: `draft` is checked as a new share would be (except that
/// the post it replaces is not "the same post sent before"), its media copied, and it takes the
/// place of `old` for every delivery that has not started, in one transaction.
pub fn edit(
    outbox: &Outbox,
    registry: &crate::networks::Registry,
    variants: &VariantCache,
    media_dir: &Path,
    old: PostId,
    draft: &Draft,
    now: Timestamp,
) -> Result<Edited> {
    outbox.ensure_editable(old)?;
    let draft = Draft { replaces: Some(old), ..draft.clone() };
    let (post, plan, accounts) = prepare(outbox, registry, variants, media_dir, &draft, now)?;
    let replaced = outbox.replace(old, &post, &plan, now)?;
    let by_account = |id: &DeliveryId| -> Option<(DeliveryId, Account)> {
        let d = outbox.get(*id).ok().flatten()?;
        accounts.iter().find(|a| a.id == d.account_id).map(|a| (*id, a.clone()))
    };
    Ok(Edited {
        post: replaced.post,
        deliveries: replaced.deliveries.iter().filter_map(by_account).collect(),
        unchanged: replaced.unchanged,
    })
}

/// A post as a draft again, to edit or duplicate: its text, files (with alt text and focus),
/// targets (every account a delivery of it has not been cancelled for), own texts, comments,
/// templates and time. WhatsApp's recipient lists are not kept with a post: they are picked again.
pub fn draft_of(outbox: &Outbox, id: PostId) -> Result<Draft> {
    let (post, rows) = outbox.store().read(|tx| {
        let post = posts::get(tx, id)?;
        let rows = crate::store::deliveries::list(
            tx,
            &crate::store::deliveries::Filter { post: Some(id), ..Default::default() },
        )?;
        Ok((post, rows))
    })?;
    let post = post.ok_or_else(|| Error::invalid(format!("there is no post {id} in the outbox")))?;
    let mut targets: Vec<String> = Vec::new();
    for row in rows.iter().rev() {
        let account = row.delivery.account_id.to_string();
        if row.delivery.state != crate::model::DeliveryState::Cancelled && !targets.contains(&account) {
            targets.push(account);
        }
    }
    Ok(Draft {
        text: post.text.clone(),
        media: post.media.iter().map(|m| m.path.clone()).collect(),
        media_details: post
            .media
            .iter()
            .map(|m| MediaDetail { alt_text: m.alt_text.clone(), focus: m.focus, name: Some(m.file_name.clone()) })
            .collect(),
        targets,
        texts: post.texts.iter().map(|(a, t)| (a.to_string(), t.clone())).collect(),
        story: post.story,
        again: false,
        scheduled_at: post.scheduled_at,
        recipients: Vec::new(),
        templates: post.templates.iter().map(|(a, t)| (a.to_string(), t.clone())).collect(),
        first_comments: post.first_comments.iter().map(|(a, t)| (a.to_string(), t.clone())).collect(),
        replaces: None,
        orders: post.orders.iter().map(|(a, o)| (a.to_string(), o.clone())).collect(),
    })
}
