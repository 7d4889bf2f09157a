# The Warden server (apps/server) and the Rivet Engine it spawns, in one container: they talk over
# its loopback, whose routes docker-compose.yml gives `quickack 1` (docs/latency.md).
FROM node:22-bookworm-slim
WORKDIR /app
RUN corepack enable
COPY . .
RUN pnpm install --frozen-lockfile \
  && mkdir -p /data \
  && chown node:node /data
USER node
ENV NODE_ENV=production \
  WARDEN_HOST=0.0.0.0 \
  WARDEN_PORT=6420 \
  WARDEN_STORAGE=/data \
  WARDEN_CONFIG=/app/apps/server/warden.config.yaml
VOLUME /data
EXPOSE 6420
CMD ["node", "--import", "tsx", "apps/server/src/main.ts"]
