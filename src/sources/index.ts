/** The table of sources: which ones run is decided here, from the config, and nowhere else. */
import type { Config } from '../config/types';
import type { Logger } from '../log';
import type { Pm2ProcessEvent } from '../pm2/connection';
import type { StateStore } from '../state';
import { pm2Source } from './pm2';
import { queuesSource } from './queues';
import type { AnySource } from './source';

export interface SourceDeps {
  logger: Logger;
  state: StateStore;
  /** PM2 bus events; the daemon turns them into an early poll. */
  onPm2Event?: (e: Pm2ProcessEvent) => void;
}

export function buildSources(config: Config, deps: SourceDeps): AnySource[] {
  const sources: AnySource[] = [];
  if (config.pm2.enabled) sources.push(pm2Source(config, deps.onPm2Event));
  if (config.redis.url !== '') sources.push(queuesSource(config, deps));
  return sources;
}
