//! The baseline of `scripts/bench`: a bare actix-web server that answers every `GET /{code}`
//! with a fixed 302 carrying the same headers as sharetrail's redirect (`Location`,
//! `Cache-Control`, `Referrer-Policy`), with no lookup and no click recording. Built in the
//! same profile and run with the same worker count, it is what the redirect is measured
//! against. Usage:
//!
//!     cargo run --release --example bare_redirect -- 127.0.0.1:8090 [workers]
//!
//! `workers` defaults to `SHARETRAIL_WORKERS`, and 0 or unset means one per core, as in
//! sharetrail.

use actix_web::http::header;
use actix_web::{App, HttpResponse, HttpServer, web};

/// A target of the length sharetrail's redirects have (a page plus three UTM tags).
const LOCATION: &str = "https://example.com/blog/2026/11/a-post-with-a-typical-slug?utm_source=whatsapp&utm_medium=dark-social&utm_campaign=bench";

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let listen = args.next().unwrap_or_else(|| "127.0.0.1:8090".to_owned());
    let workers = args
        .next()
        .or_else(|| std::env::var("SHARETRAIL_WORKERS").ok())
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    println!("bare_redirect on {listen} with {workers} workers");
    HttpServer::new(|| App::new().route("/{code}", web::get().to(redirect)))
        .workers(workers)
        .bind(&listen)?
        .run()
        .await
}

/// The same route shape as sharetrail's (the code is extracted), the same answer shape.
async fn redirect(_code: web::Path<String>) -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, LOCATION))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((header::REFERRER_POLICY, "no-referrer-when-downgrade"))
        .finish()
}
