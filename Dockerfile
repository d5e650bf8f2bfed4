# seiri as a container for scheduled jobs (seiri daily): a static binary on
# distroless/static (CA certificates, /etc/passwd with nonroot, no shell).
# Build: docker build -t seiri .   Run: docker run --rm seiri daily --help
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# CGO off: the SQLite driver is pure Go, so the binary needs no libc.
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o /out/seiri ./cmd/seiri

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/seiri /usr/local/bin/seiri
# The workspace: mount a volume here, or use --workspace s3://bucket/prefix
# (the runner then keeps nothing between runs).
WORKDIR /home/nonroot
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/seiri"]
CMD ["daily"]
