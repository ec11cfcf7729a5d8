/**
 * EventStoreDB wire stand-in — A TEST DOUBLE, USED ONLY BY TESTS, NEVER IN PRODUCTION.
 *
 * A gRPC server speaking the subset of EventStoreDB 24.10's client protocol that the product's
 * adapter uses, built on the service definitions shipped with `@eventstore/db-client`, so the real
 * driver talks to it over the wire and takes the path it takes against a real node: it learns the
 * node's methods from ServerFeatures and sends every append through BatchAppend. It follows the
 * server's documented semantics: expected-revision checks with wrong-expected-version answers,
 * idempotent re-appends of the same event ids, the 1 MiB maximum append size, stream-not-found
 * reads, `$all` positions with gaps (inclusive forwards, exclusive backwards) and refusal of
 * positions where no record starts, catch-up subscriptions that start after their position,
 * report when caught up and, when filtered, send checkpoints. Everything lives in memory.
 *
 * Tests can make appends fail as a node does (`failAppends`): "not ready", "busy", a dropped
 * connection before or after the write; and take the node down and bring it back on the same
 * port with its data (`halt`, `restart`).
 *
 * Not implemented: the legacy Append call (the driver uses it only for appends carrying their own
 * credentials), Delete/Tombstone, stream subscriptions, persistent subscriptions, projections,
 * gossip, TLS and authentication, write deadlines, server-side filters on reads, the bounded size of
 * the server's idempotency cache, and the error a node gives for a backwards read from past the end.
 */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import featuresGrpc from '@eventstore/db-client/generated/serverfeatures_grpc_pb.js';
import streamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb.js';
import { batchAppendHandler } from './batch-append.js';
import { AppendFaults, type AppendFault } from './faults.js';
import { StandInLog } from './log.js';
import { readHandler } from './read.js';
import { supportedMethodsHandler } from './server-features.js';
import { Subscriptions } from './subscribe-all.js';

export type { AppendFault } from './faults.js';

export interface EsdbStandIn {
  /** `esdb://127.0.0.1:PORT?tls=false` */
  connectionString: string;
  port: number;
  /** Ends every live subscription with UNAVAILABLE, as when a node goes away. */
  dropSubscriptions(): void;
  /** How many `$all` subscriptions have been opened so far. */
  subscriptionsStarted(): number;
  /** Where each `$all` subscription asked to start, in order (`null`: the start of the log). */
  subscriptionStarts(): Array<bigint | null>;
  /** Makes the next appends fail, one fault per append, in order. */
  failAppends(...faults: AppendFault[]): void;
  /** How many appends have reached the stand-in so far, failed ones included. */
  appendsReceived(): number;
  /** Goes down as a node does: connections drop, the port refuses; what it stored is kept for `restart`. */
  halt(): Promise<void>;
  /** Comes back up on the same port with everything it stored before `halt`. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the stand-in on 127.0.0.1, on an ephemeral port unless `port` is given. */
export async function startEsdbStandIn(options: { port?: number } = {}): Promise<EsdbStandIn> {
  const log = new StandInLog();
  const subscriptions = new Subscriptions();
  const faults = new AppendFaults();
  // One gRPC server per time the node is up; what it stored outlives a halt.
  const serve = async (port: number) => {
    const server = new Server();
    server.addService(streamsGrpc.StreamsService, {
      read: readHandler(log, subscriptions),
      batchAppend: batchAppendHandler(log, faults),
    });
    server.addService(featuresGrpc.ServerFeaturesService, { getSupportedMethods: supportedMethodsHandler() });
    const bound = await new Promise<number>((resolve, reject) => {
      server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (error, boundPort) => (error ? reject(error) : resolve(boundPort)));
    });
    return { server, port: bound };
  };
  let running: { server: Server; port: number } | null = await serve(options.port ?? 0);
  const port = running.port;
  const halt = async () => {
    subscriptions.dropAll();
    running?.server.forceShutdown();
    running = null;
  };
  return {
    connectionString: `esdb://127.0.0.1:${port}?tls=false`,
    port,
    dropSubscriptions: () => subscriptions.dropAll(),
    subscriptionsStarted: () => subscriptions.starts.length,
    subscriptionStarts: () => [...subscriptions.starts],
    failAppends: (...list) => faults.add(list),
    appendsReceived: () => faults.received,
    halt,
    restart: async () => {
      if (running === null) running = await serve(port);
    },
    stop: halt,
  };
}
