//! What a request tells about its reader beyond the link: where (geo) and from which
//! address (behind trusted proxies). Nothing here knows of HTTP frameworks or Redis.

pub mod client_ip;
pub mod geo;
