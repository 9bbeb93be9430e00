# syntax=docker/dockerfile:1
# The recording command service as a container: built once, run as a non-root user with production
# dependencies only. Build: docker build -t grewmeet/recording-command .

# ---- build: type check and bundle (npm run build) with the full toolchain ----
FROM node:24.21.0-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.ts ./scripts/
COPY src ./src
RUN npm run build

# ---- runtime: the bundle and production dependencies (the few packages the bundle leaves out, see
# scripts/build.ts, and the event catalogue's browser files are loaded from node_modules) ----
FROM node:24.21.0-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
EXPOSE 8083
# No curl in the slim image: Node's own fetch asks the liveness endpoint.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8083)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM from `docker stop` starts the graceful shutdown (SHUTDOWN_TIMEOUT_MS, default 15 s; give
# docker stop a longer --time than that).
# The same memory settings as `npm start` (docs/benchmarks.md): a young generation of at most 8 MB semi-spaces
# (Node 24 otherwise lets it grow to 128 MB under load); an old generation that grows by 10 % over what a full
# GC left alive instead of by up to 4x (a soft bound, not a cap: it cannot end in an out-of-memory crash); and
# two malloc arenas instead of one per thread, whose fragments held 20-40 MB. --expose-gc lets the service
# give memory back once it has been idle for a while (src/app/idle-memory.ts).
ENV MALLOC_ARENA_MAX=2
CMD ["node", "--max-semi-space-size=8", "--heap-growing-percent=10", "--expose-gc", "dist/main.js"]
