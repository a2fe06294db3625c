//! The posting queue, as Buffer has it: the user's posting times ("slots") — some weekdays and a
//! time of day in a time zone, for one or more accounts — their `occurrences` in a range, each
//! account's `next_free` time, and "add to queue" (`enqueue`). A time is free for an account while
//! no post of it is scheduled at exactly that instant (by a delivery that was not cancelled).
//! `enqueue` checks the draft as `post::enqueue` does and makes one post per distinct time (the
//! accounts free at the same instant share it), all written in one transaction that first makes
//! sure no other post took one of the times meanwhile.
//!
//! Wall-clock times become instants through the IANA time zone database (jiff): the system's copy,
//! or the copy built into the binary where the machine has none. Each slot has exactly one instant
//! a day, also on a daylight-saving change: a time the clocks skip (02:30 on Europe's spring day)
//! is the same distance past the gap (03:30 summer time), and a time they repeat (02:30 on the
//! autumn day) is its first occurrence (summer time) — RFC 5545's and Temporal's rule. Nothing
//! here reads the clock or the calendar by itself: `now` and ranges are parameters.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use jiff::civil;
use jiff::tz::TimeZone;

use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::media::cache::VariantCache;
use crate::model::{Account, AccountId, DeliveryId, PostId};
use crate::networks::Registry;
use crate::outbox::Outbox;
use crate::outbox::SCHEDULE_HORIZON;
use crate::post::{self, Draft};
use crate::store::{Store, accounts, queue as table};

/// A posting time's id: a small number, never reused, so `fanout queue remove 3` stays short.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SlotId(pub i64);

impl fmt::Display for SlotId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for SlotId {
    type Err = Error;
    fn from_str(s: &str) -> Result<SlotId> {
        s.trim()
            .parse::<i64>()
            .map(SlotId)
            .map_err(|_| Error::invalid(format!("'{}' is not a posting time's number", s.trim())))
    }
}

/// A set of weekdays: Monday is bit 0, Sunday bit 6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Weekdays(u8);

/// The days' names as the command line takes and shows them, Monday first.
const DAY_NAMES: [(&str, &str); 7] = [
    ("mon", "monday"),
    ("tue", "tuesday"),
    ("wed", "wednesday"),
    ("thu", "thursday"),
    ("fri", "friday"),
    ("sat", "saturday"),
    ("sun", "sunday"),
];

impl Weekdays {
    pub const EVERY_DAY: Weekdays = Weekdays(0b111_1111);
    pub const MONDAY_TO_FRIDAY: Weekdays = Weekdays(0b001_1111);
    pub const WEEKEND: Weekdays = Weekdays(0b110_0000);

    /// Bits beyond Sunday's are dropped.
    pub fn from_bits(bits: u8) -> Weekdays {
        Weekdays(bits & Self::EVERY_DAY.0)
    }

    pub fn bits(self) -> u8 {
        self.0
    }

    /// From ISO 8601 day numbers: 1 is Monday, 7 Sunday.
    pub fn from_iso(days: &[u8]) -> Result<Weekdays> {
        let mut bits = 0u8;
        for &day in days {
            if !(1..=7).contains(&day) {
                return Err(Error::invalid(format!(
                    "{day} is not a day of the week: number them 1 (Monday) to 7 (Sunday)"
                )));
            }
            bits |= 1 << (day - 1);
        }
        Ok(Weekdays(bits))
    }

    /// The ISO 8601 numbers of the days in the set, Monday (1) first.
    pub fn iso_days(self) -> Vec<u8> {
        (1..=7).filter(|&day| self.contains_iso(day)).collect()
    }

    pub fn contains_iso(self, day: u8) -> bool {
        (1..=7).contains(&day) && self.0 & (1 << (day - 1)) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    fn contains(self, day: civil::Weekday) -> bool {
        u8::try_from(day.to_monday_one_offset()).is_ok_and(|day| self.contains_iso(day))
    }
}

/// `mon-fri`, `mon,wed,fri`, `sat-sun`, `fri-mon` (across the weekend), full names, `daily`,
/// `weekdays`, `weekends`; any case.
impl FromStr for Weekdays {
    type Err = Error;
    fn from_str(text: &str) -> Result<Weekdays> {
        let day = |name: &str| -> Result<u8> {
            let name = name.trim().to_lowercase();
            DAY_NAMES
                .iter()
                .position(|(short, long)| name == *short || name == *long)
                .and_then(|i| u8::try_from(i + 1).ok())
                .ok_or_else(|| {
                    Error::invalid(format!(
                        "'{}' is not a day: use mon, tue, wed, thu, fri, sat or sun, with ranges like mon-fri \
                         and lists like mon,wed,fri",
                        name.trim()
                    ))
                })
        };
        let mut bits = 0u8;
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            bits |= match part.to_lowercase().as_str() {
                "daily" | "every-day" | "everyday" | "all" => Self::EVERY_DAY.0,
                "weekdays" => Self::MONDAY_TO_FRIDAY.0,
                "weekend" | "weekends" => Self::WEEKEND.0,
                _ => match part.split_once('-') {
                    Some((first, last)) => {
                        let (first, last) = (day(first)?, day(last)?);
                        // A range may run across the weekend: fri-mon is Friday to Monday.
                        let mut bits = 0u8;
                        let mut d = first;
                        loop {
                            bits |= 1 << (d - 1);
                            if d == last {
                                break;
                            }
                            d = d % 7 + 1;
                        }
                        bits
                    }
                    None => 1 << (day(part)? - 1),
                },
            };
        }
        if bits == 0 {
            return Err(Error::invalid(format!(
                "'{}' names no day: give at least one, e.g. mon-fri or mon,wed,fri",
                text.trim()
            )));
        }
        Ok(Weekdays(bits))
    }
}

/// "Mon-Fri", "Mon, Wed, Fri", "Every day": three or more days in a row as a range.
impl fmt::Display for Weekdays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Self::EVERY_DAY {
            return f.write_str("Every day");
        }
        let name = |day: u8| {
            let short = DAY_NAMES[usize::from(day - 1)].0;
            let mut chars = short.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        };
        let days = self.iso_days();
        let mut parts = Vec::new();
        let mut i = 0;
        while i < days.len() {
            let mut j = i;
            while j + 1 < days.len() && days[j + 1] == days[j] + 1 {
                j += 1;
            }
            if j - i >= 2 {
                parts.push(format!("{}-{}", name(days[i]), name(days[j])));
            } else {
                parts.extend(days[i..=j].iter().map(|&d| name(d)));
            }
            i = j + 1;
        }
        f.write_str(&parts.join(", "))
    }
}

/// A time of day as `H:MM` or `HH:MM` (24-hour clock) → minutes after midnight.
pub fn parse_time(text: &str) -> Result<u32> {
    let bad = || {
        Error::invalid(format!(
            "'{}' is not a time of day: give it as HH:MM on the 24-hour clock, from 00:00 to 23:59 (e.g. 09:30)",
            text.trim()
        ))
    };
    let (hours, minutes) = text.trim().split_once(':').ok_or_else(bad)?;
    let digits = |s: &str, len: std::ops::RangeInclusive<usize>| {
        if len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) { s.parse::<u32>().ok() } else { None }
    };
    let (Some(h), Some(m)) = (digits(hours, 1..=2), digits(minutes, 2..=2)) else {
        return Err(bad());
    };
    if h > 23 || m > 59 {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// Minutes after midnight as `HH:MM`.
pub fn format_time(minute_of_day: u32) -> String {
    format!("{:02}:{:02}", minute_of_day / 60, minute_of_day % 60)
}

/// The IANA name of this machine's time zone (`TZ`, else `/etc/localtime`), where it has one.
/// A default for the user to confirm, not a fact any calculation here depends on.
pub fn machine_zone() -> Option<String> {
    TimeZone::try_system().ok()?.iana_name().map(str::to_owned)
}

/// The zone named `name` (any case), or an error naming it and what a good one looks like.
fn zone(name: &str) -> Result<TimeZone> {
    let name = name.trim();
    TimeZone::get(name).ok().filter(|tz| tz.iana_name().is_some()).ok_or_else(|| {
        Error::invalid(format!(
            "'{name}' is not a time zone Fanout knows: give an IANA name such as Europe/Amsterdam, \
             America/New_York or UTC"
        ))
    })
}

/// What the user asks for: a new posting time.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSlot {
    pub days: Weekdays,
    /// Minutes after midnight, on the wall clock of `zone` ([`parse_time`] reads `HH:MM`).
    pub minute_of_day: u32,
    /// An IANA time zone name, e.g. `Europe/Amsterdam` ([`machine_zone`] is a good default).
    pub zone: String,
    /// Account names or ids.
    pub accounts: Vec<String>,
}

/// A posting time as kept.
#[derive(Debug, Clone, PartialEq)]
pub struct Slot {
    pub id: SlotId,
    pub days: Weekdays,
    pub minute_of_day: u32,
    /// The IANA name, as the database spells it.
    pub zone: String,
    /// The accounts it is for that are still linked, in the order they were linked.
    pub accounts: Vec<AccountId>,
    pub created_at: Timestamp,
}

impl Slot {
    /// `HH:MM`.
    pub fn time(&self) -> String {
        format_time(self.minute_of_day)
    }
}

fn from_row(row: table::SlotRow) -> Slot {
    Slot {
        id: SlotId(row.id),
        days: Weekdays::from_bits(row.weekdays),
        minute_of_day: row.minute_of_day,
        zone: row.zone,
        accounts: row.accounts,
        created_at: row.created_at,
    }
}

/// Adds a posting time after checking all of it: at least one day, a real time of day, a known
/// time zone, and at least one account, each linked. Every problem is reported at once.
pub fn add(store: &Store, slot: &NewSlot, now: Timestamp) -> Result<Slot> {
    let mut problems: Vec<String> = Vec::new();
    if slot.days.is_empty() {
        problems.push("pick at least one day of the week".into());
    }
    if slot.minute_of_day >= 24 * 60 {
        problems.push(format!(
            "{} minutes after midnight is not a time of day: give one from 00:00 to 23:59",
            slot.minute_of_day
        ));
    }
    let zone = match zone(&slot.zone) {
        Ok(tz) => tz.iana_name().map(str::to_owned),
        Err(e) => {
            problems.push(e.to_string());
            None
        }
    };
    if slot.accounts.is_empty() {
        problems.push("name at least one account it is for".into());
    }
    let created = store.write(|tx| {
        let mut ids: Vec<AccountId> = Vec::new();
        for reference in &slot.accounts {
            match accounts::find(tx, reference) {
                Ok(account) if ids.contains(&account.id) => {}
                Ok(account) => ids.push(account.id),
                Err(Error::UnknownAccount(r)) => {
                    problems.push(format!("no account named '{r}'"));
                }
                Err(e) => return Err(e),
            }
        }
        let Some(zone) = zone.as_deref().filter(|_| problems.is_empty()) else {
            return Ok(None);
        };
        table::insert(tx, slot.days.bits(), slot.minute_of_day, zone, &ids, now).map(Some)
    })?;
    match created {
        Some(id) => get(store, SlotId(id)),
        None => Err(problems_error("the posting time was not added", &problems)),
    }
}

fn problems_error(what: &str, problems: &[String]) -> Error {
    if let [one] = problems {
        return Error::invalid(format!("{what}: {one}"));
    }
    let lines: Vec<String> = problems.iter().map(|p| format!("  - {p}")).collect();
    Error::invalid(format!("{what}; {} problems to fix:\n{}", problems.len(), lines.join("\n")))
}

pub fn get(store: &Store, id: SlotId) -> Result<Slot> {
    store.read(|tx| table::get(tx, id.0))?.map(from_row).ok_or_else(|| Error::UnknownPostingTime(id.to_string()))
}

/// Every posting time, the earliest in the day first.
pub fn list(store: &Store) -> Result<Vec<Slot>> {
    Ok(store.read(|tx| table::list(tx))?.into_iter().map(from_row).collect())
}

/// Removes a posting time. The posts queued at its times stay where they are.
pub fn remove(store: &Store, id: SlotId) -> Result<()> {
    if store.write(|tx| table::delete(tx, id.0))? { Ok(()) } else { Err(Error::UnknownPostingTime(id.to_string())) }
}

/// When `minute_of_day` on `date` on the wall clock of `tz` happens: one instant, also on a day
/// the clocks skip or repeat that time (see the module's note).
fn instant(tz: &TimeZone, date: civil::Date, minute_of_day: u32) -> Result<Timestamp> {
    let out_of_range = |e: jiff::Error| Error::invalid(format!("a posting time falls outside the calendar: {e}"));
    let hour = i8::try_from(minute_of_day / 60).map_err(|_| Error::invalid("a time of day past 23:59"))?;
    let minute = i8::try_from(minute_of_day % 60).map_err(|_| Error::invalid("a time of day past 23:59"))?;
    let time = civil::Time::new(hour, minute, 0, 0).map_err(out_of_range)?;
    let at = tz.to_ambiguous_timestamp(civil::DateTime::from_parts(date, time)).compatible().map_err(out_of_range)?;
    Ok(Timestamp(at.as_millisecond()))
}

/// The instants of `slot` in `[from, to)`, earliest first.
fn instants(slot: &Slot, from: Timestamp, to: Timestamp) -> Result<Vec<Timestamp>> {
    if to <= from || slot.days.is_empty() || slot.minute_of_day >= 24 * 60 {
        return Ok(Vec::new());
    }
    let tz = zone(&slot.zone)?;
    let outside = |e: jiff::Error| Error::invalid(format!("a time outside the calendar: {e}"));
    let date_of = |t: Timestamp| -> Result<civil::Date> {
        Ok(tz.to_datetime(jiff::Timestamp::from_millisecond(t.0).map_err(outside)?).date())
    };
    // A day either side: a time pushed past a gap can land on the range's first instant.
    let mut date = date_of(from)?.yesterday().map_err(outside)?;
    let last = date_of(to)?.tomorrow().map_err(outside)?;
    let mut found = Vec::new();
    while date <= last {
        if slot.days.contains(date.weekday()) {
            let at = instant(&tz, date, slot.minute_of_day)?;
            if from <= at && at < to {
                found.push(at);
            }
        }
        date = date.tomorrow().map_err(outside)?;
    }
    Ok(found)
}

/// The first instant of `slot` after `now`, taken or not (`None` only for a slot without days).
pub fn next_occurrence(slot: &Slot, now: Timestamp) -> Result<Option<Timestamp>> {
    // Any day of the week comes within eight days.
    let window = now.plus(Duration::from_secs(8 * 24 * 3600));
    Ok(instants(slot, Timestamp(now.0.saturating_add(1)), window)?.first().copied())
}

/// One posting time on the calendar.
#[derive(Debug, Clone, PartialEq)]
pub struct Occurrence {
    pub at: Timestamp,
    pub slot: SlotId,
    /// The slot's accounts.
    pub accounts: Vec<AccountId>,
    /// Those of them that already have a post at `at`; the others are free.
    pub taken: Vec<AccountId>,
}

/// The longest range [`occurrences`] covers at once: the schedule horizon and a week.
const LONGEST_RANGE: Duration = Duration::from_secs(SCHEDULE_HORIZON.as_secs() + 7 * 24 * 3600);

/// Every posting time in `[from, to)` with which of its accounts already have a post then, for
/// the calendar's empty places; earliest first. A slot whose accounts were all removed has none.
pub fn occurrences(store: &Store, from: Timestamp, to: Timestamp) -> Result<Vec<Occurrence>> {
    if to.0.saturating_sub(from.0) > i64::try_from(LONGEST_RANGE.as_millis()).unwrap_or(i64::MAX) {
        return Err(Error::invalid("ask for the posting times of at most a year at a time"));
    }
    let (slots, taken) = store.read(|tx| Ok((table::list(tx)?, table::taken(tx, from, to)?)))?;
    let taken: HashSet<(AccountId, Timestamp)> = taken.into_iter().collect();
    let mut found = Vec::new();
    for slot in slots.into_iter().map(from_row).filter(|s| !s.accounts.is_empty()) {
        for at in instants(&slot, from, to)? {
            let taken = slot.accounts.iter().copied().filter(|a| taken.contains(&(*a, at))).collect();
            found.push(Occurrence { at, slot: slot.id, accounts: slot.accounts.clone(), taken });
        }
    }
    found.sort_by_key(|o| (o.at, o.slot));
    Ok(found)
}

/// Each account's next free posting time: the first instant of one of its slots after `now`, up
/// to the schedule horizon, at which it has no post yet. In the order given (each account once).
/// An account without posting times, or with every one taken for a year, is an error naming it.
pub fn next_free(store: &Store, accounts: &[AccountId], now: Timestamp) -> Result<Vec<(AccountId, Timestamp)>> {
    let mut wanted: Vec<AccountId> = Vec::new();
    for id in accounts {
        if !wanted.contains(id) {
            wanted.push(*id);
        }
    }
    let (linked, slots) = store.read(|tx| Ok((accounts::list(tx)?, table::list(tx)?)))?;
    let slots: Vec<Slot> = slots.into_iter().map(from_row).collect();
    let name = |id: &AccountId| linked.iter().find(|a| a.id == *id).map(|a| a.name.clone());
    if let Some(gone) = wanted.iter().find(|id| name(id).is_none()) {
        return Err(Error::UnknownAccount(gone.to_string()));
    }
    let without: Vec<String> =
        wanted.iter().filter(|id| !slots.iter().any(|s| s.accounts.contains(id))).filter_map(&name).collect();
    if !without.is_empty() {
        return Err(Error::NoPostingTimes(without));
    }
    let start = Timestamp(now.0.saturating_add(1));
    let end = now.plus(SCHEDULE_HORIZON).plus(Duration::from_millis(1));
    let mut found: BTreeMap<AccountId, Timestamp> = BTreeMap::new();
    let mut from = start;
    while from < end && found.len() < wanted.len() {
        let to = from.plus(Duration::from_secs(7 * 24 * 3600)).min(end);
        let taken: HashSet<(AccountId, Timestamp)> = store.read(|tx| table::taken(tx, from, to))?.into_iter().collect();
        let pending: Vec<AccountId> = wanted.iter().copied().filter(|a| !found.contains_key(a)).collect();
        for account in &pending {
            let mut times = Vec::new();
            for slot in slots.iter().filter(|s| s.accounts.contains(account)) {
                times.extend(instants(slot, from, to)?);
            }
            times.sort();
            if let Some(at) = times.into_iter().find(|at| !taken.contains(&(*account, *at))) {
                found.insert(*account, at);
            }
        }
        from = to;
    }
    let full: Vec<String> = wanted.iter().filter(|a| !found.contains_key(a)).filter_map(&name).collect();
    if !full.is_empty() {
        let names: Vec<String> = full.iter().map(|n| format!("'{n}'")).collect();
        return Err(Error::invalid(format!(
            "every posting time of {} in the next 12 months is taken: add posting times, or give the post a time",
            names.join(" and ")
        )));
    }
    Ok(wanted.iter().filter_map(|a| found.get(a).map(|at| (*a, *at))).collect())
}

/// One post "add to queue" made: its time and the deliveries of the accounts that share it.
#[derive(Debug, Clone)]
pub struct QueuedPost {
    pub post: PostId,
    pub at: Timestamp,
    pub deliveries: Vec<(DeliveryId, Account)>,
}

/// "Add to queue": `draft` (without a time) goes to each target's next free posting time. The
/// targets whose next free time is the same instant share one post; each other instant gets a
/// post of its own. The draft is checked as `post::enqueue` checks it (every target's problems
/// at once), its media copied, and all the posts written in ONE transaction, which first makes
/// sure no other post took one of the times meanwhile. Earliest post first.
pub fn enqueue(
    outbox: &Outbox,
    registry: &Registry,
    variants: &VariantCache,
    media_dir: &Path,
    draft: &Draft,
    now: Timestamp,
) -> Result<Vec<QueuedPost>> {
    if let Some(at) = draft.scheduled_at {
        return Err(Error::invalid(format!(
            "a post added to the queue takes its time from the queue; leave out its time ({})",
            at.to_rfc3339()
        )));
    }
    // Targets that are unknown are left to the draft's checks, which name them with the rest.
    let mut targets: Vec<AccountId> = Vec::new();
    outbox.store().read(|tx| {
        for reference in &draft.targets {
            match accounts::find(tx, reference) {
                Ok(account) => targets.push(account.id),
                Err(Error::UnknownAccount(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    })?;
    let times = next_free(outbox.store(), &targets, now)?;
    post::check(outbox, registry, variants, draft, now)?;
    let mut by_time: BTreeMap<Timestamp, Vec<AccountId>> = BTreeMap::new();
    for (account, at) in &times {
        by_time.entry(*at).or_default().push(*account);
    }
    let mut prepared = Vec::with_capacity(by_time.len());
    for (at, group) in &by_time {
        let part = Draft {
            targets: group.iter().map(ToString::to_string).collect(),
            scheduled_at: Some(*at),
            ..draft.clone()
        };
        prepared.push(post::prepare(outbox, registry, variants, media_dir, &part, now)?);
    }
    let posts: Vec<_> = prepared.iter().map(|(post, plan, _)| (post.clone(), plan.clone())).collect();
    let written = outbox.enqueue_posts(&posts, now, |tx| {
        for (account, at) in &times {
            if table::is_taken(tx, *account, *at)? {
                return Err(Error::Conflict(format!(
                    "another post took the posting time {} meanwhile; add this one to the queue again",
                    at.to_rfc3339()
                )));
            }
        }
        Ok(())
    })?;
    Ok(prepared
        .into_iter()
        .zip(written)
        .map(|((post, _, accounts), ids)| QueuedPost {
            post: post.id,
            at: post.scheduled_at.unwrap_or(now),
            deliveries: ids.into_iter().zip(accounts).collect(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::model::{AccountOptions, DeliveryState, Health, NetworkKind, Post};
    use crate::outbox::RetryPolicy;

    struct Fixture {
        dir: tempfile::TempDir,
        store: Arc<Store>,
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Arc::new(Store::open(&dir.path().join("fanout.db")).expect("store"));
        Fixture { dir, store }
    }

    impl Fixture {
        fn account(&self, name: &str) -> AccountId {
            let account = Account {
                id: AccountId::new(),
                network: NetworkKind::Discord,
                name: name.into(),
                endpoint: "http://127.0.0.1:9/api/webhooks/1".into(),
                remote_id: Some("1".into()),
                enabled: true,
                demo: false,
                health: Health::Ok,
                health_detail: None,
                paused_until: None,
                created_at: Timestamp(0),
                options: AccountOptions::default(),
            };
            self.store.write(|tx| accounts::insert(tx, &account)).expect("account");
            account.id
        }

        fn slot(&self, days: &str, time: &str, zone: &str, accounts: &[&str]) -> Slot {
            let slot = NewSlot {
                days: days.parse().expect("days"),
                minute_of_day: parse_time(time).expect("time"),
                zone: zone.into(),
                accounts: accounts.iter().map(|a| (*a).to_owned()).collect(),
            };
            add(&self.store, &slot, Timestamp(0)).expect("a good posting time is added")
        }

        fn outbox(&self) -> Outbox {
            Outbox::new(self.store.clone(), RetryPolicy::default())
        }

        /// A post scheduled at `at` for `accounts`, as `fanout post --at` makes one.
        fn post_at(&self, at: Timestamp, accounts: &[AccountId]) -> Vec<DeliveryId> {
            let post = Post {
                id: PostId::new(),
                text: "Already planned".into(),
                media: vec![],
                created_at: Timestamp(0),
                scheduled_at: Some(at),
                texts: vec![],
                story: false,
                templates: vec![],
                first_comments: vec![],
                orders: vec![],
            };
            self.outbox().enqueue(&post, accounts, Timestamp(0)).expect("enqueue")
        }

        fn enqueue(&self, draft: &Draft, now: Timestamp) -> Result<Vec<QueuedPost>> {
            let variants = VariantCache::new(self.dir.path().join("variants"), 64 * 1024 * 1024);
            enqueue(&self.outbox(), &Registry::default(), &variants, &self.dir.path().join("media"), draft, now)
        }
    }

    fn at(rfc3339: &str) -> Timestamp {
        Timestamp::parse_rfc3339(rfc3339).expect("a time")
    }

    fn times(found: &[Occurrence]) -> Vec<String> {
        found.iter().map(|o| o.at.to_rfc3339()).collect()
    }

    #[test]
    fn days_are_read_as_ranges_lists_and_names_and_shown_short() {
        let check = |text: &str, iso: &[u8], shown: &str| {
            let days: Weekdays = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(days.iso_days(), iso, "{text}");
            assert_eq!(days.to_string(), shown, "{text}");
        };
        check("mon-fri", &[1, 2, 3, 4, 5], "Mon-Fri");
        check("Mon,Wed,Fri", &[1, 3, 5], "Mon, Wed, Fri");
        check("saturday-sunday", &[6, 7], "Sat, Sun");
        check("fri-mon", &[1, 5, 6, 7], "Mon, Fri-Sun");
        check("daily", &[1, 2, 3, 4, 5, 6, 7], "Every day");
        check("weekdays, sat", &[1, 2, 3, 4, 5, 6], "Mon-Sat");
        assert_eq!(Weekdays::from_iso(&[1, 7]).expect("days").to_string(), "Mon, Sun");
        for bad in ["funday", "mon-someday", "", " , "] {
            let e = bad.parse::<Weekdays>().expect_err(bad).to_string();
            assert!(e.contains("mon-fri"), "'{bad}' is refused with an example of what works: {e}");
        }
        assert!("funday".parse::<Weekdays>().expect_err("bad").to_string().contains("'funday'"), "names it");
        assert!(Weekdays::from_iso(&[8]).is_err(), "there is no eighth day");
    }

    #[test]
    fn a_time_of_day_is_hours_and_minutes_on_the_24_hour_clock() {
        assert_eq!(parse_time("09:30").expect("time"), 570);
        assert_eq!(parse_time(" 9:05 ").expect("time"), 545);
        assert_eq!(parse_time("23:59").expect("time"), 1439);
        assert_eq!(format_time(545), "09:05");
        for bad in ["24:00", "12:60", "9.30", "0930", "9:5", "-1:30", "noon"] {
            let e = parse_time(bad).expect_err(bad).to_string();
            assert!(e.contains(&format!("'{bad}'")) && e.contains("HH:MM"), "'{bad}' is named and explained: {e}");
        }
    }

    #[test]
    fn a_posting_time_is_refused_with_every_problem_named_and_nothing_kept() {
        let f = fixture();
        f.account("shop");
        let bad = NewSlot {
            days: Weekdays::default(),
            minute_of_day: 24 * 60,
            zone: "Europe/Amsterdm".into(),
            accounts: vec!["shop".into(), "nobody".into()],
        };
        let e = add(&f.store, &bad, Timestamp(0)).expect_err("refused").to_string();
        assert!(e.contains("4 problems"), "{e}");
        assert!(e.contains("at least one day"), "no day: {e}");
        assert!(e.contains("1440 minutes after midnight"), "the time is named: {e}");
        assert!(e.contains("'Europe/Amsterdm'") && e.contains("Europe/Amsterdam"), "the zone, and a good one: {e}");
        assert!(e.contains("no account named 'nobody'"), "the unknown account: {e}");

        let no_accounts = NewSlot { days: Weekdays::EVERY_DAY, minute_of_day: 0, zone: "UTC".into(), accounts: vec![] };
        let e = add(&f.store, &no_accounts, Timestamp(0)).expect_err("refused").to_string();
        assert!(e.contains("at least one account"), "{e}");
        assert!(list(&f.store).expect("list").is_empty(), "nothing refused is kept");

        let removed = f.account("gone");
        f.store.write(|tx| accounts::mark_removed(tx, removed, Timestamp(1))).expect("remove");
        let for_removed = NewSlot { accounts: vec!["gone".into()], ..no_accounts };
        let e = add(&f.store, &for_removed, Timestamp(0)).expect_err("refused").to_string();
        assert!(e.contains("no account named 'gone'"), "a removed account takes no posting times: {e}");
    }

    #[test]
    fn a_posting_time_is_kept_listed_and_removed_and_its_zone_spelled_as_the_database_does() {
        let f = fixture();
        let shop = f.account("shop");
        let cafe = f.account("cafe");
        let slot = f.slot("mon-fri", "09:30", "europe/amsterdam", &["cafe", "shop", "shop"]);
        assert_eq!(slot.zone, "Europe/Amsterdam");
        assert_eq!(slot.time(), "09:30");
        assert_eq!(slot.days, Weekdays::MONDAY_TO_FRIDAY);
        assert_eq!(slot.accounts, [shop, cafe], "each account once, in the order they were linked");
        let later = f.slot("sat", "08:00", "UTC", &["cafe"]);
        let ids: Vec<SlotId> = list(&f.store).expect("list").iter().map(|s| s.id).collect();
        assert_eq!(ids, [later.id, slot.id], "earliest in the day first");

        f.store.write(|tx| accounts::mark_removed(tx, cafe, Timestamp(1))).expect("remove");
        assert_eq!(get(&f.store, slot.id).expect("get").accounts, [shop], "a removed account no longer posts");

        remove(&f.store, slot.id).expect("removed");
        let e = remove(&f.store, slot.id).expect_err("already gone").to_string();
        assert!(e.contains(&format!("no posting time {}", slot.id)), "{e}");
        let again = f.slot("sun", "10:00", "UTC", &["shop"]);
        assert!(again.id > later.id, "a removed posting time's number is never given to another");
    }

    #[test]
    fn occurrences_cover_a_week_in_each_slots_own_zone_with_the_taken_ones_marked() {
        let f = fixture();
        let shop = f.account("shop");
        let cafe = f.account("cafe");
        let weekdays = f.slot("mon-fri", "09:30", "Europe/Amsterdam", &["shop", "cafe"]);
        let saturday = f.slot("sat", "10:00", "America/New_York", &["cafe"]);
        f.post_at(at("2026-03-04T08:30:00Z"), &[shop]);
        // Monday 2 March 2026 to the next Monday, in UTC.
        let found = occurrences(&f.store, at("2026-03-02T00:00:00Z"), at("2026-03-09T00:00:00Z")).expect("found");
        assert_eq!(
            times(&found),
            [
                "2026-03-02T08:30:00Z",
                "2026-03-03T08:30:00Z",
                "2026-03-04T08:30:00Z",
                "2026-03-05T08:30:00Z",
                "2026-03-06T08:30:00Z",
                "2026-03-07T15:00:00Z",
            ],
            "09:30 in Amsterdam (UTC+1) on weekdays, 10:00 in New York (UTC-5) on Saturday"
        );
        assert!(found[..5].iter().all(|o| o.slot == weekdays.id && o.accounts == [shop, cafe]));
        assert_eq!(found[5].slot, saturday.id);
        assert_eq!(found[2].taken, [shop], "Wednesday's is taken for the shop only");
        assert!(found.iter().enumerate().all(|(i, o)| i == 2 || o.taken.is_empty()), "the rest are free");

        let half = occurrences(&f.store, at("2026-03-02T08:30:00Z"), at("2026-03-03T08:30:00Z")).expect("found");
        assert_eq!(times(&half), ["2026-03-02T08:30:00Z"], "the range includes its start, not its end");
        assert!(occurrences(&f.store, Timestamp(0), Timestamp(i64::MAX)).is_err(), "a range without end is refused");
    }

    #[test]
    fn a_time_the_clocks_skip_or_repeat_is_one_definite_instant_each_day() {
        let f = fixture();
        f.account("shop");
        f.slot("daily", "02:30", "Europe/Amsterdam", &["shop"]);
        // Spring: on Sunday 29 March 2026 the clocks go from 02:00 to 03:00, so 02:30 never happens;
        // it is taken as 03:30 summer time, which is the same instant as Saturday's 02:30 winter time.
        let spring = occurrences(&f.store, at("2026-03-27T12:00:00Z"), at("2026-03-30T12:00:00Z")).expect("spring");
        assert_eq!(
            times(&spring),
            ["2026-03-28T01:30:00Z", "2026-03-29T01:30:00Z", "2026-03-30T00:30:00Z"],
            "one each day: 02:30 CET, 03:30 CEST (past the gap), 02:30 CEST"
        );
        // Autumn: on Sunday 25 October 2026 the clocks go from 03:00 back to 02:00, so 02:30 happens
        // twice; the first (summer time) is the one.
        let autumn = occurrences(&f.store, at("2026-10-23T12:00:00Z"), at("2026-10-26T12:00:00Z")).expect("autumn");
        assert_eq!(
            times(&autumn),
            ["2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"],
            "one each day: 02:30 CEST, the first 02:30 (CEST), 02:30 CET"
        );

        // A time away from the change keeps its place on the wall clock across it.
        let nine = f.slot("daily", "09:00", "Europe/Amsterdam", &["shop"]);
        let next = |now: &str| next_occurrence(&nine, at(now)).expect("next").map(Timestamp::to_rfc3339);
        assert_eq!(next("2026-03-28T09:00:00Z").as_deref(), Some("2026-03-29T07:00:00Z"), "09:00 CEST");
        assert_eq!(next("2026-03-27T09:00:00Z").as_deref(), Some("2026-03-28T08:00:00Z"), "09:00 CET");
    }

    #[test]
    fn the_next_free_time_skips_a_taken_one_until_its_post_is_cancelled() {
        let f = fixture();
        let shop = f.account("shop");
        let cafe = f.account("cafe");
        f.slot("daily", "09:00", "UTC", &["shop", "cafe"]);
        f.slot("mon", "12:00", "UTC", &["cafe"]);
        // Monday 2 March 2026, 10:00 UTC: today's 09:00 has gone.
        let now = at("2026-03-02T10:00:00Z");
        let free = next_free(&f.store, &[shop, cafe], now).expect("free");
        assert_eq!(free, [(shop, at("2026-03-03T09:00:00Z")), (cafe, at("2026-03-02T12:00:00Z"))]);

        let taken = f.post_at(at("2026-03-03T09:00:00Z"), &[shop]);
        f.post_at(at("2026-03-02T12:00:00Z"), &[cafe]);
        let free = next_free(&f.store, &[shop, cafe], now).expect("free");
        assert_eq!(
            free,
            [(shop, at("2026-03-04T09:00:00Z")), (cafe, at("2026-03-03T09:00:00Z"))],
            "each account skips only its own taken times"
        );

        f.outbox().cancel(&taken[0].to_string(), now).expect("cancel");
        assert_eq!(f.outbox().get(taken[0]).expect("read").map(|d| d.state), Some(DeliveryState::Cancelled));
        let free = next_free(&f.store, &[shop], now).expect("free");
        assert_eq!(free, [(shop, at("2026-03-03T09:00:00Z"))], "a cancelled post frees its time");

        let bare = f.account("bakery");
        let e = next_free(&f.store, &[shop, bare], now).expect_err("no slots");
        assert!(matches!(&e, Error::NoPostingTimes(names) if names == &["bakery"]), "{e}");
        assert!(e.to_string().contains("'bakery' has no posting times"), "{e}");
    }

    #[test]
    fn add_to_queue_shares_a_post_where_times_agree_and_makes_one_per_other_time() {
        let f = fixture();
        let shop = f.account("shop");
        let cafe = f.account("cafe");
        let bakery = f.account("bakery");
        f.slot("daily", "09:00", "UTC", &["shop", "cafe"]);
        f.slot("daily", "17:00", "UTC", &["bakery"]);
        let now = at("2026-03-02T10:00:00Z");
        let draft = |text: &str| Draft {
            text: text.into(),
            targets: vec!["shop".into(), "cafe".into(), "bakery".into()],
            ..Draft::default()
        };
        let first = f.enqueue(&draft("Fresh bread"), now).expect("queued");
        let summary: Vec<(String, Vec<AccountId>)> =
            first.iter().map(|q| (q.at.to_rfc3339(), q.deliveries.iter().map(|(_, a)| a.id).collect())).collect();
        assert_eq!(
            summary,
            [("2026-03-02T17:00:00Z".to_owned(), vec![bakery]), ("2026-03-03T09:00:00Z".to_owned(), vec![shop, cafe]),],
            "the bakery's 17:00 today; the shop and the café share tomorrow's 09:00, earliest first"
        );
        let second = f.enqueue(&draft("Fresh cake"), now).expect("queued");
        let times: Vec<String> = second.iter().map(|q| q.at.to_rfc3339()).collect();
        assert_eq!(times, ["2026-03-03T17:00:00Z", "2026-03-04T09:00:00Z"], "the next free ones");
        let post = f.store.read(|tx| crate::store::posts::get(tx, second[1].post)).expect("read").expect("post");
        assert_eq!((post.text.as_str(), post.scheduled_at), ("Fresh cake", Some(second[1].at)));

        let before = f.outbox().list(&Default::default()).expect("list").len();
        let e = f
            .enqueue(&Draft { targets: vec!["shop".into(), "nobody".into()], ..Draft::default() }, now)
            .expect_err("refused")
            .to_string();
        assert!(e.contains("no account named 'nobody'") && e.contains("the post is empty"), "every problem: {e}");
        let timed = Draft { scheduled_at: Some(now), ..draft("x") };
        assert!(f.enqueue(&timed, now).is_err(), "a post with its own time is not queued");
        assert_eq!(f.outbox().list(&Default::default()).expect("list").len(), before, "nothing refused was written");
    }
}
