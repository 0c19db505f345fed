# One image for every kb4-directory process; the command picks the app.
FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# the console's static files, served by the gateway at /console
RUN npm run build:console
ENV NODE_ENV=production KAFKAJS_NO_PARTITIONER_WARNING=1
USER node
CMD ["node", "-r", "@swc-node/register", "apps/gateway/src/main.ts"]
