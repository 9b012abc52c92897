/**
 * A pragmatic SQL scanner — not a parser. It knows just enough of Postgres's lexical rules (quoted
 * strings incl. E'' escapes, quoted identifiers, dollar quotes, `--` and nested block comments) to find
 * the `;` that separate statements and the `:name` placeholders of remediation statements, while leaving
 * both alone inside literals, identifiers and comments.
 */

export type Segment = { kind: 'code' | 'literal' | 'comment'; text: string };

/** Splits SQL text into code, literal (strings, quoted identifiers, dollar quotes) and comment segments. */
export function scan(sql: string): Segment[] {
  const out: Segment[] = [];
  let code = '';
  const push = (kind: Segment['kind'], text: string) => {
    if (code) out.push({ kind: 'code', text: code });
    code = '';
    out.push({ kind, text });
  };
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? sql.length : end;
      push('comment', sql.slice(i, stop));
      i = stop;
    } else if (c === '/' && next === '*') {
      let depth = 1;
      let j = i + 2;
      while (j < sql.length && depth > 0) {
        if (sql[j] === '/' && sql[j + 1] === '*') (depth += 1), (j += 2);
        else if (sql[j] === '*' && sql[j + 1] === '/') (depth -= 1), (j += 2);
        else j += 1;
      }
      push('comment', sql.slice(i, j));
      i = j;
    } else if (c === "'" || c === '"') {
      // E'...' strings allow backslash escapes; the E belongs to the code segment already.
      const backslash = c === "'" && /[eE]$/.test(code) && !/[A-Za-z0-9_$]$/.test(code.slice(0, -1));
      let j = i + 1;
      for (; j < sql.length; j++) {
        if (backslash && sql[j] === '\\') j += 1;
        else if (sql[j] === c) {
          if (sql[j + 1] === c) j += 1;
          else break;
        }
      }
      push('literal', sql.slice(i, j + 1));
      i = j + 1;
    } else if (c === '$' && !/[A-Za-z0-9_]$/.test(code)) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      if (tag) {
        const end = sql.indexOf(tag[0], i + tag[0].length);
        const stop = end === -1 ? sql.length : end + tag[0].length;
        push('literal', sql.slice(i, stop));
        i = stop;
      } else {
        code += c;
        i += 1;
      }
    } else {
      code += c;
      i += 1;
    }
  }
  if (code) out.push({ kind: 'code', text: code });
  return out;
}

/** The statements in the text, each trimmed and without its `;`; statements of only comments/whitespace are dropped. */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = '';
  let meaningful = false;
  const end = () => {
    if (meaningful) statements.push(current.trim());
    current = '';
    meaningful = false;
  };
  for (const seg of scan(sql)) {
    if (seg.kind !== 'code') {
      current += seg.text;
      if (seg.kind === 'literal') meaningful = true;
      continue;
    }
    const parts = seg.text.split(';');
    parts.forEach((part, k) => {
      if (k > 0) end();
      current += part;
      if (part.trim() !== '') meaningful = true;
    });
  }
  end();
  return statements;
}

/** The first keyword of a statement (upper case), skipping comments and opening parentheses. */
export function firstKeyword(statement: string): string {
  for (const seg of scan(statement)) {
    if (seg.kind === 'comment') continue;
    if (seg.kind === 'literal') return '';
    const m = /^[\s(]*([A-Za-z]+)/.exec(seg.text);
    if (m) return m[1]!.toUpperCase();
    if (seg.text.trim().replace(/\(/g, '') !== '') return '';
  }
  return '';
}

export interface BoundStatement {
  /** The statement with `:name` replaced by `$1`, `$2`, ... (one number per distinct name). */
  text: string;
  /** Column names, in parameter order: `names[0]` binds `$1`. */
  names: string[];
}

const PLACEHOLDER = /(::?)([A-Za-z_][A-Za-z0-9_]*)/g;

/**
 * Turns `:name` placeholders into positional parameters. `::type` casts, `:=`, and anything inside
 * literals, quoted identifiers and comments are left as they are.
 */
export function bindPlaceholders(statement: string): BoundStatement {
  const names: string[] = [];
  let text = '';
  for (const seg of scan(statement)) {
    if (seg.kind !== 'code') {
      text += seg.text;
      continue;
    }
    text += seg.text.replace(PLACEHOLDER, (whole, colons: string, name: string, offset: number, all: string) => {
      if (colons === '::') return whole; // a cast
      if (offset > 0 && all[offset - 1] === ':') return whole; // the tail of a `:::` oddity: leave it
      let index = names.indexOf(name);
      if (index === -1) index = names.push(name) - 1;
      return `$${index + 1}`;
    });
  }
  return { text, names };
}
