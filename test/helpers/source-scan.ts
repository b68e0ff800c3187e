/**
 * A small lexer for the layering test (test/unit/layers.test.ts): splits a TypeScript or
 * JavaScript source into code, string literals and comments, enough to find its relative
 * imports and the strings it holds without being fooled by prose in comments or by regular
 * expression literals. The typescript package (v7) has no JavaScript parser API, hence this.
 */

export interface Literal {
  /** Contents of a string, or of a template with each `${...}` replaced by `?`. */
  readonly text: string;
  readonly line: number;
  /** Whether the literal is the body of a template tagged with this identifier (`sql\`...\``). */
  readonly tag: string | undefined;
}

export interface Scanned {
  /** The source with comments and literal contents blanked (newlines kept), for code patterns. */
  readonly code: string;
  /** The source with only comments blanked, so import specifiers can be read back. */
  readonly withStrings: string;
  readonly literals: Literal[];
  /** Offsets of regular-expression literals' ends, so `/re/.exec(` is not taken for a database. */
  readonly regexEnds: ReadonlySet<number>;
}

const REGEX_AFTER_WORD = new Set(['return', 'typeof', 'case', 'do', 'else', 'in', 'of', 'new', 'delete', 'void', 'throw', 'instanceof', 'yield', 'await']);

export function scanSource(src: string): Scanned {
  const code = src.split('');
  const withStrings = src.split('');
  const literals: Literal[] = [];
  const regexEnds = new Set<number>();
  const blank = (from: number, to: number, keepStrings: boolean) => {
    for (let k = from; k < to; k++) {
      if (src[k] === '\n') continue;
      code[k] = ' ';
      if (!keepStrings) withStrings[k] = ' ';
    }
  };
  const lineAt = (at: number) => src.slice(0, at).split('\n').length;
  /** Brace depth inside each open template `${`, innermost last. */
  const templates: { depth: number; parts: string[]; start: number; tag: string | undefined }[] = [];
  let i = 0;

  /** Reads template text from i (just after ` or }) to the closing ` or the next `${`. */
  const templateChunk = () => {
    const top = templates[templates.length - 1]!;
    const from = i;
    while (i < src.length && src[i] !== '`' && !(src[i] === '$' && src[i + 1] === '{')) i += src[i] === '\\' ? 2 : 1;
    top.parts.push(src.slice(from, i));
    blank(from, i, true);
    if (src[i] === '`') {
      templates.pop();
      literals.push({ text: top.parts.join('?'), line: lineAt(top.start), tag: top.tag });
      i++;
    } else {
      top.depth = 0;
      i += 2;
    }
  };

  while (i < src.length) {
    const c = src[i]!;
    const next = src[i + 1];
    if (c === '/' && next === '/') {
      const end = src.indexOf('\n', i);
      const to = end === -1 ? src.length : end;
      blank(i, to, false);
      i = to;
    } else if (c === '/' && next === '*') {
      const end = src.indexOf('*/', i + 2);
      const to = end === -1 ? src.length : end + 2;
      blank(i, to, false);
      i = to;
    } else if (c === "'" || c === '"') {
      const from = ++i;
      while (i < src.length && src[i] !== c && src[i] !== '\n') i += src[i] === '\\' ? 2 : 1;
      literals.push({ text: src.slice(from, i), line: lineAt(from), tag: undefined });
      blank(from, i, true);
      i++;
    } else if (c === '`') {
      const tag = /([A-Za-z_$][\w$]*)\s*$/.exec(src.slice(Math.max(0, i - 40), i))?.[1];
      templates.push({ depth: 0, parts: [], start: i, tag });
      i++;
      templateChunk();
    } else if (c === '/' && startsRegex(code, i)) {
      i++;
      let inClass = false;
      while (i < src.length && src[i] !== '\n' && (inClass || src[i] !== '/')) {
        if (src[i] === '\\') i++;
        else if (src[i] === '[') inClass = true;
        else if (src[i] === ']') inClass = false;
        i++;
      }
      i++;
      while (/[a-z]/i.test(src[i] ?? '')) i++;
      regexEnds.add(i);
    } else if (templates.length > 0 && (c === '{' || c === '}')) {
      const top = templates[templates.length - 1]!;
      if (c === '{') top.depth++;
      else if (top.depth > 0) top.depth--;
      else {
        i++;
        templateChunk();
        continue;
      }
      i++;
    } else i++;
  }
  return { code: code.join(''), withStrings: withStrings.join(''), literals, regexEnds };
}

/** A `/` starts a regular expression unless it follows a value (name, number, `)` or `]`). */
function startsRegex(code: string[], at: number): boolean {
  let k = at - 1;
  while (k >= 0 && /\s/.test(code[k]!)) k--;
  if (k < 0) return true;
  const prev = code[k]!;
  if (/[\w$]/.test(prev)) {
    let w = k;
    while (w >= 0 && /[\w$]/.test(code[w]!)) w--;
    return REGEX_AFTER_WORD.has(code.slice(w + 1, k + 1).join(''));
  }
  return !/[)\]'"`]/.test(prev);
}

export interface ImportRef {
  readonly specifier: string;
  readonly line: number;
}

/** Specifiers of `import ... from`, `export ... from`, `import '...'` and `import('...')` with a literal. */
export function importsOf(scanned: Scanned): ImportRef[] {
  const { code, withStrings } = scanned;
  const refs: ImportRef[] = [];
  const patterns = [
    /\b(?:import|export)\b[^;'"`]*?\bfrom\s*(['"])([^'"]+)\1/g,
    /\bimport\s*(['"])([^'"]+)\1/g,
    /\bimport\s*\(\s*(['"`])([^'"`]+)\1\s*\)/g,
  ];
  for (const re of patterns) {
    for (const m of withStrings.matchAll(re)) {
      // The keyword must be code, not text inside a string (a usage message, say).
      if (code.slice(m.index, m.index + 6) !== withStrings.slice(m.index, m.index + 6)) continue;
      refs.push({ specifier: m[2]!, line: withStrings.slice(0, m.index).split('\n').length });
    }
  }
  return refs.sort((x, y) => x.line - y.line);
}
