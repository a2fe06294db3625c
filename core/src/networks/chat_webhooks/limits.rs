//! The team chats' rows of the profiles table (`crate::profiles`): what a post may contain and
//! which images and videos it takes, with the sources of each number.

use crate::profiles::*;

// Team-chat webhooks carry no files: a picture is shown from a public address. Google Chat's
// image widget takes PNG or JPG and recommends at most 2 MB
// (https://developers.google.com/workspace/chat/add-text-image-card-dialog); Slack's image block
// and Teams' Adaptive Card Image show the same. One rule for all three, the strictest.
const CHAT_IMAGE: ImageRules =
    ImageRules { formats: JPEG_PNG, max_bytes: 2 * MB, max_width: 2048, target_width: 1600, ..ImageRules::BASE };

#[allow(non_upper_case_globals)]
impl Target {
    pub const Slack: Target = Target::of(&SLACK);
    pub const Teams: Target = Target::of(&TEAMS);
    pub const GoogleChat: Target = Target::of(&GOOGLE_CHAT);
}

pub(crate) const SLACK: Profile = Profile {
    id: "slack",
    name: "Slack",
    // Slack truncates `text` beyond 40,000 characters
    // (https://api.slack.com/changelog/2018-04-truncating-really-long-messages). This holds
    // for the top-level `text` only: a section block takes 3,000.
    text_limit: 40_000,
    text_required: true,
    // Incoming webhooks carry no files (upload needs a bot token): pictures are image blocks
    // with a public address. A message takes 50 blocks; Fanout sends at most 10 pictures.
    max_media: 10,
    image: Some(CHAT_IMAGE),
    media_by_public_url: true,
    source: "Slack's limit",
    notes: "Incoming webhooks carry no files: pictures are shown from the account's public bucket.",
    ..Profile::BASE
};

pub(crate) const TEAMS: Profile = Profile {
    id: "teams",
    name: "Microsoft Teams",
    // The whole payload must stay under 28 KB
    // (https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook);
    // the msteams_hermes gem measured 21,000 bytes in practice. Take 21,000, less ~1,000 for
    // the Adaptive Card envelope and JSON escaping.
    text_limit: 20_000,
    text_count: TextCounting::Utf8Bytes,
    text_required: true,
    // Pictures are Adaptive Card images with a public address.
    max_media: 10,
    image: Some(CHAT_IMAGE),
    media_by_public_url: true,
    source: "Microsoft Teams's limit",
    notes: "Workflows webhooks carry no files: pictures are shown from the account's public bucket.",
    ..Profile::BASE
};

pub(crate) const GOOGLE_CHAT: Profile = Profile {
    id: "google-chat",
    name: "Google Chat",
    // The API allows 32,000 bytes per message including cards
    // (https://developers.google.com/chat/reference/rest/v1/spaces.messages/create); the
    // commonly cited text limit is 4,096 characters. Take 4,096 characters, which also stays
    // under 32,000 bytes.
    text_limit: 4_096,
    text_required: true,
    // Pictures are card image widgets with a public address.
    max_media: 10,
    image: Some(CHAT_IMAGE),
    media_by_public_url: true,
    source: "Google Chat's limit",
    notes: "Incoming webhooks carry no files: pictures are shown from the account's public bucket.",
    ..Profile::BASE
};
