/// <reference types="vitest/config" />
// Vite builds the editor into nurtura/api/static, which `nurtura serve` serves at `/`.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig(({ mode }) => ({
  base: './',
  plugins: [react()],
  build: {
    outDir: '../nurtura/api/static',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 800,
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
    // Without the mock, `npm run dev` talks to a running `nurtura serve`.
    proxy:
      process.env.VITE_MOCK === '1' || mode === 'test'
        ? undefined
        : { '/api': process.env.VITE_API_URL ?? 'http://127.0.0.1:8000' },
  },
  test: {
    environment: 'node',
    include: ['src/**/*.test.{ts,tsx}'],
  },
}));
