//! Matrix against the sandbox's homeserver, where faults can be injected: a lost answer to a
//! send settled by sending the same transaction again (one event, not two), `M_LIMIT_EXCEEDED`'s
//! `retry_after_ms` honoured, and rooms the user may not join or post in refused clearly.

use fanout_core::accounts::{Credentials, NewAccount};
use fanout_core::model::{Account, DeliveryState, FailureKind};
use fanout_core::secrets::{Secret, SecretStore};
use fanout_sandbox::{
    SANDBOX_MATRIX_PASSWORD, SANDBOX_MATRIX_PRIVATE_ROOM, SANDBOX_MATRIX_READ_ONLY_ROOM, SANDBOX_MATRIX_ROOM,
    SANDBOX_MATRIX_SERVER, SANDBOX_MATRIX_USER, SANDBOX_MATRIX_USER_ID,
};

use super::{Env, env};

const SEND: &str = "PUT /_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}";
const UPLOAD: &str = "POST /_matrix/media/v3/upload";

impl Env {
    /// A room of the sandbox's homeserver (by its alias's localpart), linked with `password`.
    pub(super) async fn sandbox_matrix(&self, room: &str, password: &str) -> fanout_core::Result<Account> {
        self.accounts()
            .add(NewAccount {
                name: None,
                credentials: Credentials::new(fanout_core::model::NetworkKind::Matrix)
                    .text("homeserver", self.sandbox.url())
                    .text("room", format!("#{room}:{SANDBOX_MATRIX_SERVER}"))
                    .text("user", SANDBOX_MATRIX_USER)
                    .secret("password", Secret::new(password)),
                enabled: true,
                demo: true,
            })
            .await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_send_answer_is_sent_again_with_its_transaction_id_and_leaves_one_event() {
    let env = env(&format!(r#"{{"routes": {{"{SEND}": {{"faults": [{{"close": "after"}}]}}}}}}"#)).await;
    let account = env.sandbox_matrix(SANDBOX_MATRIX_ROOM, SANDBOX_MATRIX_PASSWORD).await.expect("linked");
    assert_eq!(account.name, format!("Matrix: Fanout Bakery ({SANDBOX_MATRIX_USER_ID})"));
    let room = account.remote_id.clone().expect("the room's id");
    assert!(room.starts_with('!'), "the alias is resolved to the room's id: {room}");
    let token = env.secrets.get(&account.secret_key()).expect("read").expect("a token");
    assert_ne!(token.expose(), SANDBOX_MATRIX_PASSWORD, "the password is swapped for a token, not kept");

    let ids = env.post("Fresh rye today", vec![env.photo()], &[&account]);
    env.deliver(&ids).await;
    let d = env.delivery(ids[0]);
    assert_eq!(d.state, DeliveryState::Sent, "{:?}", d.last_error);

    let events = env.sandbox.state().matrix_events;
    let kinds: Vec<&str> = events.iter().map(|e| e.content["msgtype"].as_str().unwrap_or("")).collect();
    assert_eq!(kinds, ["m.text", "m.image"], "the text once, then the photo");
    assert_eq!(events[0].content["body"], "Fresh rye today");
    assert!(events.iter().all(|e| e.room_id == room && e.sender == SANDBOX_MATRIX_USER_ID));
    let sends = env.requests(SEND);
    assert_eq!(sends.len(), 3, "the lost text, the text again, the photo");
    assert_eq!(sends[0].path, sends[1].path, "the resend carries the same transaction id");
    assert_eq!(env.requests(UPLOAD).len(), 1, "the photo's upload was checkpointed");
    assert_eq!(d.remote_id.as_deref(), Some(events[1].event_id.as_str()), "the last event is the delivery's");
    let mxc = events[1].content["url"].as_str().expect("an mxc address");
    assert_eq!(env.sandbox.state().matrix_media[0].content_uri, mxc, "the event shows the uploaded photo");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn m_limit_exceeded_is_waited_out_for_its_retry_after_ms() {
    let env =
        env(&format!(r#"{{"routes": {{"{SEND}": {{"faults": [{{"status": 429, "retry_after": 1.5}}]}}}}}}"#)).await;
    let account = env.sandbox_matrix(SANDBOX_MATRIX_ROOM, SANDBOX_MATRIX_PASSWORD).await.expect("linked");
    let ids = env.post("After a pause", vec![], &[&account]);
    env.deliver(&ids).await;
    assert_eq!(env.delivery(ids[0]).state, DeliveryState::Sent, "{:?}", env.delivery(ids[0]).last_error);
    let sends = env.requests(SEND);
    assert_eq!(sends.len(), 2, "one refused, one sent");
    let gap = sends[1].at_ms - sends[0].at_ms;
    assert!(gap >= 1500, "the second send came {gap} ms after the first, before retry_after_ms");
    assert_eq!(env.sandbox.state().matrix_events.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rooms_the_user_may_not_join_or_post_in_are_refused_clearly() {
    let env = env("{}").await;
    let wrong = env.sandbox_matrix(SANDBOX_MATRIX_ROOM, "not-it").await.expect_err("a wrong password");
    let wrong = wrong.to_string();
    assert!(wrong.contains("could not log in") && wrong.contains("Invalid username or password"), "{wrong}");
    assert!(
        wrong.contains("refused the user name or password") && !wrong.contains("post in the room"),
        "a wrong password is called that, not a room's permission: {wrong}"
    );
    assert!(!wrong.contains("not-it"), "the password is not repeated: {wrong}");

    let private =
        env.sandbox_matrix(SANDBOX_MATRIX_PRIVATE_ROOM, SANDBOX_MATRIX_PASSWORD).await.expect_err("invite only");
    let private = private.to_string();
    assert!(private.contains("You are not invited to this room") && private.contains("is invited"), "{private}");

    let read_only =
        env.sandbox_matrix(SANDBOX_MATRIX_READ_ONLY_ROOM, SANDBOX_MATRIX_PASSWORD).await.expect("anyone may join");
    let ids = env.post("Not here", vec![], &[&read_only]);
    env.deliver(&ids).await;
    let d = env.delivery(ids[0]);
    assert_eq!(d.state, DeliveryState::NeedsAttention, "a refusal waits for the user, it is not retried");
    let error = d.last_error.expect("why");
    assert_eq!(error.kind, FailureKind::Rejected);
    assert!(
        error.message.contains("does not let this user post in the room") && error.message.contains("send_level (50)"),
        "says what and why: {}",
        error.message
    );
    assert_eq!(env.requests(SEND).len(), 1, "tried once");
    assert!(env.sandbox.state().matrix_events.is_empty(), "nothing was posted");
}
