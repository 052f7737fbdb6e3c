# One image for every Customer 360 service: `start --services ingest|resolver|enrich|api`
# picks what a container runs; with no KAFKA_BROKERS it runs the whole embedded pipeline.
#
# The TypeScript sources run through tsx, which is a runtime dependency, so there is no
# compile step: install the production dependencies, then copy the sources.
FROM node:20-bookworm-slim

# chDB (ClickHouse as a library, ~540 MB) is only loaded by the embedded mode, when
# CLICKHOUSE_URL is empty. docker-compose.yml builds with EMBEDDED_CLICKHOUSE=false, since its
# services always talk to the ClickHouse server; keep the default to run `start` (embedded)
# from this image.
ARG EMBEDDED_CLICKHOUSE=true

ENV NODE_ENV=production \
    C360_DATA_DIR=/data \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

WORKDIR /app

# Dependencies first, so that a change of the sources reuses this layer.
# The npm bundled with Node 20 (10.x) installs this lockfile with `npm ci`. (npm 11 refuses it:
# chdb lists optional platform packages that the registry does not serve, so they are not in
# the lockfile.) tsx is a production dependency; vitest and typescript are dev-only and omitted.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev \
    && if [ "$EMBEDDED_CLICKHOUSE" = "false" ]; then rm -rf node_modules/@chdb; fi \
    && npm cache clean --force

COPY . .

# The sources stay owned by root (read-only for the service); the embedded engines and the
# dev API key live in /data (mount a volume there to keep them), owned by the unprivileged
# user that runs the process.
RUN mkdir -p /data && chown node:node /data
USER node

EXPOSE 8080
ENTRYPOINT ["node", "bin/c360.js"]
CMD ["start"]
