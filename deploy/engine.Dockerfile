# A Rivet Engine node for docker-compose.cluster.yml: the same rivet-engine binary that rivetkit
# 2.3.19 ships on npm (engine and runners must match), on a small image with curl for the health
# check. Config: /etc/rivet/engine.json (deploy/cluster/engine.json); secrets come from RIVET__*.
FROM node:22-bookworm-slim AS binary
ARG RIVET_ENGINE_VERSION=2.3.19
RUN npm install --prefix /opt/rivet --no-audit --no-fund "@rivetkit/engine-cli@${RIVET_ENGINE_VERSION}" \
  && cp "$(node -p 'require("/opt/rivet/node_modules/@rivetkit/engine-cli").getEnginePath()')" /rivet-engine

FROM debian:bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends ca-certificates curl \
  && rm -rf /var/lib/apt/lists/* \
  && useradd --system --uid 10001 rivet
COPY --from=binary /rivet-engine /usr/local/bin/rivet-engine
USER rivet
EXPOSE 6420 6421 6430
ENTRYPOINT ["rivet-engine", "--config", "/etc/rivet/engine.json"]
CMD ["start"]
