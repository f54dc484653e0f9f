//! Black-box tests of the HTTP API against a real Redis.

mod abuse;
mod admin;
mod admin_reports;
mod admin_client;
mod binary;
mod browser;
mod clicks;
mod deploy;
mod faults;
mod health;
mod helpers;
mod links;
mod logs;
mod metrics;
mod openapi;
mod redirect;
mod restarts;
mod settings;
mod shares;
mod stats;
mod shares_bad_input;
