# syntax=docker/dockerfile:1
# Multi-stage build: dependencies are compiled in a layer of their own, so a code change
# rebuilds only sharetrail; the runtime image holds the binary, templates and config.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
# Build the dependency tree once against an empty crate; this layer stays cached until
# Cargo.toml or Cargo.lock change.
RUN mkdir -p src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && cargo build --release --locked && rm -rf src
COPY src src
COPY templates templates
COPY config config
RUN touch src/main.rs src/lib.rs && cargo build --release --locked

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/sharetrail --create-home sharetrail
COPY --from=build /src/target/release/sharetrail /usr/local/bin/sharetrail
COPY --from=build /src/config /etc/sharetrail
WORKDIR /var/lib/sharetrail
USER sharetrail
ENV SHARETRAIL_LISTEN=0.0.0.0:8080 \
    SHARETRAIL_DATA_DIR=/var/lib/sharetrail/data
# The click spool lives in the data folder; the GeoIP database is mounted read-only.
VOLUME ["/var/lib/sharetrail/data", "/var/lib/sharetrail/geoip"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["/usr/local/bin/sharetrail"]
CMD ["serve"]
