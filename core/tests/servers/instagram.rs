//! Instagram with its media on an S3-compatible bucket — moto's S3 server, started by the test on
//! 127.0.0.1 (`make test` installs it): a bucket that does not exist is refused when linking, the
//! files are fetched by their presigned addresses and removed after publishing, and removing the
//! account removes the bucket's secret. `Moto` and `bucket_host` serve the chats' and Threads'
//! bucket tests too.

use std::time::Duration;

use fanout_core::accounts::{Credentials, NewAccount};
use fanout_core::model::DeliveryState;
use fanout_core::secrets::{Secret, SecretStore};
use fanout_sandbox::page_token;

use super::common::instagram::bakery;
use super::env;

/// moto's S3 server on a free loopback port, for as long as the test holds it.
pub(super) struct Moto {
    child: std::process::Child,
    pub(super) url: String,
}

impl Moto {
    pub(super) fn start() -> Moto {
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("addr").port();
        let child = std::process::Command::new("python3")
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3 runs (make test installs moto's S3 server)");
        let url = format!("http://127.0.0.1:{port}");
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "moto's S3 server did not start: run `make test`, which installs it"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto { child, url }
    }

    pub(super) async fn create_bucket(&self, http: &reqwest::Client, name: &str) {
        let bucket = rusty_s3::Bucket::new(
            self.url.parse().expect("url"),
            rusty_s3::UrlStyle::Path,
            name.to_owned(),
            "us-east-1",
        )
        .expect("bucket");
        let credentials = rusty_s3::Credentials::new("testing", "testing");
        let url = rusty_s3::S3Action::sign(&bucket.create_bucket(&credentials), Duration::from_secs(60));
        let status = http
            .put(url.as_str())
            .header("content-length", "0")
            .body(Vec::new())
            .send()
            .await
            .expect("create bucket")
            .status();
        assert!(status.is_success(), "moto created the bucket: {status}");
    }

    /// Lets anyone read the bucket's files (a bucket policy, as a public bucket has), with boto3,
    /// which moto's server brings along.
    pub(super) fn make_public(&self, name: &str) {
        const SCRIPT: &str = r#"
import json, sys, boto3
from botocore.config import Config
url, bucket = sys.argv[1], sys.argv[2]
s3 = boto3.client("s3", endpoint_url=url, aws_access_key_id="testing", aws_secret_access_key="testing",
                  region_name="us-east-1", config=Config(s3={"addressing_style": "path"}))
policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
          "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}
s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
"#;
        let out = std::process::Command::new("python3")
            .args(["-c", SCRIPT, &self.url, name])
            .output()
            .expect("python3 runs (make test installs moto, which brings boto3)");
        assert!(out.status.success(), "the bucket policy was set: {}", String::from_utf8_lossy(&out.stderr));
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(super) fn bucket_host(moto: &Moto, bucket: &str) -> fanout_core::accounts::BucketHost {
    fanout_core::accounts::BucketHost {
        endpoint: moto.url.clone(),
        bucket: bucket.into(),
        region: "us-east-1".into(),
        access_key_id: "testing".into(),
        secret_access_key: Secret::new("testing"),
        path_style: true,
        public_url: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_in_an_s3_bucket_is_fetched_by_its_presigned_address_and_removed_after_publishing() {
    let moto = Moto::start();
    let env = env("{}").await;
    moto.create_bucket(&env.http, "fanout-media").await;
    let link = |bucket: &str| NewAccount {
        name: None,
        credentials: Credentials::new(fanout_core::model::NetworkKind::Instagram)
            .text("graph", format!("{}/graph", env.sandbox.url()))
            .text("user_id", bakery().0)
            .text("page_id", bakery().1)
            .secret("token", Secret::new(page_token(bakery().1)))
            .bucket(Some(bucket_host(&moto, bucket))),
        enabled: true,
        demo: true,
    };
    let missing = env.accounts().add(link("no-such-bucket")).await.expect_err("the bucket does not exist");
    assert!(missing.to_string().contains("media host"), "says the media host is the problem: {missing}");
    let ig = env.accounts().add(link("fanout-media")).await.expect("linked with a bucket");
    let host_key = fanout_core::model::media_host_secret_key(ig.id);
    assert_eq!(env.secrets.get(&host_key).expect("read").map(|s| s.expose().to_owned()).as_deref(), Some("testing"));

    let ids = env.post("Two loaves", vec![env.photo(), env.photo()], &[&ig]);
    env.deliver(&ids).await;
    let d = env.delivery(ids[0]);
    assert_eq!(d.state, DeliveryState::Sent, "{:?}", d.last_error);
    let state = env.sandbox.state();
    assert_eq!(state.instagram_media.len(), 1);
    assert!(state.graph_objects.is_empty(), "nothing was staged on the Page");
    let hosted = d.checkpoint["hosted"].as_array().cloned().expect("staged files are checkpointed");
    assert_eq!(hosted.len(), 2);
    for file in hosted {
        let url = file["url"].as_str().expect("its address");
        assert!(url.starts_with(&moto.url) && url.contains("X-Amz-Signature"), "a presigned bucket address: {url}");
        let status = env.http.get(url).send().await.expect("fetch").status();
        assert_eq!(status.as_u16(), 404, "removed from the bucket after publishing");
    }

    env.accounts().remove(&ig.name).await.expect("remove");
    assert!(env.secrets.get(&host_key).expect("read").is_none(), "removing the account removes the bucket's secret");
}
