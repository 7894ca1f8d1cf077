//! The results cache of `backlint check` (as ruff's): a run on an unchanged tree reads no file's
//! tree, and after an edit only the edited files are parsed again.
//!
//! **What is kept.** For each file, what its own analysis yields before the project-wide step
//! ([`record::Record`]): its findings with their cross-file conditions still unresolved, its
//! suppressions, its part of the project index, its role, its notice. Every run merges the
//! project index anew from all files, cached or not, and resolves every condition against it,
//! then applies suppressions, severity overrides, per-path ignores, `--baseline` and `--diff`:
//! a finding that depends on another file (a helper there that queries, an app-wide rate
//! limiter) follows that file's changes, and every filter works as on a cold run. Source text is
//! not kept: a file whose finding is shown as a snippet is read again then.
//!
//! **Key.** The directory is picked by the tool's version and build (a hash of its sources,
//! rule docs and locked dependencies), the project root and the configuration the analysis
//! reads (not the filters applied after it). In it, a file's record is found by its path
//! relative to the project root and trusted when its size and modification time match (as
//! ruff), else when the SHA-256 of its content does; a file modified less than two seconds
//! before it was read is found by content the next time (it may change again within the same
//! clock tick). A source file's record also holds the role its path gave (configured globs,
//! folders, the nearest package.json or Cargo.toml), and holds only while the path gives the
//! same role.
//!
//! **Layout.** `<cache-dir>/<version>-<build>/<project>/<NN>.bin`: records in 32 shards by a
//! hash of the path; a shard is the magic bytes, the format number, the key, the SHA-256 of the
//! payload and the payload (postcard). A shard that fails any check is ignored and rewritten;
//! a shard is written only when a record in it changed, to a temporary file renamed into place,
//! so two runs can share the directory (the last one to write a shard wins, and every record in
//! it is valid). Records of files that no longer exist are dropped when their shard is written.
//!
//! **Memory.** A run keeps no record body in memory: a shard read is checked, then only its
//! index (path, size, time, hash, where the body is) is kept with the file open, and a body is
//! read again when it is needed; the records made in the run go to a temporary spool file
//! (deleted when the run ends) until their shard is written. So the cache's memory is a few
//! dozen bytes per file, and one shard's bytes per thread while shards are written.

pub mod record;
pub mod statics;

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, Metadata};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Config;

/// The default cache directory, under the project root.
pub const DEFAULT_DIR: &str = ".backlint_cache";
/// Marks a directory as backlint's cache (<https://bford.info/cachedir/>); `backlint clean`
/// removes only a directory that has it.
const TAG: &str = "CACHEDIR.TAG";
const TAG_TEXT: &str = "Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by backlint.\n";
const MAGIC: &[u8; 8] = b"backlint";
/// The shard format; bump it when [`record::Record`] or the shard layout changes shape
/// (a build id change already separates builds).
const FORMAT: u32 = 1;
const SHARDS: usize = 32;
/// Magic, format, key, payload hash.
const HEADER: usize = 8 + 4 + 32 + 32;
/// A file modified this recently may change again within the same clock tick.
const RACY: Duration = Duration::from_secs(2);

/// What a run did with the cache.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// The directory of this build and project; `None`: no cache.
    pub dir: Option<PathBuf>,
    /// Files whose results came from the cache.
    pub hits: usize,
    /// Files read, parsed and checked.
    pub misses: usize,
    /// Shard files written.
    pub written: usize,
}

/// The cache of one run: shards are read on first use and written by [`Cache::save`].
pub struct Cache {
    /// The cache directory as configured (where the tag files go).
    base: PathBuf,
    /// `base/<version>-<build>/<project>`.
    dir: PathBuf,
    /// The project root, for dropping records of files that are gone.
    root: PathBuf,
    key: [u8; 32],
    shards: Vec<Shard>,
    /// Where the records made in this run wait to be written (`None`: it could not be made;
    /// they are kept in memory).
    spool: OnceLock<Option<Mutex<Spool>>>,
    hits: AtomicUsize,
    misses: AtomicUsize,
}

/// A temporary file the records made in a run are appended to.
struct Spool {
    file: File,
    len: u64,
}

#[derive(Default)]
struct Shard {
    loaded: OnceLock<Loaded>,
    /// Records made or refreshed in this run.
    fresh: Mutex<Vec<(String, Entry)>>,
}

/// A shard as read from disk: its records' heads, and the file their bodies are read from.
#[derive(Default)]
struct Loaded {
    /// Kept open: a run that replaces the shard meanwhile renames another file into its place,
    /// so this one still holds the bytes that were checked.
    file: Mutex<Option<File>>,
    heads: HashMap<String, Head>,
    /// The file exists but failed a check: rewrite it.
    bad: bool,
}

/// A record's file facts and where its body is in [`Loaded::file`].
#[derive(Clone, Copy)]
struct Head {
    size: u64,
    mtime: Option<u64>,
    hash: [u8; 32],
    body: (usize, usize),
}

/// A record on disk.
#[derive(Serialize, Deserialize)]
struct Wire<'a> {
    path: &'a str,
    size: u64,
    /// Nanoseconds since the epoch; `None`: find the record by content.
    mtime: Option<u64>,
    hash: [u8; 32],
    #[serde(with = "serde_bytes")]
    body: &'a [u8],
}

/// A record made in this run.
struct Entry {
    size: u64,
    mtime: Option<u64>,
    hash: [u8; 32],
    body: Place,
}

/// Where the body of a record made in this run waits.
enum Place {
    /// In the spool, at (offset, length).
    Spool(u64, usize),
    Memory(Vec<u8>),
}

/// One file's lookup: what its metadata says, its record if any, its content hash once known.
pub struct Probe {
    shard: usize,
    path: String,
    size: u64,
    mtime: Option<u64>,
    /// `mtime` unless the file was modified too recently to be trusted by it.
    settled_mtime: Option<u64>,
    head: Option<Head>,
    hash: Option<[u8; 32]>,
}

/// The part of the configuration the per-file analysis reads (the filters applied after it,
/// discovery and the cache's own place are left out).
fn config_key(config: &Config) -> String {
    let mut c = config.clone();
    c.min_severity = crate::severity::Severity::Info;
    c.severity = Default::default();
    c.per_path_ignores = Vec::new();
    c.exclude = Vec::new();
    c.cache_dir = None;
    format!("{c:?}")
}

/// `<version>-<build id>`: one directory per build of the tool.
pub fn build_dir_name() -> String {
    format!(
        "{}-{}",
        env!("CARGO_PKG_VERSION"),
        env!("BACKLINT_BUILD_ID")
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Nanoseconds since the epoch.
fn nanos(t: SystemTime) -> Option<u64> {
    t.duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| u64::try_from(d.as_nanos()).ok())
}

/// FNV-1a of a path, for its shard (stable across runs and platforms).
fn shard_of(path: &str) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in path.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h % SHARDS as u64) as usize
}

impl Cache {
    /// The cache under `base` (made absolute against the project root when relative) for a
    /// project at `root` (absolute) checked with `config`. Nothing is read or written yet.
    pub fn new(base: &Path, root: &Path, config: &Config) -> Cache {
        let base = root.join(base);
        let mut h = Sha256::new();
        h.update(root.as_os_str().as_encoded_bytes());
        h.update([0]);
        h.update(config_key(config).as_bytes());
        let project = h.finalize();
        let build = build_dir_name();
        let mut k = Sha256::new();
        k.update(build.as_bytes());
        k.update(project);
        k.update(FORMAT.to_le_bytes());
        Cache {
            dir: base.join(build).join(hex(&project[..8])),
            base,
            root: root.to_path_buf(),
            key: k.finalize().into(),
            shards: (0..SHARDS).map(|_| Shard::default()).collect(),
            spool: OnceLock::new(),
            hits: AtomicUsize::new(0),
            misses: AtomicUsize::new(0),
        }
    }

    fn shard_path(&self, i: usize) -> PathBuf {
        self.dir.join(format!("{i:02}.bin"))
    }

    fn loaded(&self, i: usize) -> &Loaded {
        self.shards[i].loaded.get_or_init(|| {
            let mut bytes = Vec::new();
            let read = File::open(self.shard_path(i))
                .and_then(|mut f| f.read_to_end(&mut bytes).map(|_| f));
            let file = match read {
                Ok(f) => f,
                Err(e) => {
                    return Loaded {
                        bad: e.kind() != std::io::ErrorKind::NotFound,
                        ..Loaded::default()
                    }
                }
            };
            match parse(&bytes, &self.key) {
                Some(heads) => Loaded {
                    file: Mutex::new(Some(file)),
                    heads,
                    bad: false,
                },
                None => Loaded {
                    bad: true,
                    ..Loaded::default()
                },
            }
        })
    }

    /// Looks a file up by its path relative to the project root. `None`: the file cannot be
    /// cached (its path is not UTF-8).
    pub fn probe(&self, rel: &Path, meta: &Metadata) -> Option<Probe> {
        let path = rel.to_str()?.to_string();
        let shard = shard_of(&path);
        let head = self.loaded(shard).heads.get(&path).copied();
        let modified = meta.modified().ok();
        let mtime = modified.and_then(nanos);
        let settled = modified
            .and_then(|m| SystemTime::now().duration_since(m).ok())
            .is_some_and(|age| age >= RACY);
        Some(Probe {
            shard,
            path,
            size: meta.len(),
            mtime,
            settled_mtime: mtime.filter(|_| settled),
            head,
            hash: None,
        })
    }

    /// A record's body, read from its shard file (`None`: it cannot be read).
    fn body(&self, shard: usize, head: &Head) -> Option<Vec<u8>> {
        let (from, len) = head.body;
        read_at(&self.loaded(shard).file, from as u64, len)
    }

    /// The record of a file whose size and modification time are those recorded.
    pub fn by_stat(&self, p: &Probe) -> Option<Vec<u8>> {
        let head = p.head.as_ref()?;
        (head.mtime.is_some() && head.mtime == p.mtime && head.size == p.size)
            .then(|| self.body(p.shard, head))?
    }

    /// The record of a file whose content is the one recorded (its size or modification time
    /// changed: the record is refreshed with them).
    pub fn by_content(&self, p: &mut Probe, bytes: &[u8]) -> Option<Vec<u8>> {
        let hash: [u8; 32] = Sha256::digest(bytes).into();
        p.hash = Some(hash);
        let head = p.head.filter(|h| h.hash == hash)?;
        let body = self.body(p.shard, &head)?;
        if head.mtime != p.settled_mtime || head.size != p.size {
            self.put(p, body.clone());
        }
        Some(body)
    }

    /// Records a file's result (`body` from [`record::encode`]). The content must have been
    /// hashed by [`Cache::by_content`].
    pub fn store(&self, p: &Probe, body: Vec<u8>) {
        self.put(p, body);
    }

    fn put(&self, p: &Probe, mut body: Vec<u8>) {
        let Some(hash) = p.hash else { return };
        let spooled = self.spool().and_then(|s| {
            let mut s = s.lock().ok()?;
            let from = s.len;
            s.file.write_all(&body).ok()?;
            s.len += body.len() as u64;
            Some(Place::Spool(from, body.len()))
        });
        let body = spooled.unwrap_or_else(|| {
            // kept until the end of the run: no spare capacity
            body.shrink_to_fit();
            Place::Memory(body)
        });
        let entry = Entry {
            size: p.size,
            mtime: p.settled_mtime,
            hash,
            body,
        };
        if let Ok(mut fresh) = self.shards[p.shard].fresh.lock() {
            fresh.push((p.path.clone(), entry));
        }
    }

    /// The spool, made on first use in the cache's directory (a file no other process sees,
    /// removed when it is closed).
    fn spool(&self) -> Option<&Mutex<Spool>> {
        self.spool
            .get_or_init(|| {
                self.prepare().ok()?;
                let file = tempfile::tempfile_in(&self.dir).ok()?;
                Some(Mutex::new(Spool { file, len: 0 }))
            })
            .as_ref()
    }

    /// Counts a file whose results came from the cache.
    pub fn hit(&self) {
        self.hits.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a file that was checked.
    pub fn miss(&self) {
        self.misses.fetch_add(1, Ordering::Relaxed);
    }

    /// Writes the shards that changed; what cannot be written is left as it was (the cache is
    /// an optimisation: a run never fails on it).
    pub fn save(&self) -> Stats {
        let written = if self.shards.iter().any(|s| s.dirty()) && self.prepare().is_ok() {
            (0..SHARDS)
                .into_par_iter()
                .filter(|&i| self.shards[i].dirty() && self.write(i).is_ok())
                .count()
        } else {
            0
        };
        Stats {
            dir: Some(self.dir.clone()),
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            written,
        }
    }

    /// Creates the directories, with a `.gitignore` and a cache tag at the top.
    fn prepare(&self) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        for (name, text) in [
            (".gitignore", "# Created by backlint.\n*\n"),
            (TAG, TAG_TEXT),
        ] {
            let p = self.base.join(name);
            if !p.exists() {
                write_atomic(&p, text.as_bytes())?;
            }
        }
        Ok(())
    }

    fn write(&self, i: usize) -> std::io::Result<()> {
        let shard = &self.shards[i];
        let loaded = self.loaded(i);
        let fresh = shard
            .fresh
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?;
        // the records made in this run first
        let mut records: BTreeMap<&str, Owned> = BTreeMap::new();
        for (path, e) in fresh.iter() {
            let body = match &e.body {
                Place::Memory(b) => Some(b.clone()),
                Place::Spool(from, len) => self
                    .spool
                    .get()
                    .and_then(Option::as_ref)
                    .and_then(|s| read_at_spool(s, *from, *len)),
            };
            if let Some(body) = body {
                records.insert(path, (e.size, e.mtime, e.hash, body));
            }
        }
        for (path, h) in &loaded.heads {
            // a file that is gone (or was renamed) leaves its record
            if records.contains_key(path.as_str()) || !self.root.join(path).exists() {
                continue;
            }
            if let Some(body) = self.body(i, h) {
                records.insert(path, (h.size, h.mtime, h.hash, body));
            }
        }
        // the old file is replaced below
        if let Ok(mut f) = loaded.file.lock() {
            *f = None;
        }
        let list: Vec<Wire> = records
            .iter()
            .map(|(path, (size, mtime, hash, body))| Wire {
                path,
                size: *size,
                mtime: *mtime,
                hash: *hash,
                body,
            })
            .collect();
        let payload = postcard::to_allocvec(&list).map_err(std::io::Error::other)?;
        drop(list);
        drop(records);
        let mut out = Vec::with_capacity(HEADER + payload.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT.to_le_bytes());
        out.extend_from_slice(&self.key);
        out.extend_from_slice(&Sha256::digest(&payload));
        out.extend_from_slice(&payload);
        drop(payload);
        write_atomic(&self.shard_path(i), &out)
    }
}

/// A record's size, modification time, hash and body, read back to be written.
type Owned = (u64, Option<u64>, [u8; 32], Vec<u8>);

/// `len` bytes at `from` in an open file.
fn read_at(file: &Mutex<Option<File>>, from: u64, len: usize) -> Option<Vec<u8>> {
    let mut guard = file.lock().ok()?;
    let f = guard.as_mut()?;
    read_span(f, from, len)
}

fn read_at_spool(spool: &Mutex<Spool>, from: u64, len: usize) -> Option<Vec<u8>> {
    let mut s = spool.lock().ok()?;
    let at = s.len;
    let body = read_span(&mut s.file, from, len);
    // appends go on at the end
    s.file.seek(SeekFrom::Start(at)).ok()?;
    body
}

fn read_span(f: &mut File, from: u64, len: usize) -> Option<Vec<u8>> {
    f.seek(SeekFrom::Start(from)).ok()?;
    let mut body = vec![0; len];
    f.read_exact(&mut body).ok()?;
    Some(body)
}

impl Shard {
    fn dirty(&self) -> bool {
        let fresh = self.fresh.lock().map(|f| !f.is_empty()).unwrap_or(false);
        fresh || self.loaded.get().is_some_and(|l| l.bad)
    }
}

/// The records of a shard file, if it passes every check.
fn parse(bytes: &[u8], key: &[u8; 32]) -> Option<HashMap<String, Head>> {
    if bytes.len() < HEADER
        || &bytes[..8] != MAGIC
        || bytes[8..12] != FORMAT.to_le_bytes()
        || &bytes[12..44] != key
    {
        return None;
    }
    let payload = &bytes[HEADER..];
    if Sha256::digest(payload).as_slice() != &bytes[44..76] {
        return None;
    }
    let wires: Vec<Wire> = postcard::from_bytes(payload).ok()?;
    let start = bytes.as_ptr() as usize;
    Some(
        wires
            .into_iter()
            .map(|w| {
                let head = Head {
                    size: w.size,
                    mtime: w.mtime,
                    hash: w.hash,
                    body: (w.body.as_ptr() as usize - start, w.body.len()),
                };
                (w.path.to_string(), head)
            })
            .collect(),
    )
}

/// Writes a file through a temporary file in the same directory, renamed into place.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(bytes))
        .and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Removes a cache directory (`backlint clean`). Refuses a directory without backlint's cache
/// tag, so a mistyped `cache-dir` never deletes anything else. `Ok(false)`: there was none.
pub fn clean(dir: &Path) -> anyhow::Result<bool> {
    if !dir.exists() {
        return Ok(false);
    }
    let tag = std::fs::read_to_string(dir.join(TAG)).unwrap_or_default();
    if !tag.contains("backlint") {
        anyhow::bail!(
            "`{}` is not a backlint cache directory (it has no {TAG} written by backlint); not removing it",
            dir.display()
        );
    }
    std::fs::remove_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("cannot remove `{}`: {e}", dir.display()))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe_of(cache: &Cache, dir: &Path, name: &str) -> Probe {
        let meta = std::fs::metadata(dir.join(name)).unwrap();
        cache.probe(Path::new(name), &meta).unwrap()
    }

    #[test]
    fn records_round_trip_and_bad_shards_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("a.py"), "x = 1\n").unwrap();
        let config = Config::default();
        let cache = Cache::new(Path::new(DEFAULT_DIR), root, &config);
        let mut p = probe_of(&cache, root, "a.py");
        assert!(cache.by_stat(&p).is_none());
        assert!(cache.by_content(&mut p, b"x = 1\n").is_none());
        cache.store(&p, b"record".to_vec());
        assert_eq!(cache.save().written, 1);
        assert!(root.join(DEFAULT_DIR).join(TAG).exists());

        let cache = Cache::new(Path::new(DEFAULT_DIR), root, &config);
        let mut p = probe_of(&cache, root, "a.py");
        // just written: found by content, not by its modification time
        assert!(cache.by_stat(&p).is_none());
        assert_eq!(
            cache.by_content(&mut p, b"x = 1\n").as_deref(),
            Some(&b"record"[..])
        );
        assert!(cache.by_content(&mut p, b"x = 2\n").is_none());
        let shard = cache.shard_path(p.shard);
        drop(cache);

        // a flipped byte, a truncated file, another key: ignored
        let good = std::fs::read(&shard).unwrap();
        let mut flipped = good.clone();
        *flipped.last_mut().unwrap() ^= 1;
        for bad in [
            flipped,
            good[..good.len() / 2].to_vec(),
            b"backlint".to_vec(),
        ] {
            std::fs::write(&shard, &bad).unwrap();
            let cache = Cache::new(Path::new(DEFAULT_DIR), root, &config);
            let mut p = probe_of(&cache, root, "a.py");
            assert!(cache.by_content(&mut p, b"x = 1\n").is_none());
            // rewritten although nothing new was stored
            assert_eq!(cache.save().written, 1);
        }
        let other = Config {
            select: vec!["sql-injection".into()],
            ..Config::default()
        };
        let cache = Cache::new(Path::new(DEFAULT_DIR), root, &other);
        let mut p = probe_of(&cache, root, "a.py");
        assert!(cache.by_content(&mut p, b"x = 1\n").is_none());
    }

    #[test]
    fn records_wait_on_disk_and_a_replaced_shard_is_read_as_it_was_checked() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("a.py"), "x = 1\n").unwrap();
        let config = Config::default();
        let cache = Cache::new(Path::new(DEFAULT_DIR), root, &config);
        let mut p = probe_of(&cache, root, "a.py");
        assert!(cache.by_content(&mut p, b"x = 1\n").is_none());
        cache.store(&p, b"first".to_vec());
        // the record waits in the spool, not in memory
        let fresh = cache.shards[p.shard].fresh.lock().unwrap();
        assert!(matches!(fresh[0].1.body, Place::Spool(0, 5)));
        drop(fresh);
        assert_eq!(cache.save().written, 1);

        // a run reads the shard; another replaces it meanwhile: the first still reads the
        // bodies of the file it checked
        let reader = Cache::new(Path::new(DEFAULT_DIR), root, &config);
        let mut p = probe_of(&reader, root, "a.py");
        let writer = Cache::new(Path::new(DEFAULT_DIR), root, &config);
        let mut q = probe_of(&writer, root, "a.py");
        assert!(writer.by_content(&mut q, b"x = 2\n").is_none());
        writer.store(&q, b"second!".to_vec());
        assert_eq!(writer.save().written, 1);
        assert_eq!(
            reader.by_content(&mut p, b"x = 1\n").as_deref(),
            Some(&b"first"[..])
        );
        // the last run to write the shard wins, its records whole
        reader.store(&p, b"third".to_vec());
        assert_eq!(reader.save().written, 1);
        let last = Cache::new(Path::new(DEFAULT_DIR), root, &config);
        let mut p = probe_of(&last, root, "a.py");
        assert_eq!(
            last.by_content(&mut p, b"x = 1\n").as_deref(),
            Some(&b"third"[..])
        );
    }

    #[test]
    fn a_settled_file_is_found_by_size_and_modification_time() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let file = root.join("a.py");
        std::fs::write(&file, "x = 1\n").unwrap();
        let old = SystemTime::now() - Duration::from_secs(60);
        std::fs::File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_modified(old)
            .unwrap();
        let config = Config::default();
        let cache = Cache::new(Path::new(DEFAULT_DIR), root, &config);
        let mut p = probe_of(&cache, root, "a.py");
        assert!(cache.by_content(&mut p, b"x = 1\n").is_none());
        cache.store(&p, b"record".to_vec());
        cache.save();
        let cache = Cache::new(Path::new(DEFAULT_DIR), root, &config);
        let p = probe_of(&cache, root, "a.py");
        assert_eq!(cache.by_stat(&p).as_deref(), Some(&b"record"[..]));
        // same size, another modification time: found by content only
        std::fs::File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_modified(old + Duration::from_secs(1))
            .unwrap();
        let cache = Cache::new(Path::new(DEFAULT_DIR), root, &config);
        let mut p = probe_of(&cache, root, "a.py");
        assert!(cache.by_stat(&p).is_none());
        assert!(cache.by_content(&mut p, b"x = 2\n").is_none());
        assert!(cache.by_content(&mut p, b"x = 1\n").is_some());
        // the new time is recorded
        assert_eq!(cache.save().written, 1);
        let cache = Cache::new(Path::new(DEFAULT_DIR), root, &config);
        assert!(cache.by_stat(&probe_of(&cache, root, "a.py")).is_some());
    }

    #[test]
    fn clean_removes_only_a_tagged_directory() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        std::fs::create_dir(&plain).unwrap();
        assert!(clean(&plain).is_err());
        assert!(plain.exists());
        assert!(!clean(&dir.path().join("none")).unwrap());
        let tagged = dir.path().join("c");
        std::fs::create_dir(&tagged).unwrap();
        std::fs::write(tagged.join(TAG), TAG_TEXT).unwrap();
        assert!(clean(&tagged).unwrap());
        assert!(!tagged.exists());
    }
}
