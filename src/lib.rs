//! sharetrail: share links per private channel, and the clicks and previews they bring.

pub mod cli;
pub mod clicks;
pub mod config;
pub mod domain;
pub mod enrich;
pub mod error;
pub mod qr;
pub mod rate_limit;
pub mod routes;
pub mod scheduling;
pub mod shares;
pub mod startup;
pub mod stats;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod throttle;
pub mod widget;
