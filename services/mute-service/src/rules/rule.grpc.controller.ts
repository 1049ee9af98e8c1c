import type { Metadata } from '@grpc/grpc-js';
import { Controller, Inject } from '@nestjs/common';
import { muteRuleV1 } from '@tagguard/contracts';
import { caller, edge, MUTE_EDGE, revisionField, writeResult, type EdgeDeps } from '../edge';
import { MuteMemory } from '../memory/mute-memory';
import { rulesStream } from '../streams';
import { MuteWriter, type WriteOptions } from '../write/mute-writer';
import { channelIn, channelOut, ruleIn, ruleOut } from '../wire';
import { rulesDecider, type RulesCommand } from './domain/rules.decider';

type Write = { result: muteRuleV1.WriteResult };

/** tagguard.mute.v1.RuleService: the tenant's mute rules and green channels, through the one write path. */
@Controller()
@muteRuleV1.RuleServiceControllerMethods()
export class RuleGrpcController implements muteRuleV1.RuleServiceController {
  constructor(
    @Inject(MuteWriter) private readonly writer: MuteWriter,
    @Inject(MuteMemory) private readonly memory: MuteMemory,
    @Inject(MUTE_EDGE) private readonly deps: EdgeDeps,
  ) {}

  /** Every write: the caller (authorized once), its key bound to this request, the write itself. */
  private write(
    rpc: string,
    request: { idempotencyKey: string; expectedRevision?: string | undefined },
    metadata: Metadata | undefined,
    command: () => RulesCommand,
    options: WriteOptions = {},
  ): Promise<Write> {
    return edge(async () => {
      const meta = caller(this.deps, metadata, 'rules.manage', request.idempotencyKey);
      const expectedRevision = revisionField(request.expectedRevision);
      const built = command();
      const { idempotencyKey, ...rest } = request;
      return this.writer.once(meta, idempotencyKey, { rpc, ...rest }, async () => ({
        result: writeResult(
          await this.writer.write(
            { stream: rulesStream(meta.tenantId), decider: rulesDecider },
            built,
            meta,
            {
              ...options,
              ...(expectedRevision !== undefined ? { expectedRevision } : {}),
            },
          ),
        ),
      }));
    });
  }

  createRule(r: muteRuleV1.CreateRuleRequest, md?: Metadata): Promise<Write> {
    return this.write('CreateRule', r, md, () => ({ type: 'CreateRule', data: { rule: ruleIn(r.rule) } }));
  }

  updateRule(r: muteRuleV1.UpdateRuleRequest, md?: Metadata): Promise<Write> {
    return this.write('UpdateRule', r, md, () => ({ type: 'UpdateRule', data: { rule: ruleIn(r.rule) } }));
  }

  removeRule(r: muteRuleV1.RemoveRuleRequest, md?: Metadata): Promise<Write> {
    return this.write('RemoveRule', r, md, () => ({ type: 'RemoveRule', data: { ruleId: r.ruleId } }));
  }

  createGreenChannel(r: muteRuleV1.CreateGreenChannelRequest, md?: Metadata): Promise<Write> {
    return this.write('CreateGreenChannel', r, md, () => ({
      type: 'CreateGreenChannel',
      data: { channel: channelIn(r.channel) },
    }));
  }

  updateGreenChannel(r: muteRuleV1.UpdateGreenChannelRequest, md?: Metadata): Promise<Write> {
    return this.write('UpdateGreenChannel', r, md, () => ({
      type: 'UpdateGreenChannel',
      data: { channel: channelIn(r.channel) },
    }));
  }

  removeGreenChannel(r: muteRuleV1.RemoveGreenChannelRequest, md?: Metadata): Promise<Write> {
    return this.write('RemoveGreenChannel', r, md, () => ({
      type: 'RemoveGreenChannel',
      data: { channelId: r.channelId },
    }));
  }

  setTimeZone(r: muteRuleV1.SetTimeZoneRequest, md?: Metadata): Promise<Write> {
    return this.write('SetTimeZone', r, md, () => ({
      type: 'SetTimeZone',
      data: { employeeId: r.employeeId, timeZone: r.timeZone || null },
    }));
  }

  /** From the write side's state (this process's cache, then the stream's tail): a write is listed at once. */
  listRules(_r: muteRuleV1.ListRulesRequest, md?: Metadata): Promise<muteRuleV1.ListRulesResponse> {
    return edge(async () => {
      const meta = caller(this.deps, md, 'rules.manage');
      const state = await this.writer.state({ stream: rulesStream(meta.tenantId), decider: rulesDecider });
      const live = [...state.rules.values()].filter((h) => !h.removed);
      const depth = (id: string | null, n = 0): number =>
        id === null ? n : depth(state.rules.get(id)?.value.parentId ?? null, n + 1);
      live.sort(
        (a, b) =>
          depth(a.value.parentId) - depth(b.value.parentId) || a.value.ruleId.localeCompare(b.value.ruleId),
      );
      return {
        rules: live.map((h) => ({ rule: ruleOut(h.value), revision: String(h.revision) })),
        timeZones: [...state.timeZones]
          .filter(([, h]) => !h.removed)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([employeeId, h]) => ({ employeeId, timeZone: h.value, revision: String(h.revision) })),
        snapshot: this.memory.position.toString(),
      };
    });
  }

  listGreenChannels(
    _r: muteRuleV1.ListGreenChannelsRequest,
    md?: Metadata,
  ): Promise<muteRuleV1.ListGreenChannelsResponse> {
    return edge(async () => {
      const meta = caller(this.deps, md, 'rules.manage');
      const state = await this.writer.state({ stream: rulesStream(meta.tenantId), decider: rulesDecider });
      return {
        channels: [...state.channels.values()]
          .filter((h) => !h.removed)
          .sort((a, b) => a.value.channelId.localeCompare(b.value.channelId))
          .map((h) => ({ channel: channelOut(h.value), revision: String(h.revision) })),
        snapshot: this.memory.position.toString(),
      };
    });
  }
}
