# Cadenza on Debian 12 (bookworm), in two stages:
#   build    the toolchain (scripts/setup: compilers, -dev libraries, Debian's nodejs 18 + npm) builds the
#            binary with the browser app embedded (CADENZA_BUILD_WEB=ON: the build fails rather than
#            embed a placeholder)
#   runtime  only the binary, the libraries it links (the packages below; scripts/check-runtime-image
#            checks the list against `ldd`), the Basic Pitch weights and the GM soundfont
#   docker build -t cadenza .
#   docker run -p 8080:8080 -v cadenza-data:/data cadenza        # then open http://localhost:8080
FROM debian:bookworm AS build
ENV DEBIAN_FRONTEND=noninteractive PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends ca-certificates curl gnupg \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY scripts/setup scripts/setup
COPY web/package.json web/package-lock.json web/
COPY models/package.json models/package-lock.json models/
RUN scripts/setup
COPY . .
RUN scripts/build --target cadenza && install -m 0755 build/cadenza /usr/local/bin/cadenza

FROM debian:bookworm-slim AS runtime
ENV DEBIAN_FRONTEND=noninteractive
# runtime-packages (scripts/check-runtime-image reads this list up to the blank line)
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends \
      ca-certificates curl \
      libsqlite3-0 libsodium23 libssl3 libcurl4 libfmt9 libspdlog1.10 libtomlplusplus3 \
      libsndfile1 libsamplerate0 libsoxr0 libfluidsynth3 libopus0 libogg0 libtag1v5 libebur128-1 \
      libtorch1.13 libopenblas0-pthread \
      fluid-soundfont-gm fluidsynth lilypond \
 && rm -rf /var/lib/apt/lists/*

COPY --from=build /usr/local/bin/cadenza /usr/local/bin/cadenza
# The transcriber's weights sit where the binary was told they are (CADENZA_MODELS_DIR = /src/models).
COPY --from=build /src/models/node_modules/@spotify/basic-pitch/model /src/models/node_modules/@spotify/basic-pitch/model
COPY --from=build /src/config/cadenza.toml /etc/cadenza/cadenza.toml
RUN useradd --system --home-dir /data --shell /usr/sbin/nologin cadenza \
 && mkdir -p /data && chown cadenza:cadenza /data
USER cadenza
ENV CADENZA_SERVER_HOST=0.0.0.0 \
    CADENZA_STORAGE_DATA_DIR=/data
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD curl -sf http://127.0.0.1:8080/api/health || exit 1
CMD ["cadenza", "serve", "--config", "/etc/cadenza/cadenza.toml"]
