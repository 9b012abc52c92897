/**
 * `${VAR}` / `${VAR:-default}` substitution from the environment.
 *
 * It runs on each string value of the parsed YAML rather than on the raw text, so a secret that contains
 * `#`, `:` or a newline cannot change the document's structure. A value that is nothing but one reference
 * (`port: ${VIGIL_PORT:-9477}`) is read again as a YAML scalar, so numbers and booleans keep their type.
 */
import { parse as parseYaml } from 'yaml';

export interface InterpolationProblem {
  path: (string | number)[];
  message: string;
}

export interface InterpolationResult {
  value: unknown;
  problems: InterpolationProblem[];
  /** Non-empty values taken from the environment: candidates for secret scrubbing. */
  substituted: string[];
}

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const WHOLE_REFERENCE = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}$/;

export function interpolate(tree: unknown, env: NodeJS.ProcessEnv): InterpolationResult {
  const problems: InterpolationProblem[] = [];
  const substituted: string[] = [];

  const expand = (text: string, path: (string | number)[]): unknown => {
    const out = text.replace(REFERENCE, (_whole, name: string, fallback: string | undefined) => {
      const value = env[name];
      if (value !== undefined && value !== '') {
        substituted.push(value);
        return value;
      }
      if (fallback !== undefined) return fallback;
      if (value === undefined) problems.push({ path, message: `environment variable ${name} is not set (use \${${name}:-default} for a default)` });
      return '';
    });
    if (out === text || !WHOLE_REFERENCE.test(text) || out === '') return out;
    try {
      const scalar: unknown = parseYaml(out);
      return typeof scalar === 'number' || typeof scalar === 'boolean' ? scalar : out;
    } catch {
      return out;
    }
  };

  const walk = (node: unknown, path: (string | number)[]): unknown => {
    if (typeof node === 'string') return expand(node, path);
    if (Array.isArray(node)) return node.map((item, i) => walk(item, [...path, i]));
    if (node !== null && typeof node === 'object') {
      const copy: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(node)) copy[key] = walk(child, [...path, key]);
      return copy;
    }
    return node;
  };

  return { value: walk(tree, []), problems, substituted };
}
