/** `<service>.<public|internal>.<aggregate>.<event>.v<N>`; the event part is "events" for a topic that
 * carries every event of one aggregate, which keeps their order per aggregate (key = aggregate id). */
export interface TopicSpec {
  service: string;
  visibility: 'public' | 'internal';
  aggregate: string;
  event: string;
  version: number;
}

const PART = /^[a-z][a-z0-9-]*$/;

export function topicName(spec: TopicSpec): string {
  for (const [field, value] of Object.entries({
    service: spec.service,
    aggregate: spec.aggregate,
    event: spec.event,
  })) {
    if (!PART.test(value)) throw new Error(`topic ${field} "${value}" must be lower-case kebab`);
  }
  if (!Number.isInteger(spec.version) || spec.version < 1)
    throw new Error(`topic version must be a positive integer`);
  return `${spec.service}.${spec.visibility}.${spec.aggregate}.${spec.event}.v${spec.version}`;
}

/** Where a consumer group parks messages it could not handle: `<group>.dlt`. */
export function deadLetterTopic(consumerGroup: string): string {
  return `${consumerGroup}.dlt`;
}
