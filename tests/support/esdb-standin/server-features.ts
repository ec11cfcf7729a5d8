/** ServerFeatures of the EventStoreDB stand-in (a test double; see index.ts). */
import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import featuresPb from '@eventstore/db-client/generated/serverfeatures_pb.js';
import type { SupportedMethods } from '@eventstore/db-client/generated/serverfeatures_pb.js';
import type { Empty } from '@eventstore/db-client/generated/shared_pb.js';

/** The version `docker-compose.yml` pins; the driver only reads which methods are listed. */
const SERVER_VERSION = '24.10.1';

/**
 * Lists the methods the stand-in serves, named as a 24.10 node names them (service and method in
 * lower case, with the same feature tags). Seeing `batchappend` listed, the driver sends every
 * append through BatchAppend, as it does against the real server.
 */
const METHODS: Array<{ service: string; method: string; features: string[] }> = [
  { service: 'event_store.client.streams.streams', method: 'read', features: ['position', 'events'] },
  { service: 'event_store.client.streams.streams', method: 'batchappend', features: ['deadline_duration'] },
  { service: 'event_store.client.server_features.serverfeatures', method: 'getsupportedmethods', features: [] },
];

export function supportedMethodsHandler() {
  return (_call: ServerUnaryCall<Empty, SupportedMethods>, callback: sendUnaryData<SupportedMethods>) => {
    const methods = new featuresPb.SupportedMethods();
    methods.setEventStoreServerVersion(SERVER_VERSION);
    methods.setMethodsList(
      METHODS.map(({ service, method, features }) => {
        const supported = new featuresPb.SupportedMethod();
        supported.setServiceName(service);
        supported.setMethodName(method);
        supported.setFeaturesList(features);
        return supported;
      }),
    );
    callback(null, methods);
  };
}
