//! The relay side of NIP-01 over a WebSocket, as much as Fanout needs: send an `EVENT` and read
//! the relay's `OK`, and ask with a `REQ` for stored events until `EOSE`. Everything a relay says
//! is bounded: one message, the events of one answer, the time it takes to answer; events that do
//! not verify (id and signature) are dropped.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use nostr::prelude::{ClientMessage, Event, Filter, RelayMessage, SubscriptionId};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The largest message Fanout reads from a relay (nostr-rs-relay allows 128 KiB events).
const MESSAGE_LIMIT: usize = 1024 * 1024;
/// The longest wait for a connection, and for an answer to one message.
pub(crate) const ANSWER_WAIT: Duration = Duration::from_secs(10);
/// The most events one `REQ` collects.
const EVENT_LIMIT: usize = 50;

/// A relay's answer to one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ok {
    pub(crate) accepted: bool,
    /// The relay's words: `"duplicate: …"`, `"rate-limited: …"`, or empty.
    pub(crate) message: String,
}

/// Why a relay gave no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Trouble {
    /// No connection: nothing was sent.
    Unreachable(String),
    /// The connection ended or went quiet after the message was sent: it may have arrived.
    Lost(String),
}

impl Trouble {
    pub(crate) fn describe(&self) -> &str {
        match self {
            Self::Unreachable(why) | Self::Lost(why) => why,
        }
    }
}

/// An open connection to one relay.
pub(crate) struct Relay {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Relay {
    pub(crate) async fn connect(url: &str) -> Result<Relay, Trouble> {
        let config =
            WebSocketConfig::default().max_message_size(Some(MESSAGE_LIMIT)).max_frame_size(Some(MESSAGE_LIMIT));
        let connecting = tokio_tungstenite::connect_async_with_config(url, Some(config), false);
        match tokio::time::timeout(ANSWER_WAIT, connecting).await {
            Ok(Ok((socket, _))) => Ok(Relay { socket }),
            Ok(Err(e)) => Err(Trouble::Unreachable(excerpt(&e.to_string()))),
            Err(_) => Err(Trouble::Unreachable(format!("no connection within {} s", ANSWER_WAIT.as_secs()))),
        }
    }

    /// Sends `event` and waits for the relay's `OK` for it.
    pub(crate) async fn publish(&mut self, event: &Event) -> Result<Ok, Trouble> {
        let message = ClientMessage::event(event.clone()).as_json();
        self.socket.send(Message::text(message)).await.map_err(|e| Trouble::Unreachable(excerpt(&e.to_string())))?;
        let waiting = async {
            loop {
                match self.next().await? {
                    RelayMessage::Ok { event_id, status, message } if event_id == event.id => {
                        return Result::<Ok, Trouble>::Ok(Ok { accepted: status, message: excerpt(&message) });
                    }
                    // A NOTICE or an answer to something else: keep waiting.
                    _ => {}
                }
            }
        };
        match tokio::time::timeout(ANSWER_WAIT, waiting).await {
            Result::Ok(answer) => answer,
            Err(_) => Err(Trouble::Lost(format!("no answer within {} s", ANSWER_WAIT.as_secs()))),
        }
    }

    /// The stored events `filter` selects (at most `EVENT_LIMIT`), each verified.
    pub(crate) async fn fetch(&mut self, filter: Filter) -> Result<Vec<Event>, Trouble> {
        let id = SubscriptionId::new("fanout");
        let message = ClientMessage::req(id.clone(), vec![filter]).as_json();
        self.socket.send(Message::text(message)).await.map_err(|e| Trouble::Unreachable(excerpt(&e.to_string())))?;
        let collecting = async {
            let mut events = Vec::new();
            loop {
                match self.next().await? {
                    RelayMessage::Event { subscription_id, event }
                        if *subscription_id == id && events.len() < EVENT_LIMIT && event.verify().is_ok() =>
                    {
                        events.push(event.into_owned());
                    }
                    RelayMessage::EndOfStoredEvents(sub) if *sub == id => return Result::<_, Trouble>::Ok(events),
                    RelayMessage::Closed { subscription_id, message } if *subscription_id == id => {
                        return Err(Trouble::Lost(format!("the relay closed the request: {}", excerpt(&message))));
                    }
                    _ => {}
                }
            }
        };
        let events = match tokio::time::timeout(ANSWER_WAIT, collecting).await {
            Result::Ok(events) => events?,
            Err(_) => return Err(Trouble::Lost(format!("no answer within {} s", ANSWER_WAIT.as_secs()))),
        };
        let _ = self.socket.send(Message::text(ClientMessage::close(id).as_json())).await;
        Result::Ok(events)
    }

    pub(crate) async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }

    /// The relay's next message that Fanout can read; a closed socket is trouble.
    async fn next(&mut self) -> Result<RelayMessage<'static>, Trouble> {
        loop {
            let frame = match self.socket.next().await {
                Some(Result::Ok(frame)) => frame,
                Some(Err(e)) => return Err(Trouble::Lost(excerpt(&e.to_string()))),
                None => return Err(Trouble::Lost("the relay closed the connection".into())),
            };
            match frame {
                Message::Text(text) => {
                    if let Result::Ok(message) = RelayMessage::from_json(text.as_str()) {
                        return Result::Ok(message);
                    }
                }
                Message::Close(frame) => {
                    let why = frame.map(|f| excerpt(f.reason.as_str())).filter(|r| !r.is_empty());
                    return Err(Trouble::Lost(match why {
                        Some(why) => format!("the relay closed the connection ({why})"),
                        None => "the relay closed the connection".into(),
                    }));
                }
                _ => {}
            }
        }
    }
}

/// A relay's words, short (the shells escape them where they print).
fn excerpt(text: &str) -> String {
    super::super::excerpt(text, 200)
}
