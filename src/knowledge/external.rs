//! Work that each item needs on its own and that costs far more than a database round trip:
//! file and blob storage transfers, outbound HTTP and model-API calls, and processing a
//! document's or an image's bytes (PDF, raster images, headless browsers). `n-plus-one-query`
//! reads it: a query that loads what such work needs, or stores what it produced, is one step of
//! a per-item pipeline whose cost batching the query would not change.
//!
//! A call is such work when its callee comes from a library below (through the file's imports,
//! a Rust crate path, or a module-level client built from one), is an HTTP request as
//! [`http_clients::api`] knows it, or is a storage transfer method whose name says so
//! (`put_object`, `upload_fileobj`, `getObject`). A function of the project does such work when
//! its body makes such a call, directly or through functions of its own file.
//!
//! Email and message sends are not in the list: the project usually queues them, and a query
//! next to one is still worth batching.

use std::collections::HashSet;

use crate::ast::{Ast, Kind, Lang, NodeId, ROOT};
use crate::imports::{function_name, Imports};
use crate::knowledge::http_clients;

/// TypeScript/JavaScript packages. An unscoped name also matches a fork published under a scope
/// (`@acme/pdf-lib`).
const TS_MODULES: &[&str] = &[
    // object storage
    "@aws-sdk/client-s3",
    "@aws-sdk/lib-storage",
    "aws-sdk",
    "@google-cloud/storage",
    "@azure/storage-blob",
    "@vercel/blob",
    "minio",
    "ali-oss",
    // documents and images
    "pdf-lib",
    "@libpdf/core",
    "pdfkit",
    "pdfmake",
    "pdfjs-dist",
    "pdf-parse",
    "@react-pdf/renderer",
    "sharp",
    "jimp",
    "canvas",
    "skia-canvas",
    "@napi-rs/canvas",
    "gm",
    "tesseract.js",
    "puppeteer",
    "puppeteer-core",
    "playwright",
    "playwright-core",
    // model APIs
    "openai",
    "@anthropic-ai/sdk",
    "ai",
    "@ai-sdk",
    "@google/generative-ai",
    "@google/genai",
    "@mistralai/mistralai",
    "cohere-ai",
];

/// Python modules.
const PY_MODULES: &[&str] = &[
    "boto3",
    "aioboto3",
    "botocore",
    "aiobotocore",
    "google.cloud.storage",
    "azure.storage.blob",
    "minio",
    "s3fs",
    "smart_open",
    "django.core.files.storage",
    "PIL",
    "pypdf",
    "PyPDF2",
    "fitz",
    "pymupdf",
    "pdfplumber",
    "pdf2image",
    "reportlab",
    "weasyprint",
    "pdfkit",
    "wand",
    "cv2",
    "pytesseract",
    "playwright",
    "pyppeteer",
    "openai",
    "anthropic",
    "google.generativeai",
    "cohere",
    "litellm",
];

/// Rust crates.
const RS_CRATES: &[&str] = &[
    "aws_sdk_s3",
    "rusoto_s3",
    "object_store",
    "google_cloud_storage",
    "azure_storage_blobs",
    "s3",
    "image",
    "lopdf",
    "printpdf",
    "pdfium_render",
    "resvg",
    "headless_chrome",
    "chromiumoxide",
    "async_openai",
];

/// Methods that move a file to or from storage, whatever the receiver (an S3 client built
/// elsewhere, a bucket handle): boto3, aws-sdk (v2 and Rust), Azure and Google Cloud Storage.
const TRANSFER_METHODS: &[&str] = &[
    "put_object",
    "get_object",
    "copy_object",
    "upload_fileobj",
    "download_fileobj",
    "upload_file",
    "download_file",
    "upload_blob",
    "download_blob",
    "upload_from_string",
    "upload_from_filename",
    "upload_from_file",
    "download_as_bytes",
    "download_as_text",
    "download_to_filename",
    "putObject",
    "getObject",
    "copyObject",
    "uploadData",
    "uploadStream",
    "downloadToBuffer",
];

/// Whether a qualified import (`@libpdf/core.PDF`, `PIL.Image`, `aws_sdk_s3::Client`) comes
/// from one of `modules`.
fn from_modules(q: &str, modules: &[&str]) -> bool {
    let starts = |q: &str, m: &str| {
        q.strip_prefix(m)
            .is_some_and(|r| r.is_empty() || r.starts_with(['.', '/', ':']))
    };
    if modules.iter().any(|m| starts(q, m)) {
        return true;
    }
    // `@acme/pdf-lib`: a fork of an unscoped package
    match q.strip_prefix('@').and_then(|r| r.split_once('/')) {
        Some((_, rest)) => modules
            .iter()
            .any(|m| !m.starts_with('@') && starts(rest, m)),
        None => false,
    }
}

fn modules(lang: Lang) -> &'static [&'static str] {
    match lang {
        Lang::TypeScript => TS_MODULES,
        Lang::Python => PY_MODULES,
        Lang::Rust => RS_CRATES,
    }
}

/// The first segment of a call's callee chain (`PDF` in `PDF.load(..)`, `sharp` in
/// `sharp(buf).resize(..).toBuffer()`, `image::open` for a Rust path).
fn root_name(ast: &Ast, call: NodeId) -> Option<&str> {
    match ast.kind(ast.chain_root(http_clients::callee_of(ast, call))) {
        Kind::Name(n) => Some(n.as_str()),
        _ => None,
    }
}

/// Whether `name` comes from a library of the table: imported from one, a Rust crate path, or
/// a module-level value built from one (`s3 = boto3.client("s3")`).
fn library_name(ast: &Ast, imports: &Imports, name: &str) -> bool {
    let head = name.split([':', '.']).next().unwrap_or(name);
    let table = modules(ast.lang);
    if let Some(q) = imports.get(head) {
        return from_modules(q, table);
    }
    if ast.lang == Lang::Rust && name.contains("::") {
        return table.contains(&head);
    }
    // a client built once at module level
    let clients = ast.memo("external:module-clients", ROOT, || {
        ast.children(ROOT)
            .filter_map(|s| match ast.kind(s) {
                Kind::Assign {
                    target,
                    value: Some(v),
                    ..
                } => match ast.kind(*target) {
                    Kind::Name(t)
                        if ast.subtree(*v).any(|i| {
                            ast.call(i).is_some()
                                && root_name(ast, i).is_some_and(|r| {
                                    let h = r.split([':', '.']).next().unwrap_or(r);
                                    imports.get(h).is_some_and(|q| from_modules(q, table))
                                })
                        }) =>
                    {
                        Some(t.clone())
                    }
                    _ => None,
                },
                _ => None,
            })
            .collect::<HashSet<String>>()
    });
    clients.contains(head)
}

/// What kind of per-item external work a call is, if any: `"an HTTP request"`, `"a storage
/// transfer"`, or `"a library call"` (documents, images, model APIs, storage SDKs).
pub fn external_call(ast: &Ast, imports: &Imports, call: NodeId) -> Option<&'static str> {
    let c = ast.call(call)?;
    if c.is_macro {
        return None;
    }
    if ast
        .callee_name(c)
        .is_some_and(|n| TRANSFER_METHODS.contains(&n))
        && ast.receiver(c).is_some()
    {
        return Some("a storage transfer");
    }
    if http_clients::api(ast, imports, call).is_some_and(|a| a.role == http_clients::Role::Request)
    {
        return Some("an HTTP request");
    }
    // the project's own `fetch` wrapper (`import fetch from "@/utils/fetch"`) still fetches
    if ast.lang == Lang::TypeScript
        && matches!(ast.kind(http_clients::callee_of(ast, call)), Kind::Name(n) if n == "fetch")
    {
        return Some("an HTTP request");
    }
    let root = root_name(ast, call)?;
    library_name(ast, imports, root).then_some("a library call")
}

/// The functions of a file whose body does per-item external work, directly or through other
/// functions of the file it calls (by name, or as `this.x`/`self.x`), by name.
pub fn working_functions(ast: &Ast, imports: &Imports) -> Vec<String> {
    let owner = |id: NodeId| {
        ast.function_ancestors(id)
            .find_map(|a| function_name(ast, a))
    };
    let mut working: HashSet<String> = HashSet::new();
    // (calling function, called name)
    let mut edges: Vec<(String, String)> = Vec::new();
    for id in 0..ast.nodes.len() as NodeId {
        let Some(c) = ast.call(id) else { continue };
        if external_call(ast, imports, id).is_some() {
            if let Some(o) = owner(id) {
                working.insert(o);
            }
            continue;
        }
        let called = match ast.kind(c.callee) {
            Kind::Name(n) if !n.contains("::") => Some(n.clone()),
            Kind::Member { object, property } => matches!(ast.kind(*object),
                Kind::Name(o) if matches!(o.as_str(), "this" | "self" | "cls"))
            .then(|| property.clone()),
            _ => None,
        };
        if let (Some(called), Some(o)) = (called, owner(id)) {
            if called != o {
                edges.push((o, called));
            }
        }
    }
    loop {
        let before = working.len();
        for (from, to) in &edges {
            if working.contains(to) && !working.contains(from) {
                working.insert(from.clone());
            }
        }
        if working.len() == before {
            break;
        }
    }
    let mut out: Vec<String> = working.into_iter().collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_match_on_segment_boundaries_and_scoped_forks() {
        assert!(from_modules("@libpdf/core.PDF", TS_MODULES));
        assert!(from_modules("@acme/pdf-lib.PDFDocument", TS_MODULES));
        assert!(from_modules("pdfjs-dist/legacy/build/pdf.mjs", TS_MODULES));
        assert!(from_modules("@ai-sdk/openai.createOpenAI", TS_MODULES));
        assert!(!from_modules("aiohttp", TS_MODULES));
        assert!(!from_modules("@acme/lib/upload", TS_MODULES));
        assert!(from_modules("PIL.Image", PY_MODULES));
        assert!(!from_modules("PILLOW_HELPERS", PY_MODULES));
        assert!(from_modules("aws_sdk_s3::Client", RS_CRATES));
    }
}
