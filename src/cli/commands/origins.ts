import { loadConfig } from '../../config/config.js';
import { DEFAULT_DELEGATED, loadOrigins } from '../../config/origin-files.js';
import { parsePrefix } from '../../core/prefix.js';
import { importDelegated } from '../../node-files/origins-import.js';
import { dataDir, UsageError, type DataOptions, type JsonOptions } from '../args.js';

/** `spamx origins import --data DIR SRC`: check a delegated set and install it (src/node-files/origins-import.ts). */
export async function originsImport(source: string, o: DataOptions): Promise<number> {
  const config = loadConfig(dataDir(o.data));
  const result = importDelegated(config.paths.dir, source);
  const lines = [`installed ${result.files.length} delegated-extended file(s) as ${result.path}:`];
  for (const { info, dataset } of result.files) {
    lines.push(
      `  ${dataset.name}: ${info.registry} ${dataset.date}, ${info.ipv4} ipv4 + ${info.ipv6} ipv6 rows (${info.asn} asn rows not routed), sha256 ${dataset.sha256}`,
    );
  }
  if (!config.origins.delegated.includes(DEFAULT_DELEGATED)) {
    lines.push(`note: origins.delegated in ${config.paths.config} does not name ${DEFAULT_DELEGATED}; this node does not read the set installed there`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

/** `spamx origins show --data DIR [--json]`: the data sets in use and the files they were read from. */
export async function originsShow(o: DataOptions & JsonOptions): Promise<number> {
  const { table, files } = loadOrigins(loadConfig(dataDir(o.data)));
  const segments = { ipv4: table.segmentCount(4), ipv6: table.segmentCount(6) };
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ id: table.digest, datasets: table.datasets, files, segments }, null, 2)}\n`);
    return 0;
  }
  const lines = [`origin data ${table.digest}:`];
  for (const d of table.datasets) lines.push(`  ${d.name}  ${d.date}  sha256 ${d.sha256}`);
  lines.push('read from:');
  for (const f of files) lines.push(`  ${f.kind.padEnd(9)} ${String(f.rows).padStart(7)} rows  ${f.path}`);
  lines.push(`segments: ${segments.ipv4} IPv4, ${segments.ipv6} IPv6`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

/** `spamx origins lookup --data DIR IP [--json]`: the origin of one address. */
export async function originsLookup(ip: string, o: DataOptions & JsonOptions): Promise<number> {
  const parsed = parsePrefix(ip);
  if (!parsed.ok || parsed.prefix.length !== (parsed.prefix.family === 4 ? 32 : 128)) throw new UsageError(`"${ip.slice(0, 60)}" is not an IPv4 or IPv6 address`);
  const { table } = loadOrigins(loadConfig(dataDir(o.data)));
  const origin = table.originOf(ip);
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ address: ip, ...origin, dataset: table.digest })}\n`);
    return 0;
  }
  const as = origin.asn === null ? '-' : `AS${origin.asn}${origin.asName ? ` ${origin.asName}` : ''}`;
  process.stdout.write(`${ip}: country ${origin.country ?? '-'}, ${as}, registry ${origin.registry ?? '-'} (origin data ${table.digest})\n`);
  return 0;
}
