# Cadenza on Debian 12 (bookworm): the same scripts as a bare machine, the same binary.
#   docker build -t cadenza .
#   docker run -p 8080:8080 -v cadenza-data:/data cadenza
FROM debian:bookworm
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends ca-certificates curl gnupg \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY scripts/setup scripts/setup
COPY web/package.json web/package-lock.json web/
COPY models/package.json models/package-lock.json models/
RUN scripts/setup
COPY . .
RUN scripts/build && install -m 0755 build/cadenza /usr/local/bin/cadenza
ENV CADENZA_SERVER_HOST=0.0.0.0 \
    CADENZA_STORAGE_DATA_DIR=/data
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD curl -sf http://127.0.0.1:8080/api/health || exit 1
CMD ["cadenza", "serve", "--config", "/src/config/cadenza.toml"]
