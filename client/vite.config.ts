import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** The GraphQL server during `npm run dev`: the API listens on PORT (4000 by default). */
const API_ORIGIN = `http://127.0.0.1:${process.env.PORT ?? 4000}`;

export default defineConfig({
  // Run from the repository root (`npm run build:client`), but build the client folder.
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  // The workspace package from its source: the bundle never depends on a stale packages/client/dist.
  resolve: { alias: { '@titan-realtime/client': fileURLToPath(new URL('../packages/client/src/index.ts', import.meta.url)) } },
  build: {
    outDir: 'dist', // relative to root: client/dist, served by the API server
    emptyOutDir: true,
  },
  server: {
    proxy: {
      '/graphql': { target: API_ORIGIN, ws: true },
      '/dev': { target: API_ORIGIN },
    },
  },
});
