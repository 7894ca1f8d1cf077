//! `jwt-verification-disabled`: a JWT whose signature is not checked (a decode-only API,
//! verification switched off, the `none` algorithm, an empty secret) decides who the caller is.
//!
//! Accepting `none` or checking against an empty secret is reported wherever it is written:
//! it makes every verification through that call worthless. A decode without verification is
//! reported when its claims authorise within the function ([`jwt::follow`]): they look up the
//! user, go onto the request, decide a permission, are read for an identity claim, or are
//! returned by a function that authenticates (`get_current_user`, an axum extractor). A helper
//! that only decodes and returns the claims is reported when a caller in the project uses them
//! that way ([`Condition::AuthorisedByCaller`], one level). A verify call on the same token in
//! the same function (decode first to pick the key, then verify), tokens fetched from the
//! identity provider itself (an OIDC `id_token`, a userinfo response) and development-only
//! branches stay clean.

use crate::ast::{Ast, Kind, KindTag, Lang, NodeId, ROOT};
use crate::diagnostic::Condition;
use crate::engine::{Ctx, Rule};
use crate::imports::function_name;
use crate::knowledge::jwt::{self, Decode, Library, Verdict, Weakness};
use crate::knowledge::lifecycle;

pub const ID: &str = "jwt-verification-disabled";

pub struct JwtVerificationDisabled;

impl Rule for JwtVerificationDisabled {
    fn id(&self) -> &'static str {
        ID
    }
    fn kinds(&self) -> &'static [KindTag] {
        &[KindTag::Call]
    }
    fn check(&self, cx: &mut Ctx, node: NodeId) {
        let ast = cx.ast;
        let Some(d) = jwt::weak_call(ast, &cx.facts.imports, node) else {
            return;
        };
        if lifecycle::in_test_code(ast, node) || jwt::in_dev_branch(ast, &cx.file.text, node) {
            return;
        }
        if matches!(d.weakness, Weakness::NoneAlgorithm | Weakness::EmptyKey) {
            // `DecodingKey::from_secret(&[])` beside `insecure_disable_signature_validation()`
            // is the dummy key of an unverified decode, judged at the validation
            let home = jwt::home_function(ast, node).unwrap_or(ROOT);
            let dummy = d.library == Library::RustJsonWebToken
                && !ast
                    .within(
                        home,
                        ast.calls_named("insecure_disable_signature_validation"),
                    )
                    .is_empty();
            if !dummy {
                report(cx, node, &d, None, Use::Always);
            }
            return;
        }
        // Rust: `validation.insecure_disable_signature_validation()` is judged by the decode
        // that uses the validation
        let (judged, token) = match d.token {
            Some(t) => (node, Some(t)),
            None if d.library == Library::RustJsonWebToken => {
                match decode_with_validation(ast, node) {
                    Some((call, token)) => (call, token),
                    None => {
                        report(cx, node, &d, None, Use::HandedOn);
                        return;
                    }
                }
            }
            None => (node, None),
        };
        if token.is_some_and(|t| jwt::from_provider(ast, t, judged)) {
            return;
        }
        let home = jwt::home_function(ast, judged).unwrap_or(ROOT);
        if jwt::verified_in(ast, &cx.facts.imports, home, token, judged) {
            return;
        }
        let facts = cx.facts;
        let is_query = |id: NodeId| facts.is_query_call(id);
        let related = (judged != node).then_some(judged);
        match jwt::follow(ast, &cx.file.text, &is_query, judged, home) {
            Verdict::Authorises(at, how) => report(cx, node, &d, related, Use::Here(at, how)),
            Verdict::Returned(at) if jwt::is_auth_function(ast, home) => {
                let name = jwt::function_display(ast, home);
                report(cx, node, &d, related, Use::ReturnedBy(at, name));
            }
            Verdict::Returned(_) => {
                let Some(name) = function_name(ast, home) else {
                    return;
                };
                let class = ast.ancestors(home).find_map(|a| match ast.kind(a) {
                    Kind::Class(k) => Some(k.name.clone()),
                    _ => None,
                });
                report(cx, node, &d, related, Use::Callers(name, class));
            }
            Verdict::Nothing => {}
        }
    }
}

/// What the unverified claims do.
enum Use {
    /// `none` or an empty secret: wrong wherever it is.
    Always,
    /// A Rust `Validation` with the check off, handed to code out of sight.
    HandedOn,
    Here(NodeId, String),
    ReturnedBy(NodeId, String),
    /// Returned by this helper; a caller in the project authorises with them.
    Callers(String, Option<String>),
}

/// The `decode(&token, &key, &validation)` call of the function that uses the validation
/// whose check `disable` switched off, and its token.
fn decode_with_validation(ast: &Ast, disable: NodeId) -> Option<(NodeId, Option<NodeId>)> {
    let c = ast.call(disable)?;
    let var = ast.path_of(ast.unwrap_expr(ast.receiver(c)?))?;
    let home = jwt::home_function(ast, disable).unwrap_or(ROOT);
    ast.within(home, ast.calls_named("decode"))
        .iter()
        .copied()
        .filter(|&d| d > disable)
        .find_map(|d| {
            let dc = ast.call(d)?;
            dc.args
                .iter()
                .any(|a| ast.path_of(ast.unwrap_expr(a.value)).as_deref() == Some(var.as_str()))
                .then(|| (d, ast.positional(dc).next()))
        })
}

fn report(cx: &mut Ctx, node: NodeId, d: &Decode, related: Option<NodeId>, used: Use) {
    let api = &d.api;
    let fix = fix(d.library, cx.ast.lang);
    let message = match (&used, d.weakness) {
        (_, Weakness::NoneAlgorithm) => format!(
            "`{api}` accepts tokens signed with the `none` algorithm, which anyone can forge: list only the algorithms you sign with"
        ),
        (_, Weakness::EmptyKey) => format!(
            "`{api}` checks the token's signature against an empty secret, which anyone can sign with: load the real key from configuration"
        ),
        (Use::HandedOn, _) => format!(
            "`{api}` switches the signature check off for every token decoded with this validation: keep it on and decode with {fix}"
        ),
        (use_, w) => {
            let how = match use_ {
                Use::Here(_, how) => how.clone(),
                Use::ReturnedBy(_, f) => format!("are returned as the caller's identity by `{f}`"),
                Use::Callers(..) => "are used by {caller} to authorise".to_string(),
                _ => String::new(),
            };
            let what = if w == Weakness::DecodeOnly {
                "reads the token without checking its signature"
            } else {
                "switches the token's signature check off"
            };
            format!("`{api}` {what} and the claims {how}: verify it with {fix}")
        }
    };
    let help = "a forged token with any `sub` or `role` passes an unverified decode; decoding first is fine only to read the header (`kid`, `alg`) before a real verification of the same token";
    let mut f = cx.finding(cx.call_site(node), message).help(help);
    if let Some(s) = d.switch {
        f = f.label(cx.span(s), "verification switched off here");
    }
    if let Some(r) = related {
        f = f.label(cx.first_line(r), "the token is decoded with it here");
    }
    match used {
        Use::Here(at, how) => f = f.label(cx.first_line(at), format!("the claims {how} here")),
        Use::ReturnedBy(at, _) => f = f.label(cx.first_line(at), "returned here"),
        Use::Callers(name, class) => f = f.condition(Condition::AuthorisedByCaller { name, class }),
        Use::Always | Use::HandedOn => {}
    }
    cx.emit(f);
}

/// The verifying call, per library.
fn fix(lib: Library, lang: Lang) -> &'static str {
    match lib {
        Library::PyJwt => "`jwt.decode(token, key, algorithms=[\"HS256\"])` with verification on",
        Library::PythonJose => {
            "`jwt.decode(token, key, algorithms=[\"HS256\"])` instead of unverified claims"
        }
        Library::Jwcrypto => "`jwt.JWT(jwt=token, key=key)`",
        Library::SimpleJwt => "`AccessToken(token)` (verification on)",
        Library::JsonWebToken | Library::Jws => {
            "`jwt.verify(token, key, { algorithms: [\"HS256\"] })`"
        }
        Library::Jose => "`await jwtVerify(token, key)`",
        Library::JwtDecode => "a server-side `jwtVerify(token, key)` (jwt-decode never verifies)",
        Library::FastJwt => "`createVerifier({ key })`",
        Library::NestJwt => "`await this.jwtService.verifyAsync(token)`",
        Library::Middleware if lang == Lang::TypeScript => {
            "the middleware's `secret` and `algorithms` options"
        }
        Library::Middleware => "the library's verify call",
        Library::RustJsonWebToken => {
            "`jsonwebtoken::decode::<Claims>(&token, &key, &Validation::new(Algorithm::HS256))`"
        }
        Library::Biscuit => "`token.decode(&secret, SignatureAlgorithm::HS256)`",
        Library::JwtCrate => "`token.verify_with_key(&key)`",
        Library::Josekit => "a verifier for your algorithm (`HS256.verifier_from_bytes(key)`)",
    }
}
