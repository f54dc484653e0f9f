//! What a request tells about its reader beyond the link: where (geo) and from which
//! address (behind trusted proxies), and keeping the geo database up to date. Nothing here
//! knows of the web framework or of Redis.

pub mod client_ip;
pub mod geo;
pub mod geoip_update;
