//! Saved recipient lists of an account that messages people one by one (a WhatsApp business
//! number), at most `MAX_MEMBERS` each. Numbers are kept in E.164, normalised from what people
//! type (`parse_entry`: `Ann +31 6 1234 5678`, `+31612345678, Ann`; `00` read as `+`; a number
//! without its country code refused). WhatsApp lets a business message only people who agreed to
//! hear from it: a number joins a list only with the user's confirmation that it opted in, and the
//! time of that confirmation is kept with it.

use std::sync::Arc;

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::model::{Account, ListId, Member, Recipient, RecipientList, phone_number};
use crate::store::{Store, accounts, recipients};

/// The most members one list may have; a longer campaign belongs in a marketing tool.
pub const MAX_MEMBERS: usize = 1000;

#[derive(Debug, Clone)]
pub struct RecipientLists {
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
}

/// One line a user typed for a recipient: `+31 6 1234 5678`, `Ann +31612345678`,
/// `+31612345678, Ann` or `Ann <+31612345678>`.
pub fn parse_entry(line: &str) -> Result<Recipient> {
    let line = line.trim();
    // Where the number starts: its `+` or `00`, else its first digit (refused below for lacking
    // a country code, which is the more useful thing to say).
    let start = line.find('+').or_else(|| line.find("00")).or_else(|| line.find(|c: char| c.is_ascii_digit()));
    let Some(start) = start else {
        return Err(Error::invalid(format!(
            "'{line}' has no phone number in international form (such as +31 6 1234 5678)"
        )));
    };
    let tail = &line[start..];
    let end = tail.find(|c: char| !(c.is_ascii_digit() || " -.()+\u{a0}".contains(c))).unwrap_or(tail.len());
    let phone = phone_number(tail[..end].trim())?;
    let name: String = format!("{} {}", &line[..start], &tail[end..])
        .chars()
        .map(|c| if "<>,;\t".contains(c) { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    Ok(Recipient { phone, name: (!name.is_empty()).then_some(name) })
}

fn list_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 60 || name.chars().any(char::is_control) {
        return Err(Error::invalid("a recipient list needs a name of 1 to 60 characters"));
    }
    Ok(name.to_owned())
}

impl RecipientLists {
    pub fn new(store: Arc<Store>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    fn whatsapp(tx: &rusqlite::Transaction<'_>, reference: &str) -> Result<Account> {
        let account = accounts::find(tx, reference)?;
        if !account.network.features().messaging {
            return Err(Error::invalid(format!(
                "'{}' is a {} account; recipient lists belong to accounts that message people one by one (WhatsApp)",
                account.name,
                account.network.display_name()
            )));
        }
        Ok(account)
    }

    fn find(tx: &rusqlite::Transaction<'_>, account: &Account, list: &str) -> Result<RecipientList> {
        recipients::find(tx, account.id, list)?
            .ok_or_else(|| Error::invalid(format!("'{}' has no recipient list named '{}'", account.name, list.trim())))
    }

    /// Every list of a WhatsApp account.
    pub fn lists(&self, account: &str) -> Result<Vec<RecipientList>> {
        self.store.read(|tx| {
            let account = Self::whatsapp(tx, account)?;
            recipients::lists(tx, account.id)
        })
    }

    /// One list of an account, by name or id.
    pub fn get(&self, account: &str, list: &str) -> Result<RecipientList> {
        self.store.read(|tx| {
            let account = Self::whatsapp(tx, account)?;
            Self::find(tx, &account, list)
        })
    }

    pub fn create(&self, account: &str, name: &str) -> Result<RecipientList> {
        let name = list_name(name)?;
        let now = self.clock.now();
        self.store.write(|tx| {
            let account = Self::whatsapp(tx, account)?;
            let list =
                RecipientList { id: ListId::new(), account_id: account.id, name, members: vec![], created_at: now };
            recipients::insert_list(tx, &list)?;
            Ok(list)
        })
    }

    /// Adds people to a list (a number already there gets the new name and opt-in time).
    /// `opted_in` is the user's confirmation that every one of them agreed to be messaged.
    pub fn add(&self, account: &str, list: &str, people: &[Recipient], opted_in: bool) -> Result<RecipientList> {
        if !opted_in {
            return Err(Error::invalid(
                "WhatsApp allows messages only to people who agreed to get them from your business; \
                 confirm that each of them opted in",
            ));
        }
        if people.is_empty() {
            return Err(Error::invalid("give at least one phone number to add"));
        }
        let now = self.clock.now();
        self.store.write(|tx| {
            let account = Self::whatsapp(tx, account)?;
            let found = Self::find(tx, &account, list)?;
            let known: std::collections::HashSet<&str> =
                found.members.iter().map(|m| m.recipient.phone.as_str()).collect();
            let new = people.iter().filter(|p| !known.contains(p.phone.as_str())).count();
            if found.members.len() + new > MAX_MEMBERS {
                return Err(Error::invalid(format!(
                    "a recipient list holds at most {MAX_MEMBERS} people; '{}' has {} and {new} would be added",
                    found.name,
                    found.members.len()
                )));
            }
            for person in people {
                recipients::put_member(tx, found.id, &Member { recipient: person.clone(), opted_in_at: now })?;
            }
            Self::find(tx, &account, &found.id.to_string())
        })
    }

    pub fn remove(&self, account: &str, list: &str, phone: &str) -> Result<RecipientList> {
        let phone = phone_number(phone)?;
        self.store.write(|tx| {
            let account = Self::whatsapp(tx, account)?;
            let found = Self::find(tx, &account, list)?;
            if !recipients::remove_member(tx, found.id, &phone)? {
                return Err(Error::invalid(format!("{phone} is not on the list '{}'", found.name)));
            }
            Self::find(tx, &account, &found.id.to_string())
        })
    }

    pub fn delete(&self, account: &str, list: &str) -> Result<()> {
        self.store.write(|tx| {
            let account = Self::whatsapp(tx, account)?;
            let found = Self::find(tx, &account, list)?;
            recipients::delete_list(tx, found.id)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_people_type() {
        let plain = parse_entry("+31 6 1234 5678").expect("parses");
        assert_eq!(plain, Recipient { phone: "+31612345678".into(), name: None });
        let trunk = parse_entry("+31 (0)6-1234-5678").expect("parses");
        assert_eq!(trunk.phone, "+31612345678", "the trunk 0 is dropped");
        let named = parse_entry("Ann de Vries <+31 6-1234-5678>").expect("parses");
        assert_eq!(named.name.as_deref(), Some("Ann de Vries"));
        assert_eq!(named.phone, "+31612345678");
        let after = parse_entry("0032 470 12 34 56, Bart").expect("parses");
        assert_eq!(after, Recipient { phone: "+32470123456".into(), name: Some("Bart".into()) });
        let local = parse_entry("06 1234 5678").expect_err("no country code");
        assert!(local.to_string().contains("international"), "{local}");
        assert!(phone_number("+31 6 12a4").expect_err("letter").to_string().contains("'a'"));
        assert!(phone_number("+123").is_err(), "too short");
    }
}
