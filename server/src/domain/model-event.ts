export interface ModelEvent {
  streamName: string;
  revision: bigint;
  type: string;
  data: unknown;
  /** Times come from the event's own metadata, so a rebuild is exact. */
  metadata: { occurredAt: string } & Record<string, unknown>;
}

/** A stored event as the model reads it; events written without `occurredAt` fall back to the store's time. */
export function modelEventOf<E extends { streamName: string; revision: bigint; position: bigint; type: string; data: unknown; metadata: Record<string, unknown>; recordedAt: Date }>(
  event: E,
): ModelEvent & { position: bigint } {
  // The usual case needs no copy: rebuilds apply every event of the log through here.
  if (typeof event.metadata['occurredAt'] === 'string') return event as unknown as ModelEvent & { position: bigint };
  return { ...event, metadata: { ...event.metadata, occurredAt: event.recordedAt.toISOString() } };
}
