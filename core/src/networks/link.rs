//! Linking an account, the same for every network: the values a user gives (described by each
//! network's [`Field`]s, which the CLI and the app ask for), checked and made into an account to
//! verify by the network's `prepare_link`. Nothing here names a network.

use std::collections::BTreeMap;

use url::Url;

use crate::error::{Error, Result};
use crate::model::{AccountOptions, NetworkKind};
use crate::secrets::Secret;

/// One value a user gives to link an account of a network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// How the value is named in [`LinkValues`] (and in the CLI's flags, with dashes).
    pub key: &'static str,
    pub kind: FieldKind,
    /// Linking fails without it. Some networks take one of several (a token or a password).
    pub required: bool,
    /// What it is, in a few words (the CLI's help; the app words it by `key`); for a secret, the
    /// bare noun ("access token").
    pub label: &'static str,
    /// Only for testing against a stand-in (an API's root), or set by a sign-in, not typed.
    pub hidden: bool,
    /// What a value looks like (`@mychannel`, `https://`): the form's placeholder.
    pub example: Option<&'static str>,
    /// Typed as digits (an id a platform shows as a number).
    pub numeric: bool,
    /// One of several ways to sign in: the fields of one way are given together, instead of
    /// another way's (a Matrix user and password, or an access token). Each is optional alone;
    /// `prepare_link` says which way is missing what.
    pub way: Option<&'static str>,
}

impl Field {
    const fn new(key: &'static str, kind: FieldKind, label: &'static str) -> Self {
        Self { key, kind, required: true, label, hidden: false, example: None, numeric: false, way: None }
    }

    /// A required text value (an id, a handle, a room).
    pub const fn text(key: &'static str, label: &'static str) -> Self {
        Self::new(key, FieldKind::Text, label)
    }

    /// A required web address.
    pub const fn address(key: &'static str, label: &'static str) -> Self {
        Self::new(key, FieldKind::Address, label)
    }

    /// A required secret; `label` is its bare noun ("access token").
    pub const fn secret(key: &'static str, label: &'static str) -> Self {
        Self::new(key, FieldKind::Secret, label)
    }

    /// An optional bucket, under the key `bucket`, that the platform reads by presigned address.
    pub const fn bucket(label: &'static str) -> Self {
        Self::new("bucket", FieldKind::Bucket { public: false }, label).optional()
    }

    /// An optional bucket whose files anyone can read at its public address (a team chat shows
    /// pictures from there for as long as the message is read).
    pub const fn public_bucket(label: &'static str) -> Self {
        Self::new("bucket", FieldKind::Bucket { public: true }, label).optional()
    }

    pub const fn example(self, example: &'static str) -> Self {
        Self { example: Some(example), ..self }
    }

    pub const fn numeric(self) -> Self {
        Self { numeric: true, ..self }
    }

    /// One of the ways to sign in (see [`Field::way`]); optional alone.
    pub const fn way(self, way: &'static str) -> Self {
        Self { way: Some(way), ..self.optional() }
    }

    pub const fn optional(self) -> Self {
        Self { required: false, ..self }
    }

    /// Optional and not offered to type: an API's root for testing, a value a sign-in sets.
    pub const fn hidden(self) -> Self {
        Self { hidden: true, ..self.optional() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Shown as typed: an id, a handle, a room.
    Text,
    /// A web address (a server, an API root for testing).
    Address,
    /// Never shown again, never logged: a token, a password, a webhook address.
    Secret,
    /// An S3-compatible bucket for media the network fetches by address; `public` when the
    /// network shows files from its public address.
    Bucket { public: bool },
}

/// What the user gave to link an account: its network and the values by [`Field::key`].
#[derive(Debug, Clone)]
pub struct Credentials {
    pub network: NetworkKind,
    pub values: LinkValues,
}

impl Credentials {
    pub fn new(network: NetworkKind) -> Self {
        Self { network, values: LinkValues::default() }
    }

    /// With a text value (an id, a handle, an address); an empty one counts as not given.
    pub fn text(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.values.texts.insert(key, value.into());
        self
    }

    /// With a text value when there is one.
    pub fn maybe_text(self, key: &'static str, value: Option<impl Into<String>>) -> Self {
        match value {
            Some(value) => self.text(key, value),
            None => self,
        }
    }

    pub fn secret(mut self, key: &'static str, value: Secret) -> Self {
        self.values.secrets.insert(key, value);
        self
    }

    pub fn bucket(mut self, bucket: Option<BucketHost>) -> Self {
        self.values.bucket = bucket;
        self
    }

    /// The values given by field key (a form's, a demo account's) for a network with `fields`.
    pub fn from_values<K: AsRef<str>>(
        network: NetworkKind,
        fields: &[Field],
        values: impl IntoIterator<Item = (K, String)>,
    ) -> Result<Self> {
        values
            .into_iter()
            .try_fold(Self::new(network), |credentials, (key, value)| credentials.given(fields, key.as_ref(), value))
    }

    /// With the value a form gave for the field named `key` of the network's `fields`: a secret
    /// for a secret field, a text otherwise. A key the network does not ask for is refused.
    pub fn given(self, fields: &[Field], key: &str, value: String) -> Result<Self> {
        let Some(field) = fields.iter().find(|f| f.key == key && !matches!(f.kind, FieldKind::Bucket { .. })) else {
            return Err(Error::invalid(format!("{} accounts have no field '{key}'", self.network.display_name())));
        };
        Ok(match field.kind {
            FieldKind::Secret => self.secret(field.key, Secret::new(value)),
            _ => self.text(field.key, value),
        })
    }
}

/// The values of a link, by [`Field::key`].
#[derive(Debug, Clone, Default)]
pub struct LinkValues {
    texts: BTreeMap<&'static str, String>,
    secrets: BTreeMap<&'static str, Secret>,
    bucket: Option<BucketHost>,
}

impl LinkValues {
    /// The text under `key`, trimmed; none when it is missing or blank.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.texts.get(key).map(|t| t.trim()).filter(|t| !t.is_empty())
    }

    /// The text under `key` as given (trimmed), empty when missing: for values a network checks
    /// and words itself.
    pub fn given(&self, key: &str) -> &str {
        self.texts.get(key).map_or("", |t| t.trim())
    }

    /// The secret under `key`, trimmed; none when it is missing or blank.
    pub fn secret(&self, key: &str) -> Option<Secret> {
        self.secrets.get(key).map(|s| s.expose().trim()).filter(|s| !s.is_empty()).map(Secret::new)
    }

    pub fn bucket(&self) -> Option<&BucketHost> {
        self.bucket.as_ref()
    }

    /// The secret under `token`, required.
    pub fn access_token(&self) -> Result<Secret> {
        self.secret("token")
            .ok_or_else(|| Error::invalid("the access token is empty: give the token the platform issued"))
    }
}

/// A checked link, ready to be verified with the platform: where the account is, who it is where
/// the user said so, its options, and the secret to keep.
#[derive(Debug, Clone)]
pub struct Linking {
    pub endpoint: String,
    pub remote_id: Option<String>,
    pub options: AccountOptions,
    pub secret: Secret,
    /// The bucket's secret key, kept beside the account's secret.
    pub host_secret: Option<Secret>,
    /// Facts to keep with the platform's own (a login's token expiry).
    pub facts: serde_json::Map<String, serde_json::Value>,
}

impl Linking {
    pub fn new(endpoint: String, secret: Secret) -> Self {
        Self {
            endpoint,
            remote_id: None,
            options: AccountOptions::default(),
            secret,
            host_secret: None,
            facts: serde_json::Map::new(),
        }
    }

    pub fn remote(mut self, remote_id: impl Into<String>) -> Self {
        self.remote_id = Some(remote_id.into());
        self
    }

    /// With `bucket` as where the platform fetches media from.
    pub fn hosted(mut self, bucket: Option<&BucketHost>) -> Result<Self> {
        if let Some(bucket) = bucket {
            self.options.media_host = Some(bucket.media_host()?);
            self.host_secret = Some(bucket.secret_access_key.clone());
        }
        Ok(self)
    }
}

/// An S3-compatible bucket (AWS, MinIO, Cloudflare R2, Backblaze B2…) for media a platform
/// fetches by address. The bucket can stay private: Fanout hands out presigned addresses.
#[derive(Debug, Clone)]
pub struct BucketHost {
    /// The S3 endpoint, e.g. `https://s3.eu-central-1.amazonaws.com`.
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: Secret,
    /// `endpoint/bucket/key` rather than `bucket.endpoint/key` (MinIO and most self-hosted).
    pub path_style: bool,
    /// Where anyone can read the bucket's files; a team chat needs it (its pictures are shown
    /// from there for as long as the message is read).
    pub public_url: Option<String>,
}

impl BucketHost {
    pub(crate) fn media_host(&self) -> Result<crate::model::MediaHost> {
        let endpoint = parse_base("the bucket's endpoint", &self.endpoint)?;
        let name = self.bucket.trim();
        if name.len() < 3
            || name.len() > 63
            || !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        {
            return Err(Error::invalid(format!(
                "'{name}' is not an S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens)"
            )));
        }
        if self.access_key_id.trim().is_empty() || self.secret_access_key.expose().trim().is_empty() {
            return Err(Error::invalid("the bucket needs an access key id and its secret key"));
        }
        let region = if self.region.trim().is_empty() { "us-east-1" } else { self.region.trim() };
        Ok(crate::model::MediaHost::S3 {
            endpoint: endpoint.as_str().trim_end_matches('/').to_owned(),
            bucket: name.to_owned(),
            region: region.to_owned(),
            access_key_id: self.access_key_id.trim().to_owned(),
            path_style: self.path_style,
            public_url: match self.public_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
                Some(address) => Some(parse_base("the bucket's public address", address)?.to_string()),
                None => None,
            },
        })
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// An address the user gave for `what`: https, or plain http only for this machine's own test
/// servers; `https://` is assumed when no scheme is given.
pub fn parse_base(what: &str, input: &str) -> Result<Url> {
    let input = input.trim();
    let with_scheme = if input.contains("://") { input.to_owned() } else { format!("https://{input}") };
    let url =
        Url::parse(&with_scheme).map_err(|_| Error::invalid(format!("{what} '{input}' is not a valid address")))?;
    if url.host_str().is_none() {
        return Err(Error::invalid(format!("{what} '{input}' has no host name")));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(Error::invalid(format!(
                "{what} must use https:// (plain http is only accepted for this machine's own test servers)"
            )));
        }
        other => return Err(Error::invalid(format!("{what} must be an https:// address, not {other}://"))),
    }
    Ok(url)
}

/// The address's scheme, host and port.
pub fn origin(url: &Url) -> String {
    let mut s = format!("{}://{}", url.scheme(), url.host_str().unwrap_or_default());
    if let Some(port) = url.port() {
        s.push_str(&format!(":{port}"));
    }
    s
}

/// A base address as kept: parsed, without its trailing slash.
pub fn base(what: &str, input: &str) -> Result<String> {
    Ok(parse_base(what, input)?.as_str().trim_end_matches('/').to_owned())
}
