//! Instagram professional accounts through the Graph API's container flow:
//!
//! 1. every file is put where Instagram can fetch it (the account's `MediaHost`: an unpublished
//!    photo or video on the linked Facebook Page, by its CDN address);
//! 2. a container per file (`POST /{ig-user}/media` with `image_url` or `video_url`; carousel
//!    items with `is_carousel_item`), then for a carousel one more with `children`;
//! 3. each container polled (`GET /{container}?fields=status_code,status`) until FINISHED;
//! 4. the day's quota read (`content_publishing_limit`) so a full quota waits instead of failing;
//! 5. `POST /{ig-user}/media_publish` with the container — the only step that publishes;
//! 6. the staged files removed.
//!
//! Every id (staged file, container) is checkpointed before the next step, so a crash or a retry
//! resumes where it stopped. A publish whose answer was lost is settled by the container's status:
//! PUBLISHED means done, anything else means publishing it is still safe (a container can be
//! published only once).

mod limits;

use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use serde_json::{Value, json};

use super::graph::{self, Graph};
use super::{Job, Look, Network, StepError, Verified, containers};
use crate::clock::Timestamp;
use crate::model::{Account, Failure, NetworkKind, Published, Reconciled};
use crate::plan::TargetRules;
use crate::profiles::Target;
use crate::secrets::Secret;

const NAME: &str = "Instagram";
/// The longest a container may stay IN_PROGRESS before this attempt gives up (the next resumes).
const NO_HOST: &str = "Instagram fetches media from a public address and this account has no media host; link it again through its Facebook Page";
const RECENT: usize = 25;
/// The longest comment Instagram takes (its caption limit).
pub const COMMENT_LIMIT: usize = 2200;

#[derive(Debug, Clone, Copy)]
pub struct Instagram;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Image,
    Reel,
    Carousel,
    Story,
}

fn is_video(mime: &str) -> bool {
    mime.starts_with("video/")
}

fn shape(job: &Job<'_>) -> Result<Shape, Failure> {
    let n = job.media.len();
    match (job.post.story, n) {
        (_, 0) => Err(Failure::rejected("Instagram posts need a photo or a video; add one or leave Instagram out")),
        (true, 1) => Ok(Shape::Story),
        (true, _) => {
            Err(Failure::rejected(format!("an Instagram story is one photo or one video, and this post has {n} files")))
        }
        (false, 1) if is_video(&job.media[0].mime) => Ok(Shape::Reel),
        (false, 1) => Ok(Shape::Image),
        (false, 2..=10) => Ok(Shape::Carousel),
        (false, _) => Err(Failure::rejected(format!("an Instagram carousel takes at most 10 files, not {n}"))),
    }
}

fn user_id(account: &Account) -> Result<&str, Failure> {
    account
        .remote_id
        .as_deref()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| Failure::rejected("the account has no Instagram user id; link it again"))
}

impl Instagram {
    /// The container for file `index` (a carousel item, or the post itself).
    async fn item(
        &self,
        job: &mut Job<'_>,
        g: &Graph<'_>,
        shape: Shape,
        index: usize,
        url: &str,
    ) -> Result<String, StepError> {
        if let Some(id) = super::step_done(&job.steps_done::<containers::Progress>().items, index) {
            return Ok(id.clone());
        }
        containers::stopping(job)?;
        let user = user_id(job.account)?.to_owned();
        let media = &job.media[index];
        let video = is_video(&media.mime);
        let mut form: Vec<(&str, String)> = vec![(if video { "video_url" } else { "image_url" }, url.to_owned())];
        match shape {
            Shape::Carousel => {
                form.push(("is_carousel_item", "true".into()));
                if video {
                    form.push(("media_type", "VIDEO".into()));
                }
            }
            Shape::Story => form.push(("media_type", "STORIES".into())),
            Shape::Reel => {
                form.push(("media_type", "REELS".into()));
                form.push(("caption", job.post.text.clone()));
            }
            Shape::Image => form.push(("caption", job.post.text.clone())),
        }
        let step = match shape {
            Shape::Carousel => format!("preparing item {} of {} ({})", index + 1, job.media.len(), media.file_name),
            _ => format!("preparing {}", media.file_name),
        };
        let answer = g.call(&step, g.post(&format!("{user}/media")).form(&form)).await?;
        let id = graph::id_of(&answer, "id")
            .ok_or_else(|| Failure::transient(format!("{step}: no container id came back")))?;
        let mut progress: containers::Progress = job.steps_done();
        super::set_step(&mut progress.items, index, id.clone());
        job.save_steps(&progress)?;
        Ok(id)
    }

    /// Builds (or finds, from the checkpoint) the container to publish, processed.
    async fn container(&self, job: &mut Job<'_>, g: &Graph<'_>, shape: Shape) -> Result<String, StepError> {
        let mut urls = Vec::with_capacity(job.media.len());
        for index in 0..job.media.len() {
            urls.push(containers::stage(job, Some(g), index, NO_HOST).await?);
        }
        if let Some(id) = job.steps_done::<containers::Progress>().container {
            containers::wait_finished(job, g, &id, "processing the post", &containers::INSTAGRAM_CONTAINER).await?;
            return Ok(id);
        }
        let id = if shape == Shape::Carousel {
            let mut children = Vec::with_capacity(urls.len());
            for (index, url) in urls.iter().enumerate() {
                children.push(self.item(job, g, shape, index, url).await?);
            }
            for (index, child) in children.iter().enumerate() {
                let what = format!("processing item {} of {}", index + 1, children.len());
                containers::wait_finished(job, g, child, &what, &containers::INSTAGRAM_CONTAINER).await?;
            }
            let user = user_id(job.account)?.to_owned();
            let form = [
                ("media_type", "CAROUSEL".to_owned()),
                ("children", children.join(",")),
                ("caption", job.post.text.clone()),
            ];
            let answer = g.call("preparing the carousel", g.post(&format!("{user}/media")).form(&form)).await?;
            graph::id_of(&answer, "id")
                .ok_or_else(|| Failure::transient("preparing the carousel: no container id came back"))?
        } else {
            self.item(job, g, shape, 0, &urls[0]).await?
        };
        let mut progress: containers::Progress = job.steps_done();
        progress.container = Some(id.clone());
        job.save_steps(&progress)?;
        containers::wait_finished(job, g, &id, "processing the post", &containers::INSTAGRAM_CONTAINER).await?;
        Ok(id)
    }

    async fn publish(&self, job: &mut Job<'_>) -> Result<Published, StepError> {
        graph::metered!(NAME, job, |g| self.publish_with(job, &g))
    }

    async fn publish_with(&self, job: &mut Job<'_>, g: &Graph<'_>) -> Result<Published, StepError> {
        let shape = shape(job)?;
        let container = self.container(job, g, shape).await?;
        let user = user_id(job.account)?.to_owned();
        containers::check_quota(g, &format!("{user}/content_publishing_limit?fields=quota_usage,config")).await?;
        let user = user_id(job.account)?.to_owned();
        let request = g.post(&format!("{user}/media_publish")).form(&[("creation_id", container.as_str())]);
        let answer = job.publish(NAME, request).await?;
        let value = g.read_publish("publishing", answer)?;
        let id = containers::published_id(g, &value)?;
        self.first_comment(job, g, &id, false).await;
        let url = self.permalink(job, g, &id).await;
        containers::remove_staged(job, g).await;
        Ok(Published { remote_id: id, url })
    }

    /// Adds the post's first comment, once: its id is checkpointed, and after a lost answer the
    /// post's comments are read first (`check_first`) so it is never added twice. Best effort:
    /// the post is live either way, and must never be published again over a comment.
    async fn first_comment(&self, job: &mut Job<'_>, g: &Graph<'_>, media_id: &str, check_first: bool) {
        let Some(text) = job.post.first_comment_for(job.account.id).map(str::to_owned) else { return };
        if job.steps_done::<containers::Progress>().comment.is_some() {
            return;
        }
        if check_first {
            let path = format!("{media_id}/comments?fields=id,text&limit=50");
            match g.call("reading the post's comments", g.get(&path)).await {
                Ok(list) => {
                    let wanted = graph::normalise(&text);
                    let there = list.get("data").and_then(Value::as_array).into_iter().flatten().any(|c| {
                        c.get("text").and_then(Value::as_str).map(graph::normalise).as_deref() == Some(wanted.as_str())
                    });
                    if there {
                        return;
                    }
                }
                Err(e) => {
                    tracing::warn!(account = %job.account.id, error = %e, "first comment left out: the comments cannot be read");
                    return;
                }
            }
        }
        let request = g.post(&format!("{media_id}/comments")).form(&[("message", text.as_str())]);
        match g.call("adding the first comment", request).await {
            Ok(answer) => {
                let mut progress: containers::Progress = job.steps_done();
                progress.comment = Some(json!(graph::id_of(&answer, "id")));
                if let Err(e) = job.save_steps(&progress) {
                    tracing::warn!(account = %job.account.id, error = ?e, "first comment added; not recorded");
                }
            }
            Err(e) => tracing::warn!(account = %job.account.id, error = %e, "the first comment was not added"),
        }
    }

    async fn permalink(&self, job: &Job<'_>, g: &Graph<'_>, id: &str) -> Option<String> {
        match g.call("reading the permalink", g.get(&format!("{id}?fields=permalink"))).await {
            Ok(value) => value.get("permalink").and_then(Value::as_str).map(str::to_owned),
            Err(e) => {
                tracing::debug!(error = %e, "no permalink");
                self.page_url(job.account, job.facts)
            }
        }
    }

    /// Settles a publish whose answer was lost, by the container's status.
    async fn settle(&self, job: &mut Job<'_>, started: Timestamp) -> Result<Reconciled, StepError> {
        let g = Graph::new(NAME, job.http, &job.account.endpoint, job.secret);
        let Some(container) = job.steps_done::<containers::Progress>().container else {
            return Ok(Reconciled::NotPublished);
        };
        let answer = g.call("checking the post's status", g.get(&format!("{container}?fields=status_code"))).await?;
        match answer.get("status_code").and_then(Value::as_str).unwrap_or("") {
            "PUBLISHED" => {}
            "ERROR" | "EXPIRED" => {
                let mut progress: containers::Progress = job.steps_done();
                progress.forget_containers();
                job.save_steps(&progress)?;
                return Ok(Reconciled::NotPublished);
            }
            _ => return Ok(Reconciled::NotPublished),
        }
        // Published: find its media id and permalink among the recent posts, by caption.
        let found = if job.post.story {
            None
        } else {
            let user = user_id(job.account)?;
            let path = format!("{user}/media?fields=id,caption,timestamp,permalink&limit={RECENT}");
            let list = g.call("reading recent posts", g.get(&path)).await?;
            let wanted = graph::normalise(&job.post.text);
            list.get("data").and_then(Value::as_array).into_iter().flatten().find_map(|m| {
                let fresh = m
                    .get("timestamp")
                    .and_then(Value::as_str)
                    .and_then(graph::parse_time)
                    .is_none_or(|t| t.0 >= started.0 - 60_000);
                let same = m.get("caption").and_then(Value::as_str).map(graph::normalise).unwrap_or_default() == wanted;
                (fresh && same)
                    .then(|| (graph::id_of(m, "id"), m.get("permalink").and_then(Value::as_str).map(str::to_owned)))
            })
        };
        if let Some((Some(id), _)) = &found {
            self.first_comment(job, &g, id, true).await;
        }
        containers::remove_staged(job, &g).await;
        Ok(match found {
            Some((Some(id), url)) => Reconciled::Published { remote_id: id, url },
            _ => Reconciled::Published { remote_id: container, url: self.page_url(job.account, job.facts) },
        })
    }
}

impl Network for Instagram {
    fn link_about(&self) -> &'static str {
        "An Instagram professional account and its Facebook Page, whose token publishes for both; media through the Page or a bucket"
    }

    fn link_fields(&self) -> &'static [super::link::Field] {
        const FIELDS: &[super::link::Field] = &[
            super::link::Field::address("graph", "the Graph API's address (for testing)").hidden(),
            super::link::Field::text("user_id", "the Instagram account's id").numeric(),
            super::link::Field::text("page_id", "the linked Facebook Page's id").numeric(),
            super::link::Field::secret("token", "access token"),
            super::link::Field::bucket("a bucket to host media instead of the Page"),
        ];
        FIELDS
    }

    fn prepare_link<'a>(
        &'a self,
        _http: &'a reqwest::Client,
        values: &'a super::link::LinkValues,
        _now: Timestamp,
    ) -> BoxFuture<'a, crate::error::Result<super::link::Linking>> {
        async move {
            let token = values.access_token()?;
            let page = graph::page_id(values.given("page_id"))?;
            let user = values.given("user_id");
            if user.is_empty() || !user.chars().all(|c| c.is_ascii_digit()) {
                return Err(crate::error::Error::invalid(format!(
                    "'{user}' is not an Instagram user id: it is a number (the Page's instagram_business_account)"
                )));
            }
            let mut linking = super::link::Linking::new(graph::endpoint(values.text("graph"))?, token)
                .remote(user)
                .hosted(values.bucket())?;
            if linking.options.media_host.is_none() {
                linking.options.media_host = Some(crate::model::MediaHost::FacebookPage { page_id: page.clone() });
            }
            linking.options.page_id = Some(page);
            Ok(linking)
        }
        .boxed()
    }

    fn default_name(&self, verified: &Verified) -> String {
        format!("Instagram: {}", verified.display_name)
    }

    fn kind(&self) -> NetworkKind {
        NetworkKind::Instagram
    }

    fn targets(&self) -> &'static [Target] {
        &[Target::InstagramFeed, Target::InstagramCarousel, Target::InstagramStory, Target::InstagramReel]
    }

    fn look(&self) -> Look {
        // Its logo from Simple Icons (CC0), shown only to name the network an account is on.
        const LOGO: &str = "M7.0301.084c-1.2768.0602-2.1487.264-2.911.5634-.7888.3075-1.4575.72-2.1228 1.3877-.6652.6677-1.075 1.3368-1.3802 2.127-.2954.7638-.4956 1.6365-.552 2.914-.0564 1.2775-.0689 1.6882-.0626 4.947.0062 3.2586.0206 3.6671.0825 4.9473.061 1.2765.264 2.1482.5635 2.9107.308.7889.72 1.4573 1.388 2.1228.6679.6655 1.3365 1.0743 2.1285 1.38.7632.295 1.6361.4961 2.9134.552 1.2773.056 1.6884.069 4.9462.0627 3.2578-.0062 3.668-.0207 4.9478-.0814 1.28-.0607 2.147-.2652 2.9098-.5633.7889-.3086 1.4578-.72 2.1228-1.3881.665-.6682 1.0745-1.3378 1.3795-2.1284.2957-.7632.4966-1.636.552-2.9124.056-1.2809.0692-1.6898.063-4.948-.0063-3.2583-.021-3.6668-.0817-4.9465-.0607-1.2797-.264-2.1487-.5633-2.9117-.3084-.7889-.72-1.4568-1.3876-2.1228C21.2982 1.33 20.628.9208 19.8378.6165 19.074.321 18.2017.1197 16.9244.0645 15.6471.0093 15.236-.005 11.977.0014 8.718.0076 8.31.0215 7.0301.0839m.1402 21.6932c-1.17-.0509-1.8053-.2453-2.2287-.408-.5606-.216-.96-.4771-1.3819-.895-.422-.4178-.6811-.8186-.9-1.378-.1644-.4234-.3624-1.058-.4171-2.228-.0595-1.2645-.072-1.6442-.079-4.848-.007-3.2037.0053-3.583.0607-4.848.05-1.169.2456-1.805.408-2.2282.216-.5613.4762-.96.895-1.3816.4188-.4217.8184-.6814 1.3783-.9003.423-.1651 1.0575-.3614 2.227-.4171 1.2655-.06 1.6447-.072 4.848-.079 3.2033-.007 3.5835.005 4.8495.0608 1.169.0508 1.8053.2445 2.228.408.5608.216.96.4754 1.3816.895.4217.4194.6816.8176.9005 1.3787.1653.4217.3617 1.056.4169 2.2263.0602 1.2655.0739 1.645.0796 4.848.0058 3.203-.0055 3.5834-.061 4.848-.051 1.17-.245 1.8055-.408 2.2294-.216.5604-.4763.96-.8954 1.3814-.419.4215-.8181.6811-1.3783.9-.4224.1649-1.0577.3617-2.2262.4174-1.2656.0595-1.6448.072-4.8493.079-3.2045.007-3.5825-.006-4.848-.0608M16.953 5.5864A1.44 1.44 0 1 0 18.39 4.144a1.44 1.44 0 0 0-1.437 1.4424M5.8385 12.012c.0067 3.4032 2.7706 6.1557 6.173 6.1493 3.4026-.0065 6.157-2.7701 6.1506-6.1733-.0065-3.4032-2.771-6.1565-6.174-6.1498-3.403.0067-6.156 2.771-6.1496 6.1738M8 12.0077a4 4 0 1 1 4.008 3.9921A3.9996 3.9996 0 0 1 8 12.0077";
        Look {
            color: "#c13584",
            logo: Some(LOGO),
            logo_color: "#FF0069",
            accent: Some("#00376b"),
            carousel: true,
            media_first: true,
            fold_at: Some(125),
            ..Look::FEED
        }
    }

    fn rules(&self, _cached: Option<&Value>) -> TargetRules {
        // One photo, one video (a reel) or a carousel of 2 to 10.
        TargetRules {
            min_media: 1,
            source: "Instagram's limit".into(),
            ..TargetRules::from_profile(crate::profiles::profile(Target::InstagramCarousel))
        }
    }

    fn cache_scope(&self, account: &Account) -> Option<String> {
        Some(format!("instagram:user:{}", account.remote_id.as_deref().unwrap_or_default()))
    }

    fn target(&self) -> Target {
        Target::InstagramCarousel
    }

    fn story_target(&self) -> Option<Target> {
        Some(Target::InstagramStory)
    }

    fn features(&self) -> super::Features {
        super::Features { first_comment: Some(COMMENT_LIMIT), publishing_quota: true, ..Default::default() }
    }

    fn publishing_quota<'a>(
        &'a self,
        http: &'a reqwest::Client,
        account: &'a Account,
        secret: &'a Secret,
    ) -> BoxFuture<'a, Result<Option<super::containers::Quota>, Failure>> {
        super::containers::quota(http, account, secret, "Instagram", "content_publishing_limit").boxed()
    }

    /// A single video is a reel, whose rules are wider than a carousel item's.
    fn video_rules(&self, _cached: Option<&Value>) -> Option<crate::profiles::VideoRules> {
        crate::profiles::profile(Target::InstagramReel).video.clone()
    }

    fn page_url(&self, account: &Account, facts: Option<&Value>) -> Option<String> {
        let username = facts.and_then(|f| f.get("username")).and_then(Value::as_str)?;
        let real = format!("https://www.instagram.com/{username}/");
        super::page_on(account, graph::FACEBOOK_ROOT, real, &format!("/instagram/{username}"))
    }

    fn pacing(&self) -> Duration {
        Duration::from_secs(2)
    }

    fn handle(&self, _account: &Account, facts: Option<&Value>) -> Option<String> {
        super::at_fact(facts, "username")
    }

    fn verify<'a>(
        &'a self,
        http: &'a reqwest::Client,
        account: &'a Account,
        secret: &'a Secret,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<Verified, Failure>> {
        async move {
            let g = Graph::new(NAME, http, &account.endpoint, secret);
            let user = user_id(account)?;
            let me = g
                .call("reading the Instagram account", g.get(&format!("{user}?fields=id,username,name,profile_picture_url")))
                .await?;
            let username = me.get("username").and_then(Value::as_str).unwrap_or(user).to_owned();
            let picture =
                super::Picture::address(me.get("profile_picture_url").and_then(Value::as_str).map(str::to_owned));
            let page_id = account.options.page_id.as_deref().ok_or_else(|| {
                Failure::rejected("the account has no linked Facebook Page; link it again through its Page")
            })?;
            let step = "reading the linked Facebook Page";
            let page = g.call(step, g.get(&format!("{page_id}?fields=id,name,access_token,instagram_business_account"))).await?;
            let linked = page.get("instagram_business_account").and_then(|i| graph::id_of(i, "id"));
            if linked.as_deref() != Some(user) {
                return Err(Failure::rejected(format!(
                    "the Facebook Page {page_id} is not linked to the Instagram account @{username}; link them in the Page's settings (Linked accounts) first"
                )));
            }
            let page_token = page.get("access_token").and_then(Value::as_str).map(Secret::new);
            let kept = Graph::new(NAME, http, &account.endpoint, page_token.as_ref().unwrap_or(secret));
            let expiry = graph::token_expiry(&kept, now).await;
            let facts = json!({
                "username": username, "page_id": page_id, "page_name": page.get("name"), "token_expires_at": expiry
            });
            Ok(Verified { remote_id: user.to_owned(), display_name: format!("@{username}"), cache: Some(facts), secret: page_token, picture })
        }
        .boxed()
    }

    fn deliver<'a, 'j: 'a>(&'a self, job: &'a mut Job<'j>) -> BoxFuture<'a, Result<Published, StepError>> {
        self.publish(job).boxed()
    }

    fn reconcile<'a, 'j: 'a>(
        &'a self,
        job: &'a mut Job<'j>,
        started: Timestamp,
    ) -> BoxFuture<'a, Result<Reconciled, StepError>> {
        self.settle(job, started).boxed()
    }
}
