//! Findings as rules emit them and reporters read them. Secrets are redacted here, before any
//! reporter sees a diagnostic: a rule marks the secret's span with [`Diagnostic::secret`] and
//! the engine masks it in the message and in the source text kept for rendering.

use std::path::PathBuf;

use serde::Serialize;

pub use crate::knowledge::helpers::CallArgs;
pub use crate::severity::Severity;
use crate::source::{Position, Span};

/// A secondary location: in the same file (`path` is `None`) or in another file of the project.
#[derive(Clone, Debug, Serialize)]
pub struct Label {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    #[serde(skip)]
    pub span: Span,
    pub start: Position,
    pub end: Position,
    pub message: String,
}

/// A finding that only holds if something about the whole project is true; resolved by the
/// engine once every file's facts are merged into the project index.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub enum Condition {
    /// Holds if the called function (resolved through the file's imports) runs a query.
    /// The engine adds the helper's query as a related label and fills `{query}` in the message.
    CalleeQueries {
        module: Option<String>,
        name: String,
        method_of: Option<String>,
        /// The call passes a model that changes every round (`_update(model, ..)` in a loop over
        /// models): a helper that queries the model it is given runs once per model.
        model_arg: bool,
        /// What the call passes and does with the result, against the helper's
        /// [`crate::knowledge::helpers::HelperShape`].
        call: CallArgs,
    },
    /// Holds unless the project function a call resolves to (as for `CalleeQueries`) runs, as
    /// its query, a related-manager read (`variant.lines.all()`) of one of `relations`: the rows
    /// the loop hands it were loaded with those relations prefetched.
    UnlessCalleeReadsPrefetched {
        module: Option<String>,
        name: String,
        method_of: Option<String>,
        relations: Vec<String>,
    },
    /// Holds unless the project's model class `model` defines the method `method` (Django
    /// `save`/`delete`): a bulk write would skip that logic, so one call per row is deliberate.
    UnlessModelDefines { model: String, method: String },
    /// Holds if the model class `model` (imported from `module`) declares `field` as a lazy
    /// relation (Django `ForeignKey`, SQLAlchemy `relationship()`), in any file of the project.
    LazyRelation {
        module: Option<String>,
        model: String,
        field: String,
    },
    /// Holds unless the project sets a default pagination class (DRF settings).
    NoDefaultPagination,
    /// Holds unless a limiter elsewhere in the project covers this route: app-wide, on a path
    /// prefix the route lies under, or DRF default throttles for a DRF view.
    NoRateLimit(crate::knowledge::rate_limit::RouteCheck),
    /// Holds unless the project sets NestJS's `ValidationPipe` for the whole app.
    NoGlobalValidationPipe,
    /// Holds unless some file registers the handler of this name behind validating middleware.
    UnlessValidatedRoute(String),
    /// Holds unless some file of the project makes this setting (`axios.defaults.timeout`).
    UnlessProjectSetting(
        #[serde(with = "crate::cache::statics::str")] crate::cache::statics::StaticStr,
    ),
    /// Holds if some HTTP handler of the project sends the result of this function (`name`,
    /// a method of `class`) to the client as it is. The engine fills `{handler}` in the message
    /// and adds the handler's call as a related label.
    ReturnedByHandler { name: String, class: Option<String> },
    /// Holds if some function of the project uses the result of this function (`name`, a
    /// method of `class`) to authorise the caller without verifying the token. The engine fills
    /// `{caller}` in the message and adds the call as a related label.
    AuthorisedByCaller { name: String, class: Option<String> },
    /// Holds if some HTTP handler of the project calls this function (`name`, a method of
    /// `class`) and passes request data as one of the arguments `args` (positions, `self` not
    /// counted): the panic is reachable from what a client sends. The engine fills `{handler}`
    /// in the message and adds the call as a related label.
    CalledByHandler {
        name: String,
        class: Option<String>,
        args: Vec<usize>,
    },
    /// Holds unless one of these calls around the finding (functions, or macros as `name!`)
    /// runs the closure it is given off the event loop, as the project defines it
    /// (`conn.run(|c| ..)` where `DbConn::run` calls `block_in_place`).
    UnlessOffloaded(Vec<String>),
    /// Holds unless one of these functions (the finding's function or its callers in the same
    /// file) is called by a memoised getter of the project to fill its cache: it runs once.
    UnlessRunsOnce(Vec<String>),
    /// Holds unless some file of the project eager-loads a relation of this name
    /// (`prefetch_related("orders__lines")`): a caller may have filled the cache.
    UnlessPrefetched(String),
    /// Holds if the listed model grows with the service's use (users, rows that belong to a
    /// user), as the project's model declarations say; `pins` are the columns the query pins
    /// to one value, `appended` that the listing function adds rows of the model itself
    /// ([`crate::knowledge::growth::grows`]).
    ModelGrows {
        model: String,
        /// The module the model is imported from, when it is.
        module: Option<String>,
        pins: Vec<String>,
        appended: bool,
    },
    /// Holds unless one of these project functions (module it is imported from, name) does
    /// per-item external work ([`crate::knowledge::external`]): the query is a step of it.
    UnlessExternalWork(Vec<(Option<String>, String)>),
    /// Holds unless the project may override the setting `name` that the module `module` sets
    /// to true: a production settings module star-imports it and sets `name` again, or a
    /// module it star-imports after the setting (`later`) may set it
    /// ([`crate::knowledge::debug_mode::overridden`]).
    UnlessSettingOverridden {
        module: String,
        name: String,
        later: Vec<String>,
    },
    /// Holds unless some file of the project calls the function `name` inside a transaction
    /// (`with transaction.atomic(): place_order(..)`), see
    /// [`crate::knowledge::transactions::called_in_transaction`].
    UnlessCalledInTransaction(String),
    /// Holds unless the project's Django settings set `ATOMIC_REQUESTS = True`.
    UnlessAtomicRequests,
    /// Holds if every one of these holds.
    All(Vec<Condition>),
    /// Holds if a CORS fact of other files holds (a Django setting in a sibling settings file,
    /// CORS options another module exports); see [`crate::knowledge::cors::CorsCheck`].
    Cors(crate::knowledge::cors::CorsCheck),
    /// Holds unless every value put into the SQL text is safe as the project shows: each
    /// parameter `(function, caller position, name)` receives constants at every call of the
    /// project, and each guard function named is a project validator (an anchored allow-list
    /// regex test of its argument).
    UnlessSafeSources {
        params: Vec<(String, usize, String)>,
        validators: Vec<String>,
    },
    /// Holds unless the project's model layer hashes the passwords of this model as they are
    /// set (a validator, setter or save hook; [`crate::knowledge::passwords::PasswordFacts`]);
    /// the model as a [`crate::knowledge::passwords::model_key`]; `constructor`: the password
    /// is given to the model's constructor (a constructor that hashes counts).
    UnlessModelHashesPasswords { model: String, constructor: bool },
    /// Holds if the project's Rust struct `ty` derives `Debug` (no hand-written `Debug`) and has
    /// a secret field ([`crate::knowledge::logging::LogIndex`]). The engine fills `{field}`.
    DebugPrintsSecret { ty: String },
    /// Holds unless a model of the project declares a field of this name as a UUID (Django
    /// `token = models.UUIDField(..)`): the value is a record's public id, not a secret.
    UnlessIdField(String),
    /// Holds if the project function `name` (imported from `module`; `None`: defined in the
    /// finding's file) returns a fast hash of its parameter `arg`. The engine fills `{algo}`.
    FastHashHelper {
        module: Option<String>,
        name: String,
        arg: usize,
    },
}

/// Whether applying a fix keeps the program's behaviour (ruff's applicability): `--fix`
/// applies safe fixes, `--unsafe-fixes` also unsafe ones (a timeout value chosen for the
/// code, an `await` that lets other tasks run).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    Safe,
    Unsafe,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
        }
    }
}

/// One replacement of a byte range of the finding's file (an insertion when the range is
/// empty). Positions are filled in by the engine with the diagnostic's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Edit {
    pub span: Span,
    pub start: Position,
    pub end: Position,
    pub replacement: String,
}

impl Edit {
    pub fn replace(span: Span, replacement: impl Into<String>) -> Edit {
        const NOWHERE: Position = Position {
            line: 0,
            column: 0,
            column_utf16: 0,
        };
        Edit {
            span,
            start: NOWHERE,
            end: NOWHERE,
            replacement: replacement.into(),
        }
    }
    pub fn insert(at: usize, text: impl Into<String>) -> Edit {
        Edit::replace(Span::new(at, at), text)
    }
    pub fn delete(span: Span) -> Edit {
        Edit::replace(span, "")
    }
}

/// A mechanical fix of a finding: what it does and its edits, sorted and not overlapping.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Fix {
    /// What applying it does, as an editor's action title: "Add `timeout=10`".
    pub title: String,
    pub applicability: Applicability,
    pub edits: Vec<Edit>,
}

impl Fix {
    pub fn new(
        title: impl Into<String>,
        applicability: Applicability,
        mut edits: Vec<Edit>,
    ) -> Fix {
        edits.sort_by_key(|e| (e.span.start, e.span.end));
        Fix {
            title: title.into(),
            applicability,
            edits,
        }
    }
    pub fn safe(title: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix::new(title, Applicability::Safe, edits)
    }
    pub fn unsafe_(title: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix::new(title, Applicability::Unsafe, edits)
    }
    /// Whether the edits lie inside `text`, on character boundaries, in order and apart
    /// (touching is fine: applied together they give the replacements in order).
    pub fn fits(&self, text: &str) -> bool {
        let mut last = 0;
        for e in &self.edits {
            let (s, t) = (e.span.start as usize, e.span.end as usize);
            if s < last || t > text.len() || !text.is_char_boundary(s) || !text.is_char_boundary(t)
            {
                return false;
            }
            last = t;
        }
        !self.edits.is_empty()
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Diagnostic {
    pub rule: &'static str,
    pub severity: Severity,
    pub path: PathBuf,
    #[serde(skip)]
    pub span: Span,
    pub start: Position,
    pub end: Position,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<Label>,
    /// The path a value took from its source to here, source first (the rule's steps).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flow: Vec<Label>,
    /// Line-shift tolerant identity used by `--baseline` (rule + normalised line text +
    /// occurrence).
    pub fingerprint: String,
    /// GitHub's `primaryLocationLineHash` for the start line.
    #[serde(skip)]
    pub line_hash: String,
    /// Span of a secret to mask in every output.
    #[serde(skip)]
    pub secret: Option<Span>,
    #[serde(skip)]
    pub condition: Option<Condition>,
    /// The mechanical fix, where the rule has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
}

/// Public format markers a masked secret may keep, so a reader knows what kind of credential
/// it is (`AKIA****`, `ghp_****`). Nothing of a password or other free-form secret is shown.
const PUBLIC_PREFIXES: &[&str] = &[
    "-----BEGIN",
    "sk_live_",
    "sk_test_",
    "rk_live_",
    "sk-proj-",
    "sk-ant-",
    "github_pat_",
    "glpat-",
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "xoxr-",
    "xoxs-",
    "AKIA",
    "ASIA",
    "AIza",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "npm_",
    "pypi-",
    "SG.",
    "sk-",
    "eyJ",
];

fn kept_prefix(secret: &str) -> usize {
    PUBLIC_PREFIXES
        .iter()
        .find(|p| secret.starts_with(*p) && secret.len() >= p.len() + 8)
        .map_or(0, |p| p.len())
}

/// Masks a secret for display: keeps a public format marker (`AKIA`, `ghp_`, `sk_live_`) and
/// replaces everything else, keeping the length. A private key block is shown as its header line
/// and its size (`-----BEGIN RSA PRIVATE KEY----- … [redacted, 1.6 kB]`), and any secret over 64
/// characters as one line with its length: never hundreds of asterisks over several lines.
pub fn redact(secret: &str) -> String {
    if let Some(rest) = secret.strip_prefix("-----BEGIN ") {
        if let Some(end) = rest.find("-----") {
            let header = &secret[.."-----BEGIN ".len() + end + 5];
            return format!("{header} … [redacted, {}]", size(secret.len()));
        }
    }
    let chars = secret.chars().count();
    if chars > 64 {
        let keep = kept_prefix(secret);
        return format!(
            "{}{} … [redacted, {chars} characters]",
            &secret[..keep],
            "*".repeat(8)
        );
    }
    let keep = kept_prefix(secret);
    secret
        .char_indices()
        .map(|(i, c)| if i < keep || c == '\n' { c } else { '*' })
        .collect()
}

fn size(bytes: usize) -> String {
    if bytes >= 1024 {
        format!("{:.1} kB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} bytes")
    }
}

/// Masks a secret in place in a text, byte-length preserving so spans stay valid.
pub fn redact_in(text: &mut String, span: Span) {
    let Some(secret) = text.get(span.range()) else {
        return;
    };
    let keep = kept_prefix(secret);
    let masked: String = secret
        .char_indices()
        .flat_map(|(i, c)| {
            let kept = i < keep || c == '\n';
            let w = if kept { 0 } else { c.len_utf8() };
            kept.then_some(c)
                .into_iter()
                .chain(std::iter::repeat_n('*', w))
        })
        .collect();
    text.replace_range(span.range(), &masked);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_keeps_length_and_prefix() {
        assert_eq!(redact("AKIAABCDEFGHIJKLMNOP"), "AKIA****************");
        assert_eq!(redact("hunter2"), "*******");
        let pem = format!(
            "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----",
            "A".repeat(1600)
        );
        let shown = redact(&pem);
        assert_eq!(
            shown,
            "-----BEGIN RSA PRIVATE KEY----- … [redacted, 1.6 kB]"
        );
        assert!(!shown.contains('\n') && !shown.contains("AAAA"));
        let long = "x".repeat(100);
        assert_eq!(redact(&long), "******** … [redacted, 100 characters]");
        let mut t = String::from("k = \"sk_live_abcdefghijklmnop\"\n");
        let s = t.find("sk_").unwrap();
        redact_in(&mut t, Span::new(s, s + 24));
        assert_eq!(t, "k = \"sk_live_****************\"\n");
        assert_eq!(redact("Orders-Pr0d-2024!"), "*****************");
    }
}
