//! `permissive-cors`: CORS that lets every website make credentialed requests.
//!
//! Reported: a CORS configuration whose library echoes every request origin with credentials
//! allowed ([`Effect::Reflects`]: the exploitable case), or sends `*` with credentials
//! ([`Effect::StarWithCredentials`]: refused by browsers, so either the credentials are dead
//! configuration or someone will "fix" it by echoing the origin); and hand-written
//! `Access-Control-Allow-Origin` headers set to the request's `Origin` with
//! `Access-Control-Allow-Credentials: true`, unless the origin is checked first. What each
//! library does is in [`crate::knowledge::cors`].
//!
//! Not reported: `*` or any origin without credentials (a public API), origins from
//! configuration, lists and checking callbacks, the express/fastify/NestJS default origin
//! (`*`) when only `credentials: true` is given (browsers refuse it, and nothing says the author
//! meant every origin), and code that only runs in development (`if settings.DEBUG:`,
//! `NODE_ENV === 'development'`, `cfg!(debug_assertions)`, dev and test settings files).
//! Settings split over files (Django `base.py` / `production.py`, CORS options exported by
//! another module) are settled on the project index with a [`Condition::Cors`].

use crate::ast::{KindTag, NodeId};
use crate::diagnostic::Condition;
use crate::engine::{Ctx, Rule};
use crate::knowledge::cors::{self, CorsCheck, Effect, Library, Setup};

pub struct PermissiveCors;

impl Rule for PermissiveCors {
    fn id(&self) -> &'static str {
        "permissive-cors"
    }
    fn kinds(&self) -> &'static [KindTag] {
        &[KindTag::Call, KindTag::Assign, KindTag::Object]
    }
    fn check(&self, cx: &mut Ctx, node: NodeId) {
        let text = &cx.file.text;
        if let Some(s) = cors::setup(
            cx.ast,
            text,
            &cx.facts.imports,
            &cx.facts.cors,
            &cx.file.path,
            node,
        ) {
            if !skipped(cx, s.node) {
                configured(cx, s);
            }
        } else if let Some(r) = cors::reflection(cx.ast, text, node) {
            if !skipped(cx, r.node) {
                let f = cx
                    .finding(
                        if cx.ast.call(r.at).is_some() {
                            cx.call_site(r.at)
                        } else {
                            cx.first_line(r.at)
                        },
                        "`Access-Control-Allow-Origin` is set to the request's `Origin` header \
                         with `Access-Control-Allow-Credentials: true`, so any website can call \
                         this endpoint with its users' cookies and read the responses: echo the \
                         origin only when it is in a list of trusted origins",
                    )
                    .help(cors::HEADERS.fix)
                    .label(cx.first_line(r.credentials), "credentials allowed here");
                cx.emit(f);
            }
        }
    }
}

/// Code that only runs in development or in tests.
fn skipped(cx: &Ctx, node: NodeId) -> bool {
    cors::dev_only(cx.ast, &cx.file.text, node)
        || crate::knowledge::lifecycle::in_test_code(cx.ast, node)
}

fn message(what: &str, effect: Effect, library: &Library) -> String {
    match effect {
        Effect::Reflects => format!(
            "{what} echoes every request's origin back with credentials allowed, so any website \
             can call this API with its users' cookies and read the responses: list the trusted \
             origins in {}",
            library.list_in
        ),
        Effect::StarWithCredentials => format!(
            "{what} sends `Access-Control-Allow-Origin: *` with credentials allowed, a pair \
             refused by {} (and echoing the origin instead would let every website in): list \
             the trusted origins in {}, or drop the credentials for a public API",
            library.refused_by, library.list_in
        ),
    }
}

fn configured(cx: &mut Ctx, s: Setup) {
    let at = match s.origin_at {
        Some(o) if cx.ast.call(o).is_some() => cx.call_site(o),
        Some(o) => cx.first_line(o),
        None if cx.ast.call(s.node).is_some() => cx.call_site(s.node),
        None => cx.first_line(s.node),
    };
    let pending: Vec<Condition> = s.pending.iter().cloned().map(Condition::Cors).collect();
    let effects: Vec<(Effect, Option<Condition>)> = match &s.shared {
        // the options live in another module: one finding per effect, at most one holds
        Some((module, name)) => [Effect::Reflects, Effect::StarWithCredentials]
            .into_iter()
            .map(|effect| {
                let check = Condition::Cors(CorsCheck::SharedOptions {
                    module: module.clone(),
                    name: name.clone(),
                    library: s.library,
                    effect,
                });
                (
                    effect,
                    Some(all(pending.iter().cloned().chain([check]).collect())),
                )
            })
            .collect(),
        None => {
            let Some(effect) = s.library.effect(s.origin) else {
                return;
            };
            let c = (!pending.is_empty()).then(|| all(pending.clone()));
            vec![(effect, c)]
        }
    };
    for (effect, condition) in effects {
        let mut f = cx
            .finding(at, message(&s.what, effect, s.library))
            .help(s.library.fix);
        if let Some(c) = s.credentials_at {
            let span = cx.first_line(c);
            if cx.file.line_of(span.start) != cx.file.line_of(at.start) {
                f = f.label(span, "credentials allowed here");
            }
        }
        if let Some(c) = condition {
            f = f.condition(c);
        }
        cx.emit(f);
    }
}

fn all(mut conditions: Vec<Condition>) -> Condition {
    if conditions.len() == 1 {
        conditions.remove(0)
    } else {
        Condition::All(conditions)
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::testing::findings;

    const RULE: &str = "permissive-cors";

    #[test]
    fn messages_say_what_the_library_sends() {
        let star = findings(
            RULE,
            "src/server.ts",
            "import cors from 'cors';\napp.use(cors({ origin: '*', credentials: true }));\n",
        );
        assert_eq!(star.len(), 1, "{star:?}");
        assert!(star[0].contains("refused by browsers"), "{star:?}");

        // @koa/cors turns `*` into the request origin once credentials are on
        let koa = findings(
            RULE,
            "src/app.ts",
            "import cors from '@koa/cors';\napp.use(cors({ origin: '*', credentials: true }));\n",
        );
        assert_eq!(koa.len(), 1, "{koa:?}");
        assert!(koa[0].contains("echoes every request's origin"), "{koa:?}");

        let tower = findings(
            RULE,
            "src/main.rs",
            "use tower_http::cors::{Any, CorsLayer};\nfn f() { let c = CorsLayer::new().allow_origin(Any).allow_credentials(true); }\n",
        );
        assert_eq!(tower.len(), 1, "{tower:?}");
        assert!(tower[0].contains("panics"), "{tower:?}");
    }

    #[test]
    fn django_credentials_turned_off_in_the_same_file() {
        let src = "CORS_ALLOW_ALL_ORIGINS = True\nCORS_ALLOW_CREDENTIALS = False\n";
        assert!(findings(RULE, "app/settings.py", src).is_empty());
        let on = "CORS_ALLOW_ALL_ORIGINS = True\nCORS_ALLOW_CREDENTIALS = True\n";
        assert_eq!(findings(RULE, "app/settings.py", on).len(), 1);
    }
}
