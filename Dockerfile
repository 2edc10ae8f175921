# Mittler: every binary in one image. Run one service per container:
#   docker run … mittler-gateway       (or mittler-booking, -availability, -sessions, -notifications)
#   docker run … mittler serve         (everything in one process)
#   docker run … mittler migrate       (before a new version starts)
# Configuration: MITTLER_CONFIG=/etc/mittler/mittler.toml and MITTLER__SECTION__KEY
# variables (deploy/mittler.example.toml lists every key).

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bins \
 && mkdir /out \
 && cp target/release/mittler target/release/mittler-gateway target/release/mittler-booking \
       target/release/mittler-availability target/release/mittler-sessions \
       target/release/mittler-notifications /out/

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home mittler
COPY --from=build /out/ /usr/local/bin/
COPY deploy/mittler.example.toml /etc/mittler/mittler.toml
ENV MITTLER_CONFIG=/etc/mittler/mittler.toml \
    MITTLER__HTTP__ADDR=0.0.0.0:8080 \
    MITTLER__TELEMETRY__FORMAT=json
USER mittler
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
CMD ["mittler", "serve"]
