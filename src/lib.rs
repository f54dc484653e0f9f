//! sharetrail: share links per private channel, and the clicks and previews they bring.

pub mod cli;
pub mod config;
pub mod domain;
pub mod error;
pub mod routes;
pub mod shares;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
