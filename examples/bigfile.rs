//! Whole-run time and peak memory on one large generated file per language and size, to check
//! that a run grows linearly with the size of a file.
//!
//! ```sh
//! cargo run --release --example bigfile -- [--langs py,ts,js,jsw,rs] [--sizes 1,2,4,8]
//!     [--timeout SECS] [--per-rule] [--dir DIR] [--config FILE] [--keep]
//! ```
//! Each file is many small handlers (Flask, Django and FastAPI; Express, and as `jsw` the same
//! Express handlers indented inside one exported function; axum), each with the calls every
//! rule looks at: outbound HTTP, ORM queries in loops, SQL strings, blocking calls, connections,
//! secret-like names and suppression comments. Every run is a separate `backlint check FILE` process (this
//! example re-runs itself as the command line), timed from the outside; a run over `--timeout`
//! is killed and shown as `>SECS`. Peak RSS is read from `/proc` (Linux). `--per-rule` also
//! runs each rule alone (`--select ID`) and no rule at all (parse, facts and index only).
//! `--config FILE` is passed to every run; `--keep` leaves a copy of each file in DIR.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const PY_HEAD: &str = r#"import time
import requests
import httpx
import psycopg2
from flask import Flask, jsonify, request
from django.http import JsonResponse
from django.db import connection
from fastapi import FastAPI, Depends
from sqlalchemy import text

from .models import Order, Item, Invoice, Tag, Customer
from .db import get_db, Session

app = Flask(__name__)
api = FastAPI()
DSN = "dbname=shop"
"#;

const PY: &[&str] = &[
    r#"
PAYMENT_SECRET_{n} = "{hex}"


@app.route("/orders/{n}")
def orders_{n}():
    rows = Order.query.filter_by(shop_id={n}).all()
    for o in rows:
        o.items = Item.query.filter_by(order_id=o.id).all()
    rate = requests.get("https://rates.example.com/v1/{n}").json()
    cur = psycopg2.connect(DSN).cursor()
    cur.execute(f"SELECT * FROM orders WHERE note = '{request.args['q']}'")
    return jsonify([dict(o.to_dict(), rate=rate) for o in rows])
"#,
    r#"
def order_list_{n}(request):
    orders = Order.objects.filter(shop_id={n})
    data = [{"id": o.id, "customer": o.customer.name} for o in orders]
    for o in orders:
        data.append(Invoice.objects.filter(order=o).count())
    with connection.cursor() as cursor:
        # backlint: ignore[sql-injection] q is checked by the middleware
        cursor.execute("SELECT * FROM t WHERE name = '%s'" % request.GET["q"])
    resp = httpx.get("https://hooks.example.com/{n}", timeout=None)
    session = requests.Session()
    session.post("https://audit.example.com/{n}", json=data)
    return JsonResponse({"data": data, "hook": resp.status_code}, safe=False)
"#,
    r#"
@api.get("/items/{n}")
async def read_items_{n}(q: str, db: Session = Depends(get_db)):
    items = db.query(Item).all()
    for it in items:
        it.tags = db.query(Tag).filter(Tag.item_id == it.id).all()
    requests.post("https://search.example.com/{n}", json={"q": q})
    time.sleep(0.1)
    db.execute(text(f"SELECT * FROM items WHERE q = '{q}'"))
    client_secret_{n} = "{hex}"
    return {"items": items, "key": client_secret_{n}}
"#,
];

const TS_HEAD: &str = r#"import express, { Request, Response } from "express";
import axios from "axios";
import fs from "fs";
import { PrismaClient } from "@prisma/client";
import { Pool } from "pg";

const router = express.Router();
const prisma = new PrismaClient();
const pool = new Pool();
"#;

const TS: &str = r#"
const apiToken{n} = "{hex}";

router.get("/users/{n}/:id", async (req: Request, res: Response) => {
  const users = await prisma.user.findMany();
  for (const u of users) {
    u.posts = await prisma.post.findMany({ where: { authorId: u.id } });
  }
  const profile = await fetch(`https://profiles.example.com/users/${req.params.id}`);
  const rates = await axios.get("https://rates.example.com/{n}");
  const cfg = fs.readFileSync("/etc/app/{n}.json", "utf8");
  const db = new PrismaClient();
  // backlint: ignore[sql-injection] name is validated upstream
  const { rows } = await pool.query(`SELECT * FROM users WHERE name = '${req.query.name}'`);
  res.json({ users, rows, cfg, rates: rates.data, profile: await profile.json(), n: await db.user.count() });
});

router.post("/events/{n}", async (req: Request, res: Response) => {
  const items: Item[] = req.body.items;
  await Promise.all(items.map(async (it) => prisma.event.create({ data: { ...it, token: apiToken{n} } })));
  await fetch("https://hooks.example.com/{n}", { method: "POST", body: JSON.stringify(items) });
  res.status(201).json(await prisma.event.findMany({ where: { batch: {n} } }));
});
"#;

const JS_HEAD: &str = r#"const express = require("express");
const axios = require("axios");
const fs = require("fs");
const { PrismaClient } = require("@prisma/client");
const mysql = require("mysql");

const app = express();
const prisma = new PrismaClient();
const conn = mysql.createConnection({ host: "db" });
"#;

const JS: &str = r#"
const sessionSecret{n} = "{hex}";

app.get("/orders/{n}", async (req, res) => {
  const orders = await prisma.order.findMany();
  for (const o of orders) {
    o.lines = await prisma.line.findMany({ where: { orderId: o.id } });
  }
  const r = await fetch("https://rates.example.com/{n}?q=" + req.query.q);
  const s = await axios.post("https://audit.example.com/{n}", { orders });
  const tpl = fs.readFileSync(__dirname + "/tpl/{n}.html", "utf8");
  conn.query("SELECT * FROM orders WHERE note = '" + req.query.note + "'", (err, rows) => {
    res.json({ orders, rows, tpl, rate: r.status, audit: s.status });
  });
});

app.post("/hooks/{n}", async (req, res) => {
  const db = mysql.createConnection({ host: "db" });
  const out = [];
  for (const id of req.body.ids) {
    out.push(await fetch(`https://users.example.com/${id}`).then((r) => r.json()));
  }
  db.end();
  res.json(out);
});
"#;

const JSW_HEAD: &str = r#"const axios = require("axios");
const fs = require("fs");
const { PrismaClient } = require("@prisma/client");
const mysql = require("mysql");

const prisma = new PrismaClient();
const conn = mysql.createConnection({ host: "db" });

module.exports = function routes(app) {
"#;

const RS_HEAD: &str = r#"use axum::{extract::{Query, State}, routing::get, Json, Router};
use serde::Deserialize;
use sqlx::PgPool;

#[derive(Deserialize)]
pub struct Params {
    name: String,
}
"#;

const RS: &str = r#"
const API_SECRET_{n}: &str = "{hex}";

pub async fn list_users_{n}(State(pool): State<PgPool>, Query(q): Query<Params>) -> Result<Json<Vec<User>>, AppError> {
    let users = sqlx::query_as::<_, User>("SELECT id, name FROM users").fetch_all(&pool).await?;
    for u in &users {
        let _posts = sqlx::query("SELECT * FROM posts WHERE author = $1").bind(u.id).fetch_all(&pool).await?;
    }
    let _body = reqwest::get("https://rates.example.com/{n}").await?.text().await?;
    let client = reqwest::Client::new();
    let _r = client.get("https://audit.example.com/{n}").bearer_auth(API_SECRET_{n}).send().await?;
    std::thread::sleep(std::time::Duration::from_millis(10));
    let other = PgPool::connect(&std::env::var("DATABASE_URL").unwrap()).await?;
    let sql = format!("SELECT * FROM users WHERE name = '{}'", q.name);
    // backlint: ignore[sql-injection] name is an enum upstream
    let _x = sqlx::query(&sql).fetch_all(&other).await?;
    Ok(Json(users))
}

pub fn routes_{n}() -> Router<PgPool> {
    Router::new().route("/users/{n}", get(list_users_{n}))
}
"#;

struct Lang {
    name: &'static str,
    ext: &'static str,
    head: &'static str,
    bodies: &'static [&'static str],
    /// Put before each line of the bodies.
    indent: &'static str,
    tail: &'static str,
}

const LANGS: &[Lang] = &[
    Lang {
        name: "py",
        ext: "py",
        head: PY_HEAD,
        bodies: PY,
        indent: "",
        tail: "",
    },
    Lang {
        name: "ts",
        ext: "ts",
        head: TS_HEAD,
        bodies: &[TS],
        indent: "",
        tail: "",
    },
    Lang {
        name: "js",
        ext: "js",
        head: JS_HEAD,
        bodies: &[JS],
        indent: "",
        tail: "",
    },
    // the same handlers registered inside one exported function (`module.exports = function`)
    Lang {
        name: "jsw",
        ext: "js",
        head: JSW_HEAD,
        bodies: &[JS],
        indent: "  ",
        tail: "};\n",
    },
    Lang {
        name: "rs",
        ext: "rs",
        head: RS_HEAD,
        bodies: &[RS],
        indent: "",
        tail: "",
    },
];

/// A deterministic 32-hex-digit value per handler (secret-like, generated, never committed).
fn hex(n: usize) -> String {
    let mut x = (n as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let mut s = String::with_capacity(32);
    for _ in 0..2 {
        x ^= x >> 31;
        x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
        s.push_str(&format!("{x:016x}"));
    }
    s
}

/// A file of `lang` of at least `bytes` bytes.
fn generate(lang: &Lang, bytes: usize) -> String {
    let mut out = String::from(lang.head);
    let mut n = 0;
    while out.len() < bytes {
        let body = lang.bodies[n % lang.bodies.len()]
            .replace("{n}", &n.to_string())
            .replace("{hex}", &hex(n));
        for line in body.split_inclusive('\n') {
            if line.trim().is_empty() {
                out.push_str(line);
            } else {
                out.push_str(lang.indent);
                out.push_str(line);
            }
        }
        n += 1;
    }
    out.push_str(lang.tail);
    out
}

/// Peak RSS in kB of a process from `/proc/<pid>/status`.
fn peak_rss_kb(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

struct Run {
    secs: f64,
    rss_kb: Option<u64>,
    timed_out: bool,
    findings: Option<usize>,
    notices: Option<usize>,
}

/// Runs `backlint check FILE ARGS` as a child process, killed after `timeout`.
fn run(file: &Path, args: &[String], timeout: Duration) -> Run {
    let exe = std::env::current_exe().expect("current exe");
    let report = file.with_extension("report.json");
    let start = Instant::now();
    let mut child = Command::new(exe)
        .arg("check")
        .arg(file)
        .args(["--format", "json", "--exit-zero", "--output"])
        .arg(&report)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let pid = child.id().to_string();
    let mut last_rss = None;
    let mut timed_out = false;
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        last_rss = peak_rss_kb(&pid).or(last_rss);
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            timed_out = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let secs = start.elapsed().as_secs_f64();
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    let rss_kb = err
        .lines()
        .find_map(|l| l.strip_prefix("bigfile-peak-rss-kb: "))
        .and_then(|v| v.trim().parse().ok())
        .or(last_rss);
    let (mut findings, mut notices) = (None, None);
    if !timed_out {
        if let Ok(text) = std::fs::read_to_string(&report) {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
                findings = v["diagnostics"].as_array().map(Vec::len);
                notices = v["notices"].as_array().map(Vec::len);
            }
        }
    }
    let _ = std::fs::remove_file(&report);
    Run {
        secs,
        rss_kb,
        timed_out,
        findings,
        notices,
    }
}

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("check") {
        // a child run: the real command line, then its peak memory
        let code = backlint::cli::run();
        if let Some(kb) = peak_rss_kb("self") {
            eprintln!("bigfile-peak-rss-kb: {kb}");
        }
        std::process::exit(code);
    }
    let langs = flag(&args, "--langs").unwrap_or_else(|| "py,ts,js,jsw,rs".into());
    let sizes: Vec<f64> = flag(&args, "--sizes")
        .unwrap_or_else(|| "1,2,4,8".into())
        .split(',')
        .map(|s| s.trim().parse().expect("--sizes: MB numbers"))
        .collect();
    let timeout = Duration::from_secs(
        flag(&args, "--timeout").map_or(120, |s| s.parse().expect("--timeout: seconds")),
    );
    let dir = PathBuf::from(flag(&args, "--dir").unwrap_or_else(|| {
        std::env::temp_dir()
            .join("backlint-bigfile")
            .display()
            .to_string()
    }));
    let per_rule = args.iter().any(|a| a == "--per-rule");
    let mut extra = Vec::new();
    if let Some(c) = flag(&args, "--config") {
        extra.extend(["--config".to_string(), c]);
    }
    std::fs::create_dir_all(&dir).expect("create --dir");

    let rules: Vec<&str> = backlint::rules::all().iter().map(|r| r.id()).collect();
    let mut variants: Vec<(String, Vec<String>)> = vec![("all rules".into(), Vec::new())];
    if per_rule {
        variants.push(("no rules".into(), vec!["--ignore".into(), rules.join(",")]));
        for r in &rules {
            variants.push(((*r).to_string(), vec!["--select".into(), (*r).to_string()]));
        }
    }

    println!(
        "{:<4} {:>4} {:>9} {:<24} {:>9} {:>9} {:>9} {:>8} {:>7}",
        "lang", "MB", "lines", "rules", "seconds", "s/MB", "peak MB", "findings", "notices"
    );
    for lang in LANGS
        .iter()
        .filter(|l| langs.split(',').any(|x| x == l.name))
    {
        for &mb in &sizes {
            let text = generate(lang, (mb * 1e6) as usize);
            let file = dir.join(format!("big_{mb}mb.{}", lang.ext));
            if args.iter().any(|a| a == "--keep") {
                let keep = dir.join(format!("keep_{mb}mb.{}", lang.ext));
                std::fs::write(&keep, &text).expect("write the generated file");
            }
            std::fs::write(&file, &text).expect("write the generated file");
            let lines = text.lines().count();
            for (name, sel) in &variants {
                let mut a = extra.clone();
                a.extend(sel.iter().cloned());
                let r = run(&file, &a, timeout);
                let secs = if r.timed_out {
                    format!(">{:.0}", r.secs)
                } else {
                    format!("{:.2}", r.secs)
                };
                let per_mb = if r.timed_out {
                    "-".to_string()
                } else {
                    format!("{:.2}", r.secs / text.len() as f64 * 1e6)
                };
                println!(
                    "{:<4} {:>4} {:>9} {:<24} {:>9} {:>9} {:>9} {:>8} {:>7}",
                    lang.name,
                    mb,
                    lines,
                    name,
                    secs,
                    per_mb,
                    r.rss_kb
                        .map_or("-".into(), |k| format!("{:.0}", k as f64 / 1024.0)),
                    r.findings.map_or("-".into(), |n| n.to_string()),
                    r.notices.map_or("-".into(), |n| n.to_string()),
                );
            }
            let _ = std::fs::remove_file(&file);
        }
    }
}
