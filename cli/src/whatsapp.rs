//! `fanout recipients …`, `fanout templates …` and the WhatsApp half of `fanout post`: the lists
//! of people who opted in, and the approved template a post sends to them.

use std::io::BufRead;

use fanout_core::error::{Error, Result};
use fanout_core::model::TemplateInfo;
use fanout_core::model::{RecipientList, Template};
use fanout_core::post::Draft;
use fanout_core::recipients::parse_entry;
use serde_json::json;

use crate::args::{PostArgs, RecipientsCommand};
use crate::context::Context;

fn list_json(list: &RecipientList) -> serde_json::Value {
    let members: Vec<_> = list
        .members
        .iter()
        .map(|m| {
            json!({ "phone": m.recipient.phone, "name": m.recipient.name, "optedInAt": m.opted_in_at.to_rfc3339() })
        })
        .collect();
    json!({ "id": list.id.to_string(), "name": list.name, "members": members })
}

fn print_list(list: &RecipientList) {
    out!("{} — {} {}", list.name, list.members.len(), if list.members.len() == 1 { "person" } else { "people" });
    for m in &list.members {
        out!(
            "  {:<18} {:<28} opted in {}",
            m.recipient.phone,
            m.recipient.name.as_deref().unwrap_or(""),
            m.opted_in_at.to_rfc3339()
        );
    }
}

/// The people to add: the arguments, then the file's lines.
fn people(args: &[String], file: Option<&std::path::Path>) -> Result<Vec<fanout_core::model::Recipient>> {
    let mut lines: Vec<(String, String)> = args.iter().map(|a| (format!("'{a}'"), a.clone())).collect();
    if let Some(path) = file {
        let opened = std::fs::File::open(path).map_err(|e| Error::io(format!("cannot open {}", path.display()), e))?;
        for (n, line) in std::io::BufReader::new(opened).lines().enumerate() {
            let line = line.map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
            if !line.trim().is_empty() && !line.trim_start().starts_with('#') {
                lines.push((format!("{} line {}", path.display(), n + 1), line));
            }
        }
    }
    lines.iter().map(|(place, line)| parse_entry(line).map_err(|e| Error::invalid(format!("{place}: {e}")))).collect()
}

pub async fn recipients(cx: &Context, command: &RecipientsCommand) -> Result<u8> {
    let lists = cx.recipient_lists();
    match command {
        RecipientsCommand::List { account, json } => {
            let found = lists.lists(account)?;
            if *json {
                println!("{}", crate::terminal::json(&serde_json::Value::Array(found.iter().map(list_json).collect())));
            } else if found.is_empty() {
                out!(
                    "'{account}' has no recipient lists yet; make one with `fanout recipients create {account} NAME`."
                );
            } else {
                found.iter().for_each(print_list);
            }
        }
        RecipientsCommand::Create { account, list } => {
            let made = lists.create(account, list)?;
            out!(
                "Made the list '{}'. Add people who opted in with `fanout recipients add {account} '{}' +31… --opted-in`.",
                made.name,
                made.name
            );
        }
        RecipientsCommand::Add { account, list, people: given, file, opted_in } => {
            let people = people(given, file.as_deref())?;
            let updated = lists.add(account, list, &people, *opted_in)?;
            out!("Added {} to '{}'.", people.len(), updated.name);
            print_list(&updated);
        }
        RecipientsCommand::Remove { account, list, phone } => {
            let updated = lists.remove(account, list, phone)?;
            out!("Removed {} from '{}'.", phone.trim(), updated.name);
        }
        RecipientsCommand::Delete { account, list } => {
            lists.delete(account, list)?;
            out!("Deleted the list '{}'.", list.trim());
        }
    }
    Ok(0)
}

fn template_json(t: &TemplateInfo) -> serde_json::Value {
    json!({ "name": t.name, "language": t.language, "category": t.category,
            "header": t.header.map(|h| h.as_str()), "body": t.body, "values": t.params })
}

pub async fn templates(cx: &Context, account: &str, json: bool) -> Result<u8> {
    let list = cx.accounts().templates(account).await?;
    if json {
        println!("{}", crate::terminal::json(&serde_json::Value::Array(list.iter().map(template_json).collect())));
        return Ok(0);
    }
    if list.is_empty() {
        out!("No approved templates; make one in WhatsApp Manager (Message templates) and wait for approval.");
    }
    for t in &list {
        let header = t.header.map(|h| format!(", {} header", h.as_str())).unwrap_or_default();
        out!("{}:{} ({}{header}, {} value(s))\n  {}", t.name, t.language, t.category, t.params, t.body);
    }
    Ok(0)
}

/// Fills the draft's WhatsApp part from `--list`, `--template` and `--value`: the template is
/// looked up among each target's approved ones, so a wrong name or count is caught here.
pub async fn fill_draft(cx: &Context, args: &PostArgs, draft: &mut Draft) -> Result<()> {
    let accounts = cx.accounts();
    let mut whatsapp = Vec::new();
    for reference in &args.to {
        if let Ok(account) = accounts.find(reference)
            && account.network.features().messaging
        {
            whatsapp.push(account);
        }
    }
    if let Some(comment) = &args.first_comment {
        let instagram: Vec<String> = args
            .to
            .iter()
            .filter_map(|r| accounts.find(r).ok())
            .filter(|a| a.network.features().first_comment.is_some())
            .map(|a| a.name)
            .collect();
        if instagram.is_empty() {
            return Err(Error::invalid(
                "--first-comment is for Instagram targets, and none of the --to accounts is one",
            ));
        }
        draft.first_comments = instagram.into_iter().map(|name| (name, comment.clone())).collect();
    }
    if let Some(list) = &args.list {
        draft.recipients = whatsapp.iter().map(|a| (a.name.clone(), list.clone())).collect();
    }
    let Some(wanted) = &args.template else { return Ok(()) };
    if whatsapp.is_empty() {
        return Err(Error::invalid("--template is for WhatsApp targets, and none of the --to accounts is one"));
    }
    let (name, language) = match wanted.split_once(':') {
        Some((name, language)) => (name.trim(), Some(language.trim())),
        None => (wanted.trim(), None),
    };
    for account in &whatsapp {
        let approved = accounts.templates(&account.name).await?;
        let matching: Vec<&TemplateInfo> =
            approved.iter().filter(|t| t.name == name && language.is_none_or(|l| l == t.language)).collect();
        let found = match matching.as_slice() {
            [one] => *one,
            [] => {
                let names: Vec<String> = approved.iter().map(|t| format!("{}:{}", t.name, t.language)).collect();
                return Err(Error::invalid(format!(
                    "'{}' has no approved template '{wanted}' (approved: {})",
                    account.name,
                    if names.is_empty() { "none".to_owned() } else { names.join(", ") }
                )));
            }
            several => {
                let languages: Vec<&str> = several.iter().map(|t| t.language.as_str()).collect();
                return Err(Error::invalid(format!(
                    "the template '{name}' exists in {}; name one as --template {name}:LANGUAGE",
                    languages.join(", ")
                )));
            }
        };
        if args.values.len() != found.params {
            return Err(Error::invalid(format!(
                "the template '{}' takes {} value(s) and {} --value were given: {}",
                found.name,
                found.params,
                args.values.len(),
                found.body
            )));
        }
        let template = Template {
            name: found.name.clone(),
            language: found.language.clone(),
            params: args.values.clone(),
            header: found.header,
        };
        draft.templates.push((account.name.clone(), template));
    }
    Ok(())
}
