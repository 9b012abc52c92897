/**
 * A small PromQL scanner for tests: finds the metric names, label matchers and grouping labels that an
 * expression uses, so alerts/ and grafana/ can be checked against the metric contract. It is not a
 * parser: it only has to tell metric names from functions, keywords, labels, strings, numbers and
 * durations. Grafana template variables ($queue, ${app}, $__rate_interval) are skipped.
 */

/** One label matcher inside `{...}`, e.g. state=~"waiting|prioritized". */
export interface Matcher {
  readonly label: string;
  readonly op: '=' | '!=' | '=~' | '!~';
  readonly value: string;
}

/** A vector selector: a metric name and its matchers. */
export interface Selector {
  readonly metric: string;
  readonly matchers: readonly Matcher[];
}

const AGGREGATIONS = new Set([
  'sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk',
  'quantile', 'limitk', 'limit_ratio',
]);
/** Keywords followed by a parenthesised list of label names. */
const LABEL_LISTS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const KEYWORDS = new Set([...LABEL_LISTS, 'bool', 'and', 'or', 'unless', 'atan2', 'offset', 'inf', 'nan']);

const IDENT = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;
// A duration (5m, 1h30m, 300ms) before a number (1, 0.05, 1e9, 0x1f).
const NUMBER = /(?:(?:\d+(?:ms|[smhdwy]))+|0x[0-9a-f]+|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)(?![a-zA-Z0-9_:])/iy;
const VARIABLE = /\$(?:\{[^}]*\}|\w+)|\[\[[^\]]*\]\]/y;
const MATCHER = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*/y;

/** What an expression uses. */
export interface Scan {
  readonly selectors: readonly Selector[];
  /** Label names in by/without/on/ignoring/group_left/group_right lists. */
  readonly groupingLabels: readonly string[];
}

/** Scans one PromQL expression. Throws on what it cannot read (an unterminated string or brace). */
export function scanPromQL(expr: string): Scan {
  const selectors: Selector[] = [];
  const groupingLabels: string[] = [];
  let i = 0;
  const at = (re: RegExp): RegExpExecArray | null => {
    re.lastIndex = i;
    return re.exec(expr);
  };
  const skipSpace = (): void => {
    while (i < expr.length && /\s/.test(expr[i] ?? '')) i++;
  };
  /** Reads a quoted string starting at i; returns its unescaped content. */
  const readString = (): string => {
    const quote = expr[i];
    let out = '';
    i++;
    while (i < expr.length && expr[i] !== quote) {
      if (expr[i] === '\\' && quote !== '`') i++;
      out += expr[i] ?? '';
      i++;
    }
    if (i >= expr.length) throw new Error(`unterminated string in: ${expr}`);
    i++;
    return out;
  };
  /** Reads `{label op "value", ...}` starting at i. */
  const readMatchers = (): Matcher[] => {
    const matchers: Matcher[] = [];
    i++; // {
    for (;;) {
      skipSpace();
      if (expr[i] === '}') break;
      if (expr[i] === ',') { i++; continue; }
      const m = at(MATCHER);
      if (!m) throw new Error(`cannot read label matcher at ${i} in: ${expr}`);
      i = MATCHER.lastIndex;
      if (!['"', "'", '`'].includes(expr[i] ?? '')) throw new Error(`label value not quoted at ${i} in: ${expr}`);
      matchers.push({ label: m[1] ?? '', op: m[2] as Matcher['op'], value: readString() });
    }
    i++; // }
    return matchers;
  };
  /** Reads `( label, label )` starting at i. */
  const readLabelList = (): void => {
    const end = expr.indexOf(')', i);
    if (end < 0) throw new Error(`unterminated label list in: ${expr}`);
    for (const label of expr.slice(i + 1, end).split(',')) if (label.trim()) groupingLabels.push(label.trim());
    i = end + 1;
  };

  while (i < expr.length) {
    const c = expr[i] ?? '';
    if (/\s/.test(c)) { i++; continue; }
    if (c === '#') { while (i < expr.length && expr[i] !== '\n') i++; continue; }
    if (c === '"' || c === "'" || c === '`') { readString(); continue; }
    const variable = at(VARIABLE);
    if (variable) { i = VARIABLE.lastIndex; continue; }
    if (c === '[') { // range or subquery: durations and variables only
      const end = expr.indexOf(']', i);
      if (end < 0) throw new Error(`unterminated range in: ${expr}`);
      i = end + 1;
      continue;
    }
    if (c === '{') { // a selector without a metric name, e.g. {__name__="x"}: not used here
      readMatchers();
      continue;
    }
    const number = at(NUMBER);
    if (number && /[0-9.]/.test(c)) { i = NUMBER.lastIndex; continue; }
    const ident = at(IDENT);
    if (!ident) { i++; continue; } // operators, parentheses, commas
    i = IDENT.lastIndex;
    const word = ident[0];
    skipSpace();
    const lower = word.toLowerCase();
    if (LABEL_LISTS.has(lower) && expr[i] === '(') { readLabelList(); continue; }
    if (KEYWORDS.has(lower) || AGGREGATIONS.has(lower)) continue;
    if (expr[i] === '(') continue; // a function call
    selectors.push({ metric: word, matchers: expr[i] === '{' ? readMatchers() : [] });
  }
  return { selectors, groupingLabels };
}

/** The metric names an expression reads, each once, in order of first use. */
export function metricNamesIn(expr: string): string[] {
  return [...new Set(scanPromQL(expr).selectors.map((s) => s.metric))];
}

/**
 * The expression inside a Grafana Prometheus variable query: `label_values(selector, label)` gives the
 * selector, `query_result(expr)` the expression; `label_values(label)`, `label_names()` and
 * `metrics(re)` read no metric and give ''.
 */
export function variableQueryExpr(query: string): string {
  const q = query.trim();
  const labelValues = /^label_values\((.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)$/s.exec(q);
  if (labelValues) return labelValues[1] ?? '';
  const queryResult = /^query_result\((.*)\)$/s.exec(q);
  if (queryResult) return queryResult[1] ?? '';
  if (/^(label_values|label_names|metrics)\(/.test(q)) return '';
  throw new Error(`unknown Grafana variable query: ${query}`);
}
