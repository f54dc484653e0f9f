use sharetrail::cli::{Cli, Command};
use sharetrail::config::Settings;
use sharetrail::startup::Application;
use sharetrail::telemetry;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
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
    match app.run_until_stopped().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "server stopped with an error");
            ExitCode::FAILURE
        }
    }
}
