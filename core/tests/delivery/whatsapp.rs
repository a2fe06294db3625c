//! WhatsApp against the sandbox's Cloud API: a recipient list messaged one delivery per person
//! (free-form and with a template), files uploaded through `/media`, the opt-in and list checks
//! before anything is queued, template refusals explained, a lost answer never sent twice, and
//! the token's expiry read from `debug_token`.

use fanout_core::accounts::{Credentials, NewAccount};
use fanout_core::model::{Account, DeliveryState, HeaderKind, Recipient, Template};
use fanout_core::outbox::Resolution;
use fanout_core::post::Draft;
use fanout_core::recipients::{RecipientLists, parse_entry};
use fanout_core::secrets::Secret;
use fanout_sandbox::{SANDBOX_USER_TOKEN, SANDBOX_WHATSAPP, SANDBOX_WHATSAPP_TOKEN};

use super::{Env, env};

const MESSAGES: &str = "POST /graph/{version}/{id}/messages";
/// Shared with Instagram's containers: the same path shape.
const MEDIA: &str = "POST /graph/{version}/{id}/media";

impl Env {
    pub(super) async fn whatsapp(&self, token: &str) -> Account {
        self.accounts()
            .add(NewAccount {
                name: None,
                credentials: Credentials::new(fanout_core::model::NetworkKind::WhatsApp)
                    .text("graph", format!("{}/graph", self.sandbox.url()))
                    .text("phone_number_id", SANDBOX_WHATSAPP.1)
                    .text("business_account_id", SANDBOX_WHATSAPP.0)
                    .secret("token", Secret::new(token)),
                enabled: true,
                demo: true,
            })
            .await
            .expect("link the sandbox's WhatsApp number")
    }

    fn lists(&self) -> RecipientLists {
        RecipientLists::new(self.store.clone(), self.clock.clone())
    }

    /// A list "Regulars" of three people who opted in.
    fn regulars(&self, account: &Account) -> Vec<Recipient> {
        let lists = self.lists();
        lists.create(&account.name, "Regulars").expect("create the list");
        let people: Vec<Recipient> = ["Ann <+31 6 1234 5678>", "+32 470 12 34 56", "Carla +49 151 2345 6789"]
            .iter()
            .map(|line| parse_entry(line).expect("a number"))
            .collect();
        lists.add(&account.name, "Regulars", &people, true).expect("add the people");
        people
    }

    fn message(&self, account: &Account, text: &str, media: Vec<std::path::PathBuf>) -> Draft {
        Draft {
            text: text.into(),
            media,
            targets: vec![account.name.clone()],
            recipients: vec![(account.name.clone(), "Regulars".into())],
            ..Draft::default()
        }
    }
}

fn weekly_news(values: &[&str]) -> Template {
    Template {
        name: "weekly_news".into(),
        language: "en_US".into(),
        params: values.iter().map(|v| (*v).to_owned()).collect(),
        header: Some(HeaderKind::Image),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_gets_one_message_each_and_only_open_windows_receive_free_form_ones() {
    let env = env("{}").await;
    let wa = env.whatsapp(SANDBOX_WHATSAPP_TOKEN).await;
    assert_eq!(wa.name, "WhatsApp: Fanout Bakery (+31 20 123 4567)");
    let facts = env.accounts().cached_facts(&wa).expect("facts").expect("cached at link time");
    assert!(facts["token_expires_at"].is_null(), "a system user's token never expires: {facts}");
    let people = env.regulars(&wa);
    env.sandbox.whatsapp_inbound("+31612345678");

    let ids = env.enqueue(&env.message(&wa, "Fresh sourdough from 8 o'clock", vec![env.photo()]));
    assert_eq!(ids.len(), 3, "one delivery per person on the list");
    env.deliver(&ids).await;
    let mut reached = Vec::new();
    for id in &ids {
        let d = env.delivery(*id);
        assert_eq!(d.state, DeliveryState::Sent, "{:?}", d.last_error);
        let to = d.recipient.clone().expect("a recipient");
        assert!(d.remote_id.as_deref().is_some_and(|w| w.starts_with("wamid.")), "the message id is kept");
        let url = d.remote_url.clone().expect("a link to the chat");
        let page = env.http.get(&url).send().await.expect("chat page").text().await.expect("text");
        assert!(page.contains("Fresh sourdough"), "the chat shows the message: {page}");
        reached.push(to.phone);
    }
    let mut expected: Vec<String> = people.iter().map(|p| p.phone.clone()).collect();
    expected.sort();
    reached.sort();
    assert_eq!(reached, expected);

    let state = env.sandbox.state();
    assert_eq!(state.whatsapp_media.len(), 1, "the photo uploaded through /media once for the three deliveries");
    assert!(state.whatsapp_media.iter().all(|m| m.content_type == "image/png" || m.content_type == "image/jpeg"));
    assert_eq!(state.whatsapp_messages.len(), 3, "one message each: the text rides as the caption");
    for m in &state.whatsapp_messages {
        assert_eq!((m.kind.as_str(), m.text.as_str()), ("image", "Fresh sourdough from 8 o'clock"));
        let open = m.to == "31612345678";
        let fate = (m.status.as_str(), m.error_code);
        assert_eq!(fate, if open { ("sent", None) } else { ("failed", Some(131_047)) }, "{}", m.to);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_reaches_everyone_and_its_mistakes_are_explained() {
    let env = env("{}").await;
    let wa = env.whatsapp(SANDBOX_WHATSAPP_TOKEN).await;
    env.regulars(&wa);
    let draft = Draft {
        templates: vec![(wa.name.clone(), weekly_news(&["friends", "rye bread"]))],
        ..env.message(&wa, "", vec![env.photo()])
    };
    let ids = env.enqueue(&draft);
    env.deliver(&ids).await;
    for id in &ids {
        assert_eq!(env.delivery(*id).state, DeliveryState::Sent, "{:?}", env.delivery(*id).last_error);
    }
    let messages = env.sandbox.state().whatsapp_messages;
    assert_eq!(messages.len(), 3);
    for m in &messages {
        assert_eq!(m.kind, "template");
        assert_eq!(m.status, "sent", "a template reaches people outside the 24-hour window");
        assert!(m.text.contains("Hello friends, this week at Fanout Bakery: rye bread."), "{}", m.text);
        assert!(m.media_id.is_some(), "the photo is the template's header");
    }

    // A missing value is caught before queuing; a wrong count is WhatsApp's to refuse.
    let empty = Draft { templates: vec![(wa.name.clone(), weekly_news(&["friends", " "]))], ..draft.clone() };
    let refused = fanout_core::post::enqueue(
        &env.outbox(),
        &fanout_core::networks::Registry::default(),
        &env.variants(),
        &env.dir.path().join("media"),
        &empty,
        env.clock.now(),
    )
    .expect_err("a value is missing");
    assert!(refused.to_string().contains("{{2}}"), "names the value: {refused}");
    let short = Draft { templates: vec![(wa.name.clone(), weekly_news(&["friends"]))], ..draft };
    let ids = env.enqueue(&short);
    env.deliver(&ids).await;
    let d = env.delivery(ids[0]);
    assert_eq!(d.state, DeliveryState::NeedsAttention);
    let error = d.last_error.expect("why").message;
    assert!(error.contains("values do not match") && error.contains("132000"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_is_messaged_without_an_opt_in_a_list_and_a_whatsapp_account() {
    let env = env("{}").await;
    let wa = env.whatsapp(SANDBOX_WHATSAPP_TOKEN).await;
    let lists = env.lists();
    lists.create(&wa.name, "Regulars").expect("create");
    let ann = parse_entry("Ann +31612345678").expect("a number");
    let refused = lists.add(&wa.name, "Regulars", std::slice::from_ref(&ann), false).expect_err("no opt-in");
    assert!(refused.to_string().contains("opted in"), "{refused}");
    assert!(lists.create(&wa.name, "Regulars").is_err(), "one list per name");
    let problems = |draft: &Draft| {
        fanout_core::post::enqueue(
            &env.outbox(),
            &fanout_core::networks::Registry::default(),
            &env.variants(),
            &env.dir.path().join("media"),
            draft,
            env.clock.now(),
        )
        .expect_err("refused")
        .to_string()
    };
    let empty = problems(&env.message(&wa, "Hello", vec![]));
    assert!(empty.contains("nobody on it"), "{empty}");
    let none = problems(&Draft { recipients: vec![], ..env.message(&wa, "Hello", vec![]) });
    assert!(none.contains("recipient list"), "{none}");
    let page = env.mastodon("bakery", "token-a").await;
    let elsewhere = problems(&Draft {
        recipients: vec![(page.name.clone(), "Regulars".into())],
        ..env.message(&page, "Hi", vec![])
    });
    assert!(elsewhere.contains("does not message people"), "{elsewhere}");
    assert!(env.sandbox.state().whatsapp_messages.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_waits_for_the_user_and_is_never_sent_twice_by_itself() {
    let plan = format!(r#"{{"routes": {{"{MESSAGES}": {{"faults": [{{"close": "after"}}]}}}}}}"#);
    let env = env(&plan).await;
    let wa = env.whatsapp(SANDBOX_WHATSAPP_TOKEN).await;
    let lists = env.lists();
    lists.create(&wa.name, "Regulars").expect("create");
    lists.add(&wa.name, "Regulars", &[parse_entry("+31612345678").expect("number")], true).expect("add");
    let ids = env.enqueue(&env.message(&wa, "Lost on the way back", vec![]));
    env.deliver(&ids).await;
    let d = env.delivery(ids[0]);
    assert_eq!(d.state, DeliveryState::Unconfirmed, "{:?}", d.last_error);
    let why = d.last_error.expect("why").message;
    assert!(why.contains("check the chat"), "tells the user how to settle it: {why}");
    assert_eq!(env.requests(MESSAGES).len(), 1, "not sent again by itself");

    env.outbox().resolve(&ids[0].to_string(), Resolution::Resend, env.clock.now()).expect("send again");
    env.deliver(&ids).await;
    assert_eq!(env.delivery(ids[0]).state, DeliveryState::Sent);
    assert_eq!(env.sandbox.state().whatsapp_messages.len(), 2, "sent once more, as the user asked");
    assert!(env.requests(MEDIA).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_token_shows_when_it_expires_and_a_wrong_business_account_is_refused() {
    let env = env("{}").await;
    let wa = env.whatsapp(SANDBOX_USER_TOKEN).await;
    let facts = env.accounts().cached_facts(&wa).expect("facts").expect("cached");
    let expires = facts["token_expires_at"].as_i64().expect("a user token expires");
    let days = (expires * 1000 - env.clock.now().0) / (24 * 3600 * 1000);
    assert!((58..=60).contains(&days), "about 60 days: {days}");

    let wrong = env
        .accounts()
        .add(NewAccount {
            name: None,
            credentials: Credentials::new(fanout_core::model::NetworkKind::WhatsApp)
                .text("graph", format!("{}/graph", env.sandbox.url()))
                .text("phone_number_id", SANDBOX_WHATSAPP.1)
                .text("business_account_id", "999")
                .secret("token", Secret::new(SANDBOX_WHATSAPP_TOKEN)),
            enabled: true,
            demo: true,
        })
        .await
        .expect_err("not that business's number");
    assert!(wrong.to_string().contains("999"), "{wrong}");
    assert!(!wrong.to_string().contains(SANDBOX_WHATSAPP_TOKEN), "no token in the error");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pdf_goes_to_whatsapp_as_a_document_and_is_refused_where_documents_are_not_taken() {
    let env = env("{}").await;
    let wa = env.whatsapp(SANDBOX_WHATSAPP_TOKEN).await;
    let lists = env.lists();
    lists.create(&wa.name, "Regulars").expect("create");
    lists.add(&wa.name, "Regulars", &[parse_entry("Ann +31612345678").expect("number")], true).expect("add");
    env.sandbox.whatsapp_inbound("+31612345678");
    let menu = env.dir.path().join("menu.pdf");
    std::fs::write(&menu, b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n").expect("write pdf");

    let ids = env.enqueue(&env.message(&wa, "This week's menu", vec![menu.clone()]));
    env.deliver(&ids).await;
    assert_eq!(env.delivery(ids[0]).state, DeliveryState::Sent, "{:?}", env.delivery(ids[0]).last_error);
    let state = env.sandbox.state();
    assert_eq!(state.whatsapp_media.first().map(|m| m.content_type.as_str()), Some("application/pdf"));
    let sent: Vec<(&str, &str, &str)> =
        state.whatsapp_messages.iter().map(|m| (m.kind.as_str(), m.text.as_str(), m.status.as_str())).collect();
    assert_eq!(sent, [("document", "This week's menu", "sent")], "the text rides as the document's caption");

    let page = env.mastodon("bakery", "token-a").await;
    let refused = fanout_core::post::enqueue(
        &env.outbox(),
        &fanout_core::networks::Registry::default(),
        &env.variants(),
        &env.dir.path().join("media"),
        &Draft { text: "Menu".into(), media: vec![menu], targets: vec![page.name.clone()], ..Draft::default() },
        env.clock.now(),
    )
    .expect_err("Mastodon takes no documents");
    assert!(refused.to_string().contains("does not take documents"), "{refused}");
}
