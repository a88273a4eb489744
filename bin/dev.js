#!/usr/bin/env node
// Development entry point: same as run.js but with oclif's development mode (stack traces, no cached manifest).
// Rebuild with `npm run build` (or `npx tsc --watch`) while editing src/.
const {execute} = await import('@oclif/core')
await execute({development: true, dir: import.meta.url})
