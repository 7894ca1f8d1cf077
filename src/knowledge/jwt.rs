//! JWT libraries: which calls read a token's claims without checking its signature (or check
//! it against nothing), which calls verify it, and whether decoded claims go on to decide who
//! the caller is.
//!
//! | language | decode without verification | verifies |
//! |---|---|---|
//! | Python | PyJWT `jwt.decode(.., options={"verify_signature": False})`, 1.x `verify=False`; python-jose `get_unverified_claims`, the same `options`; jwcrypto `JWT(jwt=t)` without `key`; simplejwt `AccessToken(t, verify=False)` | PyJWT / python-jose `jwt.decode(t, key, algorithms=[..])`, authlib `jwt.decode(t, key)` (authlib has no unverified decode), jwcrypto `JWT(jwt=t, key=k)` |
//! | TS/JS | jsonwebtoken `decode`, jws `decode`, jose `decodeJwt` / v2 `JWT.decode` / `UnsecuredJWT.decode`, jwt-decode (a browser library: server roles only), fast-jwt `createDecoder()`, @nestjs/jwt `JwtService.decode` | `jwt.verify`, jose `jwtVerify`, fast-jwt `createVerifier`, `JwtService.verify(Async)` |
//! | Rust | jsonwebtoken `insecure_disable_signature_validation()`, `dangerous_insecure_decode*`, `dangerous_unsafe_decode`, 10.x `dangerous::insecure_decode`; biscuit `unverified_payload()`; jwt `Token::parse_unverified`; josekit `decode_unsecured` | jsonwebtoken `decode(t, &key, &validation)`, jwt-simple `verify_token` (jwt-simple has no unverified claims API), biscuit `decode(&secret, alg)`, jwt `verify_with_key` |
//!
//! Everywhere: an `algorithms` list holding `none` (or biscuit `SignatureAlgorithm::None`) and a
//! signature checked against an empty secret (`jwt.verify(t, '')`, `DecodingKey::from_secret(b"")`).
//! Header-only reads (`get_unverified_header`, `decode_header`, `decodeProtectedHeader`,
//! jwt-simple `decode_metadata`) are never findings: picking a key by `kid` is how verification
//! starts. Expiry checks turned off with the signature still checked (`verify_exp: False`,
//! `ignoreExpiration`, `validate_exp = false`) are not signature findings either.
//!
//! [`follow`] says where a decoded value goes inside one function: to a user lookup or a query,
//! onto the request (`req.user = ..`), into a permission test, read for an identity claim
//! (`sub`, `user_id`, `role`), or returned. Reads of header and timing claims (`kid`, `alg`,
//! `exp`, `iss`) and log calls do not authorise.

use crate::ast::{Ast, BinOp, Kind, Lang, NodeId};
use crate::imports::{function_name, Imports};

/// What is wrong with a decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weakness {
    /// A decode-only API: it reads the claims and never checks the signature.
    DecodeOnly,
    /// A verifying API with the signature check switched off.
    Disabled,
    /// The `none` algorithm is accepted: unsigned tokens pass.
    NoneAlgorithm,
    /// The signature is checked against an empty secret, which anyone can sign with.
    EmptyKey,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Library {
    PyJwt,
    PythonJose,
    Jwcrypto,
    SimpleJwt,
    JsonWebToken,
    Jws,
    Jose,
    JwtDecode,
    FastJwt,
    NestJwt,
    /// express-jwt, koa-jwt, passport-jwt, @fastify/jwt, `JwtModule.register` options.
    Middleware,
    RustJsonWebToken,
    Biscuit,
    JwtCrate,
    Josekit,
}

/// A call that decodes a token without a real signature check.
#[derive(Clone, Debug)]
pub struct Decode {
    /// The API as written: `jwt.decode`, `decodeJwt`, `insecure_disable_signature_validation`.
    pub api: String,
    pub weakness: Weakness,
    pub library: Library,
    /// The token argument.
    pub token: Option<NodeId>,
    /// What switches verification off (`"verify_signature": False`, `'none'`, `''`), for a label.
    pub switch: Option<NodeId>,
}

fn last(path: &str) -> &str {
    path.rsplit(['.', ':']).next().unwrap_or(path)
}

/// Calls that read only the token's header (never a finding).
pub const HEADER_ONLY: &[&str] = &[
    "get_unverified_header",
    "decode_header",
    "decodeProtectedHeader",
    "decode_metadata",
    "unverified_header",
];

/// Python decode APIs that verify unless told not to.
const PY_DECODE: &[&str] = &[
    "jwt.decode",
    "jwt.decode_complete",
    "jwt.api_jwt.decode",
    "jwt.api_jwt.decode_complete",
    "jose.jwt.decode",
];

/// TS/JS packages whose options objects configure verification.
const TS_MIDDLEWARE: &[&str] = &[
    "express-jwt",
    "koa-jwt",
    "passport-jwt",
    "@fastify/jwt",
    "fastify-jwt",
    "@nestjs/jwt",
    "hono/jwt",
    "jsonwebtoken",
    "fast-jwt",
];

/// Modules of the JWT libraries above (and of the frameworks whose options configure them).
const JWT_MODULES: &[&str] = &[
    "jwt",
    "jose",
    "jwcrypto",
    "rest_framework_simplejwt",
    "jsonwebtoken",
    "jws",
    "jwt-decode",
    "fast-jwt",
    "@nestjs/jwt",
    "express-jwt",
    "koa-jwt",
    "passport-jwt",
    "@fastify/jwt",
    "fastify-jwt",
    "hono/jwt",
    "biscuit",
    "josekit",
];

/// Rust functions whose names are unambiguous without an import.
const RUST_UNAMBIGUOUS: &[&str] = &[
    "insecure_disable_signature_validation",
    "dangerous_insecure_decode",
    "dangerous_insecure_decode_with_validation",
    "dangerous_unsafe_decode",
];

/// Whether the file imports a JWT library (worked out once per file).
fn imports_jwt(ast: &Ast, imports: &Imports) -> bool {
    ast.verdict("jwt-imports", crate::ast::ROOT, || {
        JWT_MODULES.iter().any(|m| imports.uses(m))
    })
}

/// The weak decode a call is, if any.
pub fn weak_call(ast: &Ast, imports: &Imports, call: NodeId) -> Option<Decode> {
    let c = ast.call(call)?;
    if c.is_macro || c.is_tagged {
        return None;
    }
    let name = ast.callee_name(c)?;
    if HEADER_ONLY.contains(&name) {
        return None;
    }
    let unambiguous = ast.lang == Lang::Rust
        && (RUST_UNAMBIGUOUS.contains(&name)
            || ast.path_of(c.callee).is_some_and(|p| {
                ["jsonwebtoken::", "jwt::", "biscuit::", "josekit::"]
                    .iter()
                    .any(|m| p.starts_with(m))
            }));
    if !unambiguous && !imports_jwt(ast, imports) {
        return None;
    }
    match ast.lang {
        Lang::Python => python(ast, imports, call),
        Lang::TypeScript => typescript(ast, imports, call),
        Lang::Rust => rust(ast, imports, call),
    }
}

/// A name bound to an object literal (`opts = {"verify_signature": False}`), or the literal.
fn object_of(ast: &Ast, id: NodeId, at: NodeId) -> Option<NodeId> {
    let id = ast.unwrap_expr(id);
    match ast.kind(id) {
        Kind::Object { .. } => Some(id),
        Kind::Name(n) => {
            let scope = ast
                .function_ancestors(at)
                .last()
                .unwrap_or(crate::ast::ROOT);
            let (_, v) = ast
                .assignment_before(n, scope, at, true)
                .or_else(|| ast.top_level_assignment(n, true))?;
            let v = ast.unwrap_expr(v);
            matches!(ast.kind(v), Kind::Object { .. }).then_some(v)
        }
        _ => None,
    }
}

/// The `"none"` literal of an algorithm list (a list, or one string).
fn none_algorithm(ast: &Ast, list: NodeId) -> Option<NodeId> {
    let list = ast.unwrap_expr(list);
    let is_none = |id: NodeId| {
        ast.plain_str(id)
            .is_some_and(|s| s.eq_ignore_ascii_case("none"))
    };
    match ast.kind(list) {
        Kind::Array(items) => items.iter().copied().find(|&i| is_none(i)),
        Kind::Str(_) => is_none(list).then_some(list),
        _ => None,
    }
}

/// An empty secret: `""`, `b""`, `&[]`, `"".as_bytes()`, `Buffer.from('')`.
fn empty_key(ast: &Ast, id: NodeId) -> bool {
    let id = ast.unwrap_expr(id);
    match ast.kind(id) {
        Kind::Str(s) => s.kind == crate::ast::StrKind::Plain && s.value.is_empty(),
        Kind::Array(items) => items.is_empty() && ast.lang == Lang::Rust,
        Kind::Call(c) => {
            let name = ast.callee_name(c).unwrap_or("");
            let inner = match ast.kind(c.callee) {
                Kind::Member { object, .. }
                    if ["as_bytes", "as_ref", "encode", "to_vec", "into"].contains(&name) =>
                {
                    Some(*object)
                }
                _ if name == "from" || name == "encode" => ast.positional(c).next(),
                _ => None,
            };
            inner.is_some_and(
                |i| matches!(ast.kind(ast.unwrap_expr(i)), Kind::Str(s) if s.value.is_empty()),
            )
        }
        _ => false,
    }
}

/// Options objects (an argument, or one level inside one) with an `algorithms` list holding
/// `none`, or an empty `secret`.
fn weak_options(ast: &Ast, c: &crate::ast::Call, at: NodeId) -> Option<(Weakness, NodeId)> {
    let mut objects: Vec<NodeId> = Vec::new();
    for a in &c.args {
        if let Some(o) = object_of(ast, a.value, at) {
            objects.push(o);
            if let Kind::Object { entries, .. } = ast.kind(o) {
                objects.extend(entries.iter().filter_map(|e| object_of(ast, e.value, at)));
            }
        }
    }
    for o in objects {
        let Kind::Object { entries, .. } = ast.kind(o) else {
            continue;
        };
        for e in entries {
            match e.key.as_deref() {
                Some("algorithms") => {
                    if let Some(n) = none_algorithm(ast, e.value) {
                        return Some((Weakness::NoneAlgorithm, n));
                    }
                }
                Some("secret" | "secretOrKey" | "secretOrPublicKey" | "publicKey" | "key")
                    if empty_key(ast, e.value) =>
                {
                    return Some((Weakness::EmptyKey, e.value));
                }
                _ => {}
            }
        }
    }
    None
}

/// Whether the first segment of `path` is imported (a library call, not a local variable that
/// happens to be called `jwt`).
fn imported(imports: &Imports, path: &str) -> bool {
    let head = path.split(['.', ':']).next().unwrap_or(path);
    imports.get(head).is_some()
}

fn python(ast: &Ast, imports: &Imports, call: NodeId) -> Option<Decode> {
    let c = ast.call(call)?;
    let path = ast.path_of(c.callee)?;
    if !imported(imports, &path) {
        return None;
    }
    let q = imports.qualify_path(&path);
    let name = last(&path);
    let token = ast
        .positional(c)
        .next()
        .or_else(|| ast.kwarg(c, "jwt"))
        .or_else(|| ast.kwarg(c, "token"));
    let decode = |weakness, library, switch| {
        Some(Decode {
            api: path.clone(),
            weakness,
            library,
            token,
            switch,
        })
    };
    if PY_DECODE.contains(&q.as_str()) {
        let library = if q.starts_with("jose") {
            Library::PythonJose
        } else {
            Library::PyJwt
        };
        let pos: Vec<NodeId> = ast.positional(c).collect();
        let algorithms = ast.kwarg(c, "algorithms").or_else(|| {
            pos.get(2)
                .copied()
                .filter(|&a| matches!(ast.kind(a), Kind::Array(_)))
        });
        if let Some(n) = algorithms.and_then(|a| none_algorithm(ast, a)) {
            return decode(Weakness::NoneAlgorithm, library, Some(n));
        }
        // PyJWT 1.x: `verify=False`, or `decode(token, key, False)`
        let verify = ast.kwarg(c, "verify").or_else(|| pos.get(2).copied());
        if let Some(v) = verify.filter(|&v| matches!(ast.kind(v), Kind::Bool(false))) {
            return decode(Weakness::Disabled, library, Some(v));
        }
        if let Some(opts) = ast
            .kwarg(c, "options")
            .and_then(|o| object_of(ast, o, call))
        {
            if let Some(e) = ast.entry(opts, "verify_signature") {
                if matches!(ast.kind(e.value), Kind::Bool(false)) {
                    return decode(Weakness::Disabled, library, Some(e.value));
                }
            }
        }
        let key = ast.kwarg(c, "key").or_else(|| pos.get(1).copied());
        if let Some(k) = key.filter(|&k| empty_key(ast, k)) {
            return decode(Weakness::EmptyKey, library, Some(k));
        }
        return None;
    }
    if name == "get_unverified_claims" && q.starts_with("jose") {
        return decode(Weakness::DecodeOnly, Library::PythonJose, None);
    }
    if q == "jwcrypto.jwt.JWT" && ast.kwarg(c, "key").is_none() {
        let token = ast.kwarg(c, "jwt")?;
        return Some(Decode {
            api: path.clone(),
            weakness: Weakness::DecodeOnly,
            library: Library::Jwcrypto,
            token: Some(token),
            switch: None,
        });
    }
    if q.starts_with("rest_framework_simplejwt")
        && [
            "AccessToken",
            "RefreshToken",
            "UntypedToken",
            "SlidingToken",
            "Token",
        ]
        .contains(&name)
    {
        let verify = ast
            .kwarg(c, "verify")
            .or_else(|| ast.positional(c).nth(1))
            .filter(|&v| matches!(ast.kind(v), Kind::Bool(false)))?;
        return decode(Weakness::Disabled, Library::SimpleJwt, Some(verify));
    }
    None
}

fn typescript(ast: &Ast, imports: &Imports, call: NodeId) -> Option<Decode> {
    let c = ast.call(call)?;
    let token = ast.positional(c).next();
    let path = ast.path_of(c.callee);
    let q = path
        .as_deref()
        .filter(|p| imported(imports, p))
        .map(|p| imports.qualify_path(p));
    let name = ast.callee_name(c)?;
    let decode = |api: &str, weakness, library, switch| {
        Some(Decode {
            api: api.to_string(),
            weakness,
            library,
            token,
            switch,
        })
    };
    if let (Some(p), Some(q)) = (path.as_deref(), q.as_deref()) {
        match q {
            "jsonwebtoken.decode" => {
                return decode(p, Weakness::DecodeOnly, Library::JsonWebToken, None)
            }
            "jws.decode" => return decode(p, Weakness::DecodeOnly, Library::Jws, None),
            "jose.decodeJwt" | "jose.JWT.decode" => {
                return decode(p, Weakness::DecodeOnly, Library::Jose, None)
            }
            "jose.UnsecuredJWT.decode" => {
                return decode(p, Weakness::Disabled, Library::Jose, None)
            }
            "jwt-decode" | "jwt-decode.jwtDecode" | "jwt-decode.default" => {
                return decode(p, Weakness::DecodeOnly, Library::JwtDecode, None)
            }
            "jsonwebtoken.verify" => {
                if let Some(k) = ast.positional(c).nth(1).filter(|&k| empty_key(ast, k)) {
                    return decode(p, Weakness::EmptyKey, Library::JsonWebToken, Some(k));
                }
            }
            _ => {}
        }
    }
    // fast-jwt: `const decode = createDecoder(); decode(token)`
    if let Kind::Name(n) = ast.kind(c.callee) {
        if imports.uses("fast-jwt") {
            let scope = ast
                .function_ancestors(call)
                .last()
                .unwrap_or(crate::ast::ROOT);
            let bound = ast
                .assignment_before(n, scope, call, true)
                .or_else(|| ast.top_level_assignment(n, true));
            let decoder = bound.is_some_and(|(_, v)| {
                ast.call(ast.unwrap_expr(v))
                    .and_then(|d| ast.path_of(d.callee))
                    .is_some_and(|d| imports.qualify_path(&d) == "fast-jwt.createDecoder")
            });
            if decoder {
                return decode(n, Weakness::DecodeOnly, Library::FastJwt, None);
            }
        }
    }
    // @nestjs/jwt: `this.jwtService.decode(token)`
    if let Some(recv) = ast.receiver(c).and_then(|r| ast.path_of(r)) {
        let field = last(&recv).to_ascii_lowercase();
        if field.contains("jwtservice") || field == "jwt" && imports.uses("@nestjs/jwt") {
            let api = format!("{recv}.{name}");
            if name == "decode" {
                return decode(&api, Weakness::DecodeOnly, Library::NestJwt, None);
            }
            if name.starts_with("verify") {
                if let Some((w, n)) = weak_options(ast, c, call) {
                    return decode(&api, w, Library::NestJwt, Some(n));
                }
            }
            return None;
        }
    }
    // verification options of a JWT library: `algorithms: ['none']`, `secret: ''`
    let library_call = q.as_deref().is_some_and(|q| {
        TS_MIDDLEWARE.iter().any(|m| {
            q.strip_prefix(m)
                .is_some_and(|r| r.is_empty() || r.starts_with('.'))
        })
    });
    if library_call {
        if let Some((w, n)) = weak_options(ast, c, call) {
            let lib = match q.as_deref() {
                Some(q) if q.starts_with("jsonwebtoken") => Library::JsonWebToken,
                Some(q) if q.starts_with("fast-jwt") => Library::FastJwt,
                _ => Library::Middleware,
            };
            return decode(path.as_deref().unwrap_or(name), w, lib, Some(n));
        }
    }
    None
}

fn rust(ast: &Ast, imports: &Imports, call: NodeId) -> Option<Decode> {
    let c = ast.call(call)?;
    let name = ast.callee_name(c)?;
    let path = ast.path_of(c.callee);
    let q = path
        .as_deref()
        .map(|p| imports.qualify_path(p))
        .unwrap_or_default();
    let token = ast.positional(c).next();
    let decode = |api: &str, weakness, library, token, switch| {
        Some(Decode {
            api: api.to_string(),
            weakness,
            library,
            token,
            switch,
        })
    };
    if name == "insecure_disable_signature_validation" && ast.receiver(c).is_some() {
        return decode(
            name,
            Weakness::Disabled,
            Library::RustJsonWebToken,
            None,
            None,
        );
    }
    if [
        "dangerous_insecure_decode",
        "dangerous_insecure_decode_with_validation",
        "dangerous_unsafe_decode",
    ]
    .contains(&name)
        || name == "insecure_decode" && (q.contains("dangerous") || imports.uses("jsonwebtoken"))
    {
        let api = path.as_deref().unwrap_or(name);
        return decode(
            api,
            Weakness::Disabled,
            Library::RustJsonWebToken,
            token,
            None,
        );
    }
    if q.ends_with("DecodingKey::from_secret") || q.ends_with("DecodingKey::from_base64_secret") {
        let k = token.filter(|&k| empty_key(ast, k))?;
        return decode(
            "DecodingKey::from_secret",
            Weakness::EmptyKey,
            Library::RustJsonWebToken,
            None,
            Some(k),
        );
    }
    if name == "unverified_payload" && imports.uses("biscuit") {
        let recv = ast.receiver(c);
        return decode(name, Weakness::DecodeOnly, Library::Biscuit, recv, None);
    }
    if name == "parse_unverified" && (imports.uses("jwt") || q.starts_with("jwt::")) {
        let api = path.as_deref().unwrap_or(name);
        return decode(api, Weakness::DecodeOnly, Library::JwtCrate, token, None);
    }
    if name == "decode_unsecured" && (imports.uses("josekit") || q.starts_with("josekit")) {
        let api = path.as_deref().unwrap_or(name);
        return decode(api, Weakness::Disabled, Library::Josekit, token, None);
    }
    // biscuit `.decode(&secret, SignatureAlgorithm::None)`
    if name == "decode" {
        let none = c.args.iter().map(|a| a.value).find(|&a| {
            ast.path_of(a)
                .is_some_and(|p| p.ends_with("SignatureAlgorithm::None"))
        });
        if let Some(n) = none {
            return decode(
                name,
                Weakness::NoneAlgorithm,
                Library::Biscuit,
                None,
                Some(n),
            );
        }
    }
    None
}

/// Calls that check a token's signature, by name.
const VERIFY_NAMES: &[&str] = &[
    "verify",
    "verifyAsync",
    "verifySync",
    "jwtVerify",
    "compactVerify",
    "verify_jwt",
    "verify_token",
    "verifyToken",
    "verifyJwt",
    "verifyJWT",
    "verify_jwt_in_request",
    "verify_with_key",
    "verify_and_decode",
    "verifyIdToken",
    "verify_id_token",
    "verify_oauth2_token",
];

/// A call that verifies a token: a verify API, or a decode that checks the signature (PyJWT /
/// python-jose / authlib `jwt.decode(t, key, ..)`, jsonwebtoken `decode(t, &key, &validation)`).
pub fn is_verify_call(ast: &Ast, imports: &Imports, call: NodeId) -> bool {
    let Some(c) = ast.call(call) else {
        return false;
    };
    let Some(name) = ast.callee_name(c) else {
        return false;
    };
    if VERIFY_NAMES.contains(&name) {
        return weak_call(ast, imports, call).is_none();
    }
    if name != "decode" && name != "decode_complete" {
        return false;
    }
    let args = ast.positional(c).count() + c.args.iter().filter(|a| a.name.is_some()).count();
    let q = ast
        .path_of(c.callee)
        .map(|p| imports.qualify_path(&p))
        .unwrap_or_default();
    let library = match ast.lang {
        Lang::Python => q.starts_with("jwt.") || q.contains("jose.jwt."),
        Lang::Rust => q.starts_with("jsonwebtoken") || q == "decode",
        Lang::TypeScript => false,
    };
    library && args >= 2 && weak_call(ast, imports, call).is_none()
}

/// The path a token expression reads (`token`, `req.cookies.token`), `&` and `await` stripped.
fn token_key(ast: &Ast, id: NodeId) -> Option<String> {
    let id = ast.unwrap_expr(id);
    match ast.kind(id) {
        Kind::Call(c) => {
            // `token.trim()`, `token.as_str()`: the receiver
            let recv = ast.receiver(c)?;
            ast.path_of(ast.unwrap_expr(recv))
        }
        _ => ast.path_of(id),
    }
}

/// Whether a Rust `decode(&token, &key, &validation)` call is given a validation whose signature
/// check this function switched off.
fn disabled_validation(ast: &Ast, home: NodeId, call: NodeId) -> bool {
    let Some(c) = ast.call(call) else {
        return false;
    };
    ast.within(
        home,
        ast.calls_named("insecure_disable_signature_validation"),
    )
    .iter()
    .any(|&d| {
        let var = ast
            .call(d)
            .and_then(|dc| ast.receiver(dc))
            .and_then(|r| ast.path_of(ast.unwrap_expr(r)));
        var.is_some_and(|v| {
            c.args
                .iter()
                .any(|a| ast.path_of(ast.unwrap_expr(a.value)).as_deref() == Some(v.as_str()))
        })
    })
}

/// Whether `home` verifies the token `token` (any token when its path is unknown) with a call
/// other than `judged`.
pub fn verified_in(
    ast: &Ast,
    imports: &Imports,
    home: NodeId,
    token: Option<NodeId>,
    judged: NodeId,
) -> bool {
    let want = token.and_then(|t| token_key(ast, t));
    let same = |call: NodeId| {
        let Some(want) = &want else { return true };
        let Some(c) = ast.call(call) else {
            return false;
        };
        let first = ast.positional(c).next();
        let got = first.and_then(|f| token_key(ast, f));
        // a key checking the signature by hand (`public_key.verify(message, signature)`)
        let by_key = ast.callee_name(c) == Some("verify")
            && ast
                .receiver(c)
                .and_then(|r| ast.path_of(ast.unwrap_expr(r)))
                .is_some_and(|r| {
                    let r = r.to_ascii_lowercase();
                    r.contains("key") || r.contains("verifier") || r.contains("jwk")
                });
        // `verify(token, ..)`, or a verifying object built from it (`JWT(jwt=token, key=k)`)
        by_key
            || got.as_deref() == Some(want.as_str())
            || c.args
                .iter()
                .any(|a| token_key(ast, a.value).as_deref() == Some(want.as_str()))
    };
    // `try: verify(token) except ..: claims = unverified(token)`: the fallback runs exactly
    // when verification failed
    let fallback_of = |call: NodeId| {
        ast.ancestors(judged).any(|a| match ast.kind(a) {
            Kind::Catch { .. } => ast.parent(a).is_some_and(|t| match ast.kind(t) {
                Kind::Try { body, .. } => ast.contains_any(body, call),
                _ => false,
            }),
            _ => false,
        })
    };
    VERIFY_NAMES
        .iter()
        .chain(["decode", "decode_complete", "JWT"].iter())
        .any(|n| {
            ast.within(home, ast.calls_named(n)).iter().any(|&call| {
                let verifies = if *n == "JWT" {
                    ast.call(call).is_some_and(|c| {
                        ast.kwarg(c, "key").is_some() && ast.kwarg(c, "jwt").is_some()
                    })
                } else {
                    is_verify_call(ast, imports, call)
                        && !(ast.lang == Lang::Rust && disabled_validation(ast, home, call))
                };
                call != judged && verifies && same(call) && !fallback_of(call)
            })
        })
}

/// Claims that name the caller or what it may do.
const IDENTITY_CLAIMS: &[&str] = &[
    "sub",
    "id",
    "uid",
    "user",
    "userid",
    "username",
    "login",
    "email",
    "preferredusername",
    "publicid",
    "accountid",
    "account",
    "customerid",
    "memberid",
    "tenantid",
    "tenant",
    "orgid",
    "organizationid",
    "teamid",
    "role",
    "roles",
    "permissions",
    "perms",
    "scope",
    "scopes",
    "scp",
    "groups",
    "isadmin",
    "admin",
    "isstaff",
    "issuperuser",
    "superuser",
    "authorities",
];

/// Header and timing claims: reading them picks a key, schedules a refresh or logs.
const METADATA_CLAIMS: &[&str] = &[
    "header",
    "kid",
    "alg",
    "typ",
    "exp",
    "iat",
    "nbf",
    "iss",
    "aud",
    "jti",
    "azp",
    "expiresat",
    "expires",
    "expiry",
    "issuedat",
    "signature",
];

fn normalise(claim: &str) -> String {
    claim
        .chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Words that make a claim name the caller, its tenant or what it may do (`tenantSlug`,
/// `orgMembership`, `is_staff`).
const IDENTITY_WORDS: &[&str] = &[
    "user",
    "account",
    "tenant",
    "organization",
    "organisation",
    "team",
    "group",
    "role",
    "admin",
    "perm",
    "scope",
    "email",
    "phone",
    "owner",
    "member",
    "customer",
    "company",
    "staff",
    "principal",
];

pub fn is_identity_claim(claim: &str) -> bool {
    let n = normalise(claim);
    !is_metadata_claim(claim)
        && (IDENTITY_CLAIMS.contains(&n.as_str())
            || n.len() > 3 && n.ends_with("id")
            || IDENTITY_WORDS.iter().any(|w| n.contains(w)))
}

/// A yes/no permission claim (`is_admin`, `hasBilling`, `superuser`).
fn is_flag(claim: &str) -> bool {
    let n = normalise(claim);
    ["is", "has", "can"].iter().any(|p| n.starts_with(p))
        || ["admin", "superuser", "staff"].contains(&n.as_str())
}

fn is_metadata_claim(claim: &str) -> bool {
    METADATA_CLAIMS.contains(&normalise(claim).as_str())
}

/// Properties and methods that hand the decoded claims on unchanged (`.claims`, `.payload`,
/// `?`, `.unwrap()`, `.map_err(..)`).
const PASS_THROUGH: &[&str] = &[
    "claims",
    "payload",
    "unwrap",
    "expect",
    "ok",
    "map_err",
    "ok_or",
    "ok_or_else",
    "context",
    "with_context",
    "unwrap_or_default",
    "into_inner",
    "clone",
    "to_owned",
    "copy",
    "dict",
];

/// Methods that turn the claims into another shape and hand them on (`json.loads(..)`,
/// `Claims.model_validate(..)`, `serde_json::from_value(..)`).
const CONVERTERS: &[&str] = &[
    "loads",
    "parse",
    "parse_obj",
    "model_validate",
    "from_value",
    "from_str",
    "from_dict",
    "from_claims",
    "cast",
    "assign",
];

/// Roots of the request objects a middleware puts the caller on.
const REQUEST_ROOTS: &[&str] = &[
    "req", "request", "ctx", "context", "g", "res", "scope", "conn", "socket", "client",
];

/// Calls whose name says they find or load a user (or an account, a member...).
const LOOKUP_WORDS: &[&str] = &[
    "user",
    "account",
    "member",
    "principal",
    "profile",
    "customer",
    "tenant",
    "identity",
    "findbypk",
    "findbyid",
    "findone",
    "findunique",
    "findfirst",
    "getobjector404",
    "login",
    "permission",
];

const LOG_WORDS: &[&str] = &[
    "log",
    "debug",
    "info",
    "warn",
    "warning",
    "error",
    "trace",
    "print",
    "println",
    "eprintln",
    "exception",
    "critical",
    "fatal",
];

fn is_log_call(ast: &Ast, c: &crate::ast::Call) -> bool {
    let name = ast.callee_name(c).unwrap_or("");
    let root = ast
        .path_of(c.callee)
        .map(|p| {
            p.split(['.', ':'])
                .next()
                .unwrap_or("")
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    LOG_WORDS.contains(&name.to_ascii_lowercase().as_str())
        || TELEMETRY_NAMES.contains(&name)
        || [
            "sentry",
            "statsd",
            "metric",
            "prometheus",
            "counter",
            "limiter",
            "span",
            "tracer",
        ]
        .iter()
        .any(|t| root.contains(t))
        || root.contains("log")
        || root == "console"
        || root == "tracing"
}

/// Error-reporting, metrics and rate-limit calls: a claim there labels, it does not authorise.
const TELEMETRY_NAMES: &[&str] = &[
    "set_user",
    "setUser",
    "set_tag",
    "setTag",
    "set_context",
    "setContext",
    "add_breadcrumb",
    "addBreadcrumb",
    "set_attribute",
    "setAttribute",
    "record",
    "inc",
    "incr",
    "increment",
    "observe",
    "labels",
    "gauge",
    "histogram",
    "timing",
    "hit",
    "consume",
];

fn is_lookup_name(name: &str) -> bool {
    let n = normalise(name);
    LOOKUP_WORDS.iter().any(|w| n.contains(w))
}

/// Words in a function's (or its class's) name that say it authenticates the caller.
const AUTH_WORDS: &[&str] = &[
    "auth",
    "currentuser",
    "getuser",
    "loaduser",
    "finduser",
    "fetchuser",
    "userfrom",
    "userid",
    "identity",
    "principal",
    "login",
    "signin",
    "verify",
    "validate",
    "checktoken",
    "requireuser",
    "guard",
    "canactivate",
    "protect",
    "permission",
    "requireadmin",
    "isadmin",
    "whoami",
    "fromrequest",
    "middleware",
    "strategy",
    "session",
];

/// Whether a function authenticates the caller: its name or its class's says so (`get_current_user`,
/// `authenticate`, `JwtAuthGuard.canActivate`, `verifyToken`), or it is an axum/actix extractor
/// (`impl FromRequestParts for AuthUser`).
pub fn is_auth_function(ast: &Ast, func: NodeId) -> bool {
    let named = |n: &str| {
        let n = normalise(n);
        AUTH_WORDS.iter().any(|w| n.contains(w))
    };
    if function_name(ast, func).is_some_and(|n| named(&n)) {
        return true;
    }
    if param_decorator_name(ast, func).is_some_and(|n| named(&n)) {
        return true;
    }
    ast.ancestors(func).any(|a| match ast.kind(a) {
        Kind::Class(k) => {
            named(&k.name)
                || k.bases.iter().any(|b| {
                    b.contains("FromRequest")
                        || b.contains("BaseAuthentication")
                        || b.contains("CanActivate")
                })
        }
        _ => false,
    })
}

/// NestJS `export const CurrentUser = createParamDecorator((data, ctx) => ..)`: the name of the
/// decorator whose factory `func` is (what it returns is handed to controllers).
fn param_decorator_name(ast: &Ast, func: NodeId) -> Option<String> {
    let call = ast.parent(func)?;
    if ast.callee_name(ast.call(call)?) != Some("createParamDecorator") {
        return None;
    }
    match ast.kind(ast.parent(call)?) {
        Kind::Assign { target, .. } => ast.path_of(*target),
        _ => None,
    }
}

/// How messages name a function: its name, the NestJS decorator it makes, or its route.
pub fn function_display(ast: &Ast, func: NodeId) -> String {
    function_name(ast, func)
        .or_else(|| param_decorator_name(ast, func).map(|n| format!("@{n}()")))
        .unwrap_or_else(|| crate::knowledge::pagination::handler_display(ast, func))
}

/// Where a decoded value goes.
#[derive(Clone, Debug)]
pub enum Verdict {
    /// The claims decide who the caller is or what it may do: the node, and how (for messages:
    /// "look up the user", "become the request's user").
    Authorises(NodeId, String),
    /// Returned from the function, not otherwise used to authorise there.
    Returned(NodeId),
    /// Only logged, read for header or timing claims, or not used.
    Nothing,
}

/// Which nodes count as a query (the facts pass knows).
pub type IsQuery<'a> = &'a dyn Fn(NodeId) -> bool;

/// Where the value of `start` (a decode call) goes within `home`, following local variables
/// (two assignments deep).
pub fn follow(ast: &Ast, text: &str, is_query: IsQuery, start: NodeId, home: NodeId) -> Verdict {
    // in source order, so the first use that authorises is the one named
    let mut work: std::collections::VecDeque<(NodeId, Vec<String>, u8)> =
        std::collections::VecDeque::from([(start, Vec::new(), 0)]);
    let mut returned = None;
    let mut seen: Vec<String> = Vec::new();
    while let Some((node, chain, depth)) = work.pop_front() {
        match climb(ast, text, is_query, node, chain, home) {
            Step::Authorises(at, how) => return Verdict::Authorises(at, how),
            Step::Returned(at) => returned = returned.or(Some(at)),
            Step::Bound(after, names, chain) => {
                if depth >= 2 {
                    continue;
                }
                for n in names {
                    if seen.contains(&n) {
                        continue;
                    }
                    seen.push(n.clone());
                    for &u in ast.names_in(&n, home) {
                        if u >= after {
                            work.push_back((u, chain.clone(), depth + 1));
                        }
                    }
                }
            }
            Step::Nothing => {}
        }
    }
    match returned {
        Some(r) => Verdict::Returned(r),
        None => Verdict::Nothing,
    }
}

enum Step {
    Authorises(NodeId, String),
    Returned(NodeId),
    /// Bound to these local names from this node on (with the claim path read so far).
    Bound(NodeId, Vec<String>, Vec<String>),
    Nothing,
}

/// Climbs from a use of the decoded value up to the statement that consumes it.
fn climb(
    ast: &Ast,
    text: &str,
    is_query: IsQuery,
    start: NodeId,
    mut chain: Vec<String>,
    home: NodeId,
) -> Step {
    let mut cur = start;
    // `!claims.org_id`, `not claims.get("sub")`: the claim is only tested for presence
    let mut negated = false;
    // `claims.groups.includes(id)`: the claim is tested against a value
    let mut compared = false;
    let identity = |chain: &[String]| chain.iter().find(|c| is_identity_claim(c)).cloned();
    let metadata = |chain: &[String]| chain.iter().any(|c| is_metadata_claim(c));
    let read = |chain: &[String], at: NodeId| match identity(chain) {
        Some(k) => Step::Authorises(at, format!("are read for `{k}`")),
        None => Step::Nothing,
    };
    for _ in 0..64 {
        if metadata(&chain) {
            return Step::Nothing;
        }
        let Some(p) = ast.parent(cur) else {
            return Step::Nothing;
        };
        if p == home {
            // an expression-bodied arrow or closure, or a Rust tail expression
            let f = ast.function(home);
            let tail = f.is_some_and(|f| {
                f.expr_body == Some(cur) || ast.lang == Lang::Rust && f.body.last() == Some(&cur)
            });
            return if tail && identity(&chain).is_none() {
                Step::Returned(cur)
            } else {
                read(&chain, cur)
            };
        }
        match ast.kind(p) {
            // Rust `match decode(..) { Ok(data) => .. }`: the arms' bindings
            Kind::Other if ast.lang == Lang::Rust && ast.children(p).next() == Some(cur) => {
                let names = rust_bindings(text.get(ast.span(p).range()).unwrap_or(""));
                if names.is_empty() {
                    cur = p;
                } else {
                    return Step::Bound(ast.node(cur).end, names, chain);
                }
            }
            // Rust `if let Ok(data) = decode(..)`
            Kind::If { cond, .. } if *cond == cur && ast.lang == Lang::Rust => {
                let head = text
                    .get(ast.span(p).start as usize..ast.span(cur).start as usize)
                    .unwrap_or("");
                let names = rust_bindings(head);
                if names.is_empty() {
                    return read(&chain, cur);
                }
                return Step::Bound(ast.node(cur).end, names, chain);
            }
            Kind::Other => {
                let t = text.get(ast.span(p).range()).unwrap_or("");
                negated |= t.starts_with('!') || t.starts_with("not ");
                cur = p;
            }
            Kind::Unary { op, .. } => {
                negated |= *op == crate::ast::UnOp::Not;
                cur = p;
            }
            Kind::Await(_) | Kind::Question(_) | Kind::Array(_) | Kind::Str(_) => cur = p,
            Kind::Object { .. } => cur = p,
            Kind::Member { object, property } if *object == cur => {
                let call_parent = ast
                    .parent(p)
                    .filter(|&g| ast.call(g).is_some_and(|c| c.callee == p));
                if PASS_THROUGH.contains(&property.as_str()) {
                    cur = call_parent.unwrap_or(p);
                    continue;
                }
                if let Some(g) = call_parent {
                    // `payload.get("sub")`: the key read
                    let c = ast.call(g).expect("call");
                    if property == "get" {
                        if let Some(k) = ast.positional(c).next().and_then(|a| ast.plain_str(a)) {
                            chain.push(k.to_string());
                        }
                        cur = g;
                        continue;
                    }
                    // a method on a claim already read (`claims.roles.includes(..)`,
                    // `sub.toString()`): what consumes the result decides
                    if !chain.is_empty() {
                        compared |= !c.args.is_empty();
                        cur = g;
                        continue;
                    }
                    return read(&chain, cur);
                }
                chain.push(property.clone());
                cur = p;
            }
            Kind::Index { object, index } if *object == cur => {
                if let Some(k) = ast.plain_str(*index) {
                    if !PASS_THROUGH.contains(&k) {
                        chain.push(k.to_string());
                    }
                }
                cur = p;
            }
            Kind::Call(c) if c.callee != cur => {
                if is_log_call(ast, c) {
                    return Step::Nothing;
                }
                let name = ast.callee_name(c).unwrap_or("");
                // a type's constructor (`AuthUser(..)`, `User { .. }`) builds, it does not look up
                let constructor = name
                    .chars()
                    .next()
                    .is_some_and(|ch| ch.is_ascii_uppercase());
                if is_query(p) || !constructor && is_lookup_name(name) {
                    return Step::Authorises(p, "look up the user".to_string());
                }
                // passport: `done(null, payload)` logs the caller in
                if ["done", "cb", "callback"].contains(&name)
                    && ast.positional(c).nth(1) == Some(cur)
                {
                    return Step::Authorises(p, "become the request's user".to_string());
                }
                // Rust `req.extensions_mut().insert(claims)`
                if name == "insert"
                    && ast.receiver(c).is_some_and(|r| {
                        ast.call(ast.unwrap_expr(r))
                            .and_then(|rc| ast.callee_name(rc))
                            .is_some_and(|n| n == "extensions_mut")
                    })
                {
                    return Step::Authorises(p, "become the request's user".to_string());
                }
                // converters and constructors (`int(..)`, `TokenPayload(**payload)`,
                // `Ok(AuthUser { .. })`) hand the value on; other methods consume it
                if matches!(ast.kind(c.callee), Kind::Name(_)) || CONVERTERS.contains(&name) {
                    cur = p;
                } else {
                    return read(&chain, cur);
                }
            }
            Kind::Binary { op, .. } => {
                if matches!(op, BinOp::Compare) {
                    return read(&chain, p);
                }
                cur = p;
            }
            // a flag decides (`if claims.is_admin`), a value tested only for presence does not
            // (`if (!claims.environmentId) return false`)
            Kind::If { cond, .. } if *cond == cur => {
                return match identity(&chain) {
                    Some(k) if compared || is_flag(&k) => read(&chain, cur),
                    _ => Step::Nothing,
                }
            }
            Kind::Return(_) => {
                return match identity(&chain) {
                    Some(_) if negated && !compared => Step::Nothing,
                    Some(_) => read(&chain, cur),
                    None => Step::Returned(p),
                }
            }
            Kind::Assign {
                target,
                value: Some(v),
                ..
            } if *v == cur => {
                let t = ast.unwrap_expr(*target);
                if let Some(path) = ast.path_of(t) {
                    let root = path.split(['.', ':']).next().unwrap_or("");
                    let slot = path.contains('.')
                        && (REQUEST_ROOTS.contains(&root)
                            || path.starts_with("self.request")
                            || path.starts_with("this.request"));
                    if slot {
                        return Step::Authorises(p, format!("become `{path}`"));
                    }
                }
                if let Some(k) = identity(&chain) {
                    return Step::Authorises(cur, format!("are read for `{k}`"));
                }
                let after = ast.node(p).end;
                return match ast.kind(t) {
                    Kind::Name(n) => Step::Bound(after, vec![n.clone()], chain),
                    Kind::Object { entries, .. } => {
                        if let Some(k) = entries
                            .iter()
                            .filter_map(|e| e.key.as_deref())
                            .find(|k| is_identity_claim(k))
                        {
                            return Step::Authorises(t, format!("are read for `{k}`"));
                        }
                        let names = entries
                            .iter()
                            .filter_map(|e| match ast.kind(e.value) {
                                Kind::Name(n) => Some(n.clone()),
                                _ => None,
                            })
                            .collect();
                        Step::Bound(after, names, chain)
                    }
                    // Rust patterns: `let Ok(data) = .. else {..}`, `let TokenData { claims, .. }`
                    _ if ast.lang == Lang::Rust => {
                        let names = pattern_names(text.get(ast.span(t).range()).unwrap_or(""));
                        Step::Bound(after, names, chain)
                    }
                    _ => Step::Nothing,
                };
            }
            _ => return read(&chain, cur),
        }
    }
    Step::Nothing
}

/// The names a Rust pattern binds the success value to: `Ok(data)`, `Some(mut claims)`.
fn rust_bindings(text: &str) -> Vec<String> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(
            r"\b(?:Ok|Some)\s*\(\s*(?:mut\s+)?([a-z_][A-Za-z0-9_]*)\s*\)\s*(?:=[^=>]|=>)",
        )
        .expect("regex")
    });
    let mut out: Vec<String> = re
        .captures_iter(text)
        .map(|c| c[1].to_string())
        .filter(|n| n != "_")
        .collect();
    out.dedup();
    out
}

/// Calls whose callback runs inside the function that calls them (per item, or when a promise
/// settles): the callback is part of that function.
const INLINE_CALLBACKS: &[&str] = &[
    "map",
    "forEach",
    "filter",
    "find",
    "some",
    "every",
    "reduce",
    "flatMap",
    "then",
    "catch",
    "finally",
    "and_then",
    "map_err",
    "unwrap_or_else",
    "ok_or_else",
    "or_else",
    "map_or_else",
];

/// The names a Rust pattern binds: `Ok(data)` -> `data`, `TokenData { claims, .. }` -> `claims`.
fn pattern_names(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(|c: char| c.is_ascii_lowercase() || c == '_') {
        let before = rest[..i].chars().last();
        let word_end = rest[i..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(rest.len(), |e| i + e);
        let word = &rest[i..word_end];
        let next = rest[word_end..].trim_start().chars().next();
        let part_of_path = before.is_some_and(|b| b.is_ascii_alphanumeric() || b == ':');
        if !part_of_path
            && !matches!(word, "mut" | "ref" | "_")
            && !matches!(next, Some('(' | ':' | '{'))
        {
            out.push(word.to_string());
        }
        rest = &rest[word_end..];
    }
    out
}

/// The function a decode belongs to: the innermost named one, or a callback handed to a
/// framework (a route handler, a hook, a middleware); else the outermost.
pub fn home_function(ast: &Ast, id: NodeId) -> Option<NodeId> {
    let mut outer = None;
    for f in ast.function_ancestors(id) {
        if function_name(ast, f).is_some() {
            return Some(f);
        }
        let registered = ast.parent(f).and_then(|p| ast.call(p)).is_some_and(|c| {
            c.args.iter().any(|a| a.value == f)
                && !INLINE_CALLBACKS.contains(&ast.callee_name(c).unwrap_or(""))
        });
        if registered {
            return Some(f);
        }
        outer = Some(f);
    }
    outer
}

/// A token the service fetched from the identity provider itself (an OIDC `id_token` from the
/// token endpoint, a userinfo or token response body), not one a client sent: OIDC lets the
/// relying party trust it on the strength of the TLS connection. Also a token this function
/// has just issued itself (`token = create_access_token(user)`).
pub fn from_provider(ast: &Ast, token: NodeId, at: NodeId) -> bool {
    let t = ast.unwrap_expr(token);
    let path = token_key(ast, t).unwrap_or_default();
    let lower = path.to_ascii_lowercase();
    let root = lower.split('.').next().unwrap_or("");
    let client_sent = ["req", "request", "ctx"].contains(&root)
        && [
            ".body", ".query", ".params", ".json", ".form", ".data", ".post", ".get",
        ]
        .iter()
        .any(|s| lower.contains(s));
    if client_sent {
        return false;
    }
    let index_key = match ast.kind(t) {
        Kind::Index { index, .. } => ast.plain_str(*index).map(str::to_ascii_lowercase),
        _ => None,
    };
    let named = |s: &str| s.replace('_', "").contains("idtoken");
    if named(&lower) || index_key.as_deref().is_some_and(named) {
        return true;
    }
    // `text = await response.text()`, `body = resp.json()`: a response of an outbound call
    let Kind::Name(n) = ast.kind(ast.chain_root(t)) else {
        return false;
    };
    let scope = ast
        .function_ancestors(at)
        .next()
        .unwrap_or(crate::ast::ROOT);
    let Some((_, v)) = ast.assignment_before(n, scope, at, true) else {
        return false;
    };
    ast.call_chain(v).iter().any(|&c| {
        ast.call(c).is_some_and(|c| {
            let name = ast.callee_name(c).unwrap_or("");
            let recv = ast
                .receiver(c)
                .and_then(|r| ast.path_of(ast.unwrap_expr(r)))
                .unwrap_or_default()
                .to_ascii_lowercase();
            let lower = normalise(name);
            ["text", "json"].contains(&name) && (recv.contains("resp") || recv.contains("res"))
                || FETCHES.contains(&name)
                || self_issued(&lower)
        })
    })
}

/// Outbound calls that bring a token back from the identity provider.
const FETCHES: &[&str] = &[
    "fetch",
    "post",
    "fetch_token",
    "fetch_access_token",
    "authorize_access_token",
    "exchange_code",
    "exchangeCode",
    "getToken",
    "exchange_code_for_token",
];

/// A call that issues a token here (signed a moment ago by this service: `jwt.sign(..)`,
/// `create_access_token(user)`, `RefreshToken.for_user(user)`): decoding it to read back what
/// was put in is not trusting a caller. `name` is normalised.
fn self_issued(name: &str) -> bool {
    let verbs = [
        "create", "generate", "issue", "mint", "make", "new", "sign", "refresh", "encode",
    ];
    ["encode", "sign", "signasync", "issue", "mint", "foruser"].contains(&name)
        || verbs.iter().any(|v| name.starts_with(v))
            && (name.contains("token") || name.contains("jwt"))
}

/// Inside a branch that only runs in development or tests (`if settings.DEBUG:`,
/// `if (process.env.NODE_ENV !== 'production')`, `if cfg!(debug_assertions)`).
pub fn in_dev_branch(ast: &Ast, text: &str, id: NodeId) -> bool {
    let mut child = id;
    for a in ast.ancestors(id) {
        if let Kind::If { cond, then, els } = ast.kind(a) {
            let c = text
                .get(ast.span(*cond).range())
                .unwrap_or("")
                .to_ascii_lowercase();
            let dev = c.contains("debug")
                || c.contains("development")
                    && (c.contains("env") || c.contains("settings") || c.contains("config"))
                || c.contains("testing")
                || c.contains("is_dev")
                || c.contains("isdev")
                || c.contains("cfg!(test)")
                || c.contains("node_env") && (c.contains("development") || c.contains("test"));
            let not_prod = c.contains("node_env")
                && c.contains("production")
                && (c.contains("!==") || c.contains("!="));
            if then.contains(&child) && (dev && !c.contains('!') && !c.contains("not ") || not_prod)
            {
                return true;
            }
            let prod = c.contains("node_env") && c.contains("production") && c.contains("===");
            if els.contains(&child) && prod {
                return true;
            }
        }
        child = a;
    }
    false
}

/// A call to a project function whose result a function of this file uses to authorise without
/// verifying the token (`payload = decode_token(token); User.get(payload["sub"])`), for the
/// project index: the decode inside `decode_token` is judged by it.
#[derive(Clone, Debug)]
pub struct AuthorisingCall {
    pub name: String,
    /// The module the callee was imported from (`app.security`, `../lib/insecurity`).
    pub module: Option<String>,
    /// The receiver of a method call, or `class:Name` for `self.m()`.
    pub receiver: Option<String>,
    pub span: crate::source::Span,
    /// The calling function and, after a tab, what it does with the claims.
    pub caller: String,
}

/// Names that say a function hands back a decoded token (only their calls are followed).
fn decoding_helper_name(name: &str) -> bool {
    ["decode", "jwt", "token", "claims", "payload", "unverified"]
        .iter()
        .any(|w| super::contains_ignore_case(name, w))
}

/// The calls of this file that [`AuthorisingCall`] describes.
pub fn authorising_calls(
    ast: &Ast,
    imports: &Imports,
    text: &str,
    is_query: IsQuery,
) -> Vec<AuthorisingCall> {
    let mut out = Vec::new();
    for (i, n) in ast.nodes.iter().enumerate() {
        let id = i as NodeId;
        let Kind::Call(c) = &n.kind else { continue };
        if c.is_macro || c.is_new {
            continue;
        }
        let Some(name) = ast.callee_name(c) else {
            continue;
        };
        if !decoding_helper_name(name) || HEADER_ONLY.contains(&name) {
            continue;
        }
        let Some(path) = ast.path_of(c.callee) else {
            continue;
        };
        // library calls are judged where they are
        let q = imports.qualify_path(&path);
        if weak_call(ast, imports, id).is_some()
            || is_verify_call(ast, imports, id)
            || q != path && !q.starts_with('.') && !q.starts_with("crate") && !is_project(&q)
        {
            continue;
        }
        let Some(home) = home_function(ast, id) else {
            continue;
        };
        let token = ast.positional(c).next();
        if verified_in(ast, imports, home, token, id) || in_dev_branch(ast, text, id) {
            continue;
        }
        let how = match follow(ast, text, is_query, id, home) {
            Verdict::Authorises(_, how) => how,
            Verdict::Returned(_) if is_auth_function(ast, home) => "are returned".to_string(),
            _ => continue,
        };
        let caller = crate::knowledge::pagination::handler_display(ast, home);
        let head = path.split(['.', ':']).next().unwrap_or(&path);
        let sep = ast.lang.path_sep();
        let (module, receiver) = if imports.get(head).is_some() || path.starts_with("crate::") {
            let module = q
                .rsplit_once(sep)
                .or_else(|| q.rsplit_once('.'))
                .map(|(m, _)| m.to_string());
            (module, None)
        } else if ast.receiver(c).is_some() {
            let recv = path.rsplit_once('.').map(|(r, _)| r.to_string());
            match recv.as_deref() {
                Some("self" | "this" | "cls") => {
                    let class = ast.ancestors(home).find_map(|a| match ast.kind(a) {
                        Kind::Class(k) => Some(k.name.clone()),
                        _ => None,
                    });
                    (None, class.map(|k| format!("class:{k}")))
                }
                r => (None, r.map(str::to_string)),
            }
        } else if path.contains("::") {
            (path.rsplit_once("::").map(|(m, _)| m.to_string()), None)
        } else {
            (None, None)
        };
        out.push(AuthorisingCall {
            name: name.to_string(),
            module,
            receiver,
            span: ast.span(id),
            caller: format!("`{caller}`\t{how}"),
        });
    }
    out
}

/// A qualified name that may be a module of the project rather than a library: Python absolute
/// imports (`app.security.decode_token`), TS path aliases (`@server/utils/jwt`, `~/lib/auth`).
fn is_project(q: &str) -> bool {
    !(q.starts_with("jwt")
        || q.starts_with("jose")
        || q.starts_with("jsonwebtoken")
        || q.starts_with("jws")
        || q.starts_with("jwt-decode")
        || q.starts_with("authlib")
        || q.starts_with("jwcrypto")
        || q.starts_with("std")
        || q.starts_with("base64"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claim_names() {
        for c in [
            "sub",
            "user_id",
            "userId",
            "student_id",
            "tenantSlug",
            "roles",
            "is_admin",
        ] {
            assert!(is_identity_claim(c), "{c}");
        }
        // header and timing claims, and short `*id` names that are not the caller
        for c in ["kid", "exp", "iss", "tid", "sid", "type", "locale", "name"] {
            assert!(!is_identity_claim(c), "{c}");
        }
        assert!(is_flag("is_admin") && is_flag("hasBilling") && !is_flag("workspaceId"));
    }

    #[test]
    fn rust_pattern_bindings() {
        assert_eq!(rust_bindings("if let Ok(data) = "), vec!["data"]);
        assert_eq!(
            rust_bindings("match decode(t) { Ok(mut claims) => a, Err(_) => b }"),
            vec!["claims"]
        );
        assert!(rust_bindings("Ok(x)").is_empty());
        assert_eq!(pattern_names("Ok(parsed)"), vec!["parsed"]);
        assert_eq!(pattern_names("TokenData { claims, .. }"), vec!["claims"]);
        assert_eq!(pattern_names("(mut a, ref b)"), vec!["a", "b"]);
    }

    #[test]
    fn self_issued_names() {
        for n in [
            "encode",
            "sign",
            "createaccesstoken",
            "generatejwt",
            "foruser",
        ] {
            assert!(self_issued(n), "{n}");
        }
        for n in ["newencoded", "decode", "gettoken", "signin"] {
            assert!(!self_issued(n), "{n}");
        }
    }
}
