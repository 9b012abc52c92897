/** The one interface every source implements: read, map, return data — or throw. The poller keeps the books. */
import type { SourceData, SourceName } from '../snapshot';

export interface Source<N extends SourceName = SourceName> {
  name: N;
  /** One poll. May ignore `signal`; the poller enforces the deadline either way. */
  poll(signal: AbortSignal): Promise<SourceData[N]>;
  /** Releases connections; called once at shutdown. */
  close(): Promise<void>;
}

export type AnySource = { [N in SourceName]: Source<N> }[SourceName];
