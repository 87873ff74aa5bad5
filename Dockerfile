# TITAN Realtime API and feed image (the same image runs both; see docker-compose.yml).
# Stages: deps (every dependency, for the build) → build (tsc to dist/, vite to client/dist/, the
# client package to packages/client/dist/); prod-deps (runtime dependencies only); runtime (the
# image: compiled JavaScript and production node_modules; no compiler, no TypeScript, no tsx).
# test/deploy/dockerfile.test.ts checks these properties.

# Node 24, an LTS line (Node 20 is out of support; dependencies need >= 22.15). One tag for every stage.
FROM node:24.22-bookworm-slim AS base
WORKDIR /app

FROM base AS deps
COPY package.json package-lock.json ./
# npm ci needs every workspace's package.json. --ignore-scripts: the root postinstall builds
# packages/client from sources not copied yet (the build stage does it); no dependency needs its
# install script (esbuild and msgpackr-extract ship prebuilt binaries as optional packages).
COPY packages/client/package.json packages/client/
RUN npm ci --ignore-scripts --no-audit --no-fund

FROM deps AS build
COPY tsconfig.json tsconfig.build.json schema.graphql ./
COPY src src
COPY client client
COPY packages/client packages/client
# The client package first (what the postinstall does; it copies the wire contract from src/transport),
# then npm run build: build:server (tsc → dist/) and build:client (vite → client/dist/).
RUN npm run build -w @titan-realtime/client && npm run build

FROM base AS prod-deps
COPY package.json package-lock.json ./
# The client package's bin (committed, not built) before npm ci, which links it as node_modules/.bin/titan.
COPY packages/client/package.json packages/client/
COPY packages/client/bin packages/client/bin
# Runtime dependencies only; in a stage of its own so npm's cache never reaches the image.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM base AS runtime
# Production: GraphiQL and introspection off by default, errors masked, JSON logs, a JWT key required.
ENV NODE_ENV=production HOST=0.0.0.0 PORT=4000
# Everything root-owned and read-only to the app user: the server writes no files.
COPY --from=prod-deps /app/node_modules node_modules
COPY package.json package-lock.json schema.graphql ./
COPY --from=build /app/dist dist
COPY --from=build /app/client/dist client/dist
# The built client package (node_modules/@titan-realtime/client links here): operators get the
# CLI in the image, `docker compose exec api npx titan --help`.
COPY --from=prod-deps /app/packages/client packages/client
COPY --from=build /app/packages/client/dist packages/client/dist
USER node
EXPOSE 4000
# /readyz: 200 when the instance can serve, 503 while not (e.g. Redis unreachable). Node 24 has fetch.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# --heap-growing-percent=30: V8 collects its old generation again once it has grown 30 % past what
# survived the last full collection (by itself, up to 300 % in a busy process). Under a publish storm
# that keeps an instance within tens of MB over idle instead of up to 200 MB (docs: Sizing).
# A command-line flag: NODE_OPTIONS does not take it. npm start and npm run bench use it too.
# Node is PID 1 and the server handles SIGTERM (the default stop signal): it drains, then exits.
CMD ["node", "--heap-growing-percent=30", "dist/main.js"]
