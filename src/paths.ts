import {fileURLToPath} from 'node:url'

/** The package's shipped data (templates, tiers, prices). Same depth from src/ and from dist/. */
export const templatesDir = fileURLToPath(new URL('../templates/', import.meta.url))

export function templatePath(...parts: string[]): string {
  return [templatesDir.replace(/\/$/, ''), ...parts].join('/')
}
