//! Outbound HTTP clients: which calls send a request or build a client, how each one takes a
//! timeout, and what happens when none is given. `missing-timeout` reads these tables; supporting
//! another client library is a row here, not a change in the rule.
//!
//! | library | language | timeout given by | without one |
//! |---|---|---|---|
//! | `requests` (functions, `Session`) | Python | `timeout=` per call | waits forever (a `Session` has no default either) |
//! | `urllib.request.urlopen`, openers | Python | `timeout=` (3rd positional) | socket default: forever unless `socket.setdefaulttimeout` |
//! | `http.client.HTTP(S)Connection` | Python | `timeout=` at construction | socket default |
//! | `urllib3.PoolManager` | Python | `timeout=` at construction or per request | socket default |
//! | `httpx` (functions, `Client`, `AsyncClient`) | Python | `timeout=` | 5 s: only `timeout=None` is reported |
//! | `aiohttp` (`ClientSession`, `request`) | Python | `timeout=aiohttp.ClientTimeout(..)` | 5 min total: only a timeout with every bound `None` is reported |
//! | `fetch` (global, `node-fetch`, `undici`, `cross-fetch`) | TS/JS | `signal` (also node-fetch 2's `timeout`) | no deadline |
//! | `axios` (functions, instances, `axios.create`) | TS/JS | `timeout` (or `signal`) in the config; `axios.defaults.timeout` | 0 = no timeout |
//! | `@nestjs/axios` `HttpModule.register` | TS | `timeout` | axios's: none |
//! | `got` (functions, `got.extend`) | TS/JS | `timeout` (or `signal`) | none |
//! | `ky` | TS/JS | `timeout` | 10 s: only `timeout: false` is reported |
//! | `needle` | TS/JS | `response_timeout`/`read_timeout` in the options; `needle.defaults(..)` | connecting only (10 s): a server that accepts and never answers holds it |
//! | `superagent` | TS/JS | `.timeout(ms)` / `.timeout({ response, deadline })` on the request chain | none |
//! | `undici.request` | TS/JS | `headersTimeout`/`bodyTimeout` | 300 s each: not reported |
//! | `reqwest` (`get`, `Client::new`, `Client::builder()`) | Rust | `.timeout(d)` on the builder or on a request (`.read_timeout` also bounds a stalled response; `.connect_timeout` alone does not) | none (`reqwest::get` cannot take one) |
//! | `reqwest::blocking` | Rust | `.timeout(d)` | 30 s: only `.timeout(None)` is reported |
//! | `ureq` (`get`, `post`, ...) | Rust | `.timeout(..)` / `.timeout_read(..)` (2.x), `.timeout_global(..)` (3.x) | no read timeout |
//! | `awc` | Rust | `.timeout(d)` | 5 s: not reported |

use crate::ast::{Ast, Kind, Lang, NodeId};
use crate::imports::Imports;

/// What a call is to an HTTP client library.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Sends one request: a missing timeout is reported on this call.
    Request,
    /// Creates a client whose requests inherit its timeout (`axios.create`, `Client::new()`): a
    /// missing timeout is reported on the construction.
    Client,
    /// Starts a builder chain finished by `build` (`reqwest::Client::builder()`).
    Builder,
    /// Creates a session that has no timeout setting of its own (`requests.Session`): each request
    /// made on it needs one.
    Session,
}

/// Where a call takes its timeout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Config {
    /// Python keyword argument, also accepted at this positional index when there is one.
    Kwarg(Option<usize>),
    /// JS options object at this argument index (`fetch(url, init)`, `axios.get(url, config)`).
    Options(usize),
    /// JS: the first argument when it is an object, else the second (`axios(config)`,
    /// `axios(url, config)`, `got(url, options)`).
    UrlOrOptions,
    /// Rust: a method of the builder or request chain (`.timeout(d)`).
    Chain,
    /// This call cannot take one (`reqwest::get`, `reqwest::Client::new()`).
    Never,
}

/// An HTTP client library.
#[derive(Debug)]
pub struct Library {
    /// As messages name it: `requests`, `axios`, `reqwest`.
    pub name: &'static str,
    pub lang: Lang,
    /// Keywords, option keys or chain methods that set a timeout.
    pub timeout: &'static [&'static str],
    /// The timeout applied when none is given; `None` means a request can wait forever. With a
    /// default, only an explicitly disabled timeout (`None`, `false`) is reported.
    pub default: Option<&'static str>,
    /// Methods of an instance (session, client, axios instance) that send a request.
    pub methods: &'static [(&'static str, Config)],
    /// A project-wide setting that gives every request a timeout (see [`project_setting`]).
    pub project_setting: Option<&'static str>,
    /// The fix, as the help line gives it.
    pub fix: &'static str,
}

/// A function or constructor of a client library.
#[derive(Debug)]
pub struct Api {
    /// Qualified through the file's imports: `requests.get`, `axios.create`,
    /// `reqwest::Client::new`.
    pub path: &'static str,
    pub role: Role,
    pub config: Config,
    pub library: &'static Library,
}

/// `socket.setdefaulttimeout(..)` somewhere in the project.
pub const SOCKET_DEFAULT_TIMEOUT: &str = "socket-default-timeout";
/// `axios.defaults.timeout = ..` somewhere in the project.
pub const AXIOS_DEFAULT_TIMEOUT: &str = "axios-default-timeout";
/// `needle.defaults({ response_timeout: .. })` somewhere in the project.
pub const NEEDLE_DEFAULT_TIMEOUT: &str = "needle-default-timeout";

const PY_VERBS: &[(&str, Config)] = &[
    ("get", Config::Kwarg(None)),
    ("post", Config::Kwarg(None)),
    ("put", Config::Kwarg(None)),
    ("patch", Config::Kwarg(None)),
    ("delete", Config::Kwarg(None)),
    ("head", Config::Kwarg(None)),
    ("options", Config::Kwarg(None)),
    ("request", Config::Kwarg(None)),
    ("stream", Config::Kwarg(None)),
    ("send", Config::Kwarg(None)),
    ("ws_connect", Config::Kwarg(None)),
];

pub const REQUESTS: Library = Library {
    name: "requests",
    lang: Lang::Python,
    timeout: &["timeout"],
    default: None,
    methods: &[
        ("get", Config::Kwarg(None)),
        ("post", Config::Kwarg(None)),
        ("put", Config::Kwarg(None)),
        ("patch", Config::Kwarg(None)),
        ("delete", Config::Kwarg(None)),
        ("head", Config::Kwarg(None)),
        ("options", Config::Kwarg(None)),
        // Session.request(method, url, params, data, headers, cookies, files, auth, timeout, ..)
        ("request", Config::Kwarg(Some(8))),
        // Session.send(prepared_request, **kwargs): `timeout=` like the others
        ("send", Config::Kwarg(None)),
    ],
    project_setting: None,
    fix: "pass `timeout=` (seconds, or a `(connect, read)` tuple): `requests.post(url, json=body, timeout=(3.05, 10))`",
};
pub const URLLIB: Library = Library {
    name: "urllib",
    lang: Lang::Python,
    timeout: &["timeout"],
    default: None,
    methods: &[("open", Config::Kwarg(Some(2)))],
    project_setting: Some(SOCKET_DEFAULT_TIMEOUT),
    fix: "pass a timeout in seconds: `urlopen(url, timeout=10)` (or call `socket.setdefaulttimeout(..)` once at start-up)",
};
pub const HTTP_CLIENT: Library = Library {
    name: "http.client",
    lang: Lang::Python,
    timeout: &["timeout"],
    default: None,
    methods: &[("request", Config::Never)],
    project_setting: Some(SOCKET_DEFAULT_TIMEOUT),
    fix: "pass `timeout=` to the connection: `HTTPSConnection(host, timeout=10)`",
};
pub const URLLIB3: Library = Library {
    name: "urllib3",
    lang: Lang::Python,
    timeout: &["timeout"],
    default: None,
    methods: &[
        ("request", Config::Kwarg(None)),
        ("urlopen", Config::Kwarg(None)),
        ("request_encode_url", Config::Kwarg(None)),
        ("request_encode_body", Config::Kwarg(None)),
    ],
    project_setting: Some(SOCKET_DEFAULT_TIMEOUT),
    fix: "give the pool a timeout: `urllib3.PoolManager(timeout=urllib3.Timeout(connect=3.0, read=10.0))`",
};
pub const HTTPX: Library = Library {
    name: "httpx",
    lang: Lang::Python,
    timeout: &["timeout"],
    default: Some("5 s"),
    methods: PY_VERBS,
    project_setting: None,
    fix: "drop `timeout=None` (httpx then applies its 5 s default) or give a bound: `timeout=httpx.Timeout(10.0, connect=3.0)`",
};
pub const AIOHTTP: Library = Library {
    name: "aiohttp",
    lang: Lang::Python,
    timeout: &["timeout"],
    default: Some("5 min total"),
    methods: PY_VERBS,
    project_setting: None,
    fix: "give a bound: `aiohttp.ClientTimeout(total=30)`",
};

const AXIOS_METHODS: &[(&str, Config)] = &[
    ("get", Config::Options(1)),
    ("delete", Config::Options(1)),
    ("head", Config::Options(1)),
    ("options", Config::Options(1)),
    ("post", Config::Options(2)),
    ("put", Config::Options(2)),
    ("patch", Config::Options(2)),
    ("postForm", Config::Options(2)),
    ("putForm", Config::Options(2)),
    ("patchForm", Config::Options(2)),
    ("request", Config::Options(0)),
];
const GOT_METHODS: &[(&str, Config)] = &[
    ("get", Config::Options(1)),
    ("post", Config::Options(1)),
    ("put", Config::Options(1)),
    ("patch", Config::Options(1)),
    ("delete", Config::Options(1)),
    ("head", Config::Options(1)),
];

pub const FETCH: Library = Library {
    name: "fetch",
    lang: Lang::TypeScript,
    // node-fetch 2 takes a non-standard `timeout` option.
    timeout: &["signal", "timeout"],
    default: None,
    methods: &[],
    project_setting: None,
    fix: "pass a deadline: `fetch(url, { ...init, signal: AbortSignal.timeout(5000) })` (or an `AbortController` aborted by a timer)",
};
pub const AXIOS: Library = Library {
    name: "axios",
    lang: Lang::TypeScript,
    timeout: &["timeout", "signal"],
    default: None,
    methods: AXIOS_METHODS,
    project_setting: Some(AXIOS_DEFAULT_TIMEOUT),
    fix: "set `timeout` (ms) on the instance or the request: `axios.create({ baseURL, timeout: 5000 })`, `axios.get(url, { timeout: 5000 })`, or once with `axios.defaults.timeout = 5000`",
};
pub const NEST_AXIOS: Library = Library {
    name: "@nestjs/axios",
    lang: Lang::TypeScript,
    timeout: &["timeout"],
    default: None,
    methods: &[],
    project_setting: None,
    fix: "register the module with a timeout: `HttpModule.register({ timeout: 5000, maxRedirects: 5 })`",
};
pub const GOT: Library = Library {
    name: "got",
    lang: Lang::TypeScript,
    timeout: &["timeout", "signal"],
    default: None,
    methods: GOT_METHODS,
    project_setting: None,
    fix: "pass `timeout: { request: 10000 }` (or set it once with `got.extend({ timeout: { request: 10000 } })`)",
};
pub const KY: Library = Library {
    name: "ky",
    lang: Lang::TypeScript,
    timeout: &["timeout"],
    default: Some("10 s"),
    methods: GOT_METHODS,
    project_setting: None,
    fix: "keep ky's 10 s default or give a bound: `timeout: 30000` instead of `false`",
};

const NEEDLE_METHODS: &[(&str, Config)] = &[
    ("get", Config::Options(1)),
    ("head", Config::Options(1)),
    ("post", Config::Options(2)),
    ("put", Config::Options(2)),
    ("patch", Config::Options(2)),
    ("delete", Config::Options(2)),
    ("request", Config::Options(3)),
];
pub const NEEDLE: Library = Library {
    name: "needle",
    lang: Lang::TypeScript,
    // `timeout` is needle's alias of `open_timeout`: it only bounds connecting
    timeout: &["response_timeout", "read_timeout"],
    default: None,
    methods: NEEDLE_METHODS,
    project_setting: Some(NEEDLE_DEFAULT_TIMEOUT),
    fix: "pass `response_timeout` (ms) in the options: `needle.get(url, { response_timeout: 10000 }, cb)` (`timeout`/`open_timeout` only bound connecting), or once with `needle.defaults({ response_timeout: 10000 })`",
};
pub const SUPERAGENT: Library = Library {
    name: "superagent",
    lang: Lang::TypeScript,
    timeout: &["timeout"],
    default: None,
    methods: &[],
    project_setting: None,
    fix: "bound the request on its chain: `superagent.get(url).timeout({ response: 5000, deadline: 30000 })`",
};

pub const REQWEST: Library = Library {
    name: "reqwest",
    lang: Lang::Rust,
    timeout: &["timeout", "read_timeout"],
    default: None,
    methods: &[
        ("get", Config::Chain),
        ("post", Config::Chain),
        ("put", Config::Chain),
        ("patch", Config::Chain),
        ("delete", Config::Chain),
        ("head", Config::Chain),
        ("request", Config::Chain),
    ],
    project_setting: None,
    fix: "build one client with a timeout at start-up and share it: `reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?` (or set `.timeout(d)` on each request)",
};
pub const REQWEST_BLOCKING: Library = Library {
    name: "reqwest::blocking",
    lang: Lang::Rust,
    timeout: &["timeout", "read_timeout"],
    default: Some("30 s"),
    methods: REQWEST.methods,
    project_setting: None,
    fix: "keep the 30 s default or give a bound: `.timeout(Duration::from_secs(60))` instead of `.timeout(None)`",
};
pub const UREQ: Library = Library {
    name: "ureq",
    lang: Lang::Rust,
    timeout: &[
        "timeout",
        "timeout_read",
        "timeout_global",
        "timeout_recv_response",
        "timeout_recv_body",
    ],
    default: None,
    methods: &[],
    project_setting: None,
    fix: "bound the request: `.timeout(Duration::from_secs(10))` (ureq 2) or `.config().timeout_global(Some(Duration::from_secs(10))).build()` (ureq 3)",
};

const fn req(path: &'static str, config: Config, library: &'static Library) -> Api {
    Api {
        path,
        role: Role::Request,
        config,
        library,
    }
}
const fn ctor(path: &'static str, role: Role, config: Config, library: &'static Library) -> Api {
    Api {
        path,
        role,
        config,
        library,
    }
}

/// Every function and constructor, by qualified path.
pub const APIS: &[Api] = &[
    // Python
    req("requests.get", Config::Kwarg(None), &REQUESTS),
    req("requests.post", Config::Kwarg(None), &REQUESTS),
    req("requests.put", Config::Kwarg(None), &REQUESTS),
    req("requests.patch", Config::Kwarg(None), &REQUESTS),
    req("requests.delete", Config::Kwarg(None), &REQUESTS),
    req("requests.head", Config::Kwarg(None), &REQUESTS),
    req("requests.options", Config::Kwarg(None), &REQUESTS),
    req("requests.request", Config::Kwarg(None), &REQUESTS),
    req("requests.api.get", Config::Kwarg(None), &REQUESTS),
    req("requests.api.post", Config::Kwarg(None), &REQUESTS),
    req("requests.api.request", Config::Kwarg(None), &REQUESTS),
    ctor("requests.Session", Role::Session, Config::Never, &REQUESTS),
    ctor("requests.session", Role::Session, Config::Never, &REQUESTS),
    ctor(
        "requests.sessions.Session",
        Role::Session,
        Config::Never,
        &REQUESTS,
    ),
    // urlopen(url, data=None, timeout=...)
    req("urllib.request.urlopen", Config::Kwarg(Some(2)), &URLLIB),
    req("urllib2.urlopen", Config::Kwarg(Some(2)), &URLLIB),
    ctor(
        "urllib.request.build_opener",
        Role::Session,
        Config::Never,
        &URLLIB,
    ),
    // HTTPConnection(host, port=None, timeout=...)
    ctor(
        "http.client.HTTPConnection",
        Role::Client,
        Config::Kwarg(Some(2)),
        &HTTP_CLIENT,
    ),
    ctor(
        "http.client.HTTPSConnection",
        Role::Client,
        Config::Kwarg(Some(2)),
        &HTTP_CLIENT,
    ),
    ctor(
        "urllib3.PoolManager",
        Role::Client,
        Config::Kwarg(None),
        &URLLIB3,
    ),
    ctor(
        "urllib3.HTTPConnectionPool",
        Role::Client,
        Config::Kwarg(None),
        &URLLIB3,
    ),
    ctor(
        "urllib3.HTTPSConnectionPool",
        Role::Client,
        Config::Kwarg(None),
        &URLLIB3,
    ),
    req("urllib3.request", Config::Kwarg(None), &URLLIB3),
    req("httpx.get", Config::Kwarg(None), &HTTPX),
    req("httpx.post", Config::Kwarg(None), &HTTPX),
    req("httpx.put", Config::Kwarg(None), &HTTPX),
    req("httpx.patch", Config::Kwarg(None), &HTTPX),
    req("httpx.delete", Config::Kwarg(None), &HTTPX),
    req("httpx.head", Config::Kwarg(None), &HTTPX),
    req("httpx.options", Config::Kwarg(None), &HTTPX),
    req("httpx.request", Config::Kwarg(None), &HTTPX),
    req("httpx.stream", Config::Kwarg(None), &HTTPX),
    ctor("httpx.Client", Role::Client, Config::Kwarg(None), &HTTPX),
    ctor(
        "httpx.AsyncClient",
        Role::Client,
        Config::Kwarg(None),
        &HTTPX,
    ),
    ctor(
        "aiohttp.ClientSession",
        Role::Client,
        Config::Kwarg(None),
        &AIOHTTP,
    ),
    req("aiohttp.request", Config::Kwarg(None), &AIOHTTP),
    // TypeScript / JavaScript (`fetch` is recognised by `api`, it is a global)
    req("axios", Config::UrlOrOptions, &AXIOS),
    req("axios.get", Config::Options(1), &AXIOS),
    req("axios.delete", Config::Options(1), &AXIOS),
    req("axios.head", Config::Options(1), &AXIOS),
    req("axios.options", Config::Options(1), &AXIOS),
    req("axios.post", Config::Options(2), &AXIOS),
    req("axios.put", Config::Options(2), &AXIOS),
    req("axios.patch", Config::Options(2), &AXIOS),
    req("axios.postForm", Config::Options(2), &AXIOS),
    req("axios.putForm", Config::Options(2), &AXIOS),
    req("axios.patchForm", Config::Options(2), &AXIOS),
    req("axios.request", Config::Options(0), &AXIOS),
    ctor("axios.create", Role::Client, Config::Options(0), &AXIOS),
    ctor(
        "@nestjs/axios.HttpModule.register",
        Role::Client,
        Config::Options(0),
        &NEST_AXIOS,
    ),
    req("got", Config::UrlOrOptions, &GOT),
    req("got.get", Config::Options(1), &GOT),
    req("got.post", Config::Options(1), &GOT),
    req("got.put", Config::Options(1), &GOT),
    req("got.patch", Config::Options(1), &GOT),
    req("got.delete", Config::Options(1), &GOT),
    req("got.head", Config::Options(1), &GOT),
    ctor("got.extend", Role::Client, Config::Options(0), &GOT),
    req("ky", Config::Options(1), &KY),
    req("ky.get", Config::Options(1), &KY),
    req("ky.post", Config::Options(1), &KY),
    req("ky.put", Config::Options(1), &KY),
    req("ky.patch", Config::Options(1), &KY),
    req("ky.delete", Config::Options(1), &KY),
    ctor("ky.create", Role::Client, Config::Options(0), &KY),
    ctor("ky.extend", Role::Client, Config::Options(0), &KY),
    // needle(method, url, data, options)
    req("needle", Config::Options(3), &NEEDLE),
    req("needle.get", Config::Options(1), &NEEDLE),
    req("needle.head", Config::Options(1), &NEEDLE),
    req("needle.post", Config::Options(2), &NEEDLE),
    req("needle.put", Config::Options(2), &NEEDLE),
    req("needle.patch", Config::Options(2), &NEEDLE),
    req("needle.delete", Config::Options(2), &NEEDLE),
    req("needle.request", Config::Options(3), &NEEDLE),
    // superagent(method, url), superagent.get(url): the timeout is a method of the chain
    req("superagent", Config::Chain, &SUPERAGENT),
    req("superagent.get", Config::Chain, &SUPERAGENT),
    req("superagent.post", Config::Chain, &SUPERAGENT),
    req("superagent.put", Config::Chain, &SUPERAGENT),
    req("superagent.patch", Config::Chain, &SUPERAGENT),
    req("superagent.delete", Config::Chain, &SUPERAGENT),
    req("superagent.del", Config::Chain, &SUPERAGENT),
    req("superagent.head", Config::Chain, &SUPERAGENT),
    // Rust
    req("reqwest::get", Config::Never, &REQWEST),
    ctor(
        "reqwest::Client::new",
        Role::Client,
        Config::Never,
        &REQWEST,
    ),
    ctor(
        "reqwest::Client::default",
        Role::Client,
        Config::Never,
        &REQWEST,
    ),
    ctor(
        "reqwest::Client::builder",
        Role::Builder,
        Config::Chain,
        &REQWEST,
    ),
    ctor(
        "reqwest::ClientBuilder::new",
        Role::Builder,
        Config::Chain,
        &REQWEST,
    ),
    ctor(
        "reqwest::blocking::Client::builder",
        Role::Builder,
        Config::Chain,
        &REQWEST_BLOCKING,
    ),
    ctor(
        "reqwest::blocking::ClientBuilder::new",
        Role::Builder,
        Config::Chain,
        &REQWEST_BLOCKING,
    ),
    req("ureq::get", Config::Chain, &UREQ),
    req("ureq::post", Config::Chain, &UREQ),
    req("ureq::put", Config::Chain, &UREQ),
    req("ureq::patch", Config::Chain, &UREQ),
    req("ureq::delete", Config::Chain, &UREQ),
    req("ureq::head", Config::Chain, &UREQ),
    req("ureq::request", Config::Chain, &UREQ),
];

/// Modules whose `fetch` is the WHATWG fetch (the global one needs no import).
const FETCH_MODULES: &[&str] = &[
    "node-fetch",
    "undici",
    "cross-fetch",
    "isomorphic-fetch",
    "isomorphic-unfetch",
    "@whatwg-node/fetch",
    "make-fetch-happen",
];
const FETCH_API: Api = req("fetch", Config::Options(1), &FETCH);

/// Timeout objects that disable every bound when all their arguments are `None`:
/// `httpx.Timeout(None)`, `aiohttp.ClientTimeout()`.
const TIMEOUT_OBJECTS: &[&str] = &["httpx.Timeout", "aiohttp.ClientTimeout"];

/// Rust crates reachable by path without a `use`.
const RUST_CRATES: &[&str] = &["reqwest", "ureq"];

/// The client function or constructor a call is, if any.
///
/// The name must come from an import of the library (`import requests as r` then `r.get`,
/// `from requests import Session`, `const axios = require("axios")`, `use reqwest::Client`), so a
/// local `requests` dict or a project's own `get` is not mistaken for one. `fetch` is the global
/// unless the file imports `fetch` from somewhere else or defines its own.
pub fn api(ast: &Ast, imports: &Imports, call: NodeId) -> Option<&'static Api> {
    let c = ast.call(call)?;
    if c.is_macro || c.is_tagged {
        return None;
    }
    let callee = callee_of(ast, call);
    // Cheap rejection first (this runs for every call of every file): the head of the callee
    // must be imported, a crate path, or `fetch`.
    let root = head_name(ast, callee)?;
    let plausible = imports.get(root).is_some()
        || match ast.lang {
            Lang::TypeScript => root == "fetch" || root == "globalThis",
            Lang::Rust => RUST_CRATES.contains(&root),
            Lang::Python => false,
        };
    if !plausible {
        return None;
    }
    let path = ast.path_of(callee)?;
    let head = path.split(['.', ':']).next().unwrap_or(&path);
    let imported = imports.get(head);
    if ast.lang == Lang::TypeScript {
        if imported.is_none() && (path == "fetch" || path == "globalThis.fetch") {
            return Some(&FETCH_API);
        }
        // `import fetch from "node-fetch"`, `import { fetch as f } from "undici"`, `undici.fetch`
        if imported.is_some() {
            let q = imports.qualify_path(&path);
            if q.ends_with(".fetch") && is_fetch_module(&q)
                || q != "undici" && FETCH_MODULES.contains(&q.as_str())
            {
                return Some(&FETCH_API);
            }
        }
    }
    let known = imported.is_some() || (ast.lang == Lang::Rust && RUST_CRATES.contains(&head));
    if !known {
        return None;
    }
    let q = imports.qualify_path(&path);
    let q = q.strip_prefix("::").unwrap_or(&q);
    apis_by_path()
        .get(q)?
        .iter()
        .map(|&i| &APIS[i])
        .find(|a| a.library.lang == ast.lang)
}

/// [`APIS`] indices by path, in table order.
fn apis_by_path() -> &'static foldhash::HashMap<&'static str, Vec<usize>> {
    static BY_PATH: std::sync::OnceLock<foldhash::HashMap<&'static str, Vec<usize>>> =
        std::sync::OnceLock::new();
    BY_PATH.get_or_init(|| {
        let mut m = foldhash::HashMap::<&'static str, Vec<usize>>::default();
        for (i, a) in APIS.iter().enumerate() {
            m.entry(a.path).or_default().push(i);
        }
        m
    })
}

/// The first segment of a name or member chain: `requests` in `requests.get`, `reqwest` in
/// `reqwest::Client::new`.
fn head_name(ast: &Ast, mut id: NodeId) -> Option<&str> {
    loop {
        match ast.kind(id) {
            Kind::Name(n) => return n.split(['.', ':']).next(),
            Kind::Member { object, .. } => id = *object,
            _ => return None,
        }
    }
}

/// A call's callee, looking through the `await` that tree-sitter-typescript wraps around the
/// callee of `await axios.get<T>(url)` (it parses `(await axios.get)<T>(url)`).
pub fn callee_of(ast: &Ast, call: NodeId) -> NodeId {
    match ast.call(call).map(|c| (c.callee, ast.kind(c.callee))) {
        Some((_, Kind::Await(inner))) => *inner,
        Some((callee, _)) => callee,
        None => call,
    }
}

fn is_fetch_module(q: &str) -> bool {
    FETCH_MODULES.contains(&q)
        || q.strip_suffix(".fetch")
            .is_some_and(|m| FETCH_MODULES.contains(&m))
}

/// Whether a call passes a timeout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Given {
    Yes,
    /// None given.
    No,
    /// Given as `None`/`false`/`undefined`, or a timeout object with every bound `None`.
    Disabled,
    /// Cannot be told: options built elsewhere, `**kwargs`, a spread.
    Unknown,
}

/// Whether `call` passes a timeout where `config` says it goes. `Chain` is answered by
/// [`chain_timeout`]; JS options passed as a local variable are resolved to its object literal.
pub fn timeout_given(
    ast: &Ast,
    imports: &Imports,
    call: NodeId,
    config: Config,
    lib: &Library,
) -> Given {
    let Some(c) = ast.call(call) else {
        return Given::Unknown;
    };
    match config {
        Config::Never => Given::No,
        Config::Chain => chain_timeout(ast, call, lib).given,
        Config::Kwarg(position) => {
            let value = lib
                .timeout
                .iter()
                .find_map(|k| ast.kwarg(c, k))
                .or_else(|| position.and_then(|i| ast.positional(c).nth(i)));
            match value {
                Some(v) => value_given(ast, imports, v),
                None if c.args.iter().any(|a| a.spread) => Given::Unknown,
                None => Given::No,
            }
        }
        Config::Options(i) => {
            options_given(ast, imports, call, c.args.get(i).map(|a| a.value), lib)
        }
        Config::UrlOrOptions => {
            let first = c.args.first().map(|a| a.value);
            let opts = match first.map(|f| ast.kind(f)) {
                Some(Kind::Object { .. }) => first,
                _ => c.args.get(1).map(|a| a.value),
            };
            options_given(ast, imports, call, opts, lib)
        }
    }
}

fn options_given(
    ast: &Ast,
    imports: &Imports,
    call: NodeId,
    opts: Option<NodeId>,
    lib: &Library,
) -> Given {
    let Some(mut opts) = opts else {
        return if ast
            .call(call)
            .is_some_and(|c| c.args.iter().any(|a| a.spread))
        {
            Given::Unknown
        } else {
            Given::No
        };
    };
    // `needle.get(url, (err, res) => ..)`: a callback where the options may go
    if matches!(ast.kind(opts), Kind::Function(_)) {
        return Given::No;
    }
    if let Kind::Name(n) = ast.kind(opts) {
        match local_object(ast, n, call, lib) {
            Local::Object(o) => opts = o,
            Local::SetsTimeout => return Given::Yes,
            Local::Unknown => return Given::Unknown,
        }
    }
    let Kind::Object { entries, .. } = ast.kind(opts) else {
        return Given::Unknown;
    };
    if let Some(e) = entries
        .iter()
        .find(|e| e.key.as_deref().is_some_and(|k| lib.timeout.contains(&k)))
    {
        return value_given(ast, imports, e.value);
    }
    if entries.iter().any(|e| e.key.is_none()) {
        Given::Unknown // a spread or a computed key may carry it
    } else {
        Given::No
    }
}

enum Local {
    Object(NodeId),
    SetsTimeout,
    Unknown,
}

/// A JS options variable: the object literal it is last declared with before the call, in the
/// enclosing functions or at module level, unless a timeout key is assigned to it.
fn local_object(ast: &Ast, name: &str, at: NodeId, lib: &Library) -> Local {
    let scopes = ast
        .ancestors(at)
        .filter(|&a| matches!(ast.kind(a), Kind::Function(_)))
        .chain(std::iter::once(crate::ast::ROOT));
    for scope in scopes {
        if ast
            .function(scope)
            .is_some_and(|f| f.params.iter().any(|p| p.name == name))
        {
            return Local::Unknown; // a parameter: built by the caller
        }
        let mut found = None;
        for id in ast.subtree(scope) {
            let Kind::Assign { target, value, .. } = ast.kind(id) else {
                continue;
            };
            let own = ast.enclosing_function(id).unwrap_or(crate::ast::ROOT) == scope;
            match ast.kind(*target) {
                Kind::Name(n) if n == name && own && id < at => {
                    found = Some(value.map(|v| ast.unwrap_expr(v)));
                }
                Kind::Member { object, property }
                    if lib.timeout.contains(&property.as_str())
                        && matches!(ast.kind(*object), Kind::Name(n) if n == name) =>
                {
                    return Local::SetsTimeout;
                }
                _ => {}
            }
        }
        match found {
            Some(Some(o)) if matches!(ast.kind(o), Kind::Object { .. }) => return Local::Object(o),
            Some(_) => return Local::Unknown,
            None => {}
        }
    }
    Local::Unknown
}

/// A timeout value: `None`/`null`/`undefined`/`false`, JS `0` and all-`None` timeout objects
/// disable it.
fn value_given(ast: &Ast, imports: &Imports, v: NodeId) -> Given {
    match ast.kind(v) {
        Kind::Null | Kind::Bool(false) => Given::Disabled,
        Kind::Name(n) if n == "undefined" => Given::Disabled,
        // JS clients (axios, node-fetch, `http.request`) read a timeout of 0 as "never".
        Kind::Number(Some(n)) if *n == 0.0 && ast.lang == Lang::TypeScript => Given::Disabled,
        Kind::Call(c) => {
            let is_timeout_object = imports
                .qualify(ast, c.callee)
                .is_some_and(|q| TIMEOUT_OBJECTS.contains(&q.as_str()));
            if is_timeout_object
                && c.args
                    .iter()
                    .all(|a| !a.spread && matches!(ast.kind(a.value), Kind::Null))
            {
                Given::Disabled
            } else {
                Given::Yes
            }
        }
        _ => Given::Yes,
    }
}

/// A fluent chain read upwards from one call: `Client::builder().user_agent(..).build()`.
#[derive(Debug)]
pub struct Chain {
    pub given: Given,
    /// The method calls after the starting call, in order (name, call).
    pub methods: Vec<(String, NodeId)>,
    /// The outermost expression of the chain (`?`, `.await` and `unwrap`/`expect` included).
    pub outer: NodeId,
}

impl Chain {
    pub fn has(&self, name: &str) -> bool {
        self.methods.iter().any(|(m, _)| m == name)
    }
}

/// Reads the chain above `start` (a builder or request call) and whether one of its methods
/// sets a timeout (`.timeout(None)` disables it).
pub fn chain_timeout(ast: &Ast, start: NodeId, lib: &Library) -> Chain {
    let mut methods = Vec::new();
    let mut cur = start;
    let mut outer = start;
    loop {
        // step over `.await`, `?` and parentheses
        let mut p = ast.parent(cur);
        while let Some(q) = p {
            if ast.wrapped(q).is_none() {
                break;
            }
            cur = q;
            outer = q;
            p = ast.parent(q);
        }
        let Some(m) = p else { break };
        let Kind::Member { object, property } = ast.kind(m) else {
            break;
        };
        if *object != cur {
            break;
        }
        let Some(call) = ast
            .parent(m)
            .filter(|&c| ast.call(c).is_some_and(|c| c.callee == m))
        else {
            break;
        };
        methods.push((property.clone(), call));
        cur = call;
        outer = call;
    }
    let mut given = Given::No;
    for (name, call) in &methods {
        if lib.timeout.contains(&name.as_str()) {
            let arg = ast
                .call(*call)
                .and_then(|c| c.args.first().map(|a| a.value));
            given = match arg.map(|a| ast.kind(a)) {
                Some(Kind::Null) => Given::Disabled,
                Some(Kind::Name(n)) if n == "None" => Given::Disabled,
                _ => Given::Yes,
            };
            break;
        }
    }
    Chain {
        given,
        methods,
        outer,
    }
}

/// The project-wide timeout setting a node makes, if any: `axios.defaults.timeout = 5000`,
/// `socket.setdefaulttimeout(10)`. Collected into the file's facts and merged project-wide.
pub fn project_setting(ast: &Ast, imports: &Imports, id: NodeId) -> Option<&'static str> {
    match ast.kind(id) {
        Kind::Assign { target, .. }
            if ast.lang == Lang::TypeScript
                && matches!(ast.kind(*target), Kind::Member { property, .. } if property == "timeout") =>
        {
            let path = ast.path_of(*target)?;
            let q = imports.qualify_path(&path);
            (q == "axios.defaults.timeout" && imports.get("axios").is_some())
                .then_some(AXIOS_DEFAULT_TIMEOUT)
        }
        // `needle.defaults({ response_timeout: 10000 })`
        Kind::Call(c) if ast.lang == Lang::TypeScript && ast.callee_name(c) == Some("defaults") => {
            let q = imports.qualify(ast, c.callee)?;
            let opts = c.args.first()?.value;
            let sets = NEEDLE.timeout.iter().any(|k| {
                ast.entry(opts, k)
                    .is_some_and(|e| value_given(ast, imports, e.value) == Given::Yes)
            });
            (q == "needle.defaults" && imports.get("needle").is_some() && sets)
                .then_some(NEEDLE_DEFAULT_TIMEOUT)
        }
        Kind::Call(c)
            if ast.lang == Lang::Python && ast.callee_name(c) == Some("setdefaulttimeout") =>
        {
            let q = imports.qualify(ast, c.callee)?;
            let arg = ast.positional(c).next()?;
            (q == "socket.setdefaulttimeout" && !matches!(ast.kind(arg), Kind::Null))
                .then_some(SOCKET_DEFAULT_TIMEOUT)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_library_is_reachable_and_paths_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for a in APIS {
            assert!(
                seen.insert((a.library.lang, a.path)),
                "duplicate {}",
                a.path
            );
            assert!(!a.library.timeout.is_empty(), "{}", a.library.name);
        }
    }
}
