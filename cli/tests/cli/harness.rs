//! Runs the real `fanout` binary against a data folder of its own and an in-process sandbox.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use fanout_sandbox::{FaultPlan, Sandbox, SandboxConfig};
use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_fanout");
pub const PHOTO: &[u8] = include_bytes!("../../assets/demo-photo.png");

pub struct Harness {
    pub dir: tempfile::TempDir,
    pub sandbox: Sandbox,
    // Keeps the sandbox's server tasks running while the test drives processes synchronously.
    runtime: tokio::runtime::Runtime,
}

#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl Harness {
    pub fn new(faults: &str) -> Harness {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        let config = SandboxConfig {
            faults: FaultPlan::from_json(faults).expect("fault plan"),
            media_processing: Duration::from_millis(100),
            ..SandboxConfig::default()
        };
        let sandbox = runtime.block_on(Sandbox::start(config)).expect("sandbox");
        Harness { dir: tempfile::tempdir().expect("tempdir"), sandbox, runtime }
    }

    /// Runs async work (an HTTP client, say) on the harness's runtime.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    pub fn data_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("data")
    }

    /// `fanout --data-dir … ARGS` with the file secret store and debug logging.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.arg("--data-dir").arg(self.data_dir()).args(args);
        cmd.env("FANOUT_SECRET_STORE", "file").env("FANOUT_LOG", "debug").env_remove("FANOUT_TEST_PAUSE_MS");
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, "")
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Run {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn fanout");
        if let Some(mut input) = child.stdin.take() {
            let _ = input.write_all(stdin.as_bytes());
        }
        let out = child.wait_with_output().expect("fanout finishes");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    #[track_caller]
    pub fn ok(&self, args: &[&str]) -> Run {
        let run = self.run(args);
        assert_eq!(run.code, 0, "fanout {args:?} failed:\n{}", run.all());
        run
    }

    pub fn add_mastodon(&self, name: &str, token: &str) -> Run {
        let server = self.sandbox.url();
        let run = self.run_with_stdin(
            &["accounts", "add", "mastodon", "--server", &server, "--token-stdin", "--name", name, "--enable"],
            &format!("{token}\n"),
        );
        assert_eq!(run.code, 0, "linking {name}:\n{}", run.all());
        run
    }

    pub fn add_discord(&self, name: &str, id: u32, token: &str, enable: bool) -> Run {
        let url = format!("{}/api/webhooks/{id}/{token}\n", self.sandbox.url());
        let mut args = vec!["accounts", "add", "discord", "--webhook-stdin", "--name", name];
        if enable {
            args.push("--enable");
        }
        let run = self.run_with_stdin(&args, &url);
        assert_eq!(run.code, 0, "linking {name}:\n{}", run.all());
        run
    }

    /// Links a sandbox Facebook Page with its own token, enabled.
    pub fn add_facebook(&self, name: &str, page_id: &str) -> Run {
        let graph = format!("{}/graph", self.sandbox.url());
        let run = self.run_with_stdin(
            &[
                "accounts",
                "add",
                "facebook",
                "--page-id",
                page_id,
                "--graph",
                &graph,
                "--token-stdin",
                "--name",
                name,
                "--enable",
            ],
            &format!("{}\n", fanout_sandbox::page_token(page_id)),
        );
        assert_eq!(run.code, 0, "linking {name}:\n{}", run.all());
        run
    }

    /// Links a sandbox Instagram account through its Page with the user's token, enabled.
    pub fn add_instagram(&self, name: &str, user_id: &str, page_id: &str) -> Run {
        let graph = format!("{}/graph", self.sandbox.url());
        let run = self.run_with_stdin(
            &[
                "accounts",
                "add",
                "instagram",
                "--user-id",
                user_id,
                "--page-id",
                page_id,
                "--graph",
                &graph,
                "--token-stdin",
                "--name",
                name,
                "--enable",
            ],
            &format!("{}\n", fanout_sandbox::SANDBOX_USER_TOKEN),
        );
        assert_eq!(run.code, 0, "linking {name}:\n{}", run.all());
        run
    }

    pub fn outbox(&self) -> Vec<Value> {
        let run = self.ok(&["outbox", "--json", "--limit", "100000"]);
        serde_json::from_str::<Value>(&run.stdout)
            .expect("outbox --json is JSON")
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub fn photo(&self) -> std::path::PathBuf {
        let path = self.dir.path().join("photo.png");
        std::fs::write(&path, PHOTO).expect("write photo");
        path
    }
}
