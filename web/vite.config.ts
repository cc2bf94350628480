import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The console lives in web/; the Siyu server serves web/dist and answers /api on the same origin.
// `npm run dev:web` proxies /api to a running `siyu start` (SIYU_API_URL, default http://127.0.0.1:3000).
const apiTarget = process.env.SIYU_API_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // antd + React form one large vendor chunk; the pages are split off with React.lazy.
    chunkSizeWarningLimit: 2000,
  },
  server: {
    proxy: {
      '/api': { target: apiTarget, changeOrigin: false },
    },
  },
});
