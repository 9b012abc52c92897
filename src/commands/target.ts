/** Where a running vigil listens, for the commands that talk to it over HTTP (wait-healthy, maintenance). */
import { loadConfig } from '../config/load';
import { EXIT, ExitError } from './common';

export interface TargetOptions {
  token?: string | undefined;
  configFile?: string | undefined;
}

/** The base URL (`http://127.0.0.1:9477`) and token: --token, else the config's `listen.token`, else $VIGIL_TOKEN. */
export function localTarget(options: TargetOptions): { base: string; token: string } {
  const loaded = loadConfig({ file: options.configFile });
  if (!loaded.ok) throw new ExitError(EXIT.config, loaded.problems.map((p) => `vigil: config: ${p}`).join('\n'));
  const { host, port, token } = loaded.config.listen;
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  return { base: `http://${reachable}:${port}`, token: options.token || token || process.env.VIGIL_TOKEN || '' };
}

/** Validates a --url; throws a usage error for one that is not a URL. */
export function parseUrlOption(url: string): URL {
  try {
    return new URL(url);
  } catch {
    throw new ExitError(EXIT.config, `vigil: invalid --url "${url}"`);
  }
}
