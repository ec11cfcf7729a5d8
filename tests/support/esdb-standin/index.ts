/**
 * EventStoreDB wire stand-in — A TEST DOUBLE, USED ONLY BY TESTS, NEVER IN PRODUCTION.
 *
 * A gRPC server speaking the subset of EventStoreDB's Streams service that the product's adapter
 * uses, built on the service definitions shipped with `@eventstore/db-client`, so the real driver
 * talks to it over the wire. It follows the server's documented semantics: expected-revision
 * checks with wrong-expected-version responses, stream-not-found reads, `$all` positions with gaps
 * (inclusive forwards, exclusive backwards), catch-up subscriptions that start after their position
 * and report when caught up. Everything lives in memory.
 *
 * Not implemented: ServerFeatures (answers UNIMPLEMENTED, so the driver falls back to Append),
 * BatchAppend, Delete/Tombstone, stream subscriptions, persistent subscriptions, projections,
 * gossip, TLS and authentication, idempotent re-appends of the same event ids, filter checkpoints
 * and max search windows, and rejection of positions that do not start a record.
 */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import streamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb.js';
import { appendHandler } from './append.js';
import { StandInLog } from './log.js';
import { readHandler, Subscriptions } from './read.js';

export interface EsdbStandIn {
  /** `esdb://127.0.0.1:PORT?tls=false` */
  connectionString: string;
  port: number;
  /** Ends every live subscription with UNAVAILABLE, as when a node goes away. */
  dropSubscriptions(): void;
  /** How many `$all` subscriptions have been opened so far. */
  subscriptionsStarted(): number;
  stop(): Promise<void>;
}

/** Starts the stand-in on 127.0.0.1, on an ephemeral port unless `port` is given. */
export async function startEsdbStandIn(options: { port?: number } = {}): Promise<EsdbStandIn> {
  const log = new StandInLog();
  const subscriptions = new Subscriptions();
  const server = new Server();
  server.addService(streamsGrpc.StreamsService, {
    read: readHandler(log, subscriptions),
    append: appendHandler(log),
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`127.0.0.1:${options.port ?? 0}`, ServerCredentials.createInsecure(), (error, boundPort) =>
      error ? reject(error) : resolve(boundPort),
    );
  });
  return {
    connectionString: `esdb://127.0.0.1:${port}?tls=false`,
    port,
    dropSubscriptions: () => subscriptions.dropAll(),
    subscriptionsStarted: () => subscriptions.started,
    stop: async () => {
      subscriptions.dropAll();
      server.forceShutdown();
    },
  };
}
