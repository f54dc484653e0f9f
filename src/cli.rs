//! The command line: `sharetrail [serve]`, `sharetrail check-config`, `sharetrail hash-password`,
//! `sharetrail geoip update`.

use crate::config::ENV_VARS;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::path::PathBuf;

/// Self-hosted dark-social measurement: one short link per private channel (WhatsApp,
/// e-mail, SMS, Slack, …), with clicks, link previews and forwards recorded in Redis.
#[derive(Debug, Parser)]
#[command(name = "sharetrail", version)]
pub struct Cli {
    /// A TOML file whose keys override the built-in defaults (see config/default.toml).
    #[arg(long, global = true, env = "SHARETRAIL_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service (the default when no subcommand is given).
    Serve,
    /// Load and check the settings, print a summary without secrets, and exit.
    CheckConfig,
    /// Read a password from standard input and print its argon2 hash, for
    /// SHARETRAIL_ADMIN_PASSWORD_HASH (admin_password_hash), so no file holds the password.
    HashPassword,
    /// Manage the GeoIP database.
    Geoip {
        #[command(subcommand)]
        action: GeoipAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum GeoipAction {
    /// Download GeoLite2-City (with SHARETRAIL_MAXMIND_LICENSE_KEY) or DB-IP City Lite
    /// (without), check that it opens, and swap it in at SHARETRAIL_GEOIP_DB atomically;
    /// a running sharetrail picks it up without a restart.
    Update,
}

impl Cli {
    /// Parses the arguments; `--help` lists every setting's environment variable.
    pub fn parse_args() -> Cli {
        let mut settings_help = String::from(
            "Settings: built-in defaults < --config FILE < environment. Every key is documented in config/default.toml.\n\nEnvironment variables:\n",
        );
        for var in ENV_VARS {
            settings_help.push_str(&format!("  {:<40} {}\n", var.name, var.path));
        }
        settings_help.push_str("  SHARETRAIL_LOG                           log filter, e.g. info or sharetrail=debug\n");
        let matches = Cli::command().after_long_help(settings_help).get_matches();
        Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
    }
}
