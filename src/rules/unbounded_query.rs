//! `unbounded-query`: a list endpoint sends every row of a query to the client.
//!
//! Three shapes, all resting on [`pagination`] (what bounds a query, where its rows go) and
//! [`orm::query_call`] (what a query is):
//! - a query inside a handler whose rows reach the response (`res.json(users)`, `return rows`,
//!   `Ok(Json(items))`), through local variables, serialisers and mapping;
//! - a query returned by a function that a handler of the project sends to the client as it is
//!   (`return this.usersService.findAll()`): reported at the query, resolved on the project
//!   index ([`Condition::ReturnedByHandler`]);
//! - Django/DRF class-based list views (`queryset = Order.objects.all()` on a `ModelViewSet`)
//!   without `pagination_class`/`paginate_by`, resolved against the project's
//!   `DEFAULT_PAGINATION_CLASS` ([`Condition::NoDefaultPagination`]).

use crate::ast::{Kind, KindTag, Lang, NodeId};
use crate::diagnostic::Condition;
use crate::engine::{Ctx, Rule};
use crate::knowledge::growth;
use crate::knowledge::orm::{Query, QueryKind};
use crate::knowledge::pagination::{self, ListView, Sink, ViewPagination};

pub struct UnboundedQuery;

impl Rule for UnboundedQuery {
    fn id(&self) -> &'static str {
        "unbounded-query"
    }
    fn kinds(&self) -> &'static [KindTag] {
        &[KindTag::Call, KindTag::Class]
    }
    fn check(&self, cx: &mut Ctx, node: NodeId) {
        match cx.ast.kind(node) {
            Kind::Class(_) if cx.ast.lang == Lang::Python => list_view(cx, node),
            Kind::Call(_) => query(cx, node),
            _ => {}
        }
    }
}

/// Handler methods of class-based views that hand a queryset to the framework rather than to
/// the client: the class-level check covers them.
const VIEW_HOOKS: &[&str] = &[
    "get_queryset",
    "get_object",
    "get_context_data",
    "get_serializer_class",
    "get_serializer_context",
    "perform_create",
    "perform_update",
    "perform_destroy",
];

fn query(cx: &mut Ctx, call: NodeId) {
    let ast = cx.ast;
    let q = if cx.facts.is_query_call(call) {
        cx.facts.query(call).cloned()
    } else {
        drf_queryset_call(cx, call)
    };
    let Some(q) = q else { return };
    if !pagination::is_unbounded(ast, &q, call) {
        return;
    }
    let handler = cx.facts.enclosing_handler(ast, call);
    if let Some(h) = handler {
        let name = ast.function(h).and_then(|f| f.name.as_deref());
        if ast.lang == Lang::Python && name.is_some_and(|n| VIEW_HOOKS.contains(&n)) {
            return;
        }
    }
    // `cursor.execute(sql)` hands its rows over at `cursor.fetchall()`
    let flow_from = |func: NodeId| {
        pagination::flow(ast, &cx.facts.imports, call, func).or_else(|| {
            let fetch = pagination::fetch_after_execute(ast, call)?;
            pagination::flow(ast, &cx.facts.imports, fetch, func)
        })
    };
    let what = q.display.clone();
    let help = pagination::help(q.orm, ast.lang);
    match handler {
        Some(h) => {
            let Some(sink) = flow_from(h) else { return };
            let Some(grows) = growth(cx, call, h) else {
                return;
            };
            let message =
                format!("`{what}` sends every matching row to the client: the query has no limit");
            let mut f = cx.finding(cx.first_line(call), message).help(help);
            f = with_sink_label(cx, f, call, sink);
            if let Some(g) = grows {
                f = f.condition(g);
            }
            cx.emit(f);
        }
        None => {
            if cx.is_test_file {
                return;
            }
            let Some((owner, name)) = owner_function(cx, call) else {
                return;
            };
            if ast.lang == Lang::Python && VIEW_HOOKS.contains(&name.as_str()) {
                return;
            }
            let Some(Sink::Return(ret)) = flow_from(owner) else {
                return;
            };
            let Some(grows) = growth(cx, call, owner) else {
                return;
            };
            let class = ast.ancestors(owner).find_map(|a| match ast.kind(a) {
                Kind::Class(c) => Some(c.name.clone()),
                _ => None,
            });
            let message = format!(
                "`{what}` returns every matching row with no limit, and {{handler}} sends the result of `{name}` to the client"
            );
            let mut f = cx
                .finding(cx.first_line(call), message)
                .help(help)
                .condition(match grows {
                    Some(g) => {
                        Condition::All(vec![Condition::ReturnedByHandler { name, class }, g])
                    }
                    None => Condition::ReturnedByHandler { name, class },
                });
            if cx.file.line_of(cx.span(ret).start) != cx.file.line_of(cx.span(call).start) {
                f = f.label(cx.first_line(ret), "returned here");
            }
            cx.emit(f);
        }
    }
}

/// Whether the listed table grows with use, as a condition on the project's model facts
/// ([`growth::grows`]): `None` when the query reads a grouped subquery (one row per group),
/// `Some(None)` when the model cannot be named (reported as before).
fn growth(cx: &Ctx, call: NodeId, func: NodeId) -> Option<Option<Condition>> {
    let ast = cx.ast;
    let Some((model, grouped)) = growth::model_of(ast, call) else {
        return Some(None);
    };
    if grouped {
        return None;
    }
    let appended = growth::appended_uncapped(ast, func, &model);
    let (model, module) = imported_name(cx, model);
    let mut pins = growth::pinned_columns(ast, call);
    if let Some(fetch) = pagination::fetch_after_execute(ast, call) {
        pins.extend(growth::pinned_columns(ast, fetch));
    }
    Some(Some(Condition::ModelGrows {
        model,
        module,
        pins,
        appended,
    }))
}

/// The name a model was imported under and the module it comes from:
/// `from app.models import ChallengeFiles as Files` -> (`ChallengeFiles`, `app.models`).
fn imported_name(cx: &Ctx, local: String) -> (String, Option<String>) {
    let Some(q) = cx.facts.imports.get(&local) else {
        return (local, None);
    };
    let Some(cut) = q.rfind(['.', ':', '/']) else {
        return (local, None);
    };
    let (module, name) = (&q[..cut], &q[cut + 1..]);
    let module = module.trim_end_matches(':').to_string();
    // a default or whole-module import names a file, not the model
    let same_case =
        name.chars().next().map(char::is_uppercase) == local.chars().next().map(char::is_uppercase);
    if name.is_empty() || !same_case {
        return (local, Some(q.to_string()));
    }
    (name.to_string(), (!module.is_empty()).then_some(module))
}

fn with_sink_label(
    cx: &Ctx,
    f: crate::engine::Finding,
    call: NodeId,
    sink: Sink,
) -> crate::engine::Finding {
    let at = sink.node();
    if cx.file.line_of(cx.span(at).start) == cx.file.line_of(cx.span(call).start) {
        return f;
    }
    let msg = match sink {
        Sink::Return(_) => "returned to the client here",
        Sink::Response(_) => "sent to the client here",
    };
    f.label(cx.first_line(at), msg)
}

/// The named function a query belongs to (closures run by it count as its body), with its
/// name: `def list_orders`, `async findAll()`, `export const listUsers = async () => ..`.
fn owner_function(cx: &Ctx, call: NodeId) -> Option<(NodeId, String)> {
    let ast = cx.ast;
    ast.ancestors(call).find_map(|a| {
        let f = ast.function(a)?;
        let name = f
            .name
            .clone()
            .or_else(|| crate::knowledge::http::assigned_name(ast, a))?;
        Some((a, name))
    })
}

/// DRF: `self.get_queryset()` / `self.filter_queryset(..)` (and chains on them) in a view's
/// own action (`list`, `get`, `@action`): the view's queryset, unpaginated unless the action
/// paginates it.
fn drf_queryset_call(cx: &Ctx, call: NodeId) -> Option<Query> {
    let ast = cx.ast;
    if ast.lang != Lang::Python
        || !matches!(ast.kind(ast.chain_root(call)), Kind::Name(n) if n == "self")
    {
        return None;
    }
    // outermost call of the chain only
    if let Some(p) = ast.parent(call) {
        if matches!(ast.kind(p), Kind::Member { object, .. } if *object == call) {
            return None;
        }
    }
    let chain = ast.call_chain(call);
    let first = ast.call(*chain.first()?)?;
    let head = ast.path_of(first.callee)?;
    if head != "self.get_queryset" && head != "self.filter_queryset" {
        return None;
    }
    let keeps = chain[1..].iter().all(|&c| {
        ast.call(c)
            .and_then(|c| ast.callee_name(c))
            .is_some_and(|n| {
                [
                    "all",
                    "filter",
                    "exclude",
                    "order_by",
                    "select_related",
                    "prefetch_related",
                    "distinct",
                    "annotate",
                    "only",
                    "defer",
                ]
                .contains(&n)
            })
    });
    let h = cx.facts.enclosing_handler(ast, call)?;
    ast.ancestors(h)
        .find(|&a| matches!(ast.kind(a), Kind::Class(_)))?;
    keeps.then(|| Query {
        orm: "Django ORM",
        display: cx
            .text(call)
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(60)
            .collect(),
        kind: QueryKind::Read,
        many: true,
        limited: false,
        eager: false,
        batched: false,
        sql: None,
    })
}

/// Django/DRF class-based list views: `queryset = ...`, `get_queryset()` or a `ListView`'s
/// `model = ...` with no pagination on the class, its same-file bases or (DRF) the project.
fn list_view(cx: &mut Ctx, class: NodeId) {
    let ast = cx.ast;
    let Some(kind) = pagination::list_view(ast, class) else {
        return;
    };
    let paginated = pagination::view_pagination(ast, class, kind);
    if paginated == ViewPagination::Set {
        return;
    }
    let Kind::Class(c) = ast.kind(class) else {
        return;
    };
    let own = |name: &str| {
        c.body.iter().copied().find(|&s| {
            ast.function(s)
                .is_some_and(|f| f.name.as_deref() == Some(name))
        })
    };
    let own_attr = |name: &str| {
        c.body.iter().find_map(|&s| match ast.kind(s) {
            Kind::Assign {
                target,
                value: Some(v),
                ..
            } if matches!(ast.kind(*target), Kind::Name(n) if n == name) => Some((s, *v)),
            _ => None,
        })
    };
    // A view that writes its own list action is checked like any handler.
    let action = if kind == ListView::Drf { "list" } else { "get" };
    if pagination::class_method(ast, class, action).is_some() {
        return;
    }
    let unbounded_attr = own_attr("queryset").and_then(|(s, v)| {
        let v = ast.unwrap_expr(v);
        let q = cx.facts.query(v).cloned()?;
        pagination::is_unbounded(ast, &q, v).then_some((s, v, q.display))
    });
    // (primary node, query node, what)
    let site = if let Some(gq) = own("get_queryset") {
        get_queryset_site(cx, gq, unbounded_attr.as_ref().map(|a| a.2.clone()))
    } else if let Some((s, v, what)) = unbounded_attr {
        Some((s, v, what))
    } else if kind == ListView::Django && own_attr("queryset").is_none() {
        own_attr("model").and_then(|(s, v)| {
            let m = ast.path_of(v)?;
            Some((s, v, format!("{m}.objects.all()")))
        })
    } else {
        None
    };
    let Some((primary, query_node, what)) = site else {
        return;
    };
    let message = format!(
        "`{what}` is listed by `{}` without pagination: every row goes into one response",
        c.name
    );
    let help = match (kind, paginated) {
        (ListView::Drf, ViewPagination::Off) => "`pagination_class = None` turns pagination off for this view: set a paginator such as `PageNumberPagination` (with `page_size`) instead",
        (ListView::Drf, _) => "set `pagination_class = PageNumberPagination` (or `LimitOffsetPagination`/`CursorPagination`) on the view, or `DEFAULT_PAGINATION_CLASS` and `PAGE_SIZE` in the `REST_FRAMEWORK` settings",
        (ListView::Django, _) => "set `paginate_by = 50` on the view (Django's `Paginator` then serves one page per request)",
    };
    let mut f = cx
        .finding(cx.first_line(primary), message)
        .help(help)
        .label(cx.first_line(class), "list view without pagination");
    if cx.file.line_of(cx.span(query_node).start) != cx.file.line_of(cx.span(primary).start) {
        f = f.label(cx.first_line(query_node), "the queryset");
    }
    let model = if ast.call(query_node).is_some() {
        growth::model_of(ast, query_node)
    } else {
        ast.path_of(query_node).map(|m| (m, false))
    };
    let grows = match model {
        Some((_, true)) => return,
        Some((model, false)) => {
            let (model, module) = imported_name(cx, model);
            let pins = if ast.call(query_node).is_some() {
                growth::pinned_columns(ast, query_node)
            } else {
                Vec::new()
            };
            Some(Condition::ModelGrows {
                model,
                module,
                pins,
                appended: false,
            })
        }
        None => None,
    };
    let default = (kind == ListView::Drf && paginated == ViewPagination::Default)
        .then_some(Condition::NoDefaultPagination);
    match (default, grows) {
        (Some(a), Some(b)) => f = f.condition(Condition::All(vec![a, b])),
        (Some(c), None) | (None, Some(c)) => f = f.condition(c),
        (None, None) => {}
    }
    cx.emit(f);
}

/// The `return` of a view's `get_queryset` that hands over an unbounded queryset: a query in
/// its body, `self.queryset` / `super().get_queryset()` when the class queryset is unbounded.
fn get_queryset_site(
    cx: &Ctx,
    gq: NodeId,
    class_queryset: Option<String>,
) -> Option<(NodeId, NodeId, String)> {
    let ast = cx.ast;
    for id in ast.subtree(gq) {
        let start = match ast.kind(id) {
            Kind::Call(_) => {
                if let Some(q) = cx.facts.query(id).cloned() {
                    if !pagination::is_unbounded(ast, &q, id) {
                        continue;
                    }
                    Some(q.display)
                } else {
                    let path = ast
                        .call(id)
                        .and_then(|c| ast.path_of(c.callee))
                        .unwrap_or_default();
                    let from_super = ast.call(id).is_some_and(|c| {
                        ast.callee_name(c) == Some("get_queryset")
                            && ast
                                .receiver(c)
                                .and_then(|r| ast.call(r))
                                .and_then(|r| ast.path_of(r.callee))
                                .is_some_and(|p| p == "super")
                    });
                    (from_super || path == "self.queryset.all")
                        .then(|| class_queryset.clone())
                        .flatten()
                }
            }
            Kind::Member { property, object }
                if property == "queryset"
                    && ast.path_of(*object).as_deref() == Some("self")
                    && ast
                        .parent(id)
                        .is_none_or(|p| ast.call(p).is_none_or(|c| c.callee != id)) =>
            {
                class_queryset.clone()
            }
            _ => None,
        };
        let Some(what) = start else { continue };
        if let Some(Sink::Return(ret)) = pagination::flow(ast, &cx.facts.imports, id, gq) {
            return Some((ret, id, what));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::{lint_paths, lint_source, Options};

    fn lint(path: &str, src: &str) -> Vec<(u32, String)> {
        let r = lint_source(Path::new(path), src, &Options::default());
        r.diagnostics
            .iter()
            .filter(|d| d.rule == "unbounded-query")
            .map(|d| (d.start.line, d.message.clone()))
            .collect()
    }

    #[test]
    fn flask_query_through_a_variable() {
        let src = "from flask import jsonify\nfrom .models import Order\n\n@bp.route('/orders')\ndef orders():\n    rows = Order.query.filter_by(paid=True).all()\n    return jsonify([r.to_dict() for r in rows])\n";
        let found = lint("app/routes.py", src);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 6);
    }

    #[test]
    fn reduced_and_sliced_results_are_clean() {
        let src = "@bp.route('/stats')\ndef stats():\n    rows = Order.query.all()\n    return {'n': len(rows)}\n\n@bp.route('/top')\ndef top():\n    return jsonify(list(Order.objects.filter(paid=True)[:20].values()))\n";
        assert!(lint("app/routes.py", src).is_empty());
    }

    #[test]
    fn drf_default_pagination_in_settings_clears_generic_views_only() {
        let dir = tempfile::tempdir().unwrap();
        let app = dir.path().join("shop");
        std::fs::create_dir_all(&app).unwrap();
        std::fs::write(
            app.join("views.py"),
            "from rest_framework import generics, viewsets\nfrom rest_framework.decorators import api_view\nfrom rest_framework.response import Response\nfrom .models import Order\nfrom .serializers import OrderSerializer\n\n\nclass OrderList(generics.ListAPIView):\n    queryset = Order.objects.all()\n    serializer_class = OrderSerializer\n\n\nclass UnpagedOrders(viewsets.ReadOnlyModelViewSet):\n    queryset = Order.objects.all()\n    serializer_class = OrderSerializer\n    pagination_class = None\n\n\n@api_view([\"GET\"])\ndef order_export(request):\n    orders = Order.objects.filter(paid=True)\n    return Response(OrderSerializer(orders, many=True).data)\n",
        )
        .unwrap();
        let lines = |dir: &Path| -> Vec<u32> {
            let r = lint_paths(&[dir.to_path_buf()], &Options::default());
            let mut v: Vec<u32> = r
                .diagnostics
                .iter()
                .filter(|d| d.rule == "unbounded-query")
                .map(|d| d.start.line)
                .collect();
            v.sort_unstable();
            v
        };
        // without settings: the generic list view, the view with pagination turned off and
        // the function view
        assert_eq!(lines(dir.path()), vec![9, 14, 21]);
        std::fs::write(
            app.join("settings.py"),
            "REST_FRAMEWORK = {\n    \"DEFAULT_PAGINATION_CLASS\": \"rest_framework.pagination.PageNumberPagination\",\n    \"PAGE_SIZE\": 50,\n}\n",
        )
        .unwrap();
        // the default applies to generic views only: not to `pagination_class = None` nor to
        // function views
        assert_eq!(lines(dir.path()), vec![14, 21]);
    }

    #[test]
    fn service_returned_by_a_controller_is_reported_at_the_query() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        std::fs::create_dir_all(&src).unwrap();
        std::fs::write(
            src.join("users.service.ts"),
            "@Injectable()\nexport class UsersService {\n  constructor(private readonly prisma: PrismaService) {}\n\n  findAll() {\n    return this.prisma.user.findMany({ orderBy: { id: 'asc' } });\n  }\n\n  findRecent() {\n    return this.prisma.user.findMany({ take: 10 });\n  }\n}\n",
        )
        .unwrap();
        std::fs::write(
            src.join("users.controller.ts"),
            "import { UsersService } from './users.service';\n\n@Controller('users')\nexport class UsersController {\n  constructor(private readonly usersService: UsersService) {}\n\n  @Get()\n  findAll() {\n    return this.usersService.findAll();\n  }\n}\n",
        )
        .unwrap();
        let r = lint_paths(&[dir.path().to_path_buf()], &Options::default());
        let found: Vec<_> = r
            .diagnostics
            .iter()
            .filter(|d| d.rule == "unbounded-query")
            .collect();
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].path.ends_with("users.service.ts"));
        assert_eq!(found[0].start.line, 6);
        assert!(found[0].message.contains("`UsersController.findAll`"));
        assert!(found[0].labels.iter().any(|l| l.path.is_some()));
    }

    #[test]
    fn class_shadowing_its_base_does_not_recurse_forever() {
        let src = "from shop.views import OrderViewSet\n\nclass OrderViewSet(OrderViewSet):\n    def list(self, request):\n        return super().list(request)\n";
        assert!(lint("shop/api.py", src).is_empty());
    }

    #[test]
    fn generic_api_view_serialising_its_queryset() {
        let src = "from rest_framework import generics\nfrom rest_framework.response import Response\n\nclass Export(generics.GenericAPIView):\n    def get(self, request):\n        qs = self.filter_queryset(self.get_queryset())\n        return Response(self.get_serializer(qs, many=True).data)\n";
        assert_eq!(lint("shop/api.py", src).len(), 1);
    }

    #[test]
    fn koa_body_and_sqlalchemy_statement_variables() {
        let ts = "router.get('/users', async (ctx) => {\n  ctx.body = await User.findAll({ where: { active: true } });\n});\n";
        assert_eq!(lint("src/users.ts", ts).len(), 1);
        let py = "@app.get('/members')\ndef members(session: Session = Depends(get_session)):\n    stmt = select(Member).order_by(Member.id).limit(50)\n    paged = session.scalars(stmt).all()\n    stmt2 = select(Member).where(Member.team_id == 3)\n    return {'page': paged, 'team': session.scalars(stmt2).all()}\n";
        let found = lint("app/api.py", py);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 6);
    }
}
