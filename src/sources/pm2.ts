/** The PM2 source: lists the daemon's processes under a deadline and maps them. Never starts a daemon. */
import type { Config } from '../config/types';
import { Pm2Connection, type Pm2ProcessEvent, type RawPm2Process } from '../pm2/connection';
import type { Pm2Data } from '../snapshot';
import { buildPm2Data } from './pm2-map';
import type { Source } from './source';

export function pm2Source(config: Config, onEvent?: (e: Pm2ProcessEvent) => void): Source<'pm2'> & { connection: Pm2Connection } {
  const connection = new Pm2Connection(config.pm2.home, onEvent);
  return {
    name: 'pm2',
    connection,
    async poll(): Promise<Pm2Data> {
      const list = await connection.call<unknown>('getMonitorData', {}, config.poll.timeout);
      if (!Array.isArray(list)) throw new Error('pm2 answered getMonitorData with something other than a list');
      return buildPm2Data(list as RawPm2Process[], config.pm2.expected, Date.now());
    },
    async close() {
      connection.close();
    },
  };
}
