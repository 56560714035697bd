# syntax=docker/dockerfile:1
# Production image: build the TypeScript in one stage, run the compiled output with production
# dependencies only, as a non-root user. Node 24 (active LTS); the code also runs on Node 22 and 20.

FROM node:24-bookworm-slim AS build
WORKDIR /app
# swagger-ui's analytics postinstall only waits on the network.
ENV SCARF_ANALYTICS=false
# better-sqlite3 compiles from source when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# The client SDK is an npm workspace: npm ci links it (and runs its `prepare`, which skips the
# build while its sources are not there yet), so its manifest and scripts come first.
COPY packages/client/package.json ./packages/client/
COPY packages/client/scripts ./packages/client/scripts
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY packages/client/tsconfig.json ./packages/client/
COPY packages/client/src ./packages/client/src
COPY src ./src
RUN npm run build

FROM node:24-bookworm-slim AS deps
WORKDIR /app
ENV SCARF_ANALYTICS=false
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY packages/client/package.json ./packages/client/
COPY packages/client/scripts ./packages/client/scripts
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim AS runtime
# No BIND_ADDRESS here: the default is 0.0.0.0:8080, and a platform's PORT (Cloud Run, Render, Fly)
# applies only while BIND_ADDRESS is unset.
ENV NODE_ENV=production \
    DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The SDK: the service imports its protocol module and serves its browser bundle at /client.js.
COPY --from=build /app/packages/client/package.json ./packages/client/
COPY --from=build /app/packages/client/dist ./packages/client/dist
COPY package.json ./
COPY public ./public
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
# Node's fetch: no curl in the slim image. /livez (the process answers): Docker restarts on it only
# with an orchestrator; load balancers should use /readyz, dashboards /health (see README).
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "const b=process.env.BIND_ADDRESS;const p=b?b.split(':').pop():(process.env.PORT||'8080');fetch('http://127.0.0.1:'+p+'/livez').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
