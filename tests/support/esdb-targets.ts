import { randomUUID } from 'node:crypto';
import { startEsdbStandIn, type EsdbStandIn } from './esdb-standin/index.js';

/** An EventStoreDB to run a test against: the wire stand-in, or a real server. */
export interface EsdbTarget {
  connectionString: string;
  /** The stand-in's controls; `null` against a real server. */
  standIn: EsdbStandIn | null;
  stop(): Promise<void>;
}

export interface EsdbTargetKind {
  name: string;
  open(): Promise<EsdbTarget>;
}

/**
 * The stand-in always; a real server too when EVENTSTORE_URL is set (`docker compose up
 * eventstore`), so the same tests check the stand-in against the server it stands in for.
 */
export function esdbTargets(): EsdbTargetKind[] {
  const targets: EsdbTargetKind[] = [
    {
      name: 'wire stand-in',
      open: async () => {
        const standIn = await startEsdbStandIn();
        return { connectionString: standIn.connectionString, standIn, stop: () => standIn.stop() };
      },
    },
  ];
  const url = process.env.EVENTSTORE_URL;
  if (url) targets.push({ name: 'real server', open: async () => ({ connectionString: url, standIn: null, stop: async () => undefined }) });
  return targets;
}

/** A stream-name prefix of its own, so tests can share a non-empty server. */
export function namespace(): string {
  return `t${randomUUID().replaceAll('-', '').slice(0, 12)}-`;
}
