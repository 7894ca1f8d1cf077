//! Parse-only (the floor) against the full check, per language, on generated service code.

use std::path::Path;

use backlint::lang::{self, Dialect};
use backlint::{lint_source, Options};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const PY: &str = r#"
class OrderService{n}:
    def __init__(self, session):
        self.session = session

    def list_open(self, customer_id: int, limit: int = 50):
        rows = self.session.query(Order).filter(Order.customer_id == customer_id).limit(limit).all()
        return [{"id": r.id, "total": float(r.total), "status": r.status} for r in rows]

    def search(self, cursor, term):
        cursor.execute("SELECT id FROM orders WHERE note LIKE %s", ["%" + term + "%"])
        return cursor.fetchall()


@app.get("/orders/{n}")
async def get_orders_{n}(customer_id: int, db=Depends(get_db)):
    service = OrderService{n}(db)
    if customer_id <= 0:
        raise HTTPException(status_code=400, detail="bad customer")
    return service.list_open(customer_id)
"#;

const TS: &str = r#"
export class UserService{n} {
  constructor(private readonly prisma: PrismaClient) {}

  async findActive(take = 50): Promise<User[]> {
    return this.prisma.user.findMany({ where: { active: true }, take, include: { profile: true } });
  }
}

router.get("/users/{n}/:id", async (req: Request, res: Response) => {
  const id = Number(req.params.id);
  const { rows } = await pool.query("SELECT id, email FROM users WHERE id = $1", [id]);
  if (!rows.length) {
    return res.status(404).json({ error: "not found" });
  }
  res.json(rows.map((r) => ({ id: r.id, email: r.email })));
});
"#;

const RS: &str = r#"
pub async fn list_items_{n}(State(pool): State<PgPool>, Query(p): Query<Page>) -> Result<Json<Vec<Item>>, AppError> {
    let items = sqlx::query_as::<_, Item>("SELECT id, name FROM items ORDER BY id LIMIT $1 OFFSET $2")
        .bind(p.limit.min(100))
        .bind(p.offset)
        .fetch_all(&pool)
        .await?;
    let names: Vec<String> = items.iter().map(|i| i.name.to_uppercase()).collect();
    tracing::info!(count = names.len(), "listed items");
    Ok(Json(items))
}
"#;

fn generate(template: &str, copies: usize) -> String {
    (0..copies)
        .map(|i| template.replace("{n}", &i.to_string()))
        .collect()
}

fn bench(c: &mut Criterion) {
    let cases = [
        ("python", "svc.py", Dialect::Python, generate(PY, 300)),
        (
            "typescript",
            "svc.ts",
            Dialect::TypeScript,
            generate(TS, 300),
        ),
        ("rust", "svc.rs", Dialect::Rust, generate(RS, 300)),
    ];
    let options = Options::default();
    for (name, file, dialect, text) in &cases {
        let mut g = c.benchmark_group(*name);
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.sample_size(20);
        g.bench_function("parse", |b| b.iter(|| lang::parse_only(*dialect, text)));
        g.bench_function("parse+lower", |b| {
            b.iter(|| lang::parse(*dialect, text).is_ok())
        });
        g.bench_function("check", |b| {
            b.iter(|| {
                lint_source(Path::new(file), text, &options)
                    .diagnostics
                    .len()
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
