//! How the CLI shows things: aligned text for people, `--json` for scripts. The JSON field names
//! are part of the CLI's interface.

use fanout_core::clock::Timestamp;
use fanout_core::error::Error;
use fanout_core::model::{Account, AccountId, DeliveryState, PostId};
use fanout_core::post::{DraftProblem, Edited};
use fanout_core::queue::{QueuedPost, Slot};
use fanout_core::store::deliveries::OutboxRow;
use serde_json::{Value, json};

/// An account as a line names it: its name and network.
pub fn describe_account(a: &Account) -> String {
    format!("{} ({})", a.name, a.network.display_name())
}

pub fn account_json(a: &Account) -> Value {
    json!({
        "id": a.id.to_string(),
        "name": a.name,
        "network": a.network.as_str(),
        "endpoint": a.endpoint,
        "remoteId": a.remote_id,
        "enabled": a.enabled,
        "demo": a.demo,
        "health": a.health.as_str(),
        "healthDetail": a.health_detail,
        "createdAt": a.created_at.to_rfc3339(),
    })
}

pub fn accounts_table(accounts: &[Account]) -> String {
    if accounts.is_empty() {
        return "No accounts linked yet. Link one with `fanout accounts add mastodon|discord …`, \
                or try `fanout demo`.\n"
            .to_owned();
    }
    let rows: Vec<Vec<String>> = accounts
        .iter()
        .map(|a| {
            vec![
                format!("{}{}", a.name, if a.demo { " [demo]" } else { "" }),
                a.network.display_name().to_owned(),
                a.remote_id.clone().unwrap_or_default(),
                if a.enabled { "enabled" } else { "disabled" }.to_owned(),
                match &a.health_detail {
                    Some(d) if a.health.as_str() != "ok" => format!("{}: {d}", a.health.as_str()),
                    _ => a.health.as_str().to_owned(),
                },
                short(&a.id.to_string()),
            ]
        })
        .collect();
    table(&["NAME", "NETWORK", "IDENTITY", "STATE", "HEALTH", "ID"], &rows)
}

pub fn delivery_json(row: &OutboxRow) -> Value {
    let d = &row.delivery;
    json!({
        "id": d.id.to_string(),
        "postId": d.post_id.to_string(),
        "account": row.account_name,
        "accountId": d.account_id.to_string(),
        "recipient": d.recipient.as_ref().map(|r| json!({"phone": r.phone, "name": r.name})),
        "network": row.network.as_str(),
        "demo": row.demo,
        "state": d.state.as_str(),
        "attempts": d.attempts,
        "nextAttemptAt": (matches!(d.state, DeliveryState::Queued | DeliveryState::RetryWait | DeliveryState::Unconfirmed)
            && d.next_attempt_at != Timestamp::NEVER).then(|| d.next_attempt_at.to_rfc3339()),
        "error": d.last_error.as_ref().map(|e| json!({"kind": e.kind.as_str(), "message": e.message})),
        "remoteId": d.remote_id,
        "remoteUrl": d.remote_url,
        "text": row.post_text,
        "mediaCount": row.media_count,
        "scheduledAt": row.scheduled_at.map(|t| t.to_rfc3339()),
        "createdAt": d.created_at.to_rfc3339(),
        "updatedAt": d.updated_at.to_rfc3339(),
    })
}

/// What an edit did, for `fanout edit --json`: the edited post, its deliveries, those of the post
/// before that had started and were left as they were, and the accounts taken off it.
pub fn edited_json(
    old: PostId,
    edited: &Edited,
    scheduled_at: Option<Timestamp>,
    unchanged: &[OutboxRow],
    removed: &[Account],
) -> Value {
    let at = scheduled_at.map(Timestamp::to_rfc3339);
    let deliveries: Vec<Value> = edited
        .deliveries
        .iter()
        .map(|(id, a)| json!({"id": id.to_string(), "account": a.name, "network": a.network.as_str(), "scheduledAt": at}))
        .collect();
    let unchanged: Vec<Value> = unchanged
        .iter()
        .map(|row| {
            json!({
                "id": row.delivery.id.to_string(),
                "account": row.account_name,
                "network": row.network.as_str(),
                "state": row.delivery.state.as_str(),
            })
        })
        .collect();
    json!({
        "postId": edited.post.to_string(),
        "replaces": old.to_string(),
        "scheduledAt": at,
        "deliveries": deliveries,
        "unchanged": unchanged,
        "removed": removed.iter().map(|a| json!({"account": a.name, "network": a.network.as_str()})).collect::<Vec<_>>(),
    })
}

/// The posts `fanout post --queue` made, for `--json`: each with its time and deliveries.
pub fn queued_json(queued: &[QueuedPost]) -> Value {
    let posts: Vec<Value> = queued
        .iter()
        .map(|q| {
            let deliveries: Vec<Value> = q
                .deliveries
                .iter()
                .map(|(id, a)| json!({"id": id.to_string(), "account": a.name, "network": a.network.as_str()}))
                .collect();
            json!({"postId": q.post.to_string(), "scheduledAt": q.at.to_rfc3339(), "deliveries": deliveries})
        })
        .collect();
    json!({ "posts": posts })
}

/// A posting time for `--json`: its days as ISO numbers (1 is Monday) and in words, its time, zone,
/// accounts and next time.
pub fn slot_json(slot: &Slot, linked: &[Account], next: Option<Timestamp>) -> Value {
    let accounts: Vec<Value> =
        slot.accounts.iter().map(|id| json!({"id": id.to_string(), "name": account_names(&[*id], linked)})).collect();
    json!({
        "id": slot.id.0,
        "days": slot.days.to_string(),
        "weekdays": slot.days.iso_days(),
        "time": slot.time(),
        "zone": slot.zone,
        "accounts": accounts,
        "nextAt": next.map(Timestamp::to_rfc3339),
        "createdAt": slot.created_at.to_rfc3339(),
    })
}

pub fn slots_table(slots: &[(Slot, Option<Timestamp>)], linked: &[Account]) -> String {
    if slots.is_empty() {
        return "No posting times yet. Add one with `fanout queue add --days mon-fri --at 09:30 --to ACCOUNT`.\n"
            .to_owned();
    }
    let rows: Vec<Vec<String>> = slots
        .iter()
        .map(|(slot, next)| {
            vec![
                slot.id.to_string(),
                slot.days.to_string(),
                slot.time(),
                slot.zone.clone(),
                if slot.accounts.is_empty() {
                    "(its accounts were removed)".to_owned()
                } else {
                    account_names(&slot.accounts, linked)
                },
                next.map(local_time).unwrap_or_default(),
            ]
        })
        .collect();
    table(&["ID", "DAYS", "TIME", "ZONE", "ACCOUNTS", "NEXT"], &rows)
}

/// The accounts' names, comma-separated (an id where the account is not linked any more).
pub fn account_names(ids: &[AccountId], linked: &[Account]) -> String {
    let names: Vec<String> = ids
        .iter()
        .map(|id| linked.iter().find(|a| a.id == *id).map_or_else(|| id.to_string(), |a| a.name.clone()))
        .collect();
    names.join(", ")
}

/// A time on this machine's clock, with its offset: `Tue 2026-12-08 09:30 +01:00`.
pub fn local_time(at: Timestamp) -> String {
    chrono::DateTime::from_timestamp_millis(at.0)
        .map(|t| t.with_timezone(&chrono::Local).format("%a %Y-%m-%d %H:%M %:z").to_string())
        .unwrap_or_else(|| at.to_rfc3339())
}

/// How far a delivery an edit could not change had got, to follow "already".
pub fn started_state(state: DeliveryState) -> &'static str {
    match state {
        DeliveryState::Sent => "sent",
        DeliveryState::Running => "being sent",
        DeliveryState::Failed => "failed",
        DeliveryState::Cancelled => "cancelled",
        DeliveryState::Unconfirmed => "tried (unconfirmed: it may be live; check the account, then `fanout resolve`)",
        DeliveryState::NeedsAttention => "tried (it needs attention: see `fanout outbox`)",
        DeliveryState::RetryWait => "tried (waiting to try again)",
        DeliveryState::Queued => "tried (queued to try again)",
    }
}

/// What a person needs to know about a delivery's state, in a few words.
pub fn state_note(row: &OutboxRow, now: Timestamp) -> String {
    let d = &row.delivery;
    let error = d.last_error.as_ref().map(|e| e.message.as_str()).unwrap_or("");
    match d.state {
        DeliveryState::Sent => d.remote_url.clone().or_else(|| d.remote_id.clone()).unwrap_or_default(),
        DeliveryState::Queued if d.next_attempt_at.0 > now.0 => {
            format!("scheduled for {}", d.next_attempt_at.to_rfc3339())
        }
        DeliveryState::Queued => "waiting for the worker".to_owned(),
        DeliveryState::Running => format!("attempt {}", d.attempts),
        DeliveryState::RetryWait => format!("retry at {} — {error}", d.next_attempt_at.to_rfc3339()),
        DeliveryState::Unconfirmed if d.next_attempt_at == Timestamp::NEVER => {
            format!(
                "{error} — check the account, then run `fanout resolve {} --sent` or `--resend`",
                short(&d.id.to_string())
            )
        }
        DeliveryState::Unconfirmed => format!("checking with the platform — {error}"),
        _ => error.to_owned(),
    }
}

pub fn outbox_table(rows: &[OutboxRow], now: Timestamp) -> String {
    if rows.is_empty() {
        return "The outbox is empty.\n".to_owned();
    }
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            vec![
                short(&row.delivery.id.to_string()),
                format!(
                    "{}{}{}",
                    row.account_name,
                    row.delivery.recipient.as_ref().map(|r| format!(" → {}", r.label())).unwrap_or_default(),
                    if row.demo { " [demo]" } else { "" }
                ),
                row.delivery.state.as_str().to_owned(),
                excerpt(&row.post_text, 32),
                state_note(row, now),
            ]
        })
        .collect();
    table(&["ID", "ACCOUNT", "STATE", "POST", "DETAIL"], &rows)
}

/// The last 8 characters of an id: its random part, enough to refer to it (commands accept a
/// unique end of an id).
pub fn short(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    chars[chars.len().saturating_sub(8)..].iter().collect()
}

pub fn excerpt(text: &str, max: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > max {
        format!("{}…", one_line.chars().take(max - 1).collect::<String>())
    } else {
        one_line
    }
}

/// Columns padded by the width each cell takes on a terminal (CJK and emoji take two columns),
/// each cell escaped first (`terminal::clean`): a table is printed as it is.
fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    use unicode_width::UnicodeWidthStr;
    let rows: Vec<Vec<String>> =
        rows.iter().map(|row| row.iter().map(|cell| crate::terminal::clean(cell).into_owned()).collect()).collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.width()).collect();
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.width());
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<String>| {
        let last = cells.len() - 1;
        for (i, cell) in cells.iter().enumerate() {
            out.push_str(cell);
            if i < last {
                out.push_str(&" ".repeat(widths[i] - cell.width() + 2));
            }
        }
        out.push('\n');
    };
    line(headers.iter().map(|h| (*h).to_owned()).collect());
    for row in rows {
        line(row);
    }
    out
}

/// A draft's problem in the command line's words, with the flags and commands that fix it.
pub fn draft_problem(problem: &DraftProblem) -> String {
    match problem {
        DraftProblem::NoTargets => {
            "name at least one account to post to (--to ACCOUNT; see `fanout accounts list`)".into()
        }
        DraftProblem::UnknownAccount(r) => format!("no account named '{r}' (see `fanout accounts list`)"),
        DraftProblem::Disabled(name) => {
            format!("account '{name}' is disabled; enable it with `fanout accounts enable {name}`")
        }
        DraftProblem::NeedsReconnect { account, detail } => format!(
            "account '{account}' needs reconnecting ({}); fix its credentials, then `fanout accounts verify {account}`",
            detail.as_deref().unwrap_or("its credentials were refused")
        ),
        DraftProblem::Empty => "the post is empty: give it some text or at least one --media file".into(),
        DraftProblem::Media(message) => message.clone(),
        DraftProblem::NotMessaging(name) => {
            format!("'{name}' is not a WhatsApp account: recipient lists and templates are for WhatsApp targets only")
        }
        DraftProblem::NoComments(name) => {
            format!("'{name}' is not an Instagram account: a first comment is for Instagram targets only")
        }
        DraftProblem::MediaOrder { account, files } => format!(
            "--order for '{account}' must name each of the {files} --media files once, by position (1 to {files}), e.g. --order {account}={}",
            (1..=*files).rev().map(|i| i.to_string()).collect::<Vec<_>>().join(",")
        ),
        DraftProblem::PastSchedule(at) => {
            format!("--at {} is in the past; give a future time or leave it out to post now", at.to_rfc3339())
        }
        DraftProblem::FarSchedule(at) => {
            format!("--at {} is more than a year ahead; give a time within the next 12 months", at.to_rfc3339())
        }
        DraftProblem::Duplicate { account, at } => format!(
            "the same post went to '{account}' at {} (in the last 7 days); add --again to share it again",
            at.to_rfc3339()
        ),
    }
}

/// An error as the command line says it: a draft's problems in its own words (with its flags),
/// anything else as core words it.
pub fn error(e: &Error) -> String {
    let not_ready = match e {
        Error::NotReady(not_ready) => not_ready,
        Error::UnknownAccount(_) => return format!("{e} (see `fanout accounts list`)"),
        Error::UnknownDelivery(_) => return format!("{e} (see `fanout outbox`)"),
        Error::UnknownPostingTime(_) => return format!("{e} (see `fanout queue list`)"),
        Error::NoPostingTimes(names) => {
            let quoted: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
            let to: Vec<String> = names.iter().map(|n| format!("--to '{n}'")).collect();
            return format!(
                "{} {} no posting times: add some with `fanout queue add --days mon-fri --at 09:30 {}`, or give the post a time with --at",
                quoted.join(" and "),
                if names.len() == 1 { "has" } else { "have" },
                to.join(" ")
            );
        }
        _ => return e.to_string(),
    };
    let lines: Vec<String> = not_ready
        .problems
        .iter()
        .map(draft_problem)
        .chain(not_ready.targets.iter().map(ToString::to_string))
        .map(|line| format!("  - {line}"))
        .collect();
    let count = if lines.len() == 1 { "1 problem".to_owned() } else { format!("{} problems", lines.len()) };
    format!("nothing was queued; {count} to fix:\n{}", lines.join("\n"))
}

#[cfg(test)]
mod table_tests {
    use unicode_width::UnicodeWidthStr;

    #[test]
    fn wide_names_keep_the_columns_aligned() {
        let rows = vec![
            vec!["日本のパン屋".to_owned(), "Mastodon".to_owned()],
            vec!["Bakery 🥐".to_owned(), "Discord".to_owned()],
            vec!["plain".to_owned(), "Telegram".to_owned()],
        ];
        let out = super::table(&["NAME", "NETWORK"], &rows);
        let columns: Vec<usize> = out
            .lines()
            .map(|line| {
                let at = line.rfind("  ").expect("two spaces before the last column") + 2;
                line[..at].width()
            })
            .collect();
        assert!(columns.windows(2).all(|w| w[0] == w[1]), "the second column starts at one place: {out}");
    }
}
