//! `fanout accounts add <network> …`: one subcommand per network, built with clap's builder API
//! from the network's link fields (`Network::link_fields`), so a network added to core's registry
//! is linkable from the command line with no code here. A text field is `--key VALUE`, a secret
//! is `--key-stdin` (read from standard input, one line each, in the fields' order, then a
//! bucket's secret key), a bucket is the `--bucket…` options.

use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches, Subcommand};
use fanout_core::model::NetworkKind;
use fanout_core::networks::Registry;
use fanout_core::networks::link::{Field, FieldKind};

/// An S3-compatible bucket for media a network fetches by address (Instagram instead of the
/// Facebook Page, Threads, a team chat's pictures). Its secret key is read from standard input, on
/// the line after the account's secret.
#[derive(Debug, Args)]
pub struct BucketArgs {
    /// The bucket's name.
    #[arg(long, value_name = "NAME", requires = "bucket_endpoint")]
    pub bucket: Option<String>,
    /// The S3 endpoint, e.g. https://s3.eu-central-1.amazonaws.com.
    #[arg(long, value_name = "URL", requires = "bucket")]
    pub bucket_endpoint: Option<String>,
    /// The bucket's region.
    #[arg(long, value_name = "REGION", default_value = "us-east-1")]
    pub bucket_region: String,
    /// The access key id (its secret key comes on standard input, after the token).
    #[arg(long, value_name = "ID", requires = "bucket")]
    pub bucket_key_id: Option<String>,
    /// Address objects as ENDPOINT/BUCKET/KEY (MinIO and most self-hosted servers).
    #[arg(long)]
    pub bucket_path_style: bool,
    /// Where anyone can read the bucket's files (a public bucket, a CDN, R2's public domain):
    /// a team chat shows its pictures from there, so they stay.
    #[arg(long, value_name = "URL", requires = "bucket")]
    pub bucket_public_url: Option<String>,
}

#[derive(Debug, Args)]
pub struct AddCommon {
    /// A short name to refer to the account by.
    #[arg(long)]
    pub name: Option<String>,
    /// Enable the account right away.
    #[arg(long)]
    pub enable: bool,
    #[arg(long)]
    pub json: bool,
}

/// A network's subcommand name: its id with dashes (`google-chat`).
fn command_name(kind: NetworkKind) -> String {
    kind.as_str().replace('_', "-")
}

/// The flag a secret is read by: `--token-stdin`.
fn stdin_id(field: &Field) -> String {
    format!("{}_stdin", field.key)
}

/// What the user gave to `accounts add <network>`.
#[derive(Debug)]
pub struct AddArgs {
    pub network: NetworkKind,
    /// The text fields given, by key.
    pub texts: Vec<(&'static str, String)>,
    /// The secrets to read from standard input, in order: (key, what it is).
    pub secrets: Vec<(&'static str, &'static str)>,
    pub bucket: Option<BucketArgs>,
    pub common: AddCommon,
}

fn subcommand(kind: NetworkKind, registry: &Registry) -> Command {
    let network = registry.get(kind);
    let mut command = Command::new(command_name(kind));
    for field in network.link_fields() {
        command = match field.kind {
            FieldKind::Text | FieldKind::Address => command.arg(
                Arg::new(field.key)
                    .long(field.key.replace('_', "-"))
                    .value_name(if field.kind == FieldKind::Address {
                        "URL".to_owned()
                    } else {
                        field.key.to_uppercase()
                    })
                    .required(field.required)
                    .hide(field.hidden)
                    .help(capitalised(field.label)),
            ),
            FieldKind::Secret => command.arg(
                Arg::new(stdin_id(field))
                    .long(format!("{}-stdin", field.key.replace('_', "-")))
                    .action(ArgAction::SetTrue)
                    .required(field.required)
                    .hide(field.hidden)
                    .help(format!(
                        "Read the {} from standard input (never from the command line, where others could see it)",
                        field.label
                    )),
            ),
            FieldKind::Bucket { .. } => BucketArgs::augment_args(command),
        };
    }
    // Last: a flattened group's own doc comment would otherwise be the command's about.
    let secrets = network.link_fields().iter().any(|f| f.kind == FieldKind::Secret && !f.hidden);
    let about = if secrets {
        format!("{}. Secrets are read from standard input, one line each", network.link_about())
    } else {
        network.link_about().to_owned()
    };
    AddCommon::augment_args(command).about(about)
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

impl Subcommand for AddArgs {
    fn augment_subcommands(command: Command) -> Command {
        let registry = Registry::default();
        NetworkKind::ALL.iter().fold(command, |command, kind| command.subcommand(subcommand(*kind, &registry)))
    }

    fn augment_subcommands_for_update(command: Command) -> Command {
        Self::augment_subcommands(command)
    }

    fn has_subcommand(name: &str) -> bool {
        NetworkKind::ALL.iter().any(|kind| command_name(*kind) == name)
    }
}

impl FromArgMatches for AddArgs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let Some((name, sub)) = matches.subcommand() else {
            return Err(clap::Error::new(clap::error::ErrorKind::MissingSubcommand));
        };
        let Some(network) = NetworkKind::ALL.iter().copied().find(|kind| command_name(*kind) == name) else {
            return Err(clap::Error::new(clap::error::ErrorKind::InvalidSubcommand));
        };
        let registry = Registry::default();
        let fields = registry.get(network).link_fields();
        let mut args = AddArgs {
            network,
            texts: Vec::new(),
            secrets: Vec::new(),
            bucket: None,
            common: AddCommon::from_arg_matches(sub)?,
        };
        for field in fields {
            match field.kind {
                FieldKind::Text | FieldKind::Address => {
                    if let Some(value) = sub.get_one::<String>(field.key) {
                        args.texts.push((field.key, value.clone()));
                    }
                }
                FieldKind::Secret => {
                    if sub.get_flag(&stdin_id(field)) {
                        args.secrets.push((field.key, field.label));
                    }
                }
                FieldKind::Bucket { .. } => args.bucket = Some(BucketArgs::from_arg_matches(sub)?),
            }
        }
        Ok(args)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registered_network_has_a_subcommand_asking_for_each_of_its_fields() {
        let command = AddArgs::augment_subcommands(Command::new("add"));
        let registry = Registry::default();
        for kind in NetworkKind::ALL {
            let name = command_name(kind);
            let sub = command.find_subcommand(&name).unwrap_or_else(|| panic!("`add {name}`"));
            for field in registry.get(kind).link_fields() {
                let id = match field.kind {
                    FieldKind::Secret => stdin_id(field),
                    FieldKind::Bucket { .. } => "bucket".to_owned(),
                    FieldKind::Text | FieldKind::Address => field.key.to_owned(),
                };
                let arg = sub.get_arguments().find(|a| a.get_id() == id.as_str());
                let arg = arg.unwrap_or_else(|| panic!("`add {name}` asks for {}", field.key));
                assert_eq!(
                    arg.is_required_set(),
                    field.required && !matches!(field.kind, FieldKind::Bucket { .. }),
                    "{name} {id}"
                );
            }
        }
    }

    #[test]
    fn given_values_are_read_by_key_and_secrets_in_order() {
        let command = AddArgs::augment_subcommands(Command::new("add").subcommand_required(true));
        let matches = command
            .try_get_matches_from([
                "add",
                "matrix",
                "--homeserver",
                "https://m.example",
                "--room",
                "#r:m.example",
                "--user",
                "ann",
                "--password-stdin",
            ])
            .expect("parses");
        let args = AddArgs::from_arg_matches(&matches).expect("read");
        assert_eq!(args.network, NetworkKind::Matrix);
        assert_eq!(
            args.texts,
            [
                ("homeserver", "https://m.example".to_owned()),
                ("room", "#r:m.example".to_owned()),
                ("user", "ann".to_owned())
            ]
        );
        assert_eq!(args.secrets, [("password", "password")]);
        let missing =
            AddArgs::augment_subcommands(Command::new("add")).try_get_matches_from(["add", "telegram", "--chat", "@x"]);
        assert!(missing.expect_err("no --token-stdin").to_string().contains("--token-stdin"));
    }
}
