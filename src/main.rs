use sharetrail::cli::{Cli, Command, GeoipAction};
use sharetrail::config::Settings;
use sharetrail::enrich::geoip_update::{self, UpdateSettings};
use sharetrail::startup::Application;
use sharetrail::telemetry;
use std::process::ExitCode;

fn main() -> ExitCode {
    match sharetrail::startup::runtime() {
        Ok(runtime) => runtime.block_on(run()),
        Err(e) => {
            eprintln!("sharetrail: cannot start the async runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> ExitCode {
    let cli = Cli::parse_args();
    let env = std::env::vars().collect();
    let (settings, warnings) = match Settings::load(cli.config.as_deref(), &env) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("sharetrail: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(settings.log_json);
    for warning in warnings {
        tracing::warn!("{warning}");
    }
    match cli.command.unwrap_or(Command::Serve) {
        Command::CheckConfig => {
            sharetrail::startup::describe(&settings);
            ExitCode::SUCCESS
        }
        Command::Serve => serve(settings).await,
        Command::HashPassword => hash_password(),
        Command::Geoip { action: GeoipAction::Update } => update_geoip(&settings).await,
    }
}

/// Prints the argon2 hash of the first line of standard input.
fn hash_password() -> ExitCode {
    let mut line = String::new();
    if let Err(e) = std::io::stdin().read_line(&mut line) {
        eprintln!("sharetrail: cannot read the password from standard input: {e}");
        return ExitCode::from(2);
    }
    match sharetrail::domain::password::hash(line.trim_end_matches(['\r', '\n'])) {
        Ok(phc) => {
            println!("{phc}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sharetrail: {e}");
            ExitCode::from(2)
        }
    }
}

async fn update_geoip(settings: &Settings) -> ExitCode {
    let Some(target) = settings.geo.db.clone() else {
        eprintln!("sharetrail: set SHARETRAIL_GEOIP_DB (geo.db) to where the database should go");
        return ExitCode::from(2);
    };
    let mut update = UpdateSettings::new(target, settings.geo.maxmind_license_key.clone());
    if let Some(base) = &settings.geo.download_url {
        update.download_base = base.clone();
    }
    match geoip_update::update(&update).await {
        Ok(report) => {
            println!(
                "installed {} ({}, {} bytes, built {}) at {}",
                report.database_type,
                report.source,
                report.bytes,
                report.build_epoch,
                update.target.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sharetrail: geoip update failed: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings) -> ExitCode {
    sharetrail::startup::describe(&settings);
    let app = match Application::build(settings).await {
        Ok(app) => app,
        Err(e) => {
            tracing::error!("{e}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(port = app.port(), "sharetrail is serving");
    match app.run_until_signalled().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "server stopped with an error");
            ExitCode::FAILURE
        }
    }
}
