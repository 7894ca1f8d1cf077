//! The knowledge layer on realistic snippets: database calls, HTTP handlers, per-item contexts.

use std::path::Path;

use backlint::ast::{Ast, Kind, NodeId};
use backlint::config::Config;
use backlint::facts::{self, FileFacts};
use backlint::knowledge::{loops, orm};
use backlint::lang::{self, Dialect};
use backlint::source::SourceFile;

fn load(path: &str, src: &str) -> (Ast, SourceFile, FileFacts) {
    let dialect = Dialect::from_path(Path::new(path)).unwrap();
    let ast = lang::parse(dialect, src).unwrap();
    let file = SourceFile::new(path, src.to_string());
    let facts = facts::collect(&ast, &file, &Config::default());
    (ast, file, facts)
}

/// Every recognised query: (display, orm, many, eager, batched, limited).
fn queries(path: &str, src: &str) -> Vec<orm::Query> {
    let (ast, _, facts) = load(path, src);
    (0..ast.nodes.len() as NodeId)
        .filter_map(|id| orm::query_call(&ast, &facts.imports, &Config::default(), id))
        .collect()
}

fn displays(qs: &[orm::Query]) -> Vec<String> {
    qs.iter().map(|q| q.display.clone()).collect()
}

#[test]
fn django_and_sqlalchemy_queries() {
    let src = r#"
from django.db import connection
from .models import Order, Customer

def report(request, ids):
    customers = Customer.objects.filter(active=True).select_related("account")
    batch = Order.objects.filter(id__in=ids)
    n = Order.objects.filter(status="open").count()
    first = Order.objects.filter(customer__name="x").first()
    rows = db.session.query(Order).filter(Order.total > 10).all()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM orders WHERE id = %s", [1])
        cursor.fetchall()
    settings = {"a": 1}.get("a")
    return rows
"#;
    let qs = queries("app/views.py", src);
    let d = displays(&qs);
    assert!(
        d.iter()
            .any(|s| s.starts_with("Customer.objects.filter(…).select_related")),
        "{d:?}"
    );
    let customers = qs
        .iter()
        .find(|q| q.display.starts_with("Customer"))
        .unwrap();
    assert!(customers.eager && customers.many);
    let batch = qs
        .iter()
        .find(|q| q.display.contains("Order.objects.filter(…)") && q.batched);
    assert!(batch.is_some(), "{d:?}");
    assert!(qs.iter().any(|q| q.kind == orm::QueryKind::Count));
    assert!(qs
        .iter()
        .any(|q| q.display.ends_with(".first()") && !q.many));
    assert!(qs.iter().any(|q| q.orm == "SQLAlchemy" && q.many), "{d:?}");
    assert!(
        qs.iter().any(|q| q.display.starts_with("cursor.execute")),
        "{d:?}"
    );
    // fetchall reads the previous execute's rows; dict.get is not a query
    assert!(
        !d.iter()
            .any(|s| s.contains("fetchall") || s.contains(".get(")),
        "{d:?}"
    );
    // one query per chain
    assert_eq!(
        d.iter().filter(|s| s.starts_with("Customer")).count(),
        1,
        "{d:?}"
    );
}

#[test]
fn typescript_orms_and_clients() {
    let src = r#"
import { PrismaClient } from "@prisma/client";
import { Pool } from "pg";
import { User } from "./entities/user";
import { Order } from "../models/order";
const prisma = new PrismaClient();
const pool = new Pool();

export async function load(ids: number[], repo: any) {
  const users = await prisma.user.findMany({ where: { id: { in: ids } }, include: { posts: true } });
  const one = await prisma.user.findUnique({ where: { id: 1 } });
  const page = await prisma.order.findMany({ take: 20 });
  const rows = await pool.query("SELECT id FROM users WHERE id = $1", [1]);
  const found = await this.userRepository.find({ relations: ["profile"] });
  const mongo = await Order.find({ status: "open" }).populate("customer").limit(10);
  const seq = await User.findAll({ limit: 5 });
  const list = [1, 2, 3].find((x) => x > 1);
  const q = req.query.page;
  return { users, one, page, rows, found, mongo, seq, list, q };
}
"#;
    let qs = queries("src/users.ts", src);
    let d = displays(&qs);
    let users = qs
        .iter()
        .find(|q| q.display.starts_with("prisma.user.findMany"))
        .expect("findMany");
    assert!(users.batched && users.eager && users.many);
    assert!(qs
        .iter()
        .any(|q| q.display.starts_with("prisma.user.findUnique") && !q.many));
    assert!(qs
        .iter()
        .any(|q| q.display.starts_with("prisma.order.findMany") && q.limited));
    assert!(
        qs.iter().any(|q| q.display.starts_with("pool.query")),
        "{d:?}"
    );
    assert!(qs.iter().any(|q| q.orm == "TypeORM" && q.eager), "{d:?}");
    assert!(
        qs.iter()
            .any(|q| q.orm == "Mongoose" && q.eager && q.limited),
        "{d:?}"
    );
    assert!(
        qs.iter().any(|q| q.orm == "Sequelize" && q.limited),
        "{d:?}"
    );
    assert!(
        !d.iter()
            .any(|s| s.contains("[1, 2, 3]") || s.contains("req.query")),
        "{d:?}"
    );
}

#[test]
fn rust_sqlx_diesel_seaorm() {
    let src = r#"
use sqlx::PgPool;

async fn load(pool: &PgPool, conn: &mut PgConnection, db: &DatabaseConnection, ids: Vec<i64>) -> Result<(), Error> {
    let users = sqlx::query_as::<_, User>("SELECT * FROM users WHERE id = ANY($1)").bind(&ids).fetch_all(pool).await?;
    let one = sqlx::query!("SELECT id FROM users WHERE id = $1", 1).fetch_one(pool).await?;
    let posts = posts::table.filter(posts::user_id.eq(1)).limit(10).load::<Post>(conn)?;
    let all = cake::Entity::find().all(db).await?;
    let first = ids.iter().map(|i| i + 1).collect::<Vec<_>>().first().copied();
    Ok(())
}
"#;
    let qs = queries("src/db.rs", src);
    let d = displays(&qs);
    assert!(
        qs.iter().any(|q| q.orm == "sqlx" && q.many && q.batched),
        "{d:?}"
    );
    assert!(qs.iter().any(|q| q.orm == "sqlx" && !q.many), "{d:?}");
    assert!(qs.iter().any(|q| q.orm == "diesel" && q.limited), "{d:?}");
    assert!(qs.iter().any(|q| q.orm == "SeaORM" && q.many), "{d:?}");
    assert!(!d.iter().any(|s| s.contains("first")), "{d:?}");
}

fn handler_names(path: &str, src: &str) -> Vec<String> {
    let (ast, _, facts) = load(path, src);
    let mut names: Vec<String> = facts
        .handlers
        .keys()
        .map(|&id| match ast.kind(id) {
            Kind::Function(f) => f
                .name
                .clone()
                .unwrap_or_else(|| format!("<anonymous@{}>", ast.span(id).start)),
            _ => unreachable!(),
        })
        .collect();
    names.sort();
    names
}

#[test]
fn python_handlers() {
    let src = r#"
from flask import Blueprint
from fastapi import APIRouter
from rest_framework import viewsets
from rest_framework.decorators import api_view

bp = Blueprint("orders", __name__)
router = APIRouter()

@bp.route("/orders")
def list_orders():
    return []

@router.get("/items/{item_id}")
async def read_item(item_id: int):
    return {}

@api_view(["GET"])
def drf_view(request):
    return None

class OrderViewSet(viewsets.ModelViewSet):
    def get_queryset(self):
        return None

    def _helper(self):
        return None

def helper(x):
    return x
"#;
    assert_eq!(
        handler_names("shop/api.py", src),
        vec!["drf_view", "get_queryset", "list_orders", "read_item"]
    );
    // Django function views in views.py take `request` first
    let views = "def order_list(request):\n    return None\n\ndef _private(x):\n    return x\n";
    assert_eq!(handler_names("shop/views.py", views), vec!["order_list"]);
}

#[test]
fn typescript_handlers() {
    let src = r#"
import express from "express";
const router = express.Router();

router.get("/users/:id", auth, async (req, res) => {
  res.json({});
});

async function listOrders(req, res) {
  res.json([]);
}
router.post("/orders", listOrders);

@Controller("users")
export class UsersController {
  @Get(":id")
  findOne(@Param("id") id: string) {
    return id;
  }

  private helper() {
    return 1;
  }
}

export function formatName(first: string, last: string) {
  return first + last;
}
"#;
    let names = handler_names("src/routes.ts", src);
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(names.contains(&"listOrders".to_string()) && names.contains(&"findOne".to_string()));
    let next = "export async function GET(request: Request) {\n  return Response.json([]);\n}\nexport function helper() {}\n";
    assert_eq!(handler_names("app/api/users/route.ts", next), vec!["GET"]);
}

#[test]
fn rust_handlers() {
    let src = r#"
use axum::{routing::get, Router, Json, extract::State};

async fn list_users(State(pool): State<PgPool>) -> Json<Vec<User>> {
    Json(vec![])
}

async fn health() -> &'static str {
    "ok"
}

#[get("/items/{id}")]
async fn get_item(path: web::Path<u32>) -> impl Responder {
    HttpResponse::Ok()
}

fn app() -> Router {
    Router::new().route("/users", get(list_users)).route("/health", get(health))
}

async fn background_job(pool: PgPool) {}
"#;
    assert_eq!(
        handler_names("src/main.rs", src),
        vec!["get_item", "health", "list_users"]
    );
}

/// (binding names, description) of the per-item context of the first call named `name`.
fn context_of(path: &str, src: &str, name: &str) -> Option<(Vec<String>, String)> {
    let (ast, _, _) = load(path, src);
    let call = (0..ast.nodes.len() as NodeId)
        .find(|&id| ast.call(id).and_then(|c| ast.callee_name(c)) == Some(name))?;
    loops::per_item_context(&ast, call).map(|p| (p.bindings, p.what))
}

#[test]
fn per_item_contexts() {
    let py = r#"
def f(orders, db):
    totals = [db.fetch_total(o.id) for o in orders]
    for region in ["eu", "us"]:
        db.refresh_region(region)
    rows = db.load_rows()
    for row in db.iterate_rows():
        db.mark(row)
"#;
    assert_eq!(context_of("a.py", py, "fetch_total").unwrap().0, vec!["o"]);
    assert!(
        context_of("a.py", py, "refresh_region").is_none(),
        "small literal loop"
    );
    assert!(context_of("a.py", py, "load_rows").is_none());
    assert!(
        context_of("a.py", py, "iterate_rows").is_none(),
        "the iterable runs once"
    );
    assert_eq!(context_of("a.py", py, "mark").unwrap().0, vec!["row"]);

    let ts = r#"
async function f(ids: number[]) {
  const users = await Promise.all(ids.map(async (id) => prisma.user.findUnique({ where: { id } })));
  const data = await fetch("/x").then((r) => r.json());
  for await (const chunk of stream) { await save(chunk); }
  return { users, data };
}
"#;
    let (b, what) = context_of("a.ts", ts, "findUnique").unwrap();
    assert_eq!(b, vec!["id"]);
    assert!(what.contains("map"));
    assert!(
        context_of("a.ts", ts, "json").is_none(),
        "a promise's then is not per item"
    );
    assert_eq!(context_of("a.ts", ts, "save").unwrap().0, vec!["chunk"]);

    let rs = r#"
async fn f(ids: Vec<i64>, pool: &PgPool) {
    for id in &ids {
        load(id, pool).await;
    }
    let names: Vec<_> = ids.iter().map(|i| lookup(*i)).collect();
    let maybe = Some(1).map(|x| compute(x));
}
"#;
    assert_eq!(context_of("a.rs", rs, "load").unwrap().0, vec!["id"]);
    assert_eq!(context_of("a.rs", rs, "lookup").unwrap().0, vec!["i"]);
    assert!(
        context_of("a.rs", rs, "compute").is_none(),
        "Option::map is not per item"
    );
}

#[test]
fn imports_resolve_aliases_in_every_language() {
    let (ast, _, f) = load(
        "a.py",
        "from time import sleep as nap\nimport requests as r\nnap(1)\nr.get('u')\n",
    );
    let calls: Vec<String> = (0..ast.nodes.len() as NodeId)
        .filter_map(|id| ast.call(id).and_then(|c| f.imports.qualify(&ast, c.callee)))
        .collect();
    assert_eq!(calls, vec!["time.sleep", "requests.get"]);
    let (ast, _, f) = load("a.ts", "import { readFileSync as rf } from 'node:fs';\nconst cp = require('child_process');\nrf('x');\ncp.execSync('ls');\n");
    let calls: Vec<String> = (0..ast.nodes.len() as NodeId)
        .filter_map(|id| ast.call(id).and_then(|c| f.imports.qualify(&ast, c.callee)))
        .filter(|q| q.contains("fs") || q.contains("child_process"))
        .collect();
    assert_eq!(
        calls,
        vec!["node:fs.readFileSync", "child_process.execSync"]
    );
    let (ast, _, f) = load("a.rs", "use std::thread;\nuse reqwest::blocking as rb;\nfn f() { thread::sleep(d); rb::get(u); }\n");
    let calls: Vec<String> = (0..ast.nodes.len() as NodeId)
        .filter_map(|id| ast.call(id).and_then(|c| f.imports.qualify(&ast, c.callee)))
        .collect();
    assert_eq!(calls, vec!["std::thread::sleep", "reqwest::blocking::get"]);
}

#[test]
fn one_off_names_leave_out_per_request_setup_words() {
    use backlint::knowledge::lifecycle::{is_one_off_name, is_startup_name};
    for name in [
        "main",
        "lifespan",
        "migrate_u2f_keys",
        "seedRoles",
        "install_app",
        "bootstrap",
    ] {
        assert!(is_one_off_name(name), "{name}");
    }
    // start-up sounding, but also the name of a step of a request
    for name in [
        "configure_groups",
        "init_session",
        "setupWorkspace",
        "register_device",
    ] {
        assert!(is_startup_name(name), "{name}");
        assert!(!is_one_off_name(name), "{name}");
    }
    assert!(!is_one_off_name("migrated_total"));
}

#[test]
fn callbacks_registered_in_a_loop_run_later() {
    let ts = r#"
export function mount(app, bus, models, ids) {
  for (const m of models) {
    app.get(`/api/${m.name}`, async (req, res) => res.json(await m.findAll()));
    bus.on('created', async (row) => audit(row));
    m.afterCreate(async (row) => notify(row));
    db.transaction(async (t) => touch(m, t));
  }
}
"#;
    assert!(context_of("a.ts", ts, "findAll").is_none(), "route handler");
    assert!(context_of("a.ts", ts, "audit").is_none(), "event listener");
    assert!(context_of("a.ts", ts, "notify").is_none(), "model hook");
    assert_eq!(
        context_of("a.ts", ts, "touch").unwrap().0,
        vec!["m"],
        "a transaction callback runs now, in the loop"
    );
}

#[test]
fn prefetched_relations_through_lists_handed_over() {
    use backlint::knowledge::relations;
    let py = r#"
FIELDS = ["variants__attributes__values"]

def lines(checkout, extra):
    prefetch = ["discounts__rule"]
    if extra:
        prefetch.extend(["variant__channel_listings"])
    return checkout.lines.prefetch_related(*prefetch)

def products(ps):
    prefetch_related_objects(ps, *FIELDS)
"#;
    let (ast, _, _) = load("a.py", py);
    let names = relations::eager_names_in(&ast, 0..ast.nodes.len() as NodeId);
    for want in ["discounts", "rule", "variant", "channel_listings", "values"] {
        assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
    }
    assert_eq!(
        relations::related_manager_display("variant.channel_listings.all()"),
        Some("channel_listings")
    );
    assert_eq!(
        relations::related_manager_display("Order.objects.all()"),
        None
    );
    assert_eq!(
        relations::related_manager_display("v.lines.filter(…)"),
        None
    );
}

#[test]
fn related_name_owner_finds_the_declaring_model() {
    use backlint::knowledge::relations;
    let py = r#"
class Chassis(models.Model):
    name = models.CharField(max_length=10)

class Device(models.Model):
    chassis = models.ForeignKey(Chassis, related_name="members", on_delete=models.SET_NULL)
    tags = models.ManyToManyField("Tag", related_name="devices")
"#;
    let (ast, _, _) = load("models.py", py);
    assert_eq!(
        relations::related_name_owner(&ast, "members").as_deref(),
        Some("Device")
    );
    assert_eq!(
        relations::related_name_owner(&ast, "devices").as_deref(),
        Some("Device")
    );
    assert_eq!(relations::related_name_owner(&ast, "chassis"), None);
}
