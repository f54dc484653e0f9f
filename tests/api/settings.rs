//! Settings errors at startup, through the real binary.

use std::process::Command;

fn sharetrail(env: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sharetrail"));
    for (name, _) in std::env::vars().filter(|(n, _)| n.starts_with("SHARETRAIL_")) {
        command.env_remove(name);
    }
    command.envs(env.iter().copied()).args(args).output().expect("binary runs")
}

#[test]
fn a_malformed_setting_stops_startup_naming_it() {
    for (var, value, named) in [
        ("SHARETRAIL_LISTEN", "nowhere", "listen"),
        ("SHARETRAIL_PUBLIC_URL", "s.example.com", "public_url"),
        ("SHARETRAIL_REDIS_URL", "postgres://db", "redis.url"),
        ("SHARETRAIL_CODE_LENGTH", "many", "SHARETRAIL_CODE_LENGTH"),
    ] {
        let output = sharetrail(&[(var, value)], &["check-config"]);
        assert_eq!(output.status.code(), Some(2), "{var}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(named), "{var}: {stderr}");
    }
}

#[test]
fn a_missing_config_file_stops_startup() {
    let output = sharetrail(&[], &["--config", "/nonexistent/sharetrail.toml", "check-config"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent/sharetrail.toml"));
}

#[test]
fn check_config_warns_about_no_allowed_hosts_and_never_prints_secrets() {
    let output = sharetrail(
        &[("SHARETRAIL_API_TOKEN", "very-secret-token"), ("SHARETRAIL_REDIS_URL", "redis://:hunter2@127.0.0.1:1")],
        &["check-config"],
    );
    assert!(output.status.success());
    let all = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(all.contains("SHARETRAIL_ALLOWED_HOSTS"), "{all}");
    assert!(!all.contains("very-secret-token") && !all.contains("hunter2"), "{all}");
}

#[test]
fn help_lists_every_setting_variable() {
    let output = sharetrail(&[], &["--help"]);
    let help = String::from_utf8_lossy(&output.stdout);
    for var in sharetrail::config::ENV_VARS {
        assert!(help.contains(var.name), "{} missing from --help", var.name);
    }
    assert!(help.contains("serve") && help.contains("check-config"));
}

#[test]
fn geoip_update_without_a_target_names_the_setting() {
    let output = sharetrail(&[], &["geoip", "update"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("SHARETRAIL_GEOIP_DB"));
}

#[test]
fn a_geoip_database_that_does_not_open_stops_startup() {
    let output = sharetrail(&[("SHARETRAIL_GEOIP_DB", "/nonexistent/city.mmdb")], &["serve"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("geo.db"), "{stderr}");
}
