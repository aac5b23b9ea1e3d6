# Dockerfile -- shoal as a container image, e.g. a sidecar next to an
# application (issue 6). Two stages:
#   build:   Debian bookworm with the build packages of deps/packages.txt
#            (deps/install.sh build), `make -C src shoal-server`
#   runtime: debian:bookworm-slim with only what deploy/runtime-files lists
#            (Debian packages of the shared libraries, shoal-server,
#            /etc/shoal/shoal.conf = redis-compat.conf, the healthcheck),
#            running as the unprivileged user `shoal` (uid 10001).
#
#   podman build --format docker -t shoal:latest .   (or docker build -t ...;
#                          podman's default OCI format drops the HEALTHCHECK)
#   podman run --rm -p 6379:6379 -p 9121:9121 shoal:latest
#   podman run --rm shoal:latest /etc/shoal/shoal.conf --maxmemory 256mb
#
# Container settings come from the environment (SHOAL_<DIRECTIVE>, e.g.
# SHOAL_MAXMEMORY=256mb) or from arguments after the config file. See
# docs/CONTAINER.md for what was tried with podman/buildah, and README.md
# ("Run shoal as a sidecar") for the Kubernetes example in deploy/k8s/.

# ---- build stage ----
FROM docker.io/library/debian:bookworm AS build
WORKDIR /src
# deps first, so the package layer is cached across source changes
COPY deps/ deps/
RUN sh deps/install.sh build && rm -rf /var/lib/apt/lists/*
COPY . .
RUN make -C src -j"$(nproc)" shoal-server \
 && sh deploy/runtime-rootfs.sh --stage /out

# ---- runtime stage ----
FROM docker.io/library/debian:bookworm-slim
# the shared libraries' packages and the user, from deploy/runtime-files
COPY deploy/runtime-files deploy/runtime-rootfs.sh /tmp/deploy/
RUN sh /tmp/deploy/runtime-rootfs.sh --install && rm -rf /tmp/deploy
# shoal-server, shoal-healthcheck, /etc/shoal/shoal.conf (staged above)
COPY --from=build /out/ /

# Container overrides of shoal.conf (which binds loopback only): listen on
# every address, serve non-loopback clients without a password (the pod or
# container network is the boundary), /healthz, /readyz and /metrics on
# 9121 on every address too (Kubernetes probes come to the pod's IP).
ENV SHOAL_BIND="0.0.0.0" \
    SHOAL_PROTECTED_MODE=no \
    SHOAL_METRICS_PORT=9121 \
    SHOAL_METRICS_BIND="0.0.0.0"

# the user shoal, by number so that Kubernetes' runAsNonRoot can check it
# (the uid of deploy/runtime-files: tests/integration/container.tcl checks)
USER 10001:10001
# clients; cluster membership (SWIM over UDP and TCP); metrics and probes
EXPOSE 6379/tcp 16379/tcp 16379/udp 9121/tcp
# bash's /dev/tcp: bookworm-slim has no curl or wget
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 \
    CMD ["/usr/local/bin/shoal-healthcheck", "/healthz"]
# shoal handles SIGTERM itself (leaves the cluster, then exits)
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/shoal-server"]
CMD ["/etc/shoal/shoal.conf"]
