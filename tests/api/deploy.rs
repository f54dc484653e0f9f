//! The deployment files, checked without a Docker engine: the Dockerfile builds from what
//! it copies, runs as a non-root user with a health check and volumes; compose and the
//! run script keep Redis append-only. (scripts/test also runs hadolint when it installs.)

use std::path::Path;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn read(file: &str) -> String {
    std::fs::read_to_string(Path::new(ROOT).join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// The Dockerfile's instructions, continuation lines joined, comments dropped.
fn instructions() -> Vec<String> {
    let text = read("Dockerfile").replace("\\\n", " ");
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_owned).collect()
}

/// The instructions of the last stage (the runtime image).
fn runtime_stage(all: &[String]) -> &[String] {
    let last_from = all.iter().rposition(|l| l.starts_with("FROM ")).expect("a FROM");
    &all[last_from..]
}

/// Folders the build stage copies into the image.
fn copied_folders(all: &[String]) -> Vec<String> {
    all.iter()
        .filter(|l| l.starts_with("COPY ") && !l.contains("--from"))
        .flat_map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().split_last().map(|(_, sources)| sources.to_vec()).unwrap_or_default())
        .map(|s| s.trim_end_matches('/').to_owned())
        .collect()
}

#[test]
fn the_dockerfile_is_multi_stage_with_a_cached_dependency_layer() {
    let all = instructions();
    let stages = all.iter().filter(|l| l.starts_with("FROM ")).count();
    assert!(stages >= 2, "multi-stage: {stages} stage(s)");
    let manifests = all.iter().position(|l| l.starts_with("COPY Cargo.toml Cargo.lock")).expect("the manifests are copied alone first");
    let dependencies = all.iter().position(|l| l.starts_with("RUN ") && l.contains("cargo build")).expect("a dependency build");
    let sources = all.iter().position(|l| l == "COPY src src").expect("the sources are copied");
    assert!(manifests < dependencies && dependencies < sources, "dependencies build before the sources are copied");
}

#[test]
fn the_dockerfile_copies_everything_the_build_reads() {
    let copied = copied_folders(&instructions());
    // Every file compiled in with include_str!/include_bytes! lives in a copied folder.
    let mut missing = Vec::new();
    for file in walk(&Path::new(ROOT).join("src")) {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for include in text.split("include_str!(\"").chain(text.split("include_bytes!(\"")).skip(1) {
            let Some(relative) = include.split('"').next() else { continue };
            let target = file.parent().expect("parent").join(relative);
            let Ok(target) = target.canonicalize() else { continue };
            let top = target.strip_prefix(ROOT).ok().and_then(|p| p.components().next()).map(|c| c.as_os_str().to_string_lossy().into_owned());
            if let Some(top) = top.filter(|t| !copied.contains(t)) {
                missing.push(format!("{} needs {top}/", file.display()));
            }
        }
    }
    // askama reads templates/ at compile time; the manifest names examples/.
    for needed in ["src", "templates", "config", "examples"] {
        if !copied.contains(&needed.to_owned()) {
            missing.push(format!("the build needs {needed}/"));
        }
    }
    assert!(missing.is_empty(), "not copied into the build stage: {missing:?} (copied: {copied:?})");
}

#[test]
fn the_runtime_image_runs_as_a_non_root_user_with_health_check_volumes_and_config() {
    let all = instructions();
    let runtime = runtime_stage(&all);
    let user = runtime.iter().rev().find_map(|l| l.strip_prefix("USER ")).expect("a USER in the runtime stage");
    assert!(!["root", "0", "0:0"].contains(&user.trim()), "runs as {user}");
    let health = runtime.iter().find(|l| l.starts_with("HEALTHCHECK ")).expect("a HEALTHCHECK");
    assert!(health.contains("/healthz"), "{health}");
    let volumes = runtime.iter().find(|l| l.starts_with("VOLUME ")).expect("a VOLUME");
    assert!(volumes.contains("/var/lib/sharetrail/data") && volumes.contains("geoip"), "spool and mmdb volumes: {volumes}");
    assert!(runtime.iter().any(|l| l.contains("SHARETRAIL_DATA_DIR=/var/lib/sharetrail/data")), "the spool is in the data volume");
    assert!(runtime.iter().any(|l| l.starts_with("COPY --from=build") && l.contains("/config")), "the config is inside");
    assert!(runtime.iter().any(|l| l.starts_with("COPY --from=build") && l.contains("release/sharetrail")), "the binary");
    assert!(read(".dockerignore").lines().any(|l| l.trim() == "target"), "target/ stays out of the build context");
}

#[test]
fn compose_and_the_run_script_keep_redis_append_only() {
    let compose = read("docker-compose.yml");
    let redis = compose.split("\n  sharetrail:").next().expect("a redis service first");
    assert!(redis.contains("redis-server") && redis.contains("--appendonly\", \"yes\""), "compose's Redis is append-only");
    assert!(redis.contains("redis-data:/data"), "on a volume");
    let sharetrail = compose.split("\n  sharetrail:").nth(1).expect("a sharetrail service");
    assert!(sharetrail.contains("SHARETRAIL_REDIS_URL: redis://redis:6379") && sharetrail.contains("service_healthy"));
    assert!(sharetrail.contains("stop_grace_period"), "time for the graceful stop");
    assert!(read("scripts/run").contains("--appendonly yes"), "scripts/run's Redis is append-only");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

#[test]
fn the_operations_guide_documents_every_setting() {
    let guide = read("docs/operations.md");
    let readme = read("README.md");
    let missing: Vec<&str> = sharetrail::config::ENV_VARS.iter().map(|v| v.name).filter(|name| !guide.contains(&format!("`{name}`"))).collect();
    assert!(missing.is_empty(), "docs/operations.md lacks {missing:?}");
    assert!(readme.contains("docs/operations.md"), "the README points to the guide");
}
