import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

let assets: { readonly js: string; readonly css: string } | undefined;

/**
 * uPlot's script and style sheet as installed (resolved the same from src/ and .build/), read
 * once per process: the console serves them (serve/ui/assets.ts) and the monthly report inlines
 * them, so both draw on an isolated network with no CDN. Inlined, either text closing its
 * element early would end it mid-way, so that is refused here.
 */
export function uplotAssets(): { readonly js: string; readonly css: string } {
  if (assets) return assets;
  const require = createRequire(import.meta.url);
  const js = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
  const css = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  if (/<\/script/i.test(js) || /<\/style/i.test(css)) throw new Error('the installed uPlot cannot be inlined: it contains a closing </script> or </style>');
  return (assets = { js, css });
}
