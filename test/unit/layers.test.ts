import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importCycles, loopFrom } from '../helpers/import-cycles.js';
import { importsOf, scanSource, type Scanned } from '../helpers/source-scan.js';

const WIRING = 'src/*.ts';

/**
 * The layer order of src/, as src/README.md documents it: which folders the files of each
 * folder may import. A folder always may import itself. A new folder must be added here and there.
 */
const MAY_IMPORT: Record<string, readonly string[]> = {
  core: [],
  verify: ['core'],
  config: ['core', 'verify'],
  store: ['core'],
  'node-files': ['core', 'verify', 'config', 'store'],
  ingest: ['core', 'verify', 'config', 'store', 'node-files'],
  read: ['core', 'config', 'store'],
  audit: ['core', 'verify', 'config', 'store', 'ingest'],
  serve: ['core', 'verify', 'config', 'store', 'read', 'audit'],
  /** The files directly in src/ (daemon.ts and the context it builds) only wire the parts together. */
  [WIRING]: ['core', 'verify', 'config', 'store', 'node-files', 'ingest', 'read', 'audit', 'serve'],
  /** `spamx mirror`, the follower a subscriber runs beside rbldnsd: a client of the node, writing its formats. */
  mirror: ['core', 'serve'],
  demo: ['core', 'verify', 'config', 'store', 'node-files', 'ingest', 'read', 'audit', 'serve', WIRING],
  cli: ['core', 'verify', 'config', 'store', 'node-files', 'ingest', 'read', 'audit', 'serve', WIRING, 'demo', 'mirror'],
};

/** The only folder whose files may hold SQL or call the database with it. */
const SQL_FOLDER = 'store';

/** SQL statements, uppercase as the project writes them; prose in comments never reaches this. */
const SQL_STATEMENT =
  /\b(SELECT\s+(DISTINCT\s+)?[\w*(]|INSERT\s+(OR\s+\w+\s+)?INTO\b|UPDATE\s+\w+\s+SET\b|DELETE\s+FROM\b|CREATE\s+(UNIQUE\s+|TEMP\s+)?(TABLE|INDEX|VIEW|TRIGGER)\b|DROP\s+(TABLE|INDEX|VIEW|TRIGGER)\b|PRAGMA\s+\w|WITH\s+RECURSIVE\b)/;
/** Transaction control is SQL too, but only as a whole string ("-----BEGIN KEY-----" is not). */
const SQL_TRANSACTION = /^\s*(BEGIN(\s+(DEFERRED|IMMEDIATE|EXCLUSIVE))?(\s+TRANSACTION)?|COMMIT|END|ROLLBACK|SAVEPOINT\s+\w+|RELEASE\s+\w+)\s*;?\s*$/;
/** better-sqlite3 calls that run SQL; `.exec` of a regular expression is told apart below. */
const DB_CALL = /\.\s*(prepare|pragma|exec)\s*\(/g;
const REGEX_NAME = /(_RE|Re|Regex|Pattern)\s*$/;

/** config/ reads configuration; the files a node writes belong to node-files/. */
const FILE_WRITE = /\b(writeFile|appendFile|mkdir|mkdtemp|rename|rm|rmdir|unlink|copyFile|cp|chmod|chown|symlink|truncate|utimes|createWriteStream)(Sync)?\s*\(/g;
/** core/ is pure: no files, network or database, and the clock is passed in. */
const CORE_FORBIDDEN_MODULE = /^(node:)?(fs|fs\/promises|net|http|https|http2|dgram|dns|child_process|cluster)$|^(better-sqlite3|drizzle-orm|undici|hono|pino|node-cron)(\/|$)/;
const CLOCK = /\b(Date\.now|performance\.now|process\.hrtime)\s*\(|\bnew\s+Date\s*\(\s*\)/g;

const SRC = resolve(fileURLToPath(new URL('../../src/', import.meta.url)));
const SOURCE_FILE = /\.(ts|mts|mjs|js)$/;
const DECLARATION = /\.d\.m?ts$/;

interface SourceFile {
  readonly path: string;
  /** Path under src/, as reports print it. */
  readonly name: string;
  readonly layer: string;
  readonly scanned: Scanned;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return listFiles(path);
    return SOURCE_FILE.test(e.name) && !DECLARATION.test(e.name) ? [path] : [];
  });
}

/** A folder of src/ is a layer; the files directly in src/ are the wiring. */
function layerOf(path: string): string {
  const parts = relative(SRC, path).split('/');
  return parts.length === 1 ? WIRING : parts[0]!;
}

const label = (layer: string) => (layer === WIRING ? WIRING : `${layer}/`);

/** `./x.js` names `./x.ts` under nodenext resolution; `./x.mjs` may be `./x.mts`. Data files (JSON) resolve too. */
function resolveImport(from: string, specifier: string): string | undefined {
  const target = resolve(dirname(from), specifier);
  const candidates = [target, target.replace(/\.js$/, '.ts'), target.replace(/\.mjs$/, '.mts')];
  return candidates.find((c) => existsSync(c));
}

const files: SourceFile[] = listFiles(SRC)
  .sort()
  .map((path) => ({ path, name: `src/${relative(SRC, path)}`, layer: layerOf(path), scanned: scanSource(readFileSync(path, 'utf8')) }));
const byPath = new Map(files.map((f) => [f.path, f]));

interface Edge {
  readonly to: SourceFile;
  readonly line: number;
}
const edges = new Map<string, Edge[]>();
const unresolved: string[] = [];
for (const file of files) {
  const out: Edge[] = [];
  for (const ref of importsOf(file.scanned)) {
    if (!ref.specifier.startsWith('.')) continue;
    const target = resolveImport(file.path, ref.specifier);
    if (target === undefined) unresolved.push(`${file.name}:${ref.line}: cannot resolve '${ref.specifier}'`);
    else if (byPath.has(target)) out.push({ to: byPath.get(target)!, line: ref.line });
  }
  edges.set(file.path, out);
}

const importsFrom = (file: SourceFile) => edges.get(file.path)!.map((e) => e.to);

/** A cycle's files and one loop through them: a → b → … → a. */
function describeCycle(component: SourceFile[]): string {
  const sorted = [...component].sort((x, y) => x.name.localeCompare(y.name));
  const loop = loopFrom(sorted[0]!, component, importsFrom);
  return `${sorted.length} files import each other (${sorted.map((f) => f.name).join(', ')}), e.g. ${loop.map((f) => f.name).join(' → ')}`;
}

/** Each line of the file holding SQL, or a database call that runs it. */
function sqlFindings(file: SourceFile): string[] {
  const found: string[] = [];
  for (const lit of file.scanned.literals) {
    const text = lit.text.replace(/\s+/g, ' ');
    if (lit.tag === 'sql' || SQL_STATEMENT.test(text) || SQL_TRANSACTION.test(text)) {
      found.push(`${file.name}:${lit.line}: SQL in a string: ${JSON.stringify(text.trim().slice(0, 60))}`);
    }
  }
  const { code, regexEnds } = file.scanned;
  for (const m of code.matchAll(DB_CALL)) {
    const before = code.slice(0, m.index);
    const receiverEnd = before.trimEnd().length;
    if (m[1] === 'exec' && (regexEnds.has(receiverEnd) || REGEX_NAME.test(before))) continue;
    found.push(`${file.name}:${before.split('\n').length}: database call .${m[1]}( runs SQL`);
  }
  const lineOf = (finding: string) => Number(finding.slice(file.name.length + 1).split(':')[0]);
  return found.sort((a, b) => lineOf(a) - lineOf(b));
}

/** Each match of `re` in the file's code (comments and strings left out), as `file:line: what`. */
function codeMatches(file: SourceFile, re: RegExp, what: string): string[] {
  return [...file.scanned.code.matchAll(re)].map((m) => `${file.name}:${file.scanned.code.slice(0, m.index).split('\n').length}: ${what} ${m[0].replace(/\s*\($/, '')}`);
}

describe('layers of src/ (src/README.md)', () => {
  it('finds the source files and resolves every relative import', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(unresolved).toEqual([]);
  });

  it('puts every file in a layer of the table', () => {
    const unknown = [...new Set(files.map((f) => f.layer))].filter((l) => !(l in MAY_IMPORT));
    expect(unknown, 'add the new folder to MAY_IMPORT and to src/README.md').toEqual([]);
  });

  it('imports only from the layers a folder may import', () => {
    const wrong: string[] = [];
    for (const file of files) {
      const allowed = MAY_IMPORT[file.layer] ?? [];
      for (const { to, line } of edges.get(file.path)!) {
        if (to.layer === file.layer || allowed.includes(to.layer)) continue;
        wrong.push(`${file.name}:${line}: ${label(file.layer)} imports ${to.name}; ${label(file.layer)} may import ${allowed.join(', ') || 'only itself'}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('has no import cycles between files', () => {
    expect(importCycles(files, importsFrom).map(describeCycle)).toEqual([]);
  });

  it(`keeps SQL in ${SQL_FOLDER}/ only`, () => {
    const found = files.filter((f) => f.layer !== SQL_FOLDER).flatMap(sqlFindings);
    expect(found).toEqual([]);
  });

  it('keeps config/ read-only', () => {
    const found = files.filter((f) => f.layer === 'config').flatMap((f) => codeMatches(f, FILE_WRITE, 'writes a file with'));
    expect(found, 'move the writing to node-files/').toEqual([]);
  });

  it('keeps core/ free of I/O and of the clock', () => {
    const found = files
      .filter((f) => f.layer === 'core')
      .flatMap((f) => [
        ...importsOf(f.scanned)
          .filter((r) => CORE_FORBIDDEN_MODULE.test(r.specifier))
          .map((r) => `${f.name}:${r.line}: imports ${r.specifier}`),
        ...codeMatches(f, CLOCK, 'reads the clock with'),
      ]);
    expect(found).toEqual([]);
  });

  it('reads imports past comments, strings and regular expressions', () => {
    const src = [
      "import a from './a.js';",
      "// import b from './b.js'",
      `const re = /'/; const s = "import c from './c.js'";`,
      "export { d } from './d.js';",
      "const e = await import('./e.js');",
      "const t = `${`x`}`; import './f.js';",
    ].join('\n');
    expect(importsOf(scanSource(src)).map((r) => `${r.line}:${r.specifier}`)).toEqual(['1:./a.js', '4:./d.js', '5:./e.js', '6:./f.js']);
  });

  it('finds each import cycle once', () => {
    const graph: Record<string, string[]> = { a: ['b'], b: ['c', 'd'], c: ['a'], d: [], e: ['e', 'a'] };
    const next = (n: string) => graph[n]!;
    const found = importCycles(Object.keys(graph), next).map((c) => c.sort());
    expect(found).toEqual([['a', 'b', 'c'], ['e']]);
    expect(loopFrom('a', ['a', 'b', 'c'], next)).toEqual(['a', 'b', 'c', 'a']);
  });

  it('tells SQL from prose and regular expressions', () => {
    const probe = (src: string) => sqlFindings({ path: 'x.ts', name: 'x.ts', layer: 'core', scanned: scanSource(src) });
    expect(probe(`// SELECT x FROM y, then INSERT INTO z\nconst m = /^BEGIN (\\w+)'$/.exec(t);\nconst pem = '-----BEGIN KEY-----';`)).toEqual([]);
    expect(probe(`const KEY_RE = /a/;\nKEY_RE.exec(s);\nconst s = \`picks a \${x} / SELECTed peer\`;`)).toEqual([]);
    expect(probe(`db.exec('BEGIN');\nconst q = \`SELECT a FROM \${t} WHERE b = ?\`;\ndb.prepare(q);`)).toEqual([
      `x.ts:1: SQL in a string: "BEGIN"`,
      'x.ts:1: database call .exec( runs SQL',
      `x.ts:2: SQL in a string: "SELECT a FROM ? WHERE b = ?"`,
      'x.ts:3: database call .prepare( runs SQL',
    ]);
  });
});
