//! A tiny web server for one HTML page, standing in for a site that embeds the widget:
//! its own origin (127.0.0.1 on a port of its own), loopback only.

use std::net::TcpListener;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A bound listener, so the page's origin is known before the app (which must allow
/// it) and the page (which must name the app) exist.
pub struct PageServer {
    listener: TcpListener,
    pub origin: String,
}

impl PageServer {
    pub fn bind() -> PageServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the page server");
        let origin = format!("http://127.0.0.1:{}", listener.local_addr().expect("address").port());
        PageServer { listener, origin }
    }

    /// Serves `html` for every path but /favicon.ico, until the test ends.
    pub fn serve(self, html: String) {
        self.listener.set_nonblocking(true).expect("nonblocking");
        let listener = tokio::net::TcpListener::from_std(self.listener).expect("tokio listener");
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let html = html.clone();
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buffer = [0u8; 4096];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buffer[..n]),
                        }
                    }
                    let favicon = request.starts_with(b"GET /favicon.ico ");
                    let (status, body) = if favicon { ("404 Not Found", String::new()) } else { ("200 OK", html) };
                    let head = format!("HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
                    let _ = socket.write_all(head.as_bytes()).await;
                    let _ = socket.write_all(body.as_bytes()).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
    }
}
