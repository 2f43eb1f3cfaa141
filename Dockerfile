# Stockroom in one container: a static binary (no cgo: SQLite is pure Go),
# run as a non-root user, with its data on a volume.
FROM golang:1.26.8-bookworm AS build
# VERSION is what `stockroom --version` prints and the image is labelled
# with: docker build --build-arg VERSION=v0.2.0 .
ARG VERSION=dev
WORKDIR /src
ENV GOTOOLCHAIN=local CGO_ENABLED=0
COPY go.mod go.sum ./
# go.mod replaces Bubble Tea with the patched copy in third_party/.
COPY third_party/ third_party/
RUN go mod download
COPY . .
RUN go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/stockroom ./cmd/server \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
LABEL org.opencontainers.image.title="stockroom" org.opencontainers.image.version="${VERSION}"
COPY --from=build /out/stockroom /usr/local/bin/stockroom
COPY --from=build --chown=65532:65532 /out/data /data
ENV STOCKROOM_DATA_DIR=/data \
    STOCKROOM_SSH_ADDR=:23234 \
    STOCKROOM_HTTP_ADDR=:8080 \
    STOCKROOM_IN_CONTAINER=true \
    STOCKROOM_LOG_FORMAT=json
USER 65532:65532
VOLUME ["/data"]
EXPOSE 23234 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/stockroom", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/stockroom"]
