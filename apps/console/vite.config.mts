import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

/** The console is static files under the gateway's /console; it reaches the gateway only through @kb4/client. */
export default defineConfig({
  root: here('.'),
  base: '/console/',
  // the console's own folder only: nothing from the repo's .env files ends up in the bundle
  envDir: false,
  resolve: { alias: { '@kb4/client': here('../../libs/client/src/index.ts') } },
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1024,
    rolldownOptions: {
      // TanStack Query's "use client" marks are for React Server Components, which a static console does not use
      onwarn: (warning, warn) => (warning.code === 'MODULE_LEVEL_DIRECTIVE' ? undefined : warn(warning)),
    },
  },
  logLevel: 'warn',
});
