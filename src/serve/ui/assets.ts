import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import { uplotAssets } from '../uplot-assets.js';
import { CONSOLE_SCRIPT } from './console-script.js';
import { CONSOLE_STYLE } from './console-style.js';

interface Asset {
  readonly body: string;
  readonly type: string;
  /** Part of the asset's URL: a new version is a new URL, so each may be cached for good. */
  readonly version: string;
}

function asset(body: string, type: string): Asset {
  return { body, type, version: createHash('sha256').update(body).digest('hex').slice(0, 12) };
}

let loaded: Record<string, Asset> | undefined;

/** The console's static files, read once per process. */
export function consoleAssets(): Record<string, Asset> {
  return (loaded ??= {
    'uplot.js': asset(uplotAssets().js, 'text/javascript; charset=utf-8'),
    'uplot.css': asset(uplotAssets().css, 'text/css; charset=utf-8'),
    'console.js': asset(CONSOLE_SCRIPT, 'text/javascript; charset=utf-8'),
    'console.css': asset(CONSOLE_STYLE, 'text/css; charset=utf-8'),
  });
}

/** An asset's URL, versioned by its content. */
export function assetUrl(name: string): string {
  return `/ui/assets/${name}?v=${consoleAssets()[name]!.version}`;
}

/** `GET /ui/assets/<name>`: public (nothing in them is secret), cached for a year. */
export function assetRoutes(): Hono {
  const app = new Hono();
  const assets = consoleAssets();
  app.get('/ui/assets/:name', (c) => {
    const found = Object.hasOwn(assets, c.req.param('name')) ? assets[c.req.param('name')] : undefined;
    if (!found) return c.text('no such asset', 404);
    c.header('content-type', found.type);
    c.header('cache-control', 'public, max-age=31536000, immutable');
    c.header('x-content-type-options', 'nosniff');
    return c.body(found.body);
  });
  return app;
}
