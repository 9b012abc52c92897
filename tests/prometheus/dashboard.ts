/** Reading a Grafana dashboard's JSON: its panels, variables and PromQL expressions. */
import { variableQueryExpr } from './metric-names';

/** A parsed JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** True for a JSON object (not an array, not null). */
export const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every panel, including those nested in collapsed rows. */
export function panelsOf(dash: JsonObject): JsonObject[] {
  const out: JsonObject[] = [];
  const visit = (list: Json | undefined): void => {
    if (!Array.isArray(list)) return;
    for (const p of list) {
      if (!isObject(p)) continue;
      out.push(p);
      visit(p['panels']);
    }
  };
  visit(dash['panels']);
  return out;
}

/** Every PromQL expression of the dashboard: panel targets, annotations, variable queries. */
export function dashboardExprs(dash: JsonObject): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  for (const panel of panelsOf(dash)) {
    const targets = panel['targets'];
    if (!Array.isArray(targets)) continue;
    for (const t of targets) {
      if (isObject(t) && typeof t['expr'] === 'string') out.push({ where: `panel "${String(panel['title'])}"`, expr: t['expr'] });
    }
  }
  const annotations = isObject(dash['annotations']) ? dash['annotations']['list'] : undefined;
  for (const a of Array.isArray(annotations) ? annotations : []) {
    if (isObject(a) && typeof a['expr'] === 'string') out.push({ where: `annotation "${String(a['name'])}"`, expr: a['expr'] });
  }
  for (const v of templateVariables(dash)) {
    const expr = variableQueryExpr(variableQuery(v));
    if (expr) out.push({ where: `variable "${String(v['name'])}"`, expr });
  }
  return out;
}

/** The dashboard's template variables. */
export function templateVariables(dash: JsonObject): JsonObject[] {
  const list = isObject(dash['templating']) ? dash['templating']['list'] : undefined;
  return (Array.isArray(list) ? list : []).filter(isObject);
}

/** A variable's query text, whether stored as a string or as Grafana 10's object. */
export function variableQuery(v: JsonObject): string {
  const q = v['query'];
  if (typeof q === 'string') return q;
  if (isObject(q) && typeof q['query'] === 'string') return q['query'];
  return '';
}
