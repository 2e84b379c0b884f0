# syntax=docker/dockerfile:1
#
# Bulwark in a container: a static binary on distroless, running as the
# image's unprivileged "nonroot" account (uid 65532).
#
#   docker build -t bulwark .
#   docker run -d --name bulwark \
#     -p 2121:2121 -p 2990:2990 -p 50000-50099:50000-50099 \
#     -v bulwark-data:/var/lib/bulwark \
#     bulwark serve --public-address 203.0.113.10
#
# See docs/deployment.md for the configuration, the admin API and upgrades.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# CGO_ENABLED=0: a static binary that needs no C library in the image.
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/usr/local/bin/bulwark ./cmd/bulwark
# The configuration the image runs with. Mount a file of your own over it
# (-v ./bulwark.toml:/etc/bulwark/bulwark.toml:ro) to change it.
RUN mkdir -p /out/etc/bulwark /out/data && cat > /out/etc/bulwark/bulwark.toml <<'TOML'
# Bulwark in a container. Every key and its default: bulwark config default
data_dir = "/var/lib/bulwark"

[server]
listen = "0.0.0.0:2121"
implicit_listen = "0.0.0.0:2990"

[passive]
# Publish the same range: docker run -p 50000-50099:50000-50099
ports = "50000-50099"
# Set to the address clients connect to (the host's public address), here
# or with serve --public-address.
public_address = ""

[admin]
# Loopback inside the container: not reachable from outside it, even with
# -p 9121:9121. See docs/deployment.md to publish it safely.
listen = "127.0.0.1:9121"
TOML

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/usr/local/bin/bulwark /usr/local/bin/bulwark
COPY --from=build /out/etc/bulwark/bulwark.toml /etc/bulwark/bulwark.toml
# The volume's mount point belongs to nonroot, so a new named volume does too.
COPY --from=build --chown=nonroot:nonroot /out/data /var/lib/bulwark
VOLUME ["/var/lib/bulwark"]
# Explicit FTPS, implicit FTPS, passive data ports.
EXPOSE 2121 2990 50000-50099
USER nonroot:nonroot
# The working directory holds bulwark.toml, so that "docker exec <name>
# bulwark user add alice" finds the configuration too.
WORKDIR /etc/bulwark
# SIGTERM drains: docker stop -t should exceed server.shutdown_timeout (30s).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/bulwark", "--config", "/etc/bulwark/bulwark.toml"]
CMD ["serve"]
