# TITAN Realtime API and feed image (the same image runs both; see docker-compose.yml).
FROM node:20.20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build:client
ENV NODE_ENV=production HOST=0.0.0.0 PORT=4000
EXPOSE 4000
USER node
# --heap-growing-percent=30: V8 collects its old generation again once it has grown 30 % past what
# survived the last full collection (by itself, up to 300 % in a busy process). Under a publish storm
# that keeps an instance within tens of MB over idle instead of up to 200 MB (README, Operations).
# A command-line flag: NODE_OPTIONS does not take it. npm start and npm run bench use it too.
CMD ["node", "--heap-growing-percent=30", "--import", "tsx", "src/main.ts"]
