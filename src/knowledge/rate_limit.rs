//! Rate limiting at the request boundary: which routes are authentication endpoints, and which
//! code limits how often a client may call them.
//!
//! An authentication endpoint is recognised by its route path and its handler's name, word by
//! word (`/api/auth/login`, `handleLoginRequest`, `PasswordResetView`, `/forgotpw`): login and
//! sign-in, registration, password reset and recovery, token issue and refresh, one-time codes
//! and two-factor checks, magic links, email/phone verification. Routes only a browser's `GET`
//! reaches (the page that shows the form) are not, nor are endpoints that manage a signed-in
//! user's settings (change password, 2FA setup/status, API token lists), logout and OAuth
//! callbacks. A handler whose body checks a password (`check_password`, `bcrypt.compare`,
//! `authenticate(..)`) is a login whatever its name.
//!
//! A limiter is recognised by its library or by its name: a name, call or type whose words say
//! rate limit, limiter, throttle, governor, slow down or brute force (express-rate-limit,
//! rate-limiter-flexible, `@nestjs/throttler`, `@fastify/rate-limit`, koa-ratelimit, slowapi,
//! flask-limiter, django-ratelimit, DRF throttles, django-axes, tower_governor, actix-governor,
//! actix-limitation, rocket_governor, and a project's own `authLimiter` / `rateLimiter(..)` /
//! `check_limit_login(..)`). It counts on the route (a middleware argument, a decorator, a class
//! attribute, a route option, a call in the handler's body or in a helper of the same file), on
//! the router chain around the route (actix `.wrap`, axum `.layer`, Hono/Express `.use`), or
//! app-wide ([`RateLimitFacts`], merged over the project in [`RateLimitIndex`]).

use std::collections::HashSet;
use std::path::Path;

use crate::ast::{Ast, Kind, Lang, NodeId};
use crate::imports::{ends_with_segments, normalise_module, Imports};

/// What kind of authentication endpoint a route is, for the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthKind {
    Login,
    Register,
    PasswordReset,
    Token,
    OneTimeCode,
    MagicLink,
    Verification,
}

impl AuthKind {
    /// `login endpoint`, as the message names it.
    pub fn noun(self) -> &'static str {
        match self {
            AuthKind::Login => "login endpoint",
            AuthKind::Register => "sign-up endpoint",
            AuthKind::PasswordReset => "password reset endpoint",
            AuthKind::Token => "token endpoint",
            AuthKind::OneTimeCode => "one-time code check",
            AuthKind::MagicLink => "magic link endpoint",
            AuthKind::Verification => "verification endpoint",
        }
    }
    /// What an attacker does with it unlimited.
    pub fn abuse(self) -> &'static str {
        match self {
            AuthKind::Login | AuthKind::Token => {
                "so passwords can be guessed and stolen credentials tried at full speed"
            }
            AuthKind::Register => "so accounts can be created in bulk by scripts",
            AuthKind::PasswordReset | AuthKind::MagicLink => {
                "so reset emails can be sent without end and reset codes guessed"
            }
            AuthKind::OneTimeCode => "so one-time codes can be guessed at full speed",
            AuthKind::Verification => {
                "so verification codes can be guessed and emails or texts sent without end"
            }
        }
    }
}

// --- words -----------------------------------------------------------------------------------

/// Lower-case words of an identifier or a path: `handleLoginRequest` -> handle, login, request;
/// `/api/v1/reset-password/:token` -> api, v1, reset, password, token.
pub fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in s.split(|c: char| !c.is_ascii_alphanumeric()) {
        let chars: Vec<char> = part.chars().collect();
        let mut cur = String::new();
        for (i, &c) in chars.iter().enumerate() {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1).copied();
            let split = c.is_ascii_uppercase()
                && prev.is_some_and(|p| {
                    p.is_ascii_lowercase()
                        || p.is_ascii_uppercase() && next.is_some_and(|n| n.is_ascii_lowercase())
                });
            if split && !cur.is_empty() {
                out.push(std::mem::take(&mut cur).to_ascii_lowercase());
            }
            cur.push(c);
        }
        if !cur.is_empty() {
            out.push(cur.to_ascii_lowercase());
        }
    }
    out
}

const PASSWORD_WORDS: &[&str] = &["password", "passwd", "pw", "pwd", "pass", "passcode"];
const CODE_WORDS: &[&str] = &[
    "otp",
    "totp",
    "hotp",
    "2fa",
    "mfa",
    "twofactor",
    "tfa",
    "2step",
];
/// Verbs that make a one-time-code route a check of the code (not its setup or status).
const CODE_CHECKS: &[&str] = &[
    "verify",
    "verification",
    "validate",
    "check",
    "confirm",
    "login",
    "signin",
    "authenticate",
    "submit",
];
/// Words of routes that are no credential check whatever else they say (logout, a signed-in
/// user's settings, listings, test and preview endpoints).
const NOT_AUTH: &[&str] = &[
    "logout", "signout", "logoff", "status", "callback", "required", "change", "update", "edit",
    "settings", "config", "list", "history", "attempts", "logs", "delete", "remove", "revoke",
    "options", "me", "whoami", "info", "test", "html", "content", "preview", "template",
];
/// Words of two-factor management (setup, status, recovery codes), not a check of a code.
const NOT_CODE_CHECK: &[&str] = &[
    "setup",
    "enable",
    "disable",
    "qr",
    "qrcode",
    "generate",
    "backup",
    "recovery",
    "codes",
    "prelogin",
    "providers",
    "provider",
];
/// Things that are registered but are no accounts (`register_device`, `registerWebhook`).
const NOT_ACCOUNT: &[&str] = &[
    "device",
    "devices",
    "push",
    "webhook",
    "webhooks",
    "plugin",
    "plugins",
    "service",
    "worker",
    "runner",
    "agent",
    "node",
    "hook",
    "hooks",
    "model",
    "models",
    "route",
    "routes",
    "handler",
    "handlers",
    "component",
    "components",
    "schema",
    "type",
    "types",
    "client",
    "app",
    "key",
    "keys",
    "domain",
    "interest",
];

/// The authentication endpoint a route path or handler name names, if any.
pub fn auth_kind(text: &str) -> Option<AuthKind> {
    let w = words(text);
    classify(&w)
}

fn classify(w: &[String]) -> Option<AuthKind> {
    if w.is_empty() {
        return None;
    }
    let has = |x: &str| w.iter().any(|t| t == x);
    let pair = |a: &str, b: &str| w.windows(2).any(|p| p[0] == a && p[1] == b);
    // a reset or recovery of the password wins over the words that would otherwise exclude
    // (`password/reset/confirm`, `recovery`)
    let password = w.iter().any(|t| PASSWORD_WORDS.contains(&t.as_str()));
    let reset_word = |t: &str| {
        [
            "reset",
            "forgot",
            "forgotten",
            "recover",
            "recovery",
            "lost",
        ]
        .contains(&t)
            || t.starts_with("forgot")
            || ["reset", "recover"].iter().any(|p| {
                t.strip_prefix(p)
                    .is_some_and(|r| PASSWORD_WORDS.contains(&r) || r == "password")
            })
    };
    let single_reset = w.iter().any(|t| {
        t.starts_with("forgot")
            || ["reset", "recover"].iter().any(|p| {
                t.strip_prefix(p)
                    .is_some_and(|r| !r.is_empty() && PASSWORD_WORDS.contains(&r))
            })
    });
    if w.iter().any(|t| NOT_AUTH.contains(&t.as_str())) {
        return None;
    }
    if password && w.iter().any(|t| reset_word(t)) || single_reset {
        return Some(AuthKind::PasswordReset);
    }
    if w.iter().any(|t| NOT_CODE_CHECK.contains(&t.as_str())) {
        return None;
    }
    if ["login", "signin", "logon", "authenticate", "authentication"]
        .iter()
        .any(|x| has(x))
        || pair("log", "in")
        || pair("sign", "in")
        || pair("log", "on")
    {
        return Some(AuthKind::Login);
    }
    if (has("signup") || pair("sign", "up") || has("register") || has("registration"))
        && !w.iter().any(|t| NOT_ACCOUNT.contains(&t.as_str()))
    {
        return Some(AuthKind::Register);
    }
    if has("magiclink") || pair("magic", "link") || has("passwordless") {
        return Some(AuthKind::MagicLink);
    }
    let code = w.iter().any(|t| CODE_WORDS.contains(&t.as_str())) || pair("two", "factor");
    if code {
        let last = w.last().map(String::as_str).unwrap_or("");
        let checks = w.iter().any(|t| CODE_CHECKS.contains(&t.as_str()));
        if checks || CODE_WORDS.contains(&last) || last == "factor" {
            return Some(AuthKind::OneTimeCode);
        }
        return None;
    }
    let token = has("token") || has("jwt");
    if token
        && !has("personal")
        && [
            "obtain",
            "refresh",
            "issue",
            "grant",
            "exchange",
            "provision",
            "access",
            "create",
            "auth",
            "oauth",
            "jwt",
        ]
        .iter()
        .any(|x| has(x))
    {
        return Some(AuthKind::Token);
    }
    if has("refresh") && ["auth", "session"].iter().any(|x| has(x)) {
        return Some(AuthKind::Token);
    }
    // a short code sent by text or mail can be guessed; a link's signed token cannot, but
    // sending the mail again can flood an inbox
    let verify = ["verify", "verification", "verified"]
        .iter()
        .any(|x| has(x));
    if verify
        && (["phone", "sms", "code", "mobile"].iter().any(|x| has(x))
            || ["send", "resend"].iter().any(|x| has(x)))
    {
        return Some(AuthKind::Verification);
    }
    None
}

/// The authentication endpoint a route path names: [`auth_kind`], plus paths whose last segment
/// is only `token` or `auth` (`POST /oauth/token`, `POST /api/auth`).
pub fn path_auth_kind(path: &str) -> Option<AuthKind> {
    if let Some(k) = auth_kind(path) {
        return Some(k);
    }
    let w = words(path);
    if w.iter()
        .any(|t| NOT_AUTH.contains(&t.as_str()) || NOT_CODE_CHECK.contains(&t.as_str()))
    {
        return None;
    }
    // only prefixes before it: `/api/v1/oauth/token`, not `/accounts/verify-email-token`
    let (last, before) = w.split_last()?;
    let prefixes = before.iter().all(|t| {
        [
            "api", "auth", "oauth", "oauth2", "o", "connect", "identity", "jwt", "account",
            "accounts", "user", "users", "rest", "session", "sessions",
        ]
        .contains(&t.as_str())
            || t.starts_with('v') && t[1..].chars().all(|c| c.is_ascii_digit())
    });
    match last.as_str() {
        "token" if prefixes => Some(AuthKind::Token),
        "auth" if prefixes => Some(AuthKind::Login),
        _ => None,
    }
}

/// Whether a decorator, middleware, guard, dependency or parameter type as written requires a
/// signed-in user (`@login_required`, `isAuthenticated`, `security.isAuthorized()`,
/// `Depends(get_current_active_superuser)`, `current_user: CurrentUser`, `JwtAuthGuard`,
/// `AuthGuard('jwt')`, Rust `headers: Headers` / `user: AuthUser`): such a route is used by
/// someone already signed in, so it is no login, sign-up or reset (`passport.authenticate('local')`
/// and `LocalAuthGuard` are the login itself and do not count).
pub fn requires_signed_in(text: &str) -> bool {
    let w = words(text);
    let has = |x: &str| w.iter().any(|t| t == x);
    if [
        "not",
        "anonymous",
        "unauthenticated",
        "guest",
        "local",
        "optional",
        "maybe",
    ]
    .iter()
    .any(|x| has(x))
    {
        return false;
    }
    let who = [
        "auth",
        "authenticated",
        "authed",
        "authorized",
        "logged",
        "login",
        "signed",
        "user",
        "admin",
        "admins",
        "staff",
        "superuser",
        "jwt",
        "token",
        "session",
        "permission",
        "member",
    ];
    let guard_word = [
        "required", "only", "is", "require", "requires", "ensure", "must",
    ];
    if guard_word.iter().any(|g| has(g)) && who.iter().any(|x| has(x)) {
        // `is_superuser`, `login_required`, `isAuthenticated`, `requireUser`, `admins_only`
        return !has("login") || has("required") || has("ensure") || has("is");
    }
    has("superuser")
        || has("claims")
        || has("principal")
        || has("user") && ["current", "auth", "authenticated", "logged", "admin", "active", "signed"].iter().any(|x| has(x))
        || has("jwt") && (has("guard") || has("auth") || has("verify") || has("authenticate"))
        || has("authenticated") && (has("guard") || has("user"))
        || (has("verify") || has("authenticate")) && (has("token") || has("jwt"))
        // request guards that load the signed-in user (`Headers`, `AdminHeaders`)
        || w.last().is_some_and(|t| t == "headers") && !has("http") && !has("request")
}

// --- limiters --------------------------------------------------------------------------------

/// Libraries whose exports limit request rates (module paths as imported).
const LIMITER_MODULES: &[&str] = &[
    "express-rate-limit",
    "express-slow-down",
    "express-brute",
    "rate-limiter-flexible",
    "@nestjs/throttler",
    "@fastify/rate-limit",
    "fastify-rate-limit",
    "koa-ratelimit",
    "koa2-ratelimit",
    "hono-rate-limiter",
    "@upstash/ratelimit",
    "slowapi",
    "flask_limiter",
    "django_ratelimit",
    "ratelimit",
    "fastapi_limiter",
    "axes",
    "tower_governor",
    "actix_governor",
    "actix_limitation",
    "rocket_governor",
    "governor",
];

/// Whether a name, path or type as written names a rate limiter (`authLimiter`,
/// `rate_limit.register`, `ThrottlerGuard`, `GovernorLayer`, `check_limit_login`,
/// `RocketGovernor<'_, Login>`). Names that switch a limiter off (`SkipThrottle`,
/// `ratelimit_exempt`) do not.
pub fn names_limiter(text: &str) -> bool {
    // every answer below needs one of these in the joined words: most names are ruled out
    // here without splitting them into words (one pass, on the first letter of each key)
    let has_key = |j: &[u8]| {
        (0..j.len()).any(|i| {
            let r = &j[i..];
            match r[0] {
                b'r' => r.starts_with(b"ratelimit"),
                b'l' => r.starts_with(b"limiter"),
                b't' => r.starts_with(b"throttl"),
                b'g' => r.starts_with(b"governor"),
                b's' => r.starts_with(b"slowdown") || r.starts_with(b"slowapi"),
                b'b' => r.starts_with(b"brute"),
                b'c' => r.starts_with(b"checklimit"),
                _ => false,
            }
        })
    };
    if !alnum_lower(text, |j| j.starts_with(b"axes") || has_key(j)) {
        return false;
    }
    let w = words(text);
    if w.iter()
        .any(|t| ["skip", "exempt", "exempted", "disable", "disabled"].contains(&t.as_str()))
    {
        return false;
    }
    let joined: String = w.concat();
    joined.contains("ratelimit")
        || joined.contains("limiter")
        || joined.contains("throttl")
        || joined.contains("governor")
        || joined.contains("slowdown")
        || joined.contains("slowapi")
        || joined.contains("brute")
        || joined.contains("checklimit")
        || w.windows(2).any(|p| p[0] == "rate" && p[1].starts_with("limit"))
        // django-axes decorators (`axes_dispatch`)
        || w.first().is_some_and(|t| t == "axes")
}

/// `test` on the ASCII letters and digits of `text`, lower-cased and joined (what
/// `words(text).concat()` gives); `true` without testing when the name is too long for the
/// buffer.
fn alnum_lower(text: &str, test: impl Fn(&[u8]) -> bool) -> bool {
    let mut buf = [0u8; 128];
    let mut n = 0;
    for b in text.bytes().filter(u8::is_ascii_alphanumeric) {
        if n == buf.len() {
            return true;
        }
        buf[n] = b.to_ascii_lowercase();
        n += 1;
    }
    test(&buf[..n])
}

/// Whether a name, path or decorator switches a limiter off for the route (`@SkipThrottle()`,
/// `@ratelimit_exempt`).
pub fn skips_limiter(text: &str) -> bool {
    let w = words(text);
    let joined: String = w.concat();
    (joined.contains("throttl") || joined.contains("ratelimit") || joined.contains("limiter"))
        && w.iter()
            .any(|t| ["skip", "exempt", "exempted"].contains(&t.as_str()))
}

/// Whether an expression names a limiter: its path as written or through the imports
/// (`limit` imported from `express-rate-limit`), a call of one (`rateLimit({..})`,
/// `Governor::new(&conf)`), or a name the module assigns one to (`const protect = slowDown(..)`).
pub fn is_limiter_expr(ast: &Ast, imports: &Imports, expr: NodeId) -> bool {
    limiter_expr(ast, imports, expr, 0)
}

fn limiter_expr(ast: &Ast, imports: &Imports, expr: NodeId, depth: u8) -> bool {
    if depth > 3 {
        return false;
    }
    let e = ast.unwrap_expr(expr);
    let target = match ast.kind(e) {
        Kind::Call(c) => c.callee,
        _ => e,
    };
    let target = ast.unwrap_expr(target);
    // `attempts.consume(ip)` where `attempts = new RateLimiterRedis(..)`
    if let Kind::Member { object, .. } = ast.kind(target) {
        if matches!(ast.kind(ast.unwrap_expr(*object)), Kind::Name(_))
            && limiter_expr(ast, imports, *object, depth + 1)
        {
            return true;
        }
    }
    if let Some(p) = ast.path_of(target) {
        if names_limiter(&p) || from_limiter_module(&imports.qualify_path(&p)) {
            return true;
        }
        if let Kind::Name(n) = ast.kind(target) {
            if let Some((_, v)) = ast.top_level_assignment(n, true) {
                let v = ast.unwrap_expr(v);
                if v != e && ast.call(v).is_some() && limiter_expr(ast, imports, v, depth + 1) {
                    return true;
                }
            }
        }
    }
    match ast.kind(e) {
        // `new RateLimiterMemory(..)`, `GovernorLayer { config }`, `require('express-rate-limit')`
        Kind::Object { ty: Some(t), .. } => names_limiter(t),
        Kind::Call(c) => {
            // a call on a limiter (`limiter.middleware()`, `rate_limit.register()`)
            let on_limiter = ast
                .receiver(c)
                .is_some_and(|r| limiter_expr(ast, imports, r, depth + 1));
            on_limiter
                || ast.callee_name(c) == Some("require")
                    && ast
                        .positional(c)
                        .next()
                        .and_then(|a| ast.plain_str(a))
                        .is_some_and(from_limiter_module)
        }
        _ => false,
    }
}

fn from_limiter_module(q: &str) -> bool {
    LIMITER_MODULES.iter().any(|m| {
        q == *m
            || q.strip_prefix(m)
                .is_some_and(|r| r.starts_with('.') || r.starts_with("::") || r.starts_with('/'))
    })
}

/// Whether any node of `root`'s subtree calls or names a limiter (a middleware argument, a
/// decorator's arguments, a call in a handler's body, a dependency default).
pub fn subtree_limits(ast: &Ast, imports: &Imports, root: NodeId) -> bool {
    ast.subtree(root).any(|id| match ast.kind(id) {
        Kind::Call(c) => is_limiter_expr(ast, imports, c.callee),
        Kind::Name(n) => names_limiter(n),
        Kind::Member { property, .. } => names_limiter(property),
        Kind::Object { ty, entries } => {
            ty.as_deref().is_some_and(names_limiter)
                || entries
                    .iter()
                    .any(|e| e.key.as_deref().is_some_and(names_limiter))
        }
        _ => false,
    })
}

/// Functions of a file whose body calls a limiter (`def _password_login(..):
/// check_limit_login(ip)`), for handlers that call them.
pub fn limiting_functions(ast: &Ast, imports: &Imports) -> HashSet<String> {
    // one pass: each limiter call marks the named functions around it
    let mut out = HashSet::new();
    for id in 0..ast.nodes.len() as NodeId {
        let Kind::Call(c) = ast.kind(id) else {
            continue;
        };
        if !is_limiter_expr(ast, imports, c.callee) {
            continue;
        }
        for a in ast.ancestors(id) {
            if let Some(name) = ast.function(a).and_then(|f| f.name.as_ref()) {
                out.insert(name.clone());
            }
        }
    }
    out
}

fn subtree_calls_limiter(ast: &Ast, imports: &Imports, root: NodeId) -> bool {
    ast.subtree(root).any(|id| match ast.kind(id) {
        Kind::Call(c) => is_limiter_expr(ast, imports, c.callee),
        _ => false,
    })
}

/// Whether a function's body limits the request itself, or calls a function of the same file
/// that does.
pub fn body_limits(ast: &Ast, imports: &Imports, limiting: &HashSet<String>, func: NodeId) -> bool {
    let Some(f) = ast.function(func) else {
        return false;
    };
    f.body
        .iter()
        .chain(f.expr_body.iter())
        .chain(f.params.iter().filter_map(|p| p.default.as_ref()))
        .any(|&s| {
            ast.subtree(s).any(|id| match ast.kind(id) {
                Kind::Call(c) => {
                    is_limiter_expr(ast, imports, c.callee)
                        || ast
                            .callee_name(c)
                            .is_some_and(|n| limiting.contains(n) && is_plain_call(ast, c))
                }
                _ => false,
            })
        })
        || f.params.iter().any(|p| {
            p.ty.as_deref().is_some_and(names_limiter)
                || p.decorators.iter().any(|d| names_limiter(d))
        })
}

/// `helper(..)`, `self.helper(..)`, `this.helper(..)`: a function of the file, not a library's.
fn is_plain_call(ast: &Ast, c: &crate::ast::Call) -> bool {
    match ast.kind(c.callee) {
        Kind::Name(_) => true,
        Kind::Member { object, .. } => {
            matches!(ast.kind(*object), Kind::Name(o) if o == "self" || o == "this" || o == "cls")
        }
        _ => false,
    }
}

/// Whether a handler's body checks a password (a login whatever the route is called):
/// `check_password(..)`, `authenticate(request, username=.., password=..)`,
/// `bcrypt.compare(..)`, `verify_password(..)`, `checkpw(..)`.
pub fn checks_password(ast: &Ast, func: NodeId) -> bool {
    let Some(f) = ast.function(func) else {
        return false;
    };
    f.body.iter().chain(f.expr_body.iter()).any(|&s| {
        ast.subtree(s).any(|id| {
            let Some(c) = ast.call(id) else { return false };
            let name = ast.callee_name(c).unwrap_or("");
            let recv = ast
                .receiver(c)
                .and_then(|r| ast.path_of(r))
                .unwrap_or_default();
            match name {
                "check_password"
                | "verify_password"
                | "checkpw"
                | "checkPassword"
                | "verifyPassword"
                | "comparePassword"
                | "validatePassword"
                | "validate_password_hash"
                | "check_password_hash" => true,
                "compare" | "compareSync" => recv.contains("bcrypt") || recv.contains("argon"),
                "verify" => recv.contains("argon") || recv.contains("bcrypt"),
                // Django `authenticate(request, username=.., password=..)`
                "authenticate" => {
                    ast.lang == Lang::Python
                        && c.args.iter().any(|a| a.name.as_deref() == Some("password"))
                }
                _ => false,
            }
        })
    })
}

// --- app-wide facts --------------------------------------------------------------------------

/// What a file says about rate limiting beyond one route, for the project index.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct RateLimitFacts {
    /// The file applies a limiter to the whole app or router (`app.use(limiter)`,
    /// `APP_GUARD` + `ThrottlerGuard`, `Limiter(.., default_limits=..)`, django-axes installed,
    /// `.layer(GovernorLayer ..)` / `.wrap(Governor::new(..))` on an app or scope).
    pub global: bool,
    /// The file sets DRF `DEFAULT_THROTTLE_CLASSES` (covers DRF views only).
    pub drf_default: bool,
    /// Path prefixes a limiter is applied to (`app.use('/api/auth', authLimiter)`).
    pub prefixes: Vec<String>,
    /// Routers mounted under a prefix: (prefix, module of the router, normalised).
    pub mounts: Vec<(String, String)>,
    /// Functions of the file whose body calls a limiter ([`limiting_functions`]).
    pub limiting: HashSet<String>,
}

/// Calls that apply middleware to an app, router or scope.
const APPLY_METHODS: &[&str] = &[
    "use",
    "register",
    "layer",
    "wrap",
    "wrap_fn",
    "add_middleware",
    "useGlobalGuards",
    "middleware",
    "init_app",
    "attach",
    "with",
];

/// Collects a file's app-wide limiter facts in one pass.
pub fn collect_facts(ast: &Ast, imports: &Imports, path: &Path) -> RateLimitFacts {
    let mut out = RateLimitFacts {
        limiting: limiting_functions(ast, imports),
        ..RateLimitFacts::default()
    };
    // Next.js `middleware.ts` runs before every route
    let next_middleware = ast.lang == Lang::TypeScript
        && path.file_stem().is_some_and(|s| s == "middleware")
        && subtree_calls_limiter(ast, imports, crate::ast::ROOT);
    out.global |= next_middleware;
    for id in 0..ast.nodes.len() as NodeId {
        match ast.kind(id) {
            Kind::Call(c) => {
                let name = ast.callee_name(c).unwrap_or("");
                if APPLY_METHODS.contains(&name) && ast.receiver(c).is_some() {
                    applied(ast, imports, path, id, &mut out);
                } else if name == "route" && ast.lang == Lang::TypeScript {
                    // Hono `app.route('/api/auth', auth)`
                    mount(ast, imports, path, c, &mut out);
                } else if name == "Limiter" || name == "init_app" {
                    // flask-limiter / slowapi with default limits for every route
                    let defaults = ast.kwarg(c, "default_limits").is_some_and(
                        |v| !matches!(ast.kind(v), Kind::Array(items) if items.is_empty()),
                    );
                    out.global |= defaults;
                }
            }
            // NestJS `{ provide: APP_GUARD, useClass: ThrottlerGuard }`
            Kind::Object { entries, .. } => {
                let app_guard = entries.iter().any(|e| {
                    e.key.as_deref() == Some("provide")
                        && ast
                            .path_of(e.value)
                            .is_some_and(|p| p.ends_with("APP_GUARD"))
                });
                if app_guard
                    && entries.iter().any(|e| {
                        matches!(
                            e.key.as_deref(),
                            Some("useClass" | "useExisting" | "useFactory" | "useValue")
                        ) && subtree_limits(ast, imports, e.value)
                    })
                {
                    out.global = true;
                }
            }
            Kind::Assign {
                target,
                value: Some(v),
                ..
            } if ast.lang == Lang::Python => {
                let Some(name) = ast.path_of(*target) else {
                    continue;
                };
                if name == "REST_FRAMEWORK" || name.ends_with("DEFAULT_THROTTLE_CLASSES") {
                    let value = if name == "REST_FRAMEWORK" {
                        ast.entry(*v, "DEFAULT_THROTTLE_CLASSES").map(|e| e.value)
                    } else {
                        Some(*v)
                    };
                    out.drf_default |= value.is_some_and(
                        |v| matches!(ast.kind(v), Kind::Array(items) if !items.is_empty()),
                    );
                }
                // django-axes locks out repeated failed logins for every `authenticate()`
                if matches!(
                    name.as_str(),
                    "INSTALLED_APPS" | "MIDDLEWARE" | "AUTHENTICATION_BACKENDS"
                ) && ast.subtree(*v).any(|s| {
                    ast.plain_str(s).is_some_and(|t| {
                        t == "axes"
                            || t.starts_with("axes.")
                            || t == "django_ratelimit.middleware.RatelimitMiddleware"
                    })
                }) {
                    out.global = true;
                }
            }
            _ => {}
        }
    }
    out
}

/// `app.use(limiter)`, `app.use('/auth', limiter, authRouter)`, `fastify.register(rateLimit,
/// {..})`, `.layer(GovernorLayer {..})`, `.wrap(Governor::new(&conf))`.
fn applied(ast: &Ast, imports: &Imports, path: &Path, call: NodeId, out: &mut RateLimitFacts) {
    let Some(c) = ast.call(call) else { return };
    let name = ast.callee_name(c).unwrap_or("");
    let args: Vec<NodeId> = ast.positional(c).collect();
    let prefix = args
        .first()
        .and_then(|&a| ast.plain_str(ast.unwrap_expr(a)))
        .filter(|p| p.starts_with('/') || *p == "*")
        .map(str::to_string);
    let limiter = args.iter().any(|&a| is_limiter_expr(ast, imports, a));
    if limiter {
        // a layer inside a route's arguments limits that route only (`post(h).layer(..)`)
        let in_route = ast.ancestors(call).any(|a| {
            ast.call(a)
                .is_some_and(|ac| ast.callee_name(ac) == Some("route") && ast.contains(a, call))
                && ast
                    .call(a)
                    .is_some_and(|ac| ac.args.iter().any(|x| ast.contains(x.value, call)))
        });
        // `fastify.register(rateLimit, { global: false })` limits the routes that opt in
        let opted_out = name == "register"
            && args.get(1).is_some_and(|&o| {
                ast.entry(o, "global")
                    .is_some_and(|e| matches!(ast.kind(e.value), Kind::Bool(false)))
            });
        match &prefix {
            Some(p) if !is_root(p) => out.prefixes.push(normalise_prefix(p)),
            _ if in_route || opted_out => {}
            _ => out.global = true,
        }
    }
    if let Some(p) = prefix {
        for &a in args.iter().skip(1) {
            if let Some(m) = mounted_module(ast, imports, path, a) {
                out.mounts.push((normalise_prefix(&p), m));
            }
        }
    }
    // Fastify `register(authRoutes, { prefix: '/auth' })`
    if name == "register" {
        if let (Some(&plugin), Some(&opts)) = (args.first(), args.get(1)) {
            if let Some(p) = ast
                .entry(opts, "prefix")
                .and_then(|e| ast.plain_str(e.value))
            {
                if let Some(m) = mounted_module(ast, imports, path, plugin) {
                    out.mounts.push((normalise_prefix(p), m));
                }
            }
        }
    }
}

/// Hono `app.route('/api/auth', auth)`.
fn mount(
    ast: &Ast,
    imports: &Imports,
    path: &Path,
    c: &crate::ast::Call,
    out: &mut RateLimitFacts,
) {
    let args: Vec<NodeId> = ast.positional(c).collect();
    if let [p, r] = args.as_slice() {
        if let Some(prefix) = ast.plain_str(*p).filter(|p| p.starts_with('/')) {
            if let Some(m) = mounted_module(ast, imports, path, *r) {
                out.mounts.push((normalise_prefix(prefix), m));
            }
        }
    }
}

/// The module a mounted router comes from: an imported name (`authRouter` from
/// `./routes/auth`), `require('./routes/auth')`, or a router of this file.
fn mounted_module(ast: &Ast, imports: &Imports, path: &Path, expr: NodeId) -> Option<String> {
    let e = ast.unwrap_expr(expr);
    let module = match ast.kind(e) {
        Kind::Name(n) => match imports.get(n) {
            Some(q) => module_of_import(q),
            None => crate::facts::module_path(path),
        },
        // `router.routes()`, `authRouter.routes()`
        Kind::Call(c) => match ast.callee_name(c) {
            Some("require") => ast
                .positional(c)
                .next()
                .and_then(|a| ast.plain_str(a))?
                .to_string(),
            _ => {
                let r = ast.receiver(c)?;
                return mounted_module(ast, imports, path, r);
            }
        },
        _ => return None,
    };
    if module.starts_with('.') {
        Some(normalise_module(path, &module))
    } else {
        Some(module)
    }
}

/// `./routes/auth.authRouter` (a named import) -> `./routes/auth`.
fn module_of_import(q: &str) -> String {
    if q.starts_with('.') {
        // a relative import: the module is everything up to the imported name
        match q.rfind(['/']) {
            Some(slash) => match q[slash..].find('.') {
                Some(dot) => q[..slash + dot].to_string(),
                None => q.to_string(),
            },
            None => q.to_string(),
        }
    } else {
        q.to_string()
    }
}

fn is_root(p: &str) -> bool {
    matches!(p.trim_end_matches('*').trim_end_matches('/'), "")
}

/// `/api/auth/*` -> `/api/auth`.
pub fn normalise_prefix(p: &str) -> String {
    let p = p.trim_end_matches('*').trim_end_matches('/');
    if p.starts_with('/') {
        p.to_string()
    } else {
        format!("/{p}")
    }
}

/// Whether `path` lies under `prefix` on segment boundaries.
fn under(path: &str, prefix: &str) -> bool {
    let path = normalise_prefix(path);
    path.strip_prefix(prefix)
        .is_some_and(|r| r.is_empty() || r.starts_with('/'))
        || prefix.is_empty()
}

// --- the project's view ----------------------------------------------------------------------

/// A route the rule found unlimited in its own file, for the project index to settle.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RouteCheck {
    /// The route file's module ([`crate::facts::module_path`]).
    pub module: String,
    /// The route path as registered, when known.
    pub path: Option<String>,
    /// Registered on the app itself, so `path` is the full path.
    pub on_app: bool,
    /// A DRF view: `DEFAULT_THROTTLE_CLASSES` covers it.
    pub drf: bool,
    /// The view sets `throttle_classes = []`: project defaults do not apply.
    pub opted_out: bool,
    /// The handler, when it is a function of another module: (module, name). A limiter its
    /// body checks covers the route.
    pub handler: Option<(String, String)>,
}

/// Prefixes a limiter on which plausibly covers every route mounted below it.
const GENERIC_PREFIXES: &[&str] = &["api", "rest", "auth", "public", "graphql", "rpc"];

/// Every file's [`RateLimitFacts`], merged.
#[derive(Debug, Default)]
pub struct RateLimitIndex {
    pub global: bool,
    pub drf_default: bool,
    pub prefixes: Vec<String>,
    pub mounts: Vec<(String, String)>,
    /// Function name -> modules where a function of that name calls a limiter.
    pub limiting: std::collections::HashMap<String, Vec<String>>,
}

impl RateLimitIndex {
    pub fn add(&mut self, module: &str, part: RateLimitFacts) {
        for name in part.limiting {
            self.limiting
                .entry(name)
                .or_default()
                .push(module.to_string());
        }
        self.global |= part.global;
        self.drf_default |= part.drf_default;
        self.prefixes.extend(part.prefixes);
        self.mounts.extend(part.mounts);
    }

    /// Whether a limiter elsewhere in the project covers the route.
    pub fn covers(&self, check: &RouteCheck) -> bool {
        if check.opted_out {
            return false;
        }
        if self.global || check.drf && self.drf_default {
            return true;
        }
        if let Some((module, name)) = &check.handler {
            let limits = self.limiting.get(name).is_some_and(|ms| {
                ms.iter()
                    .any(|m| ends_with_segments(m, module) || ends_with_segments(module, m))
            });
            if limits {
                return true;
            }
        }
        if self.prefixes.is_empty() {
            return false;
        }
        let Some(path) = &check.path else {
            // a decorator framework's route: its full path is not known here
            return false;
        };
        if check.on_app {
            return self.prefixes.iter().any(|p| under(path, p));
        }
        let mounts: Vec<&String> = self
            .mounts
            .iter()
            .filter(|(_, m)| {
                ends_with_segments(&check.module, m) || ends_with_segments(m, &check.module)
            })
            .map(|(p, _)| p)
            .collect();
        if mounts.is_empty() {
            // mounted where the index cannot see: a limiter on a generic prefix (`/api`,
            // `/auth`) or on a prefix naming the route's own segment may well cover it
            let segs = words(path);
            return self.prefixes.iter().any(|p| {
                let pw = words(p);
                pw.iter().all(|t| {
                    GENERIC_PREFIXES.contains(&t.as_str())
                        || t.starts_with('v') && t[1..].chars().all(|c| c.is_ascii_digit())
                }) || p.rsplit('/').next().is_some_and(|last| {
                    let lw = words(last);
                    !lw.is_empty() && segs.windows(lw.len()).any(|w| w == lw.as_slice())
                })
            });
        }
        mounts.iter().any(|m| {
            let full = format!("{m}{}", normalise_prefix(path));
            self.prefixes.iter().any(|p| under(&full, p))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_identifiers_and_paths() {
        assert_eq!(words("handleLoginRequest"), ["handle", "login", "request"]);
        assert_eq!(
            words("/api/v1/reset-password/:token"),
            ["api", "v1", "reset", "password", "token"]
        );
        assert_eq!(words("OTPVerifyView"), ["otp", "verify", "view"]);
        assert_eq!(words("verify_2fa"), ["verify", "2fa"]);
    }

    #[test]
    fn auth_routes() {
        for (t, k) in [
            ("/login", AuthKind::Login),
            ("/rest/user/login", AuthKind::Login),
            ("handleLoginRequest", AuthKind::Login),
            ("sign_in", AuthKind::Login),
            ("/auth/sign-up", AuthKind::Register),
            ("RegisterView", AuthKind::Register),
            ("/forgotpw", AuthKind::PasswordReset),
            ("/resetpw", AuthKind::PasswordReset),
            ("PasswordResetConfirmView", AuthKind::PasswordReset),
            ("/password-recovery/{email}", AuthKind::PasswordReset),
            ("TokenObtainPairView", AuthKind::Token),
            ("/api/token/refresh/", AuthKind::Token),
            ("login_otp", AuthKind::Login),
            ("Otp", AuthKind::OneTimeCode),
            ("/rest/2fa/verify", AuthKind::OneTimeCode),
            ("/auth/magic-link", AuthKind::MagicLink),
            ("/auth/resend-verification-email", AuthKind::Verification),
            ("/verify-phone-code", AuthKind::Verification),
            ("verify_otp", AuthKind::OneTimeCode),
            ("TokenProvisionView", AuthKind::Token),
        ] {
            assert_eq!(path_auth_kind(t), Some(k), "{t}");
        }
        for t in [
            "/logout",
            "/rest/2fa/status",
            "/2fa/setup",
            "/change-password",
            "login_required",
            "/accounts/prelogin",
            "/api/tokens",
            "register_device",
            "/two-factor/authenticator",
            "/products",
            "authenticatedUsers",
            "/login/list",
            "/auth/google/callback",
            "/accounts/verify-email-token",
            "/login/test-token",
            "/password-recovery-html-content/{email}",
            "/two-factor/get-webauthn-challenge",
        ] {
            assert_eq!(path_auth_kind(t), None, "{t}");
        }
    }

    #[test]
    fn signed_in_requirements() {
        for t in [
            "login_required",
            "security.isAuthorized()",
            "authHandler.isAuthenticated",
            "Depends(get_current_active_superuser)",
            "CurrentUser",
            "JwtAuthGuard",
            "AuthGuard('jwt')",
            "Headers",
            "AdminHeaders",
            "OrgMemberHeaders",
            "IsAuthenticated",
            "authed_only",
        ] {
            assert!(requires_signed_in(t), "{t}");
        }
        for t in [
            "passport.authenticate('login')",
            "LocalAuthGuard",
            "AuthGuard('local')",
            "authHandler.isNotAuthenticated",
            "SessionDep",
            "AllowAny",
            "HeaderMap",
            "anonymous_required",
        ] {
            assert!(!requires_signed_in(t), "{t}");
        }
    }

    #[test]
    fn limiter_names() {
        for t in [
            "authLimiter",
            "rateLimit",
            "rate_limit.register",
            "ThrottlerGuard",
            "Throttle",
            "GovernorLayer",
            "crate::ratelimit::check_limit_login",
            "loginRateLimit.check",
            "slowDown",
            "bruteforce.prevent",
            "AnonRateThrottle",
            "limiter.limit",
            "authenticate_with_throttling",
        ] {
            assert!(names_limiter(t), "{t}");
        }
        for t in [
            "SkipThrottle",
            "ratelimit_exempt",
            "limit",
            "bodyLimit",
            "isAuthorized",
        ] {
            assert!(!names_limiter(t), "{t}");
        }
    }
}
