import type { Metadata } from '@grpc/grpc-js';
import { Controller, Inject } from '@nestjs/common';
import { muteFlowV1 } from '@tagguard/contracts';
import { LocalCopies } from '../copies/local-copies';
import { caller, edge, MUTE_EDGE, type EdgeDeps } from '../edge';
import { FLOW_RUNNER, isoOut } from '../timers/flow.tokens';
import type { FlowRunner } from '../timers/flow-runner';
import { FlowError, invalid } from './domain/unmute.errors';
import type { UnmuteReport } from './domain/unmute.decider';
import { UnmuteStore, type UnmuteView } from './unmute-store';

const unmuteOut = (u: UnmuteView): muteFlowV1.TemporaryUnmute => ({
  unmuteId: u.unmuteId,
  tagId: u.tagId,
  tagName: u.tagName,
  unmutedBy: u.actorId,
  startsAt: isoOut(u.startsAt),
  endsAt: isoOut(u.endsAt),
  status: u.status === 'active' ? 'ACTIVE' : 'ENDED',
  endedAt: isoOut(u.endedAt),
  endedBy: u.endedBy ?? '',
  messagesLetThrough: String(u.passedCount),
});

const reportOut = (r: UnmuteReport): muteFlowV1.UnmuteReport => ({
  unmuteId: r.unmuteId,
  tagId: r.tagId,
  tagName: r.tagName,
  unmutedBy: r.unmutedBy,
  startedAt: isoOut(r.startedAt),
  plannedEndAt: isoOut(r.plannedEndAt),
  endedAt: isoOut(r.endedAt),
  endedBy: r.endedBy,
  reason: r.reason,
  durationSeconds: String(Math.round(r.durationMs / 1000)),
  messageCount: String(r.messageCount),
  recipientCount: String(r.recipientCount),
  senderCount: String(r.senderCount),
  messages: r.messages.map((m) => ({
    messageId: m.messageId,
    recipientId: m.recipientId,
    sender: m.sender,
    senderCorpId: m.senderCorpId ?? '',
    sentAt: isoOut(m.sentAt),
  })),
});

const idIn = (value: string | undefined, field: string): string => {
  if (!value) throw invalid(field, 'is required');
  if (value.length > 256) throw invalid(field, 'must be at most 256 characters');
  return value;
};

/** tagguard.mute.v1.UnmuteService. */
@Controller()
@muteFlowV1.UnmuteServiceControllerMethods()
export class UnmuteGrpcController implements muteFlowV1.UnmuteServiceController {
  constructor(
    @Inject(UnmuteStore) private readonly unmutes: UnmuteStore,
    @Inject(LocalCopies) private readonly copies: LocalCopies,
    @Inject(FLOW_RUNNER) private readonly runner: FlowRunner,
    @Inject(MUTE_EDGE) private readonly deps: EdgeDeps,
  ) {}

  startTemporaryUnmute(r: muteFlowV1.StartTemporaryUnmuteRequest, md?: Metadata) {
    return edge(async () => {
      const meta = caller(this.deps, md, 'rules.manage');
      const tagId = idIn(r.tagId, 'tagId');
      // Find by tag: the tag must be one mute-service's copy of tag-service knows.
      const copy = await this.copies.tenant(meta.tenantId);
      if (copy.parentOf(tagId) === undefined)
        throw new FlowError(
          'MUTE.NOT_FOUND',
          `tag ${tagId} is not in mute-service's copy of the tags`,
          'tagId',
        );
      if (r.unmuteId && r.unmuteId.length > 128) throw invalid('unmuteId', 'must be at most 128 characters');
      const unmute = await this.unmutes.start({
        tenantId: meta.tenantId,
        ...(r.unmuteId ? { unmuteId: r.unmuteId } : {}),
        tagId,
        tagName: r.tagName || tagId,
        actorId: meta.actorId,
        hours: r.hours,
        now: Date.now(),
      });
      await this.runner.refresh();
      return { unmute: unmuteOut(unmute) };
    });
  }

  stopTemporaryUnmute(r: muteFlowV1.StopTemporaryUnmuteRequest, md?: Metadata) {
    return edge(async () => {
      const meta = caller(this.deps, md, 'rules.manage');
      const report = await this.unmutes.stop({
        tenantId: meta.tenantId,
        unmuteId: idIn(r.unmuteId, 'unmuteId'),
        actorId: meta.actorId,
        now: Date.now(),
      });
      await this.runner.refresh();
      return { report: reportOut(report) };
    });
  }

  getTemporaryUnmute(r: muteFlowV1.GetTemporaryUnmuteRequest, md?: Metadata) {
    return edge(async () => {
      const meta = caller(this.deps, md, 'rules.manage');
      return { unmute: unmuteOut(await this.unmutes.get(meta.tenantId, idIn(r.unmuteId, 'unmuteId'))) };
    });
  }

  listTemporaryUnmutes(r: muteFlowV1.ListTemporaryUnmutesRequest, md?: Metadata) {
    return edge(async () => {
      const meta = caller(this.deps, md, 'rules.manage');
      const list = await this.unmutes.list(meta.tenantId, {
        ...(r.tagId ? { tagId: r.tagId } : {}),
        activeOnly: !!r.activeOnly,
      });
      return { unmutes: list.map(unmuteOut) };
    });
  }

  getUnmuteReport(r: muteFlowV1.GetUnmuteReportRequest, md?: Metadata) {
    return edge(async () => {
      const meta = caller(this.deps, md, 'rules.manage');
      return { report: reportOut(await this.unmutes.report(meta.tenantId, idIn(r.unmuteId, 'unmuteId'))) };
    });
  }
}
