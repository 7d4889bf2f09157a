# The approval inbox (apps/web), built with the endpoint browsers use to reach the Warden server,
# served by `vite preview`.
FROM node:22-bookworm-slim
WORKDIR /app
RUN corepack enable
COPY . .
RUN pnpm install --frozen-lockfile
ARG VITE_WARDEN_ENDPOINT=http://localhost:6420
ARG VITE_WARDEN_PROJECT=demo
RUN VITE_WARDEN_ENDPOINT=$VITE_WARDEN_ENDPOINT VITE_WARDEN_PROJECT=$VITE_WARDEN_PROJECT \
  pnpm --filter @warden/web build
USER node
EXPOSE 4173
CMD ["pnpm", "--filter", "@warden/web", "exec", "vite", "preview", "--host", "0.0.0.0", "--port", "4173"]
