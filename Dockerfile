# The ebb worker image.
#   docker build -t ebb-worker .
#   docker run -e TEMPORAL_ADDRESS=temporal:7233 -e EBB_STATE_URL=postgres://… -e EBB_METRICS_ADDRESS=0.0.0.0:9464 ebb-worker
# (Not built in CI: CI machines have no Docker engine.)
FROM node:22-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
# Bundle the workflow code at build time: workers start faster and never run webpack.
RUN node --import tsx scripts/bundle-workflows.ts /app/workflow-bundle.js
ENV NODE_ENV=production EBB_WORKFLOW_BUNDLE=/app/workflow-bundle.js EBB_SYNCS_DIR=/app/syncs
USER node
EXPOSE 9464
CMD ["node", "--import", "tsx", "worker/main.ts"]
