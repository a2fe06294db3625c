//! The `recipient_lists` and `recipients` tables: people who agreed to get WhatsApp messages from
//! one business number, kept per account.

use rusqlite::{Connection, OptionalExtension, params};

use super::accounts::conversion;
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::model::{AccountId, ListId, Member, Recipient, RecipientList};

pub fn insert_list(conn: &Connection, list: &RecipientList) -> Result<()> {
    let taken: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM recipient_lists WHERE account_id = ?1 AND name = ?2)",
        params![list.account_id.to_string(), list.name],
        |r| r.get(0),
    )?;
    if taken {
        return Err(Error::Conflict(format!("this account already has a recipient list named '{}'", list.name)));
    }
    conn.execute(
        "INSERT INTO recipient_lists (id, account_id, name, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![list.id.to_string(), list.account_id.to_string(), list.name, list.created_at.0],
    )?;
    for member in &list.members {
        put_member(conn, list.id, member)?;
    }
    Ok(())
}

/// Adds or updates (name, opt-in time) one member.
pub fn put_member(conn: &Connection, list: ListId, member: &Member) -> Result<()> {
    conn.execute(
        "INSERT INTO recipients (list_id, phone, name, opted_in_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (list_id, phone) DO UPDATE SET name = coalesce(excluded.name, name),
                                                    opted_in_at = excluded.opted_in_at",
        params![list.to_string(), member.recipient.phone, member.recipient.name, member.opted_in_at.0],
    )?;
    Ok(())
}

/// Removes one member; false when the number was not on the list.
pub fn remove_member(conn: &Connection, list: ListId, phone: &str) -> Result<bool> {
    Ok(conn.execute("DELETE FROM recipients WHERE list_id = ?1 AND phone = ?2", params![list.to_string(), phone])? > 0)
}

pub fn delete_list(conn: &Connection, list: ListId) -> Result<()> {
    conn.execute("DELETE FROM recipients WHERE list_id = ?1", [list.to_string()])?;
    conn.execute("DELETE FROM recipient_lists WHERE id = ?1", [list.to_string()])?;
    Ok(())
}

fn members(conn: &Connection, list: ListId) -> Result<Vec<Member>> {
    let mut stmt = conn.prepare_cached(
        "SELECT phone, name, opted_in_at FROM recipients WHERE list_id = ?1 ORDER BY coalesce(name, phone), phone",
    )?;
    let rows = stmt.query_map([list.to_string()], |r| {
        Ok(Member { recipient: Recipient { phone: r.get(0)?, name: r.get(1)? }, opted_in_at: Timestamp(r.get(2)?) })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn head(r: &rusqlite::Row<'_>) -> rusqlite::Result<(ListId, AccountId, String, Timestamp)> {
    let id: String = r.get(0)?;
    let account: String = r.get(1)?;
    Ok((
        id.parse().map_err(|e| conversion(0, e))?,
        account.parse().map_err(|e| conversion(1, e))?,
        r.get(2)?,
        Timestamp(r.get(3)?),
    ))
}

fn with_members(
    conn: &Connection,
    (id, account_id, name, created_at): (ListId, AccountId, String, Timestamp),
) -> Result<RecipientList> {
    Ok(RecipientList { id, account_id, name, members: members(conn, id)?, created_at })
}

/// Every list of one account, by name.
pub fn lists(conn: &Connection, account: AccountId) -> Result<Vec<RecipientList>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, account_id, name, created_at FROM recipient_lists WHERE account_id = ?1 ORDER BY name",
    )?;
    let heads = stmt.query_map([account.to_string()], head)?.collect::<rusqlite::Result<Vec<_>>>()?;
    heads.into_iter().map(|h| with_members(conn, h)).collect()
}

/// One list of an account, by its name or id.
pub fn find(conn: &Connection, account: AccountId, reference: &str) -> Result<Option<RecipientList>> {
    let reference = reference.trim();
    let found = conn
        .query_row(
            "SELECT id, account_id, name, created_at FROM recipient_lists
             WHERE account_id = ?1 AND (name = ?2 OR id = ?2)",
            params![account.to_string(), reference],
            head,
        )
        .optional()?;
    found.map(|h| with_members(conn, h)).transpose()
}
