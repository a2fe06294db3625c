//! The one list of the networks Fanout delivers to: a network is registered by one line here
//! (its kind, its id, its name in English, and its implementation in `networks`). This module
//! declares [`NetworkKind`] from the list and depends on nothing; `networks` makes each kind's
//! implementation from the same list, so the data (`model`) can name a kind without depending on
//! the networks that deliver to it.

/// Hands the registered networks to a macro: `registered!(then)` expands `then! { list }`.
macro_rules! registered {
    ($then:ident) => {
        $then! {
            Mastodon = "mastodon", "Mastodon", mastodon::Mastodon;
            /// A Bluesky account (AT Protocol), with an app password.
            Bluesky = "bluesky", "Bluesky", bluesky::Bluesky::default();
            Discord = "discord", "Discord webhook", discord::Discord;
            /// A Facebook Page, through the Graph API.
            Facebook = "facebook", "Facebook Page", facebook::Facebook;
            /// An Instagram professional account, through the Graph API's container flow.
            Instagram = "instagram", "Instagram", instagram::Instagram;
            /// A Threads profile, through its own Graph API.
            Threads = "threads", "Threads", threads::Threads;
            /// A WhatsApp Business phone number, messaging lists of opted-in recipients (Cloud API).
            WhatsApp = "whatsapp", "WhatsApp", whatsapp::WhatsApp;
            /// One room of a Matrix homeserver, as a user of it.
            Matrix = "matrix", "Matrix room", matrix::Matrix;
            /// A Telegram channel or group, through a bot.
            Telegram = "telegram", "Telegram", telegram::Telegram;
            /// A Slack channel's incoming webhook.
            Slack = "slack", "Slack webhook", chat_webhooks::ChatWebhook(chat_webhooks::Chat::Slack);
            /// A Microsoft Teams channel's Workflows webhook.
            Teams = "teams", "Microsoft Teams webhook", chat_webhooks::ChatWebhook(chat_webhooks::Chat::Teams);
            /// A Google Chat space's incoming webhook.
            GoogleChat = "google_chat", "Google Chat webhook", chat_webhooks::ChatWebhook(chat_webhooks::Chat::GoogleChat);
            /// A Nostr key, posting signed notes to its relays, with media on a Blossom server.
            Nostr = "nostr", "Nostr", nostr::Nostr;
        }
    };
}
pub(crate) use registered;

/// Declares [`NetworkKind`] from the list.
macro_rules! kinds {
    ($($(#[$doc:meta])* $kind:ident = $id:literal, $name:literal, $make:expr;)*) => {
        /// A network Fanout delivers to; the app offers them in this order.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum NetworkKind {
            $($(#[$doc])* $kind,)*
        }

        impl NetworkKind {
            pub const ALL: [NetworkKind; [$($id),*].len()] = [$(NetworkKind::$kind),*];

            /// Its id: kept in the database, the CLI's `accounts add <id>`, the app's keys.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$kind => $id,)*
                }
            }

            /// What kind of account it is, in English (the app words it by `as_str`).
            pub fn display_name(self) -> &'static str {
                match self {
                    $(Self::$kind => $name,)*
                }
            }
        }
    };
}

registered!(kinds);
