//! Black-box tests of the HTTP API against a real Redis.

mod admin;
mod admin_reports;
mod admin_client;
mod browser;
mod clicks;
mod faults;
mod health;
mod helpers;
mod intents;
mod links;
mod page_server;
mod public_shares;
mod qr;
mod redirect;
mod scale;
mod settings;
mod shares;
mod stats;
mod shares_bad_input;
mod widget;
mod widget_browser;
