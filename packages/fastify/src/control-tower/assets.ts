/** The Control Tower's static files (plain HTML, CSS and JS shipped in the package's public/ folder). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the files live: `public/control-tower` at the package root (from src/ and dist/ alike). */
export const ASSET_DIR = join(__dirname, '..', '..', 'public', 'control-tower');

/** One file ready to serve. */
export interface Asset {
  body: string;
  type: string;
}

/** What the page needs to know about its server, embedded in the HTML. */
export interface PageConfig {
  title: string;
  readOnly: boolean;
  /** `token`: the page asks for a token and sends it; `hook`: your hook decides (e.g. a cookie); `none`. */
  auth: 'token' | 'hook' | 'none';
  maxTimeout: number;
}

/** Loads the page, script and stylesheet once; the HTML gets `<base href>` and the config filled in. */
export function loadAssets(prefix: string, config: PageConfig): Record<'index.html' | 'app.js' | 'style.css' | 'favicon.svg', Asset> {
  const read = (name: string): string => readFileSync(join(ASSET_DIR, name), 'utf8');
  const html = read('index.html')
    .replace('%BASE%', escapeHtml(`${prefix}/`))
    .replaceAll('%TITLE%', escapeHtml(config.title))
    // Inside <script type="application/json">: only `<` could end the element early.
    .replace('%CONFIG%', JSON.stringify(config).replaceAll('<', '\\u003c'));
  return {
    'index.html': { body: html, type: 'text/html; charset=utf-8' },
    'app.js': { body: read('app.js'), type: 'text/javascript; charset=utf-8' },
    'style.css': { body: read('style.css'), type: 'text/css; charset=utf-8' },
    'favicon.svg': { body: read('favicon.svg'), type: 'image/svg+xml' },
  };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
