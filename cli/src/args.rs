//! The command line's shape. Parsing validates and builds; it does not act.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::link_args::AddCommon;

#[derive(Debug, Parser)]
#[command(
    name = "fanout",
    version,
    about = "Share one post to many places at once — from your own machine.",
    after_help = "Exit codes: 0 done; 1 a local failure (database, files, keychain); 2 bad usage; \
                  3 input Fanout refused (unknown account, empty or too long post, unreadable media, \
                  bad --at, a state that does not allow the change); 4 the platform refused or could \
                  not be reached while linking or checking an account; 5 `post --wait` ended with a \
                  delivery that was not sent."
)]
pub struct Cli {
    /// Where Fanout keeps its database and media (shared with the desktop app).
    #[arg(long, global = true, env = "FANOUT_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Where account secrets live: the system keychain, or (headless machines, tests) a plain
    /// owner-only file in the data folder.
    #[arg(long, global = true, env = "FANOUT_SECRET_STORE", value_enum, default_value_t = SecretStoreKind::Keychain)]
    pub secret_store: SecretStoreKind,

    /// Longest time one HTTP request may take, in seconds.
    #[arg(long, global = true, value_name = "SECS", default_value_t = 120.0)]
    pub http_timeout: f64,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SecretStoreKind {
    Keychain,
    File,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the local sandbox (fake Mastodon and Discord) in the foreground.
    Sandbox {
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// A JSON fault plan to start with (see sandbox/README.md).
        #[arg(long, value_name = "FILE")]
        faults: Option<PathBuf>,
    },
    /// Link, list, switch on or off, check and remove accounts.
    #[command(subcommand)]
    Accounts(AccountsCommand),
    /// Queue one post for one or more accounts.
    Post(PostArgs),
    /// The posting queue's times: add, list and remove them, and see each account's next free one.
    #[command(subcommand)]
    Queue(QueueCommand),
    /// Show the deliveries and their states.
    Outbox {
        #[arg(long)]
        json: bool,
        /// Show at most this many (newest first).
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Try a delivery again (needs attention, failed, or waiting to retry).
    Retry { id: String },
    /// Change a post that has not gone out: its text, files, accounts or time.
    Edit(EditArgs),
    /// Cancel a delivery that has not been sent, or with --post every unsent delivery of a post.
    Cancel(CancelArgs),
    /// Settle an unconfirmed delivery after checking the account yourself.
    Resolve(ResolveArgs),
    /// Deliver what is due.
    Worker(WorkerArgs),
    /// Start the sandbox, link demo accounts, share a sample post and watch it settle.
    Demo,
    /// Fit photos and videos to a target and show what was changed.
    Prepare(PrepareArgs),
    /// Show what a post would become on each target kind, and what stops it, without an account.
    Plan(PlanArgs),
    /// Share through an app's own share page (WhatsApp chats and Status, Messenger, Telegram, …).
    Handoff(HandoffArgs),
    /// Keep the lists of people a WhatsApp number messages (only people who opted in).
    #[command(subcommand)]
    Recipients(RecipientsCommand),
    /// Show a WhatsApp account's approved message templates.
    Templates {
        account: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum QueueCommand {
    /// Add a posting time: on these days, at this time, in this time zone, for these accounts.
    Add {
        /// The days: a range (mon-fri), a list (mon,wed,fri), daily, weekdays or weekends.
        #[arg(long, value_name = "DAYS")]
        days: String,
        /// The time of day, on the 24-hour clock (HH:MM).
        #[arg(long, value_name = "HH:MM")]
        at: String,
        /// The time zone, as an IANA name (default: this machine's).
        #[arg(long, value_name = "ZONE")]
        zone: Option<String>,
        /// An account it is for, by name or id (repeatable).
        #[arg(long = "to", value_name = "ACCOUNT", required = true)]
        to: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Show the posting times, each with its next time.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove a posting time (what was queued at its times stays).
    Remove {
        /// Its number, as `fanout queue list` shows it.
        id: String,
    },
    /// Show the next free posting time of each account.
    Next {
        /// An account, by name or id (repeatable).
        #[arg(long = "to", value_name = "ACCOUNT", required = true)]
        to: Vec<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum RecipientsCommand {
    /// Show a WhatsApp account's lists and who is on them.
    List {
        account: String,
        #[arg(long)]
        json: bool,
    },
    /// Make a new, empty list.
    Create { account: String, list: String },
    /// Put people on a list: numbers in international form, each optionally with a name
    /// ("Ann +31 6 1234 5678"), as arguments or one per line in --file.
    Add {
        account: String,
        list: String,
        people: Vec<String>,
        /// A file with one person per line (blank lines and lines starting with # are skipped).
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
        /// Confirm that every one of them agreed to get WhatsApp messages from this business.
        #[arg(long)]
        opted_in: bool,
    },
    /// Take a number off a list.
    Remove { account: String, list: String, phone: String },
    /// Delete a list (the people on it are not messaged).
    Delete { account: String, list: String },
}

#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    /// Link an account (it starts disabled unless --enable is given).
    #[command(subcommand)]
    Add(crate::link_args::AddArgs),
    /// List linked accounts.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Allow posting to an account.
    Enable { account: String },
    /// Stop posting to an account (its queued deliveries wait).
    Disable { account: String },
    /// Unlink an account: deletes its secret, cancels what it had queued, keeps history.
    Remove { account: String },
    /// Check an account's credentials with one API call.
    Verify { account: String },
    /// Log in to a platform in the browser and link every account the login reaches.
    #[command(subcommand)]
    Link(LinkCommand),
}

#[derive(Debug, Subcommand)]
pub enum LinkCommand {
    /// Facebook Login with your own Meta app: links every Page you manage and the Instagram
    /// accounts linked to them (each starts disabled unless --enable).
    Meta {
        /// Your Meta app's id (developers.facebook.com → your app); its secret is read from
        /// standard input. Saved in the secret store; later logins need neither.
        #[arg(long, value_name = "ID")]
        app_id: Option<String>,
        /// Print the login address instead of opening the browser.
        #[arg(long)]
        no_browser: bool,
        /// How long to wait for the browser to come back, in minutes.
        #[arg(long, value_name = "MINUTES", default_value_t = 10)]
        wait_minutes: u64,
        /// The Graph API's address, for testing against a stand-in.
        #[arg(long, value_name = "URL", hide = true)]
        graph: Option<String>,
        /// Facebook Login's address, for testing against a stand-in.
        #[arg(long, value_name = "URL", hide = true)]
        dialog: Option<String>,
        #[command(flatten)]
        common: AddCommon,
    },
    /// Sign in to a Mastodon server in the browser (Fanout registers itself on the server the
    /// first time): nothing to copy or paste.
    Mastodon {
        /// The server, like mastodon.social or https://fosstodon.org.
        #[arg(long, value_name = "URL")]
        server: String,
        /// Print the sign-in address instead of opening the browser.
        #[arg(long)]
        no_browser: bool,
        /// How long to wait for the browser to come back, in minutes.
        #[arg(long, value_name = "MINUTES", default_value_t = 10)]
        wait_minutes: u64,
        #[command(flatten)]
        common: AddCommon,
    },
    /// Threads' own login with your Meta app's Threads app id (its secret on standard input the
    /// first time). Threads sends the browser back only to an https address registered in the
    /// app: after allowing Fanout, paste the address the browser was sent to.
    Threads {
        /// Your app's Threads app id (App settings → Basic → Threads app id).
        #[arg(long, value_name = "ID")]
        app_id: Option<String>,
        /// The redirect address registered in the app's Threads settings.
        #[arg(long, value_name = "URL", default_value = fanout_core::threads_login::DEFAULT_REDIRECT)]
        redirect_uri: String,
        /// Print the login address instead of opening the browser.
        #[arg(long)]
        no_browser: bool,
        /// The Threads API's address, for testing against a stand-in.
        #[arg(long, value_name = "URL", hide = true)]
        api: Option<String>,
        /// The authorization window's address, for testing against a stand-in.
        #[arg(long, value_name = "URL", hide = true)]
        dialog: Option<String>,
        #[command(flatten)]
        common: AddCommon,
    },
}

#[derive(Debug, Args)]
pub struct PostArgs {
    /// The post's text; `-` reads it from standard input (for a long one, or from another program).
    #[arg(required_unless_present = "text_file", conflicts_with = "text_file")]
    pub text: Option<String>,
    /// Read the post's text from this UTF-8 file instead.
    #[arg(long, value_name = "FILE")]
    pub text_file: Option<PathBuf>,
    #[command(flatten)]
    pub files: MediaArgs,
    /// An account to post to, by name or id (repeatable).
    #[arg(long = "to", value_name = "ACCOUNT")]
    pub to: Vec<String>,
    /// Post at this time instead of now (RFC 3339, e.g. 2026-12-01T09:30:00+01:00).
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<String>,
    /// Post at each account's next free posting time (`fanout queue`) instead of now.
    #[arg(long, conflicts_with_all = ["at", "wait"])]
    pub queue: bool,
    /// Deliver now and show progress per target until each is settled.
    #[arg(long)]
    pub wait: bool,
    /// Share it as a story (Facebook Page and Instagram stories; elsewhere the photo padded to
    /// 9:16): one photo or video, no text shown.
    #[arg(long)]
    pub story: bool,
    /// Share it even where the same post went to an account in the last 7 days.
    #[arg(long)]
    pub again: bool,
    /// Instagram targets add this comment under the post once it is live (hashtags, a link).
    #[arg(long, value_name = "TEXT")]
    pub first_comment: Option<String>,
    /// WhatsApp targets message the people on this recipient list (one delivery each).
    #[arg(long, value_name = "LIST")]
    pub list: Option<String>,
    /// WhatsApp targets send this approved template instead of the text (NAME or NAME:LANGUAGE;
    /// see `fanout templates ACCOUNT`): the only kind of message that reaches people who have not
    /// written to you in the last 24 hours.
    #[arg(long, value_name = "NAME")]
    pub template: Option<String>,
    /// The template's values, in order: the first --value fills {{1}} (repeatable).
    #[arg(long = "value", value_name = "TEXT", requires = "template")]
    pub values: Vec<String>,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub tuning: WorkerTuning,
}

/// A post's photos and videos, each with what it shows.
#[derive(Debug, Args)]
pub struct MediaArgs {
    /// A photo or video to attach (repeatable).
    #[arg(long, value_name = "FILE")]
    pub media: Vec<PathBuf>,
    /// What a file shows, for people who cannot see it: the first --alt describes the first file,
    /// the second the second, and so on (repeatable).
    #[arg(long, value_name = "TEXT")]
    pub alt: Vec<String>,
    /// An account's own order of the files, by their positions: `--order shop=3,1,2` sends the
    /// third file first to "shop" (repeatable, one per account; the others keep the given order).
    #[arg(long, value_name = "ACCOUNT=N,N,…", value_parser = parse_order)]
    pub order: Vec<(String, Vec<usize>)>,
}

/// `ACCOUNT=2,1,3` as the account and the 0-based positions.
fn parse_order(value: &str) -> Result<(String, Vec<usize>), String> {
    let (account, list) = value
        .rsplit_once('=')
        .filter(|(a, l)| !a.trim().is_empty() && !l.trim().is_empty())
        .ok_or_else(|| format!("'{value}' is not ACCOUNT=N,N,…: name the account, then the files' positions"))?;
    let positions = list
        .split(',')
        .map(|n| match n.trim().parse::<usize>() {
            Ok(p) if p >= 1 => Ok(p - 1),
            _ => Err(format!("'{}' is not a file's position: the first --media file is 1", n.trim())),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((account.trim().to_owned(), positions))
}

/// What to change in a post; every option left out keeps what the post has.
#[derive(Debug, Args)]
pub struct EditArgs {
    /// The post: its id as `fanout post` printed it (a unique end of it is enough), or the id of
    /// one of its deliveries as `fanout outbox` shows it.
    #[arg(value_name = "POST")]
    pub post: String,
    /// The new text; `-` reads it from standard input.
    #[arg(long, value_name = "TEXT", conflicts_with = "text_file")]
    pub text: Option<String>,
    /// Read the new text from this UTF-8 file.
    #[arg(long, value_name = "FILE")]
    pub text_file: Option<PathBuf>,
    // --media in place of the post's files; --alt alone describes the post's own files.
    #[command(flatten)]
    pub files: MediaArgs,
    /// Take every file off the post.
    #[arg(long, conflicts_with_all = ["media", "alt", "order"])]
    pub no_media: bool,
    /// The accounts to post to, by name or id (repeatable), in place of the post's: the others'
    /// deliveries are dropped.
    #[arg(long = "to", value_name = "ACCOUNT")]
    pub to: Vec<String>,
    /// The new time (RFC 3339, e.g. 2026-12-01T09:30:00+01:00).
    #[arg(long, value_name = "RFC3339", conflicts_with = "now")]
    pub at: Option<String>,
    /// Send it as soon as a worker runs instead of at its time.
    #[arg(long)]
    pub now: bool,
    /// WhatsApp targets message the people on this recipient list (a post does not keep the list
    /// it was queued with, so a post with WhatsApp targets needs it again).
    #[arg(long, value_name = "LIST")]
    pub list: Option<String>,
    /// Keep it even where the same post went to an account in the last 7 days.
    #[arg(long)]
    pub again: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CancelArgs {
    /// The delivery (a unique end of its id, as `fanout outbox` shows it).
    #[arg(required_unless_present = "post", conflicts_with = "post")]
    pub id: Option<String>,
    /// Cancel every delivery of this post that has not gone out: the post's id (a unique end is
    /// enough) or one of its deliveries'.
    #[arg(long, value_name = "POST")]
    pub post: Option<String>,
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct ResolveHow {
    /// You saw it live: mark it sent.
    #[arg(long)]
    pub sent: bool,
    /// You checked it is not live: send it again.
    #[arg(long)]
    pub resend: bool,
}

#[derive(Debug, Args)]
pub struct ResolveArgs {
    pub id: String,
    #[command(flatten)]
    pub how: ResolveHow,
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// Exit when nothing is due and nothing is running.
    #[arg(long)]
    pub once: bool,
    #[command(flatten)]
    pub tuning: WorkerTuning,
}

/// Advanced delivery settings; the defaults suit normal use.
#[derive(Debug, Args, Clone)]
pub struct WorkerTuning {
    /// How long a claimed delivery stays reserved without a heartbeat, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 60_000)]
    pub lease_ms: u64,
    /// Deliveries in flight at once (different accounts).
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub concurrency: usize,
    /// Least time between two deliveries to one account, in milliseconds (default: per network).
    #[arg(long, value_name = "MS")]
    pub pace_ms: Option<u64>,
    /// First retry waits up to this long, in milliseconds; each further one up to twice as long.
    #[arg(long, value_name = "MS", default_value_t = 5_000)]
    pub retry_base_ms: u64,
    /// Attempts before a delivery is marked failed.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub max_attempts: u32,
    /// Wait before asking a platform about a publish whose answer was lost, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 5_000)]
    pub reconcile_ms: u64,
}

#[derive(Debug, Args)]
pub struct PrepareArgs {
    /// Photos or videos to prepare.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The target to fit them to (e.g. instagram-feed, bluesky, mastodon, facebook-story).
    #[arg(long = "for", value_name = "TARGET")]
    pub target: String,
    /// The point to keep in view when cropping, as X,Y from 0 to 1 (default 0.5,0.5).
    #[arg(long, value_name = "X,Y")]
    pub focus: Option<String>,
    /// Crop to the target's shape, or pad (blurred background; pad-solid: white).
    #[arg(long, value_enum, default_value_t = FitArg::Crop)]
    pub fit: FitArg,
    /// Write the prepared files into this folder.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FitArg {
    Crop,
    Pad,
    PadSolid,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The post's text.
    pub text: String,
    /// A photo or video to attach (repeatable).
    #[arg(long, value_name = "FILE")]
    pub media: Vec<PathBuf>,
    /// A target kind (repeatable): instagram-feed, bluesky, threads, mastodon, telegram, …
    #[arg(long = "for", value_name = "TARGET", required = true)]
    pub targets: Vec<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct HandoffArgs {
    /// The text to share.
    pub text: String,
    /// whatsapp, telegram, messenger, facebook, threads, bluesky, x or email.
    #[arg(long = "to", value_name = "APP")]
    pub to: String,
    /// The link to share (default: the first link in the text).
    #[arg(long)]
    pub link: Option<String>,
    /// Photos to prepare for the app, to attach by hand (a share link cannot carry files).
    #[arg(long, value_name = "FILE")]
    pub media: Vec<PathBuf>,
    /// Where the prepared photos go (default: a folder in the temporary directory).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Open the share page in the browser or app.
    #[arg(long)]
    pub open: bool,
    #[arg(long)]
    pub json: bool,
}
