/** The Control Tower's static files (plain HTML, CSS and JS modules in the package's public/ folder). */
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';

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

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * Loads every file of the page once, by name; `index.html` gets its `<base href>`, title and
 * config filled in. Only these names are ever served (no path from a request touches the disk).
 */
export function loadAssets(prefix: string, config: PageConfig): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(ASSET_DIR)) {
    const type = TYPES[extname(name)];
    if (type) assets.set(name, { body: readFileSync(join(ASSET_DIR, name), 'utf8'), type });
  }
  const index = assets.get('index.html');
  if (!index) throw new Error(`@nanite/fastify: the Control Tower page is missing from ${ASSET_DIR}`);
  const base = escapeHtml(`${prefix}/`);
  const title = escapeHtml(config.title);
  // Inside <script type="application/json">: only `<` could end the element early.
  const json = JSON.stringify(config).replaceAll('<', '\\u003c');
  // Replacer functions, not strings: a replacement string gives `$&`, `$'`, `` $` `` and `$$` a
  // meaning, and the title (and the config holding it) is the user's text.
  index.body = index.body
    .replace('%BASE%', () => base)
    .replaceAll('%TITLE%', () => title)
    .replace('%CONFIG%', () => json);
  return assets;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
