//! The state lock: one apply (or destroy) per stack at a time, held as the S3 object
//! `<artifacts>.sagetune/<stack>.lock` written with `If-None-Match: *`, refreshed with
//! `If-Match`, released by its holder. `plan` never takes it.

use crate::diagnostics::Diagnostic;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::cloud::split_s3;
use crate::cloud::{Cloud, CloudError, CloudRead};

/// What the lock object says about its holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// Random id; `sagetune unlock ID` must name it.
    pub id: String,
    /// `user@host`.
    pub(crate) holder: String,
    pub(crate) command: String,
    pub(crate) created_at: String,
    pub(crate) refreshed_at: String,
    /// The CI run holding it (GitHub Actions or GitLab), when there is one.
    pub(crate) ci_run: Option<String>,
    pub(crate) sagetune_version: String,
}

impl LockInfo {
    /// "alice@build-7 (sagetune apply, since …, CI run …, lock id …)".
    pub(crate) fn describe(&self) -> String {
        let mut s = format!(
            "{} ({}, since {}, last refreshed {}",
            self.holder, self.command, self.created_at, self.refreshed_at
        );
        if let Some(run) = &self.ci_run {
            s.push_str(&format!(", CI run {run}"));
        }
        s.push_str(&format!(", lock id {})", self.id));
        s
    }
}

/// Why the lock could not be taken or removed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LockError {
    /// Another run holds the lock.
    #[error("stack is locked by {}", .0.describe())]
    Held(Box<LockInfo>),
    /// `unlock` named another id than the lock's.
    #[error("the lock's id is {actual}, not {given}")]
    WrongId { given: String, actual: String },
    /// No lock to remove.
    #[error("the stack is not locked")]
    NotLocked,
    /// The lock object is not sagetune's.
    #[error("the lock object {0} is not a sagetune lock")]
    Unreadable(String),
    /// AWS failed.
    #[error(transparent)]
    Cloud(#[from] CloudError),
}

/// `(bucket, key)` of a stack's lock object.
pub fn location(artifacts: &str, stack: &str) -> (String, String) {
    let (bucket, prefix) = split_s3(artifacts);
    (
        bucket.to_string(),
        format!("{prefix}.sagetune/{stack}.lock"),
    )
}

/// How often a held lock is rewritten while work runs under it ([`StateLock::hold_while`]).
pub(crate) const REFRESH_EVERY: Duration = Duration::from_secs(60);

/// A held lock; release it with [`StateLock::release`].
pub struct StateLock<'a> {
    cloud: &'a dyn Cloud,
    bucket: String,
    key: String,
    info: Mutex<(LockInfo, String)>,
}

fn read(
    cloud: &dyn CloudRead,
    bucket: &str,
    key: &str,
) -> Result<Option<(LockInfo, String)>, LockError> {
    match cloud.get_object(bucket, key)? {
        None => Ok(None),
        Some(blob) => serde_json::from_slice(&blob.body)
            .map(|info| Some((info, blob.etag)))
            .map_err(|_| LockError::Unreadable(format!("s3://{bucket}/{key}"))),
    }
}

/// Who runs this: `$USER@host`.
fn holder() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".into());
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown-host".into());
    format!("{user}@{host}")
}

/// The CI run from GitHub Actions or GitLab variables.
pub(crate) fn ci_run(env: &impl Fn(&str) -> Option<String>) -> Option<String> {
    if let (Some(server), Some(repo), Some(run)) = (
        env("GITHUB_SERVER_URL"),
        env("GITHUB_REPOSITORY"),
        env("GITHUB_RUN_ID"),
    ) {
        return Some(format!("{server}/{repo}/actions/runs/{run}"));
    }
    env("CI_JOB_URL").or_else(|| env("CI_PIPELINE_URL"))
}

/// Takes the stack's lock or says who holds it. Fails at once; never waits.
pub fn acquire<'a>(
    cloud: &'a dyn Cloud,
    artifacts: &str,
    stack: &str,
    command: &str,
    now: &str,
) -> Result<StateLock<'a>, LockError> {
    let (bucket, key) = location(artifacts, stack);
    let holder = holder();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let seed = format!("{holder} {} {nanos} {stack}", std::process::id());
    let info = LockInfo {
        id: crate::files::sha256_hex(seed.as_bytes())[..16].to_string(),
        holder,
        command: command.to_string(),
        created_at: now.to_string(),
        refreshed_at: now.to_string(),
        ci_run: ci_run(&|k| std::env::var(k).ok().filter(|v| !v.is_empty())),
        sagetune_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    let body = serde_json::to_vec_pretty(&info).expect("lock info serializes");
    match cloud.put_if(&bucket, &key, &body, None) {
        Ok(etag) => Ok(StateLock {
            cloud,
            bucket,
            key,
            info: Mutex::new((info, etag)),
        }),
        Err(CloudError::PreconditionFailed { .. }) => match read(cloud, &bucket, &key)? {
            // Our own write, whose answer was lost (the SDK's retry then met it): ours.
            Some((found, etag)) if found.id == info.id => Ok(StateLock {
                cloud,
                bucket,
                key,
                info: Mutex::new((found, etag)),
            }),
            Some((other, _)) => Err(LockError::Held(Box::new(other))),
            // Released between our write and our read: the caller may simply try again.
            None => Err(LockError::Cloud(CloudError::PreconditionFailed {
                operation: "PutObject".into(),
            })),
        },
        Err(e) => Err(e.into()),
    }
}

impl StateLock<'_> {
    /// The lock's id.
    pub fn id(&self) -> String {
        self.info
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .0
            .id
            .clone()
    }

    /// Rewrites the lock with a new `refreshed_at`, only if it is still ours.
    pub(crate) fn refresh(&self, now: &str) -> Result<(), CloudError> {
        let mut guard = self
            .info
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (info, etag) = &mut *guard;
        info.refreshed_at = now.to_string();
        let body = serde_json::to_vec_pretty(info).expect("lock info serializes");
        *etag = self
            .cloud
            .put_if(&self.bucket, &self.key, &body, Some(etag))?;
        Ok(())
    }

    /// Runs `work` while a background thread refreshes the lock every `every` (stamped with
    /// `now()`); refreshing stops as soon as `work` returns or panics. A failed refresh is not
    /// fatal: the lock stays held with its older stamp, and `release` still checks it is ours.
    pub(crate) fn hold_while<T>(
        &self,
        every: Duration,
        now: &(dyn Fn() -> String + Sync),
        work: impl FnOnce() -> T,
    ) -> T {
        /// Sets the flag when dropped, so the refresher ends even if `work` panics.
        struct Done<'f>(&'f AtomicBool);
        impl Drop for Done<'_> {
            fn drop(&mut self) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let done = AtomicBool::new(false);
        let tick = Duration::from_millis(200).min(every);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let mut last = Instant::now();
                while !done.load(Ordering::SeqCst) {
                    std::thread::sleep(tick);
                    if last.elapsed() >= every && !done.load(Ordering::SeqCst) {
                        let _ = self.refresh(&now());
                        last = Instant::now();
                    }
                }
            });
            let _done = Done(&done);
            work()
        })
    }

    /// Removes the lock if it is still ours.
    pub fn release(self) -> Result<(), LockError> {
        let (info, _) = self
            .info
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match read(self.cloud, &self.bucket, &self.key)? {
            Some((now, _)) if now.id == info.id => {
                self.cloud.delete_object(&self.bucket, &self.key)?;
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// `sagetune unlock ID`: removes a stuck lock after checking its id.
pub fn unlock(
    cloud: &dyn Cloud,
    artifacts: &str,
    stack: &str,
    id: &str,
) -> Result<LockInfo, LockError> {
    let (bucket, key) = location(artifacts, stack);
    match read(cloud, &bucket, &key)? {
        None => Err(LockError::NotLocked),
        Some((info, _)) if info.id != id => Err(LockError::WrongId {
            given: id.to_string(),
            actual: info.id,
        }),
        Some((info, _)) => {
            cloud.delete_object(&bucket, &key)?;
            Ok(info)
        }
    }
}

impl From<&LockError> for Diagnostic {
    /// The state lock could not be taken or removed.
    fn from(e: &LockError) -> Self {
        match e {
            LockError::Held(info) => Diagnostic::new("apply::locked", e.to_string()).help(format!(
                "wait for that run to finish; if it crashed, remove the lock with `sagetune unlock {}`",
                info.id
            )),
            LockError::Cloud(c) => c.into(),
            _ => Diagnostic::new("apply::lock", e.to_string())
                .help("`sagetune unlock LOCK_ID` removes a stuck lock; the id is in the \"stack is locked\" message"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::fake::FakeCloud;

    #[test]
    fn one_holder_at_a_time_and_unlock_checks_the_id() {
        let cloud = FakeCloud::new();
        cloud.add_bucket("b");
        let first = acquire(&cloud, "s3://b/p/", "fx", "sagetune apply", "t0").unwrap();
        let second = acquire(&cloud, "s3://b/p/", "fx", "sagetune apply", "t1");
        match second {
            Err(LockError::Held(info)) => {
                assert_eq!(info.id, first.id());
                assert!(info.describe().contains("sagetune apply, since t0"));
            }
            other => panic!("{:?}", other.err()),
        }
        first.refresh("t2").unwrap();
        assert!(matches!(
            unlock(&cloud, "s3://b/p/", "fx", "nope"),
            Err(LockError::WrongId { .. })
        ));
        let id = first.id();
        first.release().unwrap();
        assert!(cloud.object_keys("b").is_empty());
        assert!(matches!(
            unlock(&cloud, "s3://b/p/", "fx", &id),
            Err(LockError::NotLocked)
        ));
        let again = acquire(&cloud, "s3://b/p/", "fx", "sagetune apply", "t3").unwrap();
        let info = unlock(&cloud, "s3://b/p/", "fx", &again.id()).unwrap();
        assert_eq!(info.created_at, "t3");
    }

    #[test]
    fn a_lock_whose_write_answer_was_lost_is_adopted_not_reported_as_held() {
        let cloud = FakeCloud::new();
        cloud.add_bucket("b");
        cloud.lose_next_put_answer();
        let held = acquire(&cloud, "s3://b/p/", "fx", "sagetune apply", "t0")
            .expect("our own lock, written before the answer was lost");
        let other = acquire(&cloud, "s3://b/p/", "fx", "sagetune apply", "t1");
        assert!(
            matches!(other, Err(LockError::Held(_))),
            "{:?}",
            other.err()
        );
        held.refresh("t2").expect("the adopted etag is current");
        held.release().unwrap();
        assert!(cloud.object_keys("b").is_empty());
    }

    #[test]
    fn a_held_lock_is_refreshed_while_work_runs_and_no_longer_after() {
        let cloud = FakeCloud::new();
        cloud.add_bucket("b");
        let held = acquire(&cloud, "s3://b/p/", "fx", "sagetune apply", "t0").unwrap();
        let stamps = std::sync::atomic::AtomicUsize::new(0);
        let now = || format!("t{}", stamps.fetch_add(1, Ordering::SeqCst) + 1);
        let every = Duration::from_millis(20);
        let answer = held.hold_while(every, &now, || {
            std::thread::sleep(Duration::from_millis(300));
            42
        });
        assert_eq!(answer, 42);
        let refreshed = stamps.load(Ordering::SeqCst);
        assert!(refreshed >= 2, "refreshed {refreshed} times in 300 ms");
        let (bucket, key) = location("s3://b/p/", "fx");
        let info: LockInfo =
            serde_json::from_slice(&cloud.get_object(&bucket, &key).unwrap().unwrap().body)
                .unwrap();
        assert_eq!(info.refreshed_at, format!("t{refreshed}"));
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(
            stamps.load(Ordering::SeqCst),
            refreshed,
            "no refresh after the work"
        );
        // A panicking work item still ends the refresher (the scope would hang otherwise).
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            held.hold_while(every, &now, || panic!("boom"));
        }));
        assert!(caught.is_err());
        held.release().unwrap();
    }

    #[test]
    fn ci_runs_are_named_from_github_or_gitlab() {
        let gh = |k: &str| {
            match k {
                "GITHUB_SERVER_URL" => Some("https://github.com"),
                "GITHUB_REPOSITORY" => Some("o/r"),
                "GITHUB_RUN_ID" => Some("42"),
                _ => None,
            }
            .map(str::to_string)
        };
        assert_eq!(
            ci_run(&gh).as_deref(),
            Some("https://github.com/o/r/actions/runs/42")
        );
        let gl = |k: &str| (k == "CI_JOB_URL").then(|| "https://gitlab/x/-/jobs/7".to_string());
        assert_eq!(ci_run(&gl).as_deref(), Some("https://gitlab/x/-/jobs/7"));
        assert_eq!(ci_run(&|_: &str| None), None);
    }
}
