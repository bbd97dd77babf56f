//! Small pieces every layer needs and std lacks: RFC 3339 timestamps, random identifiers and token
//! secrets, SHA-256, constant-time comparison. The clock and the random generator are read here and
//! only here, so the pure layers receive times and ids as values.

use crate::base::calendar;
use ring::rand::{SecureRandom, SystemRandom};
use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Seconds since the Unix epoch.
pub fn now_unix() -> i64 {
    now_ms() / 1000
}

/// The current time as RFC 3339 with milliseconds.
pub fn now_rfc3339() -> String {
    calendar::rfc3339_ms(now_ms())
}

/// The current time as RFC 3339 at whole seconds (resource `meta` times).
pub fn now_rfc3339_secs() -> String {
    calendar::rfc3339(now_unix())
}

/// Fills `buf` from the operating system's random generator.
pub fn random_bytes(buf: &mut [u8]) -> crate::error::Result<()> {
    SystemRandom::new()
        .fill(buf)
        .map_err(|_| crate::error::Error::internal("the operating system's random generator failed"))
}

/// A new id: a UUID string (version 7, RFC 9562), the form identity engineers expect for SCIM ids.
/// Its first 48 bits are the time in milliseconds and the other 74 free bits random, so ids made
/// together sort together: a new user's entries in the id index, its emails' user index and the
/// audit's user index land on the same few pages as the last ones', instead of a random page of each
/// (each a page read and a page more in the commit), and are still unguessable.
pub fn uuid() -> crate::error::Result<String> {
    let mut b = [0u8; 16];
    random_bytes(&mut b[6..])?;
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    b[..6].copy_from_slice(&ms.to_be_bytes()[2..]);
    b[6] = (b[6] & 0x0f) | 0x70;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex(&b);
    Ok(format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32]))
}

/// Lowercase hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// SHA-256 digest.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// Compares two byte strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// Creates a file only its owner can read (mode 0600), never through a symbolic link and never over
/// an existing file unless `replace` (then a file or link at `path` is removed first, not followed):
/// backups and reports hold every user and token hash.
pub fn create_private_file(path: &std::path::Path, replace: bool) -> crate::error::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    if replace && std::fs::symlink_metadata(path).is_ok() {
        std::fs::remove_file(path).map_err(|e| {
            crate::error::Error::invalid_value(format!("cannot replace {}: {e}", path.display()))
        })?;
    }
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => crate::error::Error::invalid_value(format!(
                "{} exists (a file or a link); choose a new name, or pass --force to replace it",
                path.display()
            )),
            _ => crate::error::Error::invalid_value(format!("cannot create {}: {e}", path.display())),
        })
}

/// Flushes a directory's entries to disk (after a rename into it).
pub fn sync_dir(dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_has_version_7_shape_and_sorts_by_time() {
        let u = uuid().unwrap();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "7");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"), "{u}");
        let ms = u64::from_str_radix(&u[..13].replace('-', ""), 16).unwrap();
        let now =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
        assert!(now.abs_diff(ms) < 60_000, "{u}: {ms} vs {now}");
        std::thread::sleep(std::time::Duration::from_millis(2));
        let later = uuid().unwrap();
        assert!(later > u, "{later} after {u}");
    }

    #[test]
    fn constant_time_eq_compares() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
