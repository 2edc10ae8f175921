//! Passwords: argon2id hashes, checked and made on a fixed few threads of their own
//! (`PasswordWorkers`), each keeping its argon2 memory for the next check.

use crate::problem::ApiError;
use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
use argon2::{Argon2, PasswordHash};
use std::sync::{Arc, LazyLock};

/// Hash a password with argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing password: {e}"))?
        .to_string())
}

/// Compared against when the e-mail is unknown, so that answers take as long.
pub(super) static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password("not a real password").unwrap_or_default());

thread_local! {
    /// argon2's working memory (19 MiB), kept by each thread that checks passwords
    /// and used again for the next check: allocating and freeing it per check left
    /// the allocator holding far more than the checks at once need.
    static ARGON2_MEMORY: std::cell::RefCell<Vec<argon2::Block>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

pub(crate) fn verify_password(password: &str, hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let (Some(expected), Some(salt)) = (parsed.hash, parsed.salt) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        argon2::Algorithm::try_from(parsed.algorithm),
        argon2::Params::try_from(&parsed),
    ) else {
        return false;
    };
    let version = match parsed.version.map(argon2::Version::try_from) {
        None => argon2::Version::default(),
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let blocks = params.block_count();
    let argon2 = Argon2::new(algorithm, version, params);
    let mut out = vec![0u8; expected.len()];
    let computed = ARGON2_MEMORY.with(|memory| {
        let mut memory = memory.borrow_mut();
        memory.resize(blocks, argon2::Block::default());
        argon2
            .hash_password_into_with_memory(password.as_bytes(), salt, &mut out, &mut memory[..])
            .is_ok()
    });
    // `Output` compares in constant time.
    computed && argon2::password_hash::Output::new(&out).is_ok_and(|out| out == expected)
}

/// How long a password check waits for its turn before the sign-in answers 429.
const CHECK_TURN: std::time::Duration = std::time::Duration::from_secs(10);

type Job = Box<dyn FnOnce() + Send>;

/// The threads that check and hash passwords (argon2, 19 MiB each): a fixed few,
/// each taking one job at a time, so that at most that many blocks of argon2 memory
/// exist at once — and stay the same few, instead of one more in every thread of
/// the blocking pool that ever ran a check (the allocator keeps what a thread
/// freed).
#[derive(Clone, Debug)]
pub struct PasswordWorkers {
    jobs: std::sync::mpsc::Sender<Job>,
    turns: Arc<tokio::sync::Semaphore>,
}

impl PasswordWorkers {
    /// `n` threads; they end when the last handle is dropped.
    pub fn start(n: usize) -> std::io::Result<Self> {
        let n = n.max(1);
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let queue = Arc::new(std::sync::Mutex::new(queue));
        for i in 0..n {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("password-{i}"))
                .spawn(move || {
                    loop {
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                })?;
        }
        Ok(Self {
            jobs,
            turns: Arc::new(tokio::sync::Semaphore::new(n)),
        })
    }

    /// Run `work` on a password thread when one is free; `queue` false takes one
    /// only if it is free now. No turn within ten seconds (or at once): 429.
    pub async fn run<T: Send + 'static>(
        &self,
        queue: bool,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let busy = ApiError::TooManyAttempts {
            retry_after_secs: 5,
        };
        let permit = if queue {
            tokio::time::timeout(CHECK_TURN, self.turns.clone().acquire_owned())
                .await
                .map_err(|_| busy)?
                .map_err(|e| ApiError::Internal(e.into()))?
        } else {
            self.turns.clone().try_acquire_owned().map_err(|_| busy)?
        };
        let (answer, answered) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let result = work();
                // The turn is free before anyone hears the answer.
                drop(permit);
                let _ = answer.send(result);
            }))
            .map_err(|_| ApiError::Internal(anyhow::anyhow!("the password threads have ended")))?;
        answered
            .await
            .map_err(|_| ApiError::Internal(anyhow::anyhow!("a password check failed")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn password_checks_take_turns() {
        let workers = PasswordWorkers::start(1).expect("threads");
        let (release, released) = std::sync::mpsc::channel::<()>();
        let busy = {
            let workers = workers.clone();
            tokio::spawn(async move { workers.run(true, move || released.recv().is_ok()).await })
        };
        // The one thread is busy: without queueing, a check is refused at once.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert!(matches!(
            workers.run(false, || 1).await,
            Err(ApiError::TooManyAttempts { .. })
        ));
        release.send(()).expect("release");
        assert!(matches!(busy.await, Ok(Ok(true))));
        assert_eq!(workers.run(false, || 2).await.ok(), Some(2));
        assert_eq!(workers.run(true, || 3).await.ok(), Some(3));
    }

    #[test]
    fn passwords_verify_only_with_the_right_password() {
        let hash = hash_password("Sprachmittlung!2026").expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("Sprachmittlung!2026", &hash));
        assert!(!verify_password("sprachmittlung!2026", &hash));
        assert!(!verify_password("anything", "not a hash"));
    }
}
