import { PeerHttpClient } from '../../src/ingest/http-client.js';
import { auditFeed } from '../../src/cli/commands/audit/audit-feed.js';
import { readPublisherKeys } from '../../src/cli/commands/input-files.js';
const [url, keyFile] = process.argv.slice(2);
const keys = await readPublisherKeys(keyFile!);
const http = new PeerHttpClient({ connectTimeoutMs: 10_000, headersTimeoutMs: 60_000, bodyTimeoutMs: 60_000, deadlineMs: 600_000, maxBodyBytes: 49 << 20 });
const out = [];
for (let i = 0; i < 5; i++) {
  const t = performance.now();
  const r = await auditFeed(http, { url: url!, publisher: 'jp-dekyo', keys });
  out.push(Math.round(r.batches.head.size / ((performance.now() - t) / 1000)));
}
console.log(out.join(' '));
await http.close();
