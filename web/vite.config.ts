import { defineConfig } from 'vitest/config'
import react from '@vitejs/plugin-react'

const backend = process.env.OPDESK_BACKEND ?? 'http://127.0.0.1:8765'
export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      '/api': { target: backend, changeOrigin: false },
      '/health': { target: backend },
      '/ws': { target: backend.replace(/^http/, 'ws'), ws: true },
    },
  },
  build: { target: 'es2022', sourcemap: false },
  test: { environment: 'jsdom', include: ['src/**/*.test.{ts,tsx}'] },
})
