import type { Context } from 'hono';
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { Descriptor } from '../deps.js';

/*
 * The frame of the public pages a listed party reaches (the lookup page and what a removal
 * request answers): server-rendered with hono's `html` template, which escapes every
 * interpolation, and self-contained — inline CSS, no script, no image, no font, nothing from
 * another host — so a page works on an isolated network and the Content-Security-Policy below
 * can forbid everything else.
 */

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

const STYLE = `
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d232a;background:#f6f7f9}
main{max-width:46rem;margin:0 auto;padding:1.5rem 1rem 3rem}
header{border-bottom:1px solid #d5d9de;margin-bottom:1.25rem;padding-bottom:.5rem}
header p{margin:.25rem 0;color:#56606b;font-size:.9rem}
h1{font-size:1.45rem;margin:.25rem 0}
h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
.verdict{padding:.75rem 1rem;border-radius:6px;font-weight:600}
.listed{background:#fdecea;border:1px solid #f1aaa3}
.clear{background:#e8f5ec;border:1px solid #9fd4ae}
.error{background:#fff4e0;border:1px solid #f0c36d}
table{border-collapse:collapse;width:100%;font-size:.9rem;background:#fff}
th,td{border:1px solid #d5d9de;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#eef0f3}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em;white-space:nowrap}
form.lookup{display:flex;gap:.5rem;margin:.5rem 0}
form.lookup input{flex:1}
label{display:block;margin:.6rem 0 .2rem;font-weight:600}
input,textarea{font:inherit;padding:.35rem .5rem;border:1px solid #aab2bb;border-radius:4px;box-sizing:border-box}
form.removal input,form.removal textarea{width:100%}
button{font:inherit;padding:.35rem 1rem;border:1px solid #2f5d8a;background:#2f5d8a;color:#fff;border-radius:4px;cursor:pointer}
.note{color:#56606b;font-size:.85rem}
footer{margin-top:2rem;color:#56606b;font-size:.8rem}
`;

/**
 * No resource from anywhere, inline style only, forms posted to this node only; never framed.
 * A listed party's browser is a stranger's, and the page shows text others wrote (reasons).
 */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** The node a page speaks for: its name, id and country. */
export function nodeLine(node: Descriptor): Html {
  return html`${node.name} (<code>${node.id}</code>${node.country ? html`, ${node.country}` : ''})`;
}

/** A whole page: `title` as heading, the node named in the header. */
export function publicPage(node: Descriptor, title: string, body: Html): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${title} · ${node.name}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<header>
<p>spamx blocklist node ${nodeLine(node)}</p>
<h1>${title}</h1>
</header>
${body}
<footer>spamx: anti-spam centres exchange signed lists of the addresses spam came from; each listing names the centre that made it.</footer>
</main>
</body>
</html>`;
}

/** Answers a page with its status and the headers every public page carries. */
export async function sendPage(c: Context, page: Html, status: 200 | 202 | 400 | 404 | 413 | 429 | 500 = 200): Promise<Response> {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.header(name, value);
  return c.html(await page, status);
}
