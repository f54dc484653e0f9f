# syntax=docker/dockerfile:1
# Multi-stage build: dependencies are compiled in a layer of their own, so a code change
# rebuilds only sharetrail; the runtime image holds the binary and the reference config
# (templates, CSS and the default config are compiled into the binary).
# Build: docker build -t sharetrail .   (see docs/operations.md)
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
# Build the dependency tree once against empty targets (the manifest names the bin and the
# examples, so each must exist); this layer stays cached until Cargo.toml or Cargo.lock change.
RUN mkdir -p src examples \
    && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && echo 'fn main() {}' > examples/redis_memory.rs && echo 'fn main() {}' > examples/stats_bench.rs \
    && cargo build --release --locked --bin sharetrail \
    && rm -rf src examples
COPY src src
COPY templates templates
COPY assets assets
COPY config config
COPY examples examples
RUN touch src/main.rs src/lib.rs && cargo build --release --locked --bin sharetrail

FROM debian:bookworm-slim
# Unpinned on purpose: the security updates of bookworm's ca-certificates and curl should
# come with every rebuild.
# hadolint ignore=DL3008
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 sharetrail \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/sharetrail --create-home sharetrail \
    && mkdir -p /var/lib/sharetrail/data/spool /var/lib/sharetrail/geoip \
    && chown -R 10001:10001 /var/lib/sharetrail
COPY --from=build /src/target/release/sharetrail /usr/local/bin/sharetrail
COPY --from=build /src/config /etc/sharetrail
WORKDIR /var/lib/sharetrail
USER 10001:10001
ENV SHARETRAIL_LISTEN=0.0.0.0:8080 \
    SHARETRAIL_DATA_DIR=/var/lib/sharetrail/data
# The click spool lives in the data folder (keep it: it holds clicks while Redis is away);
# the GeoIP database is mounted read-only (SHARETRAIL_GEOIP_DB=/var/lib/sharetrail/geoip/…).
VOLUME ["/var/lib/sharetrail/data", "/var/lib/sharetrail/geoip"]
EXPOSE 8080
# SIGTERM stops sharetrail gracefully within SHARETRAIL_SHUTDOWN_SECONDS (default 10):
# give the container more than that before it is killed (`docker stop -t 30`, compose's
# stop_grace_period).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["/usr/local/bin/sharetrail"]
CMD ["serve"]
