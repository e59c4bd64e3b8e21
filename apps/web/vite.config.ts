import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

/** `npm run dev` proxies the API and sockets to a gateway (INKLING_GATEWAY, default http://127.0.0.1:3000). */
const gateway = process.env.INKLING_GATEWAY ?? 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [vue()],
  build: { target: 'es2022', sourcemap: true, reportCompressedSize: true },
  server: {
    proxy: {
      '/api': gateway,
      '/socket.io': { target: gateway, ws: true },
    },
  },
});
