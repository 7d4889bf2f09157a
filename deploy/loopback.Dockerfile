# The network-namespace holder of docker-compose.yml: sets `quickack 1` on the loopback routes
# (deploy/loopback-quickack.sh), then keeps the namespace that the Warden server joins.
FROM debian:bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends iproute2 \
  && rm -rf /var/lib/apt/lists/*
COPY deploy/loopback-quickack.sh /usr/local/bin/loopback-quickack
ENTRYPOINT ["/usr/local/bin/loopback-quickack"]
CMD ["sleep", "infinity"]
