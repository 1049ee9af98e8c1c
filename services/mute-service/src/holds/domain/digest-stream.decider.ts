import type { Decider } from '../../write/decider';
import { invalid, MuteError } from '../../write/mute.errors';

/** A released digest as its stream records it (D110): which messages, in which order, under which id. */
export type DigestReleasedData = {
  digestId: string;
  tenantId: string;
  recipientId: string;
  digestNo: number;
  releasedAt: number;
  trigger: string;
  releaseKey: string | null;
  messageIds: string[];
};

export type DigestStreamEvent = { type: 'DigestReleased'; data: DigestReleasedData };
export type DigestStreamCommand = { type: 'ReleaseDigest'; data: DigestReleasedData };

export type DigestStreamState = {
  last: DigestReleasedData | null;
  /** Each release key's digest: a retried release answers the digest its first attempt made (novu#12373). */
  byKey: ReadonlyMap<string, DigestReleasedData>;
  revision: number;
};

/**
 * A recipient's digests (muteDigest-<tenant>.<recipientId>): numbered 1, 2, 3 … with no gap and none twice.
 * The stream's revision is the concurrency guard (digest n is appended at revision n − 2), so two releases that
 * both read digest n − 1 as the last cannot both write digest n.
 */
export const digestStreamDecider: Decider<DigestStreamState, DigestStreamCommand, DigestStreamEvent> = {
  initialState: () => ({ last: null, byKey: new Map(), revision: -1 }),
  evolve(state, event, revision) {
    const byKey = new Map(state.byKey);
    if (event.data.releaseKey) byKey.set(event.data.releaseKey, event.data);
    return { last: event.data, byKey, revision };
  },
  decide(command, state) {
    const d = command.data;
    if (d.releaseKey && state.byKey.has(d.releaseKey)) return [];
    if (d.messageIds.length === 0) throw invalid('messageIds', 'a digest releases at least one message');
    const next = (state.last?.digestNo ?? 0) + 1;
    if (d.digestNo !== next)
      throw new MuteError(
        'MUTE.WRONG_EXPECTED_REVISION',
        `digest ${d.digestNo} of ${d.recipientId}: the next digest is ${next}`,
        'digestNo',
      );
    return [{ type: 'DigestReleased', data: d }];
  },
  revisionOf: (_command, state) => state.revision,
};
