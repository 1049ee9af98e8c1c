import type { Metadata } from '@grpc/grpc-js';
import { Controller, Inject } from '@nestjs/common';
import { muteFlowV1 } from '@tagguard/contracts';
import { caller, edge, MUTE_EDGE, type EdgeDeps } from '../edge';
import { isoOut } from '../timers/flow.tokens';
import { invalid } from '../write/mute.errors';
import { HoldStore, type Digest } from './hold-store';

const digestOut = (d: Digest): muteFlowV1.Digest => ({
  digestId: d.digestId,
  recipientId: d.recipientId,
  digestNo: d.digestNo,
  releasedAt: isoOut(d.releasedAt),
  trigger: d.trigger,
  messageIds: d.messageIds,
});

const recipientIn = (value: string | undefined): string => {
  if (!value) throw invalid('recipientId', 'is required');
  if (value.length > 256) throw invalid('recipientId', 'must be at most 256 characters');
  return value;
};

/** tagguard.mute.v1.HoldService. */
@Controller()
@muteFlowV1.HoldServiceControllerMethods()
export class HoldGrpcController implements muteFlowV1.HoldServiceController {
  constructor(
    @Inject(HoldStore) private readonly holds: HoldStore,
    @Inject(MUTE_EDGE) private readonly deps: EdgeDeps,
  ) {}

  listHeld(r: muteFlowV1.ListHeldRequest, md?: Metadata) {
    return edge(async () => {
      const meta = caller(this.deps, md, 'rules.manage');
      const held = await this.holds.held(meta.tenantId, r.recipientId || undefined);
      return {
        held: held.map((h) => ({
          messageId: h.messageId,
          recipientId: h.recipientId,
          releaseAt: isoOut(h.releaseAt),
        })),
      };
    });
  }

  releaseDue(r: muteFlowV1.ReleaseDueRequest, md?: Metadata) {
    return edge(async () => {
      const meta = caller(this.deps, md, 'rules.manage');
      const recipientId = recipientIn(r.recipientId);
      if (r.releaseKey && r.releaseKey.length > 128)
        throw invalid('releaseKey', 'must be at most 128 characters');
      const digest = await this.holds.release(meta.tenantId, recipientId, Date.now(), {
        trigger: `grpc:${meta.actorId}`,
        ...(r.releaseKey ? { releaseKey: r.releaseKey } : {}),
      });
      return { digest: digest ? digestOut(digest) : undefined };
    });
  }

  listDigests(r: muteFlowV1.ListDigestsRequest, md?: Metadata) {
    return edge(async () => {
      const meta = caller(this.deps, md, 'rules.manage');
      return {
        digests: (await this.holds.listDigests(meta.tenantId, recipientIn(r.recipientId))).map(digestOut),
      };
    });
  }
}
