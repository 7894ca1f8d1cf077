//! What a secret looks like: pure functions over strings, no AST. The `hardcoded-secret` rule
//! (and any rule that needs to know whether a name or value is a credential) calls these.
//!
//! Three signals, each usable on its own:
//! - **Shape** ([`known_format`]): provider credential formats that are unambiguous on their own
//!   (AWS/GCP/GitHub/GitLab/Slack/Stripe/... tokens, private key blocks, signed JWTs, passwords
//!   inside connection URLs/strings). One [`RegexSet`] pass decides which formats can match; only
//!   those run their own regex. Token-like matches need a non-word character on both sides, so a
//!   format inside a longer identifier does not count, and obvious dummies (`...EXAMPLE`, a body of
//!   one repeated character, `1234567890`) are dropped.
//! - **Name + value** ([`is_secret_name`] and [`looks_like_secret_value`]): a literal assigned to
//!   something named like a secret. Names are split into lowercase words (snake, camel, SCREAMING,
//!   kebab, dotted) and glued compounds (`apikey`, `dbpassword`) are cut apart. A name is a secret
//!   name when its *last* secret term (`password`, `token`, `api key`, ...) is followed only by
//!   words that keep the meaning (`value`, `prod`, `2`, ...) and preceded by no word that turns it
//!   into something else (`hashed`, `public`, `next` page token, ...). Anything else after the term
//!   (`url`, `field`, `name`, `length`, `env`, unknown words) describes metadata, so the name is
//!   not a secret: precision over recall.
//! - **Call** ([`secret_argument`]): calls whose positional argument is a secret with no name on
//!   it (`jwt.sign(claims, "...")`, `EncodingKey::from_secret(b"...")`); the value is then judged
//!   like a name-matched one.
//!
//! A value counts as a secret when it is not a placeholder ([`is_placeholder`]: templates, env
//! references, example words, paths, URLs without credentials, env-var names), is at least
//! [`MIN_SECRET_LEN`] characters without whitespace (messages are sentences), contains a letter,
//! is not a known algorithm/encoding name, does not look like an identifier (a single word, a
//! dotted path, a header name such as `x-api-key`) and has at least [`MIN_ENTROPY`] bits of
//! Shannon entropy per character. Weak literal passwords (`hunter2`, `password123`) are still
//! reported: a weak hardcoded password is still hardcoded.
//!
//! [`fake_secret`] generates credential-shaped values at test time, so that no real-looking
//! credential is ever committed (fixtures write `{{fake:KIND}}`).

use std::sync::LazyLock;

use regex::{Regex, RegexSet};

/// A credential found by shape inside a string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretMatch {
    /// Human-readable kind of credential, e.g. "AWS access key id".
    pub kind: &'static str,
    /// Byte range of the secret inside the string given to [`known_format`].
    pub start: usize,
    pub end: usize,
}

/// Shortest value assigned to a secret-named thing that is reported.
pub const MIN_SECRET_LEN: usize = 6;
/// Minimum Shannon entropy (bits per character) of a reported value.
pub const MIN_ENTROPY: f64 = 2.3;

// ---------------------------------------------------------------------------------------------
// Known formats
// ---------------------------------------------------------------------------------------------

/// What has to hold, beyond the regex, for a match to count.
#[derive(Clone, Copy)]
enum Check {
    /// A provider token: not inside a longer identifier, not an obvious dummy.
    Token,
    /// A URL: not an obvious dummy, no boundary needed.
    Url,
    /// Group `s` is a password: it must not be a placeholder.
    Password,
    /// A PEM header: a base64 body must follow.
    PemBlock,
    /// Three base64url segments: the header must decode to JSON with an `alg` other than `none`.
    Jwt,
}

struct Format {
    kind: &'static str,
    /// The secret is the named group `s` when present, else the whole match.
    pattern: &'static str,
    check: Check,
}

/// Provider formats, first match (by position, then table order) wins. Adding a provider is one
/// entry here plus, if tests need it, one arm in [`fake_secret`].
const FORMATS: &[Format] = &[
    Format {
        kind: "private key block",
        pattern: r"-----BEGIN (?:(?:RSA|EC|OPENSSH|DSA|ENCRYPTED|PGP) )?PRIVATE KEY(?: BLOCK)?-----",
        check: Check::PemBlock,
    },
    Format {
        kind: "AWS access key id",
        pattern: r"(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}",
        check: Check::Token,
    },
    Format {
        kind: "GCP API key",
        pattern: r"AIza[0-9A-Za-z_-]{35}",
        check: Check::Token,
    },
    Format {
        kind: "Azure storage account key",
        pattern: r"(?i:AccountKey)=(?P<s>[A-Za-z0-9+/]{86}==)",
        check: Check::Token,
    },
    Format {
        kind: "Azure shared access key",
        pattern: r"(?i:SharedAccessKey)=(?P<s>[A-Za-z0-9+/]{43}=)",
        check: Check::Token,
    },
    Format {
        kind: "GitHub token",
        pattern: r"gh[pousr]_[A-Za-z0-9]{36}",
        check: Check::Token,
    },
    Format {
        kind: "GitHub fine-grained token",
        pattern: r"github_pat_[A-Za-z0-9_]{82}",
        check: Check::Token,
    },
    Format {
        kind: "GitLab token",
        pattern: r"glpat-[A-Za-z0-9_-]{20,}",
        check: Check::Token,
    },
    Format {
        kind: "Slack token",
        pattern: r"xox[abprs]-[0-9]{6,}-[0-9A-Za-z-]{10,}",
        check: Check::Token,
    },
    Format {
        kind: "Slack webhook URL",
        pattern: r"https://hooks\.slack\.com/services/T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/[A-Za-z0-9]{20,}",
        check: Check::Url,
    },
    Format {
        kind: "Discord webhook URL",
        pattern: r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/[0-9]{17,20}/[A-Za-z0-9_-]{60,}",
        check: Check::Url,
    },
    Format {
        kind: "Stripe live secret key",
        pattern: r"sk_live_[A-Za-z0-9]{24,}",
        check: Check::Token,
    },
    Format {
        kind: "Stripe live restricted key",
        pattern: r"rk_live_[A-Za-z0-9]{24,}",
        check: Check::Token,
    },
    Format {
        kind: "Stripe test secret key",
        pattern: r"(?:sk|rk)_test_[A-Za-z0-9]{24,}",
        check: Check::Token,
    },
    Format {
        kind: "Twilio API key",
        pattern: r"SK[0-9a-fA-F]{32}",
        check: Check::Token,
    },
    Format {
        kind: "SendGrid API key",
        pattern: r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}",
        check: Check::Token,
    },
    Format {
        kind: "Anthropic API key",
        pattern: r"sk-ant-[A-Za-z0-9_-]{32,}",
        check: Check::Token,
    },
    Format {
        kind: "OpenAI API key",
        pattern: r"sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}|[A-Za-z0-9]{20,})",
        check: Check::Token,
    },
    Format {
        kind: "npm token",
        pattern: r"npm_[A-Za-z0-9]{36}",
        check: Check::Token,
    },
    Format {
        kind: "PyPI token",
        pattern: r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}",
        check: Check::Token,
    },
    Format {
        kind: "JSON Web Token",
        pattern: r"ey[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{16,}",
        check: Check::Jwt,
    },
    Format {
        kind: "password in connection URL",
        pattern: r"(?i:postgres(?:ql)?|mysql|mariadb|mongodb|redis|rediss|amqps?|mssql|sqlserver|ftp|smtp|https?)(?:\+[a-z0-9]+)?://[^:/?#@\s]*:(?P<s>[^\s/?#]*)@[^\s/?#@]+",
        check: Check::Password,
    },
    Format {
        kind: "password in connection string",
        pattern: r"(?i:(?:^|;)\s*(?:password|pwd)\s*=\s*)(?P<s>[^;\s]+)",
        check: Check::Password,
    },
];

/// Substrings that mark a provider-shaped match as an example, not a credential. Like all marker
/// tables, matched in lower, UPPER or Capitalised spelling only: case-insensitive matching would
/// find `todo` in `EtOdO` inside random base64.
const DUMMY_MARKERS: &[&str] = &[
    "example",
    "sample",
    "dummy",
    "fake",
    "placeholder",
    "xxxxx",
    "0123456789",
    "1234567890",
    "abcdefghij",
];

struct Compiled {
    set: RegexSet,
    each: Vec<Regex>,
}

static DUMMY: LazyLock<Regex> = LazyLock::new(|| cased_markers(DUMMY_MARKERS, ""));

/// One regex matching each marker in lower, UPPER or Capitalised spelling, after `anchor`.
fn cased_markers(markers: &[&str], anchor: &str) -> Regex {
    let alternatives: Vec<String> = markers
        .iter()
        .flat_map(|m| {
            let lower = m.to_ascii_lowercase();
            let mut capitalised = lower.clone();
            if let Some(first) = capitalised.get_mut(..1) {
                first.make_ascii_uppercase();
            }
            [m.to_ascii_uppercase(), capitalised, lower]
        })
        .map(|m| regex::escape(&m))
        .collect();
    Regex::new(&format!("{anchor}(?:{})", alternatives.join("|"))).expect("marker regex")
}

static COMPILED: LazyLock<Compiled> = LazyLock::new(|| {
    let patterns = FORMATS.iter().map(|f| f.pattern);
    Compiled {
        set: RegexSet::new(patterns.clone()).expect("secret formats compile"),
        each: patterns
            .map(|p| Regex::new(p).expect("secret format compiles"))
            .collect(),
    }
});

/// Shortest string any format can match (`ftp://:abc@h`).
const MIN_FORMAT_LEN: usize = 12;

/// Finds a credential recognisable by its shape alone. Works on the text of a string literal,
/// with escapes decoded or not. Returns the leftmost match.
#[must_use]
pub fn known_format(s: &str) -> Option<SecretMatch> {
    if s.len() < MIN_FORMAT_LEN {
        return None;
    }
    let compiled = &*COMPILED;
    let hits = compiled.set.matches(s);
    if !hits.matched_any() {
        return None;
    }
    hits.iter()
        .filter_map(|i| find_format(s, &FORMATS[i], &compiled.each[i]))
        .min_by_key(|m| m.start)
}

fn find_format(s: &str, format: &Format, re: &Regex) -> Option<SecretMatch> {
    re.captures_iter(s).find_map(|caps| {
        let whole = caps.get(0)?;
        let secret = caps.name("s").unwrap_or(whole);
        let text = secret.as_str();
        let bounded = || is_token_boundary(s, whole.start(), whole.end());
        let end = match format.check {
            Check::Token => (bounded() && !is_dummy(text)).then_some(secret.end()),
            Check::Url => (!is_dummy(text)).then_some(secret.end()),
            Check::Password => (!is_placeholder_password(text)
                && !is_local_default(whole.as_str(), text))
            .then_some(secret.end()),
            Check::PemBlock => pem_block_end(s, whole.end()),
            Check::Jwt => (bounded() && is_signed_jwt(text)).then_some(secret.end()),
        }?;
        Some(SecretMatch {
            kind: format.kind,
            start: secret.start(),
            end,
        })
    })
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The match is not part of a longer identifier or token.
fn is_token_boundary(s: &str, start: usize, end: usize) -> bool {
    let b = s.as_bytes();
    let before_ok = start == 0 || !(is_word_byte(b[start - 1]) || b[start - 1] == b'-');
    let after_ok = end == b.len() || !(is_word_byte(b[end]) || b[end] == b'-');
    before_ok && after_ok
}

fn is_dummy(text: &str) -> bool {
    if DUMMY.is_match(text) {
        return true;
    }
    // The variable part sits at the end of every format: a tail of 1-3 distinct characters is a
    // filler (`sk_live_000000...`, `AKIAAAAAAAAAAAAAAAAA`).
    let mut distinct: Vec<char> = text.chars().rev().take(16).collect();
    distinct.sort_unstable();
    distinct.dedup();
    distinct.len() <= 3
}

fn is_placeholder_password(password: &str) -> bool {
    let p = percent_decoded(password);
    p.chars().count() < 3
        || is_placeholder(&p)
        || p.contains(['{', '}', '<', '>'])
        || p.starts_with('$')
}

/// A local development default: a URL to a loopback host whose password repeats the user or
/// database name (`postgres://shop:shop@localhost/shop`).
fn is_local_default(url: &str, password: &str) -> bool {
    let Some((userinfo, rest)) = url.split_once("://").and_then(|(_, r)| r.rsplit_once('@')) else {
        return false;
    };
    let host = rest.split([':', '/', '?']).next().unwrap_or("");
    let loopback = matches!(host, "localhost" | "127.0.0.1" | "0.0.0.0" | "[::1]");
    let user = userinfo.split(':').next().unwrap_or("");
    let db = rest
        .split('/')
        .nth(1)
        .unwrap_or("")
        .split('?')
        .next()
        .unwrap_or("");
    loopback && !password.is_empty() && (password == user || password == db)
}

/// Whether a value is the identifier its own name spells (an event name, error code or
/// permission: `ACCOUNT_SET_PASSWORD = "account_set_password"`, `INVALID_TOKEN =
/// "auth/invalid_token"`): every word of the value, but for one namespace segment, is a word
/// of the name.
#[must_use]
pub fn is_name_derived(name: &str, value: &str) -> bool {
    if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_-./:".contains(c))
    {
        return false;
    }
    let of_name = name_words(name);
    let mut segments: Vec<&str> = value
        .split(['/', ':', '.'])
        .filter(|s| !s.is_empty())
        .collect();
    if segments.len() > 1 {
        segments.remove(0); // a namespace: `auth/`, `errors.`
    }
    let words: Vec<String> = segments.iter().flat_map(|s| name_words(s)).collect();
    !words.is_empty() && words.iter().all(|w| of_name.contains(w))
}

/// A stored password hash rather than a password: a hex digest (MD5/SHA-1/SHA-2 length), or a
/// modular-crypt / Django hash (`$2b$..`, `$argon2id$..`, `pbkdf2_sha256$..`).
#[must_use]
pub fn is_password_hash(value: &str) -> bool {
    let hex = value.chars().all(|c| c.is_ascii_hexdigit());
    hex && [32, 40, 56, 64, 96, 128].contains(&value.len())
        || [
            "$2a$",
            "$2b$",
            "$2y$",
            "$argon2",
            "$scrypt$",
            "$pbkdf2",
            "pbkdf2_sha256$",
            "argon2$",
            "bcrypt$",
        ]
        .iter()
        .any(|p| value.starts_with(p))
}

/// Names whose value signs or encrypts (sessions, cookies, tokens): a literal there is a
/// secret whatever it looks like (`SECRET_KEY = "dev"`, `cookieSecret: "my_cookie_secret"`).
const SIGNING_NAMES: &[&[&str]] = &[
    &["secret"],
    &["secret", "key"],
    &["cookie", "secret"],
    &["secret", "cookie", "key"],
    &["session", "secret"],
    &["secret", "session", "key"],
    &["jwt", "secret"],
    &["jwt", "key"],
    &["signing", "key"],
    &["signing", "secret"],
    &["crypto", "key"],
    &["encryption", "key"],
    &["hmac", "key"],
    &["hmac", "secret"],
    &["token", "secret"],
    &["app", "secret"],
];

/// Whether a name holds a signing or encryption key: its words end with one of
/// [`SIGNING_NAMES`] (`SECRET_COOKIE_KEY`, `app.secret_key`, `jwtSecret`).
#[must_use]
pub fn is_signing_name(name: &str) -> bool {
    let words = name_words(name);
    SIGNING_NAMES.iter().any(|t| {
        words.len() >= t.len()
            && words[words.len() - t.len()..]
                .iter()
                .zip(t.iter())
                .all(|(w, t)| w == t)
    })
}

/// A literal in a signing position that is not a stand-in: not empty, not a template or an
/// environment reference, not one of the placeholder words (`changeme`, `xxx`, `<key>`).
#[must_use]
pub fn is_real_signing_value(value: &str) -> bool {
    let v = value.trim();
    v.chars().count() >= 3
        && !is_one_repeated_char(v)
        && !TEMPLATE.is_match(v)
        && !ENV_NAME.is_match(v)
        && !PLACEHOLDER_WORDS.contains(&v.to_ascii_lowercase().as_str())
        && !v.contains(['<', '>', '{', '}'])
}

fn percent_decoded(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if let Some(Ok(v)) = s.get(i + 1..i + 3).map(|h| u8::from_str_radix(h, 16)) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// End of a PEM private key block whose header ends at `header_end`: the end of the `-----END
/// ...-----` line, or of the string when there is none. `None` without a base64 body (code that
/// only tests for the header, `pem.startswith("-----BEGIN RSA PRIVATE KEY-----")`).
fn pem_block_end(s: &str, header_end: usize) -> Option<usize> {
    let rest = &s[header_end..];
    let (body, end) = match rest.find("-----END ") {
        Some(i) => {
            let after = &rest[i + 9..];
            let close = after.find("-----").map_or(rest.len(), |j| i + 9 + j + 5);
            (&rest[..i], header_end + close)
        }
        None => (rest, s.len()),
    };
    let base64_chars = body
        .bytes()
        .filter(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/'))
        .count();
    (base64_chars >= 40).then_some(end)
}

fn is_signed_jwt(token: &str) -> bool {
    let mut parts = token.split('.');
    let (Some(header), Some(_payload), Some(signature)) =
        (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    if signature.len() < 16 {
        return false;
    }
    let Some(decoded) = base64url_decode(header) else {
        return false;
    };
    let Ok(serde_json::Value::Object(map)) = serde_json::from_slice(&decoded) else {
        return false;
    };
    matches!(map.get("alg"), Some(serde_json::Value::String(alg)) if !alg.eq_ignore_ascii_case("none"))
}

const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn base64url_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in s.bytes().take_while(|&b| b != b'=') {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn base64url_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n =
            chunk.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(char::from(BASE64URL[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

/// Word sequences that name a secret. `key` alone is not one (`cache_key`, `primary_key`): only
/// qualified keys are.
const SECRET_TERMS: &[&[&str]] = &[
    &["password"],
    &["pass", "word"],
    &["passwd"],
    &["pwd"],
    &["pw"],
    &["pass"],
    &["passphrase"],
    &["pass", "phrase"],
    &["passcode"],
    &["secret"],
    &["token"],
    &["credential"],
    &["credentials"],
    &["creds"],
    &["bearer"],
    &["authorization"],
    &["api", "key"],
    &["access", "key"],
    &["secret", "key"],
    &["private", "key"],
    &["signing", "key"],
    &["encryption", "key"],
    &["decryption", "key"],
    &["master", "key"],
    &["hmac", "key"],
    &["app", "key"],
    &["auth", "key"],
    &["account", "key"],
    &["shared", "key"],
    &["license", "key"],
    &["conn", "str"],
    &["connection", "string"],
];

/// Glued spellings (`apikey`, `dbpassword`, `AUTHTOKEN`) are cut into words: a word equal to or
/// ending with one of these is split before it, and the suffix replaced by its parts.
const GLUED: &[(&str, &[&str])] = &[
    ("password", &["password"]),
    ("passwd", &["passwd"]),
    ("passphrase", &["passphrase"]),
    ("secret", &["secret"]),
    ("token", &["token"]),
    ("apikey", &["api", "key"]),
    ("accesskey", &["access", "key"]),
    ("secretkey", &["secret", "key"]),
    ("privatekey", &["private", "key"]),
    ("signingkey", &["signing", "key"]),
    ("encryptionkey", &["encryption", "key"]),
    ("masterkey", &["master", "key"]),
    ("connstr", &["conn", "str"]),
];

/// Words that may follow the secret term without changing what the name holds.
const TRAILING_KEEP: &[&str] = &[
    "value",
    "val",
    "str",
    "string",
    "raw",
    "plain",
    "plaintext",
    "bytes",
    "b",
    "b64",
    "base",
    "hex",
    "enc",
    "encoded",
    "confirm",
    "confirmation",
    "again",
    "repeat",
    "new",
    "old",
    "current",
    "prev",
    "previous",
    "prod",
    "production",
    "live",
    "staging",
    "stage",
    "dev",
    "development",
    "local",
    "fallback",
    "fallbacks",
    "default",
    "override",
    "primary",
    "secondary",
    "backup",
    "v",
];

/// Words before the secret term that make it something other than a secret.
const LEADING_NEGATE: &[&str] = &[
    "hashed",
    "hash",
    "encrypted",
    "public",
    "publishable",
    "next",
    "page",
    "continuation",
    "cursor",
    "pagination",
    "sync",
    "dummy",
    "fake",
    "mock",
    "example",
    "sample",
    "min",
    "max",
    "num",
    "total",
    "eos",
    "bos",
    "pad",
    "unk",
    "sep",
    "cls",
    "mask",
    "special",
];

/// Lowercase words of an identifier, key or argument name, across naming conventions.
pub fn name_words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut raw: Vec<String> = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                raw.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if !cur.is_empty() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            let boundary = (c.is_uppercase() && (prev.is_lowercase() || prev.is_numeric()))
                || (c.is_uppercase() && prev.is_uppercase() && next_lower)
                || (c.is_numeric() != prev.is_numeric());
            if boundary {
                raw.push(std::mem::take(&mut cur));
            }
        }
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        raw.push(cur);
    }
    let mut words = Vec::with_capacity(raw.len());
    for w in raw {
        match GLUED.iter().find(|(glued, _)| w.ends_with(glued)) {
            Some((glued, parts)) => {
                let prefix = &w[..w.len() - glued.len()];
                if !prefix.is_empty() {
                    words.push(prefix.to_string());
                }
                words.extend(parts.iter().map(|p| (*p).to_string()));
            }
            None => words.push(w),
        }
    }
    words
}

/// Whether an identifier, dict key, object property or argument name holds a secret:
/// `password`, `DB_PASSWORD`, `apiKey`, `client-secret`, `spring.datasource.password`, but not
/// `password_field`, `token_url`, `hashed_password`, `public_key`, `max_tokens`, `API_KEY_ENV`.
#[must_use]
pub fn is_secret_name(name: &str) -> bool {
    let words = name_words(name);
    // The last secret term decides; at one end position the longest term wins (`secret key`).
    let mut best: Option<(usize, usize)> = None;
    for start in 0..words.len() {
        for term in SECRET_TERMS {
            let end = start + term.len();
            if end <= words.len()
                && words[start..end]
                    .iter()
                    .zip(term.iter())
                    .all(|(w, t)| w == t)
            {
                let better = match best {
                    None => true,
                    Some((s, e)) => end > e || (end == e && start < s),
                };
                if better {
                    best = Some((start, end));
                }
            }
        }
    }
    let Some((start, end)) = best else {
        return false;
    };
    let keeps =
        |w: &String| TRAILING_KEEP.contains(&w.as_str()) || w.chars().all(|c| c.is_ascii_digit());
    words[end..].iter().all(keeps)
        && !words[..start]
            .iter()
            .any(|w| LEADING_NEGATE.contains(&w.as_str()))
}

/// Short terms that name a password only alone or after a word of [`SHORT_LEADS`] (`pass`,
/// `user_pass`, `newPw`; not `first_pass`, `pw_count`).
pub(crate) const SHORT_TERMS: &[&str] = &["pass", "pw"];
pub(crate) const SHORT_LEADS: &[&str] = &[
    "user", "new", "old", "current", "login", "admin", "my", "plain",
];

/// Word sequences that name what proves who a caller is without being a stored secret:
/// session identifiers, cookies, one-time codes. Together with [`SECRET_TERMS`] they make
/// [`is_sensitive_name`].
const SESSION_TERMS: &[&[&str]] = &[
    &["cookie"],
    &["cookies"],
    &["set", "cookie"],
    &["session", "id"],
    &["sessionid"],
    &["session", "key"],
    &["sessid"],
    &["otp"],
    &["totp"],
    &["hotp"],
    &["otp", "code"],
    &["mfa", "code"],
    &["verification", "code"],
    &["auth", "code"],
    &["jwt"],
    &["secrets"],
    &["passwords"],
];

/// First words that make a name a flag, a count or a question about a secret
/// (`has_password`, `is_token_valid`, `num_tokens`), not the secret.
const FLAG_WORDS: &[&str] = &[
    "is", "has", "have", "should", "can", "need", "needs", "require", "requires", "required",
    "use", "uses", "show", "hide", "toggle", "allow", "allows", "enable", "enabled", "no",
    "without", "missing", "check", "verify", "validate", "min", "max", "num", "count", "len",
    "length", "total",
];

/// Whether the value a name holds must never leave the process (a log line, an error message):
/// a secret ([`is_secret_name`]: `password`, `access_token`, `api_key`, `Authorization`), a
/// session identifier, a cookie or a one-time code. Not a flag, count or property of one
/// (`has_password`, `token_type`, `token_id`, `password_changed_at`, `cookie_name`).
#[must_use]
pub fn is_sensitive_name(name: &str) -> bool {
    let name = name.trim_matches(|c: char| c == '"' || c == '\'' || c == '`');
    if name.is_empty() || name.len() > 64 {
        return false;
    }
    let words = name_words(name);
    if words
        .first()
        .is_some_and(|w| FLAG_WORDS.contains(&w.as_str()))
    {
        return false;
    }
    if is_secret_name(name) {
        // `pass` and `pw` alone, or after a word that makes them a user's password
        let Some(at) = words.iter().rposition(|w| {
            SECRET_TERMS
                .iter()
                .any(|t| t.last().is_some_and(|l| l == w))
        }) else {
            return true;
        };
        if SHORT_TERMS.contains(&words[at].as_str()) {
            return words[..at]
                .iter()
                .all(|w| SHORT_LEADS.contains(&w.as_str()));
        }
        return true;
    }
    let keeps =
        |w: &String| TRAILING_KEEP.contains(&w.as_str()) || w.chars().all(|c| c.is_ascii_digit());
    (0..words.len()).any(|start| {
        SESSION_TERMS.iter().any(|term| {
            let end = start + term.len();
            end <= words.len()
                && words[start..end]
                    .iter()
                    .zip(term.iter())
                    .all(|(w, t)| w == t)
                && words[end..].iter().all(keeps)
                && !words[..start]
                    .iter()
                    .any(|w| LEADING_NEGATE.contains(&w.as_str()))
        })
    })
}

/// Calls whose positional argument is a secret although no name says so:
/// `jwt.sign(claims, "...")`, `EncodingKey::from_secret(b"...")`. `(callee, argument index)`;
/// the callee matches the end of the called path at a `.`/`::` boundary.
const SECRET_ARGUMENTS: &[(&str, usize)] = &[
    // Python
    ("jwt.encode", 1),
    ("jwt.decode", 1),
    ("hmac.new", 0),
    ("HTTPBasicAuth", 1),
    ("HTTPDigestAuth", 1),
    // TypeScript / JavaScript
    ("jwt.sign", 1),
    ("jwt.verify", 1),
    ("jsonwebtoken.sign", 1),
    ("jsonwebtoken.verify", 1),
    ("createHmac", 1),
    ("cookieParser", 0),
    // Rust
    ("EncodingKey::from_secret", 0),
    ("DecodingKey::from_secret", 0),
    ("new_from_slice", 0),
    ("Credentials::new", 1),
];

/// Index of the positional argument of a call to `callee` (its path as written: `jwt.sign`,
/// `jsonwebtoken::EncodingKey::from_secret`, `requests.auth.HTTPBasicAuth`) that holds a secret.
#[must_use]
pub fn secret_argument(callee: &str) -> Option<usize> {
    let callee = callee.trim();
    SECRET_ARGUMENTS.iter().find_map(|&(suffix, index)| {
        let prefix = callee.strip_suffix(suffix)?;
        let at_boundary = prefix.is_empty() || prefix.ends_with('.') || prefix.ends_with("::");
        at_boundary.then_some(index)
    })
}

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

/// Whole values (lowercased, surrounding brackets removed) that are placeholders.
const PLACEHOLDER_WORDS: &[&str] = &[
    "changeme",
    "change_me",
    "change-me",
    "changeit",
    "example",
    "sample",
    "dummy",
    "fake",
    "test",
    "testing",
    "placeholder",
    "replace_me",
    "replaceme",
    "todo",
    "fixme",
    "tbd",
    "none",
    "null",
    "nil",
    "undefined",
    "secret",
    "secrets",
    "password",
    "passwd",
    "pass",
    "pwd",
    "token",
    "key",
    "apikey",
    "api_key",
    "api-key",
    "secret_key",
    "secretkey",
    "redacted",
    "hidden",
    "masked",
    "empty",
    "default",
    "notasecret",
    "foo",
    "bar",
    "foobar",
    "xxx",
    "admin",
];

/// Substrings that make a value a placeholder or a reference (cased as [`DUMMY_MARKERS`]).
const PLACEHOLDER_MARKERS: &[&str] = &[
    "changeme",
    "change_me",
    "change-me",
    "replace_me",
    "replaceme",
    "replace-me",
    "replace_with",
    "example",
    "sample",
    "placeholder",
    "dummy",
    "fake",
    "todo",
    "fixme",
    "redacted",
    "notreal",
    "not-real",
    "not_real",
    "not-a-real",
    "not_a_real",
    "insert_",
    "insert-",
    "enter_your",
    "enter-your",
    "put_your",
    "put-your",
    "_here",
    "-here",
    "***",
    "...",
    "\u{2026}",
    // references to where the real value lives
    "os.environ",
    "process.env",
    "getenv",
    "env(",
    "env!(",
    "env::var",
    "import.meta.env",
    "vault:",
    "op://",
    "arn:aws:secretsmanager",
    "arn:aws:ssm",
    "secretsmanager:",
    "/secrets/",
];

/// Prefixes of placeholder values (`your-api-key`, `YOUR_TOKEN`, `<your-key>`).
const PLACEHOLDER_PREFIXES: &[&str] = &["your", "<"];

/// Algorithm, encoding and scheme names: values of `algorithm=`, `hash=` and friends that a secret
/// name sometimes carries (`token_alg`, `password_hasher`). Compared lowercase without `-`/`_`.
const NOT_SECRET_VOCABULARY: &[&str] = &[
    "sha1",
    "sha224",
    "sha256",
    "sha384",
    "sha512",
    "sha3256",
    "sha3512",
    "md5",
    "hs256",
    "hs384",
    "hs512",
    "rs256",
    "rs384",
    "rs512",
    "es256",
    "es384",
    "es512",
    "ps256",
    "ps384",
    "ps512",
    "eddsa",
    "ed25519",
    "x25519",
    "bcrypt",
    "argon2",
    "argon2i",
    "argon2d",
    "argon2id",
    "scrypt",
    "pbkdf2",
    "pbkdf2sha256",
    "pbkdf2sha512",
    "hmacsha256",
    "hmacsha512",
    "aes128",
    "aes256",
    "aes128gcm",
    "aes256gcm",
    "aes256cbc",
    "chacha20poly1305",
    "utf8",
    "utf16",
    "utf32",
    "latin1",
    "iso88591",
    "ascii",
    "base64",
    "base64url",
    "hex",
    "rsa",
    "x509",
    "pkcs1",
    "pkcs8",
    "pkcs12",
    "oauth2",
    "jwt",
    "bearer",
    "basic",
    "digest",
];

/// File extensions of key and config files: a value ending with one is a path to the secret.
const KEY_FILE_EXTENSIONS: &[&str] = &[
    "pem", "key", "crt", "cer", "cert", "der", "p12", "pfx", "jks", "pub", "gpg", "asc", "json",
    "txt", "env", "yaml", "yml", "toml", "ini", "cfg", "conf",
];

/// Authentication schemes that prefix a credential in an `Authorization` value.
const AUTH_SCHEMES: &[&str] = &["Bearer ", "Basic ", "Token ", "token ", "bearer ", "Bot "];

static PLACEHOLDER_MARKER: LazyLock<Regex> =
    LazyLock::new(|| cased_markers(PLACEHOLDER_MARKERS, ""));
static PLACEHOLDER_PREFIX: LazyLock<Regex> =
    LazyLock::new(|| cased_markers(PLACEHOLDER_PREFIXES, "^"));
/// `xxx` / `XXX` starting a value or a part of it (`sk_test_xxx`); not inside random text.
static X_RUN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[^A-Za-z0-9])(?:xxx|XXX)").expect("x-run regex"));
static TEMPLATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\$\{|\{\{|#\{|%\([A-Za-z_]\w*\)[sdr]|%[sd]|\{[A-Za-z_0-9.:]*\}|^\$\(|^\$[A-Z_][A-Z0-9_]*$")
        .expect("template regex")
});
static ENV_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$").expect("env name regex"));
static PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:~|\.{1,2})?(?:/[A-Za-z0-9_.@-]+)+/?$|^\.{1,2}/").expect("path regex")
});
static URL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z][A-Za-z0-9+.-]*://").expect("url regex"));
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[^@\s]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$").expect("email regex")
});
static DOTTED_IDENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*){2,}$|^[A-Za-z_][\w.]*::?[A-Za-z_]\w*$")
        .expect("dotted regex")
});
static VERSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[vV]?\d+(?:\.\d+)+(?:[-+][0-9A-Za-z.-]+)?$").expect("version regex")
});
static WORDS_JOINED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z]+(?:[-_][A-Za-z]+)+$").expect("words regex"));

/// Whether a value is a stand-in rather than a credential: empty, example words, template or
/// format placeholders, references to env/vault, env-var names, file paths, URLs without
/// credentials.
#[must_use]
pub fn is_placeholder(value: &str) -> bool {
    let v = value.trim();
    if v.is_empty() {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    let core = lower.trim_matches(|c: char| "<>[](){}\"'`".contains(c));
    if core.is_empty() || PLACEHOLDER_WORDS.contains(&core) {
        return true;
    }
    if PLACEHOLDER_MARKER.is_match(v) || PLACEHOLDER_PREFIX.is_match(v) || X_RUN.is_match(v) {
        return true;
    }
    if is_one_repeated_char(v) || TEMPLATE.is_match(v) || ENV_NAME.is_match(v) {
        return true;
    }
    if is_path(v) {
        return true;
    }
    URL.is_match(v) && known_format(v).is_none()
}

fn is_one_repeated_char(v: &str) -> bool {
    let mut chars = v.chars().filter(|c| !matches!(c, '-' | '_' | ' ' | '.'));
    match chars.next() {
        None => true,
        Some(first) => chars.all(|c| c == first),
    }
}

fn is_path(v: &str) -> bool {
    if !PATH.is_match(v) {
        return false;
    }
    let ext = v.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    let no_uppercase = v.chars().all(|c| !c.is_ascii_uppercase());
    no_uppercase || ext.is_some_and(|e| KEY_FILE_EXTENSIONS.contains(&e.as_str()))
}

/// Shannon entropy of the characters of `s`, in bits per character.
#[must_use]
pub fn entropy(s: &str) -> f64 {
    let mut counts: Vec<(char, usize)> = Vec::new();
    let mut total = 0usize;
    for c in s.chars() {
        total += 1;
        match counts.iter_mut().find(|(k, _)| *k == c) {
            Some((_, n)) => *n += 1,
            None => counts.push((c, 1)),
        }
    }
    if total == 0 {
        return 0.0;
    }
    let total = total as f64;
    counts
        .iter()
        .map(|&(_, n)| {
            let p = n as f64 / total;
            -p * p.log2()
        })
        .sum()
}

/// Whether a literal assigned to a secret-named thing is plausibly the secret itself (see the
/// module docs for the heuristic).
#[must_use]
pub fn looks_like_secret_value(value: &str) -> bool {
    let v = value.trim();
    if known_format(v).is_some() {
        return true;
    }
    let v = AUTH_SCHEMES
        .iter()
        .find_map(|s| v.strip_prefix(s))
        .unwrap_or(v)
        .trim();
    if is_placeholder(v) {
        return false;
    }
    let len = v.chars().count();
    if len < MIN_SECRET_LEN || v.chars().any(char::is_whitespace) {
        return false;
    }
    if !v.chars().any(|c| c.is_ascii_alphabetic()) {
        return false; // numbers, dates, versions
    }
    let squashed: String = v
        .chars()
        .filter(|c| !matches!(c, '-' | '_'))
        .collect::<String>()
        .to_ascii_lowercase();
    if NOT_SECRET_VOCABULARY.contains(&squashed.as_str()) {
        return false;
    }
    if EMAIL.is_match(v)
        || VERSION.is_match(v)
        || looks_like_identifier(v)
        || looks_like_code_path(v)
    {
        return false;
    }
    entropy(v) >= MIN_ENTROPY
}

/// A code path or marker rather than a secret: `$serde_json::private::Number`,
/// `std::fmt::Debug`, `app:services:cache`, `module/path/name` made only of identifier parts.
fn looks_like_code_path(v: &str) -> bool {
    let v = v.trim_start_matches(['$', '@', '#']);
    // config keys: `database.password`, `auth.jwt_secret` (lowercase dotted identifiers)
    let dotted: Vec<&str> = v.split('.').collect();
    if dotted.len() >= 2
        && dotted.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit())
        })
    {
        return true;
    }
    let parts: Vec<&str> = v.split("::").collect();
    parts.len() >= 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
}

/// Words, header names and dotted paths rather than secrets: `Authorization`, `x-api-key`,
/// `django.contrib.auth.hashers.PBKDF2PasswordHasher`, `access_token`. Random-looking letters
/// (many case changes) and phrases of three or more words (`my-super-secret-key`) stay candidates.
fn looks_like_identifier(v: &str) -> bool {
    if v.chars().all(|c| c.is_ascii_alphabetic()) {
        let chars: Vec<char> = v.chars().collect();
        let case_changes = chars
            .windows(2)
            .filter(|w| w[0].is_ascii_uppercase() != w[1].is_ascii_uppercase())
            .count();
        return !(chars.len() >= 16 && case_changes * 4 >= chars.len());
    }
    if WORDS_JOINED.is_match(v) {
        let parts = v.split(['-', '_']).count();
        let lower = v.to_ascii_lowercase();
        return lower.starts_with("x-") || parts < 3 || v.len() < 12;
    }
    DOTTED_IDENT.is_match(v)
}

// ---------------------------------------------------------------------------------------------
// Fake secrets for tests and fixtures
// ---------------------------------------------------------------------------------------------

/// Every kind [`fake_secret`] understands.
pub const FAKE_KINDS: &[&str] = &[
    "aws-access-key-id",
    "aws-secret-access-key",
    "github-token",
    "github-pat",
    "gitlab-token",
    "slack-bot-token",
    "slack-webhook",
    "stripe-live-key",
    "stripe-test-key",
    "twilio-api-key",
    "sendgrid-key",
    "openai-key",
    "anthropic-key",
    "google-api-key",
    "npm-token",
    "pypi-token",
    "jwt",
    "private-key",
    "azure-storage-connection-string",
    "password",
    "hex32",
    "base64-40",
];

const UPPER_B32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const DIGITS: &[u8] = b"0123456789";
const HEX: &[u8] = b"0123456789abcdef";
const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/// Symbols safe inside Python, JS template and Rust string literals and free of placeholder syntax.
const PASSWORD_SYMBOLS: &[u8] = b"!#*+-=?^_~";

/// splitmix64: tiny, deterministic, good enough to fill credential-shaped strings.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn pick(&mut self, alphabet: &[u8]) -> char {
        char::from(alphabet[(self.next() % alphabet.len() as u64) as usize])
    }

    fn string(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n).map(|_| self.pick(alphabet)).collect()
    }
}

/// A credential-shaped value of `kind` (see [`FAKE_KINDS`]), deterministic in `seed`, generated at
/// test time so that fixtures never commit a real-looking credential. Known-format kinds match
/// [`known_format`]; the generic ones (`password`, `aws-secret-access-key`, `hex32`, `base64-40`)
/// pass [`looks_like_secret_value`]. A draw that happens to spell a placeholder marker (`Fake`,
/// `XXX`) is redrawn, so this holds for every seed.
///
/// # Panics
/// On an unknown kind: a fixture naming one is a bug in the fixture.
#[must_use]
pub fn fake_secret(kind: &str, seed: u64) -> String {
    let generic = GENERIC_FAKE_KINDS.contains(&kind);
    let mut r = SplitMix(seed ^ fnv1a(kind));
    let mut value = fake_draw(kind, &mut r);
    for _ in 0..64 {
        let detected = generic || known_format(&value).is_some();
        if detected && looks_like_secret_value(&value) && !is_placeholder(&value) {
            break;
        }
        value = fake_draw(kind, &mut r);
    }
    value
}

/// The kinds of [`FAKE_KINDS`] that have no provider format, only a secret-looking value.
const GENERIC_FAKE_KINDS: &[&str] = &["aws-secret-access-key", "password", "hex32", "base64-40"];

fn fake_draw(kind: &str, r: &mut SplitMix) -> String {
    match kind {
        "aws-access-key-id" => format!("AKIA{}", r.string(UPPER_B32, 16)),
        "aws-secret-access-key" | "base64-40" => r.string(BASE64, 40),
        "github-token" => format!("ghp_{}", r.string(ALNUM, 36)),
        "github-pat" => format!("github_pat_{}_{}", r.string(ALNUM, 22), r.string(ALNUM, 59)),
        "gitlab-token" => format!("glpat-{}", r.string(ALNUM, 20)),
        "slack-bot-token" => format!(
            "xoxb-{}-{}-{}",
            r.string(DIGITS, 11),
            r.string(DIGITS, 13),
            r.string(ALNUM, 24)
        ),
        "slack-webhook" => format!(
            "https://hooks.slack.com/services/T{}/B{}/{}",
            r.string(UPPER_ALNUM, 8),
            r.string(UPPER_ALNUM, 10),
            r.string(ALNUM, 24)
        ),
        "stripe-live-key" => format!("sk_live_{}", r.string(ALNUM, 34)),
        "stripe-test-key" => format!("sk_test_{}", r.string(ALNUM, 34)),
        "twilio-api-key" => format!("SK{}", r.string(HEX, 32)),
        "sendgrid-key" => format!("SG.{}.{}", r.string(ALNUM, 22), r.string(ALNUM, 43)),
        "openai-key" => format!("sk-proj-{}", r.string(ALNUM, 64)),
        "anthropic-key" => format!("sk-ant-api03-{}", r.string(ALNUM, 86)),
        "google-api-key" => format!("AIza{}", r.string(ALNUM, 35)),
        "npm-token" => format!("npm_{}", r.string(ALNUM, 36)),
        "pypi-token" => format!("pypi-AgEIcHlwaS5vcmc{}", r.string(ALNUM, 64)),
        "jwt" => fake_jwt(r),
        "private-key" => fake_private_key(r),
        "azure-storage-connection-string" => format!(
            "DefaultEndpointsProtocol=https;AccountName={};AccountKey={}==;EndpointSuffix=core.windows.net",
            r.string(b"abcdefghijklmnopqrstuvwxyz", 12),
            r.string(BASE64, 86)
        ),
        "password" => fake_password(r),
        "hex32" => r.string(HEX, 32),
        other => panic!("unknown fake secret kind `{other}`; known: {}", FAKE_KINDS.join(", ")),
    }
}

fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn fake_jwt(r: &mut SplitMix) -> String {
    let header = br#"{"alg":"HS256","typ":"JWT"}"#;
    let payload = format!(
        r#"{{"sub":"{}","name":"user-{}","iat":{}}}"#,
        r.string(DIGITS, 10),
        r.string(LOWER_ALNUM, 6),
        1_600_000_000 + r.next() % 100_000_000
    );
    format!(
        "{}.{}.{}",
        base64url_encode(header),
        base64url_encode(payload.as_bytes()),
        r.string(BASE64URL, 43)
    )
}

fn fake_private_key(r: &mut SplitMix) -> String {
    let label = ["RSA ", "EC ", "", "OPENSSH "][(r.next() % 4) as usize];
    let mut pem = format!("-----BEGIN {label}PRIVATE KEY-----\nMIIE");
    pem.push_str(&r.string(BASE64, 60));
    for _ in 0..11 {
        pem.push('\n');
        pem.push_str(&r.string(BASE64, 64));
    }
    pem.push('\n');
    pem.push_str(&r.string(BASE64, 22));
    pem + &format!("==\n-----END {label}PRIVATE KEY-----")
}

fn fake_password(r: &mut SplitMix) -> String {
    let mut chars: Vec<char> = Vec::with_capacity(16);
    chars.push(r.pick(b"abcdefghijklmnopqrstuvwxyz"));
    chars.push(r.pick(DIGITS));
    chars.push(r.pick(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"));
    chars.push(r.pick(PASSWORD_SYMBOLS));
    for _ in 0..12 {
        let class = [ALNUM, ALNUM, ALNUM, PASSWORD_SYMBOLS][(r.next() % 4) as usize];
        chars.push(r.pick(class));
    }
    chars.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_names() {
        for n in [
            "password",
            "new_password",
            "access_token",
            "apiKey",
            "Authorization",
            "client_secret",
            "session_id",
            "sessionid",
            "cookie",
            "otp_code",
            "jwt",
            "x-api-key",
            "user_pass",
            "SECRET_KEY",
        ] {
            assert!(is_sensitive_name(n), "{n}");
        }
        for n in [
            "has_password",
            "is_token_valid",
            "token_type",
            "token_id",
            "password_changed_at",
            "password_reset_id",
            "cookie_name",
            "max_tokens",
            "first_pass",
            "hashed_password",
            "password_hash",
            "num_tokens",
            "next_page_token",
            "token_count",
        ] {
            assert!(!is_sensitive_name(n), "{n}");
        }
    }

    #[test]
    fn code_paths_are_not_secrets() {
        assert!(!looks_like_secret_value("$serde_json::private::Number"));
        assert!(!looks_like_secret_value("std::fmt::Debug"));
        assert!(!looks_like_secret_value("database.password"));
        assert!(!looks_like_secret_value("auth.jwt_secret"));
        assert!(looks_like_secret_value("s3cr3t-signing-key-2024"));
    }

    /// Credential-shaped test values are built at run time: nothing secret-shaped is committed.
    fn rand(alphabet: &[u8], n: usize, seed: u64) -> String {
        SplitMix(seed).string(alphabet, n)
    }

    fn found(s: &str) -> Option<(&'static str, &str)> {
        known_format(s).map(|m| (m.kind, &s[m.start..m.end]))
    }

    const KNOWN_FORMAT_KINDS: &[(&str, &str)] = &[
        ("aws-access-key-id", "AWS access key id"),
        ("github-token", "GitHub token"),
        ("github-pat", "GitHub fine-grained token"),
        ("gitlab-token", "GitLab token"),
        ("slack-bot-token", "Slack token"),
        ("slack-webhook", "Slack webhook URL"),
        ("stripe-live-key", "Stripe live secret key"),
        ("stripe-test-key", "Stripe test secret key"),
        ("twilio-api-key", "Twilio API key"),
        ("sendgrid-key", "SendGrid API key"),
        ("openai-key", "OpenAI API key"),
        ("anthropic-key", "Anthropic API key"),
        ("google-api-key", "GCP API key"),
        ("npm-token", "npm token"),
        ("pypi-token", "PyPI token"),
        ("jwt", "JSON Web Token"),
        ("private-key", "private key block"),
        (
            "azure-storage-connection-string",
            "Azure storage account key",
        ),
    ];
    const GENERIC_KINDS: &[&str] = GENERIC_FAKE_KINDS;

    #[test]
    fn every_fake_kind_is_covered_by_a_test_table() {
        for kind in FAKE_KINDS {
            let known = KNOWN_FORMAT_KINDS.iter().any(|(k, _)| k == kind);
            assert!(known ^ GENERIC_KINDS.contains(kind), "{kind}");
        }
    }

    #[test]
    fn fake_known_kinds_round_trip_through_known_format() {
        for &(kind, expected) in KNOWN_FORMAT_KINDS {
            for seed in 0..64 {
                let value = fake_secret(kind, seed);
                for (prefix, suffix) in [("", ""), ("KEY = \"", "\""), ("`", "`;\n")] {
                    let text = format!("{prefix}{value}{suffix}");
                    let m = known_format(&text).unwrap_or_else(|| panic!("{kind} {seed}: {value}"));
                    assert_eq!(m.kind, expected, "{kind} {seed}: {value}");
                    if kind == "azure-storage-connection-string" {
                        assert!(text[m.start..m.end].ends_with("=="));
                        assert_eq!(m.end - m.start, 88);
                    } else {
                        assert_eq!(&text[m.start..m.end], value, "{kind} {seed}");
                    }
                }
                assert!(looks_like_secret_value(&value), "{kind} {seed}");
                assert!(!is_placeholder(&value), "{kind} {seed}: {value}");
            }
        }
    }

    #[test]
    fn fake_generic_kinds_look_like_secrets_but_have_no_format() {
        for &kind in GENERIC_KINDS {
            for seed in 0..64 {
                let value = fake_secret(kind, seed);
                assert!(looks_like_secret_value(&value), "{kind} {seed}: {value}");
                assert_eq!(known_format(&value), None, "{kind} {seed}: {value}");
            }
        }
        let p = fake_secret("password", 3);
        assert_eq!(p.chars().count(), 16);
        assert!(p.chars().any(|c| c.is_ascii_digit()) && p.chars().any(|c| c.is_ascii_uppercase()));
    }

    #[test]
    fn fakes_are_deterministic_and_seed_dependent() {
        for kind in FAKE_KINDS {
            assert_eq!(fake_secret(kind, 1), fake_secret(kind, 1));
            assert_ne!(fake_secret(kind, 1), fake_secret(kind, 2), "{kind}");
        }
        assert_ne!(fake_secret("hex32", 1), fake_secret("base64-40", 1));
    }

    #[test]
    fn fake_private_key_embeds_in_any_string_literal() {
        for seed in 0..16 {
            let pem = fake_secret("private-key", seed);
            assert!(pem.starts_with("-----BEGIN ") && pem.ends_with("PRIVATE KEY-----"));
            assert!(pem.lines().count() > 10);
            for bad in ["\"", "'", "`", "\\", "${", "#\""] {
                assert!(!pem.contains(bad), "{bad}");
            }
        }
    }

    #[test]
    #[should_panic(expected = "unknown fake secret kind")]
    fn fake_secret_rejects_unknown_kinds() {
        let _ = fake_secret("aws-key", 0);
    }

    #[test]
    fn provider_shapes() {
        let body = rand(ALNUM, 48, 1);
        assert_eq!(
            found(&format!("sk-{body}")).map(|f| f.0),
            Some("OpenAI API key")
        );
        let key = format!("rk_live_{}", rand(ALNUM, 30, 2));
        assert_eq!(
            found(&key),
            Some(("Stripe live restricted key", key.as_str()))
        );
        let asia = format!("ASIA{}", rand(UPPER_B32, 16, 3));
        assert_eq!(
            found(&format!("id={asia}&x=1")),
            Some(("AWS access key id", asia.as_str()))
        );
        let gh = format!("gho_{}", rand(ALNUM, 36, 4));
        let url = format!("https://x-access-token:{gh}@github.com/org/repo.git");
        assert_eq!(found(&url), Some(("GitHub token", gh.as_str())));
        let slack_user = format!(
            "xoxp-{}-{}-{}",
            rand(DIGITS, 10, 5),
            rand(DIGITS, 12, 6),
            rand(HEX, 32, 7)
        );
        assert_eq!(found(&slack_user).map(|f| f.0), Some("Slack token"));
        let sas = format!(
            "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey={}=",
            rand(BASE64, 43, 8)
        );
        assert_eq!(found(&sas).map(|f| f.0), Some("Azure shared access key"));
    }

    #[test]
    fn provider_shapes_inside_longer_identifiers_do_not_match() {
        let gh = fake_secret("github-token", 9);
        assert_eq!(known_format(&format!("x{gh}")), None);
        assert_eq!(known_format(&format!("{gh}x")), None);
        assert_eq!(known_format(&format!("{gh}_suffix")), None);
        let aws = fake_secret("aws-access-key-id", 9);
        assert_eq!(known_format(&format!("{aws}2")), None);
        assert_eq!(known_format(&format!("task-{}", rand(ALNUM, 30, 10))), None);
        assert!(known_format(&format!("({aws})")).is_some());
    }

    #[test]
    fn obvious_dummies_and_non_secret_ids_do_not_match() {
        for s in [
            format!("AKIA{}", "IOSFODNN7EXAMPLE"),
            format!("AKIA{}", "A".repeat(16)),
            format!("sk_live_{}", "0".repeat(24)),
            format!("sk_test_{}", "x".repeat(30)),
            "sk_test_xxx".to_string(),
            format!("ghp_{}", "abcdefghijklmnopqrstuvwxyz0123456789"),
            format!("AC{}", rand(HEX, 32, 11)), // Twilio account SID: an id, not a secret
            "short".to_string(),
            String::new(),
            "ghp_".to_string(),
        ] {
            assert_eq!(known_format(&s), None, "{s}");
        }
    }

    #[test]
    fn private_key_blocks_need_a_body() {
        assert_eq!(known_format("-----BEGIN RSA PRIVATE KEY-----"), None);
        assert_eq!(
            known_format("if pem.startswith('-----BEGIN OPENSSH PRIVATE KEY-----'):"),
            None
        );
        assert_eq!(
            known_format(
                "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n"
            ),
            None
        );
        let pgp = format!(
            "-----BEGIN PGP PRIVATE KEY BLOCK-----\\n\\n{}\\n-----END PGP PRIVATE KEY BLOCK-----",
            rand(BASE64, 64, 12)
        );
        let m = known_format(&pgp).expect("escaped newlines");
        assert_eq!(
            (m.kind, m.start, m.end),
            ("private key block", 0, pgp.len())
        );
        let open = format!(
            "x = '-----BEGIN EC PRIVATE KEY-----\n{}",
            rand(BASE64, 50, 13)
        );
        assert_eq!(known_format(&open).map(|m| m.end), Some(open.len()));
    }

    fn jwt(header: &str, signature_len: usize) -> String {
        format!(
            "{}.{}.{}",
            base64url_encode(header.as_bytes()),
            base64url_encode(br#"{"sub":"1234567890","iat":1516239022}"#),
            rand(BASE64URL, signature_len, 14)
        )
    }

    #[test]
    fn jwts_need_a_signed_json_header() {
        let signed = jwt(r#"{"alg":"RS256","typ":"JWT"}"#, 43);
        assert_eq!(
            found(&format!("Bearer {signed}")),
            Some(("JSON Web Token", signed.as_str()))
        );
        assert_eq!(
            known_format(&jwt(r#"{"alg":"none","typ":"JWT"}"#, 43)),
            None
        );
        assert_eq!(known_format(&jwt(r#"{"alg":"HS256"}"#, 10)), None);
        assert_eq!(known_format(&jwt(r#"{"typ":"JWT","kid":"k1"}"#, 43)), None);
        assert_eq!(
            known_format(&jwt(r#"["alg","HS256","typ","JWT"]"#, 43)),
            None
        );
        assert_eq!(
            base64url_decode(&base64url_encode(b"ab?")),
            Some(b"ab?".to_vec())
        );
    }

    #[test]
    fn connection_url_passwords() {
        for (url, password) in [
            ("postgres://app:Pr0d-Passw0rd@db:5432/app", "Pr0d-Passw0rd"),
            ("redis://:s3cretPa55@cache:6379/0", "s3cretPa55"),
            (
                "mongodb+srv://svc:Tr0ub4dor%263@cluster0.mongodb.net/app",
                "Tr0ub4dor%263",
            ),
            (
                "postgresql+psycopg2://etl:9xK2mQ7v@warehouse/dw",
                "9xK2mQ7v",
            ),
            ("MySQL://root:r00tPass!@127.0.0.1:3306", "r00tPass!"),
            (
                "amqps://guest:Rabb1tMQ-2024@mq.internal/vhost",
                "Rabb1tMQ-2024",
            ),
            ("smtp://mailer:Sm7pP4ss@smtp.mailgun.org:587", "Sm7pP4ss"),
            ("https://deploy:hunter22@registry.internal/v2/", "hunter22"),
            ("mssql://sa:Yuk0n900!@db", "Yuk0n900!"),
        ] {
            assert_eq!(
                found(url),
                Some(("password in connection URL", password)),
                "{url}"
            );
        }
        let conn = "Server=tcp:db.internal,1433;Database=app;User Id=sa;Password=Xy9#kLm2pQ;";
        assert_eq!(
            found(conn),
            Some(("password in connection string", "Xy9#kLm2pQ"))
        );
    }

    #[test]
    fn connection_urls_without_a_real_password() {
        for url in [
            "postgres://app:${DB_PASSWORD}@db:5432/app",
            "postgres://app:{password}@db/app",
            "postgres://{}:{}@{}/{}",
            "mysql://%s:%s@%s/%s",
            "postgres://app:%(password)s@db/app",
            "postgres://app:password@localhost/app",
            "postgres://user:pass@localhost/app",
            "postgres://app:changeme@localhost/app",
            "redis://:xxx@cache:6379",
            "redis://:***@cache:6379",
            "postgres://app:<password>@db/app",
            "postgres://app:@db/app",
            "postgres://app:$DB_PASS@db/app",
            "postgres://app@localhost/app",
            "mongodb://localhost:27017/app",
            "https://example.com:8443/path?q=1",
            "https://api.example.com/v1/users/me",
            "Server=db;Password=${SQL_PASSWORD};",
        ] {
            assert_eq!(known_format(url), None, "{url}");
        }
    }

    #[test]
    fn secret_names() {
        for name in [
            "password",
            "PASSWORD",
            "passwd",
            "pwd",
            "pass",
            "db_pass",
            "userPass",
            "PassWord",
            "secret",
            "SECRET_KEY",
            "secretKey",
            "secret_key_base",
            "client_secret",
            "clientSecret",
            "api_key",
            "apiKey",
            "APIKey",
            "APIKEY",
            "apikey",
            "X-Api-Key",
            "stripe-api-key",
            "STRIPE_SECRET_KEY",
            "access_key",
            "aws_secret_access_key",
            "private_key",
            "privateKey",
            "token",
            "auth_token",
            "authToken",
            "access_token",
            "ACCESS_TOKEN",
            "refresh_token",
            "refreshToken",
            "githubToken",
            "bearer",
            "bearer_token",
            "credentials",
            "signing_key",
            "encryption_key",
            "jwt_secret",
            "jwtSecret",
            "JWT_SECRET_KEY",
            "webhook_secret",
            "db_password",
            "dbPassword",
            "DBPASSWORD",
            "spring.datasource.password",
            "database.password",
            "conn_str",
            "connStr",
            "connection_string",
            "EMAIL_HOST_PASSWORD",
            "password2",
            "new_password",
            "password_confirmation",
            "oauth_token_secret",
            "Authorization",
            "app_key",
            "master_key",
            "token_value",
            "API_KEY_PROD",
            "passphrase",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn names_that_describe_secrets_without_holding_them() {
        for name in [
            "password_field",
            "PASSWORD_FIELD",
            "passwordField",
            "password_hash",
            "hashed_password",
            "hashedPassword",
            "password_reset_url",
            "token_url",
            "tokenUrl",
            "token_type",
            "tokenizer",
            "token_count",
            "max_tokens",
            "maxTokens",
            "secret_name",
            "secret_arn",
            "access_key_id",
            "aws_access_key_id",
            "AWS_ACCESS_KEY_ID",
            "public_key",
            "publicKey",
            "primary_key",
            "foreign_key",
            "sort_key",
            "cache_key",
            "idempotency_key",
            "api_key_header",
            "api_key_name",
            "API_KEY_ENV",
            "DB_PASSWORD_VAR",
            "passport",
            "bypass",
            "compass",
            "password_min_length",
            "PASSWORD_MIN_LENGTH",
            "csrf_token_name",
            "next_page_token",
            "nextToken",
            "pageToken",
            "token_expiry",
            "ACCESS_TOKEN_EXPIRE_MINUTES",
            "secretKeyRef",
            "password_validators",
            "AUTH_PASSWORD_VALIDATORS",
            "PASSWORD_HASHERS",
            "secrets_dir",
            "key",
            "auth",
            "username",
            "user_id",
            "session_key",
            "client_id",
            "publishable_key",
            "stripe_publishable_key",
            "password_placeholder",
            "password_regex",
            "token_prefix",
            "tokens",
            "eos_token",
            "pad_token",
            "secret_manager",
            "passwordless",
            "pass_through",
            "",
            "_",
            "SECRET_KEY_FILE",
            "private_key_path",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn secret_arguments_match_the_end_of_the_callee_path() {
        assert_eq!(secret_argument("jwt.sign"), Some(1));
        assert_eq!(
            secret_argument("jsonwebtoken::EncodingKey::from_secret"),
            Some(0)
        );
        assert_eq!(secret_argument("requests.auth.HTTPBasicAuth"), Some(1));
        assert_eq!(secret_argument("HmacSha256::new_from_slice"), Some(0));
        assert_eq!(secret_argument("crypto.createHmac"), Some(1));
        assert_eq!(secret_argument("myjwt.sign"), None);
        assert_eq!(secret_argument("jwt.signature"), None);
        assert_eq!(secret_argument("EncodingKey::from_rsa_pem"), None);
        assert_eq!(secret_argument("print"), None);
    }

    #[test]
    fn name_words_split_every_convention() {
        assert_eq!(
            name_words("getHTTPSToken2Value"),
            ["get", "https", "token", "2", "value"]
        );
        assert_eq!(name_words("STRIPE_APIKEY"), ["stripe", "api", "key"]);
        assert_eq!(name_words("db-password.prod"), ["db", "password", "prod"]);
        assert_eq!(
            name_words("config['jwtSecret']"),
            ["config", "jwt", "secret"]
        );
    }

    #[test]
    fn placeholders() {
        for v in [
            "",
            "   ",
            "changeme",
            "CHANGEME",
            "change_me",
            "change-me",
            "changeme123",
            "xxx",
            "XXXXXXXX",
            "xxxx-xxxx",
            "***",
            "********",
            "...",
            "<password>",
            "<your-key>",
            "{{ api_key }}",
            "{{fake:github-token}}",
            "${DB_PASSWORD}",
            "%(password)s",
            "{password}",
            "{}",
            "%s",
            "$API_KEY",
            "your-key",
            "your_api_key",
            "YOUR_API_KEY",
            "your-secret-here",
            "insert_key_here",
            "example",
            "sample",
            "dummy",
            "fake",
            "test",
            "testing",
            "placeholder",
            "replace_me",
            "TODO",
            "fixme",
            "None",
            "null",
            "undefined",
            "secret",
            "password",
            "Password",
            "token",
            "sk_test_xxx",
            "sk_live_XXXXXXXXXXXX",
            "aaaaaaaa",
            "0000000000",
            "os.environ['X']",
            "process.env.API_KEY",
            "DATABASE_PASSWORD",
            "STRIPE_SECRET_KEY",
            "/run/secrets/db_password",
            "./secrets/key.pem",
            "~/.ssh/id_rsa",
            "/etc/ssl/private/Server.KEY",
            "https://oauth2.example.com/token",
            "http://localhost:8080",
            "vault:secret/data/db#password",
            "[REDACTED]",
            "not-a-real-key",
            "dummy-password-123",
            "my-fake-token",
        ] {
            assert!(is_placeholder(v), "{v:?}");
        }
    }

    #[test]
    fn real_values_are_not_placeholders() {
        for v in [
            "hunter2",
            "Summer2024!db",
            "s3cr3t-signing-key-2024",
            "password123",
            "P@ssw0rd",
            "postgres://app:Pr0d-Passw0rd@db/app",
            "django-insecure-8#k2@v!x9q$7m*w^r&t(h)b_e",
            "$ecretPa55",
        ] {
            assert!(!is_placeholder(v), "{v:?}");
        }
        assert!(!is_placeholder(&fake_secret("aws-secret-access-key", 4)));
        assert!(!is_placeholder(&format!(
            "/{}",
            rand(BASE64, 39, 15).replace('/', "+")
        )));
    }

    #[test]
    fn secret_values() {
        for v in [
            "hunter2",
            "s3cr3t-signing-key-2024",
            "password123",
            "Summer2024!db",
            "P@ssw0rd",
            "django-insecure-8#k2@v!x9q$7m*w^r&t(h)b_e",
            "k9#2v!x@q$7m*w^r&t(h)b_e-n=z+u%p",
            "550e8400-e29b-41d4-a716-446655440000",
            "my-super-secret-jwt-key",
            "Bearer a8f5f167f44f4964e6c998dee827110c",
            "wJalrXUtnFEMIxK7MDENGxbPxRfiCYz9Q2mLp0Rk",
            "aXbYcZdWeVfUgThS",
            "postgres://app:Pr0d-Passw0rd@db/app",
        ] {
            assert!(looks_like_secret_value(v), "{v:?}");
        }
    }

    #[test]
    fn values_that_are_not_secrets() {
        for v in [
            "Password",
            "password",
            "secret",
            "x-api-key",
            "X-Api-Key",
            "X-Auth-Token",
            "Authorization",
            "sha256",
            "HS256",
            "RS512",
            "bcrypt",
            "argon2id",
            "pbkdf2_sha256",
            "utf-8",
            "AES-256-GCM",
            "Invalid password",
            "Password must be at least 8 characters.",
            "Invalid token: {}",
            "Bearer ",
            "Bearer",
            "Bearer ${token}",
            "access_token",
            "refresh-token",
            "django.contrib.auth.hashers.PBKDF2PasswordHasher",
            "myapp.auth:TokenBackend",
            "1234567890",
            "2024-01-01",
            "v1.2.3",
            "2.31.0-rc.1",
            "admin@example.org",
            "ops@acme.io",
            "hunter",
            "aaaaaa1",
            "abc12",
            "letmein",
            "changeme123",
            "/run/secrets/db_password",
            "https://oauth2.example.com/token",
            "DATABASE_PASSWORD",
            "%(password)s",
            "ghp_",
        ] {
            assert!(!looks_like_secret_value(v), "{v:?}");
        }
    }

    #[test]
    fn entropy_is_bits_per_char() {
        assert_eq!(entropy(""), 0.0);
        assert_eq!(entropy("aaaa"), 0.0);
        assert!((entropy("ab") - 1.0).abs() < 1e-9);
        assert!((entropy("abcd") - 2.0).abs() < 1e-9);
        assert!(entropy("hunter2") > MIN_ENTROPY);
        assert!(entropy(&fake_secret("hex32", 0)) > 3.0);
    }
}
