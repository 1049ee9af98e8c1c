import type { Metadata } from '@grpc/grpc-js';
import { Controller, Inject } from '@nestjs/common';
import { CommerceEventError, muteFlowV1, parseMuteCommerceEventV1 } from '@tagguard/contracts';
import { caller, edge, MUTE_EDGE, type EdgeDeps } from '../edge';
import { FLOW_RUNNER, isoOut } from '../timers/flow.tokens';
import type { FlowRunner } from '../timers/flow-runner';
import { invalid } from '../write/mute.errors';
import type { AutomationSettings } from './automation-overlay';
import type { StoreVisitEvent } from './domain/store-visit.decider';
import { StoreVisitAutomation } from './store-visit-automation';

const H = 3_600_000;
const settingsOut = (s: AutomationSettings): muteFlowV1.GetStoreVisitAutomationResponse => ({
  enabled: s.enabled,
  waitHours: Math.round(s.waitMs / H),
  muteHours: Math.round(s.muteMs / H),
  effect: s.effect,
});
const EFFECT_NAMES: Record<StoreVisitEvent['type'], string> = {
  StoreVisitRecorded: 'visit_recorded',
  PurchaseRecorded: 'purchase_recorded',
  CustomerMutedForNoPurchase: 'customer_muted',
  AutomationMuteLifted: 'mute_lifted',
};

/** The gRPC edge of a commerce fact: the same contract (and parser) as the Kafka topic, the field renamed. */
function fact(type: string, data: Record<string, unknown>) {
  try {
    return parseMuteCommerceEventV1(type, data);
  } catch (error) {
    if (error instanceof CommerceEventError) throw invalid(error.field, error.message);
    throw error;
  }
}

/** tagguard.mute.v1.AutomationService. */
@Controller()
@muteFlowV1.AutomationServiceControllerMethods()
export class AutomationGrpcController implements muteFlowV1.AutomationServiceController {
  constructor(
    @Inject(StoreVisitAutomation) private readonly automation: StoreVisitAutomation,
    @Inject(FLOW_RUNNER) private readonly runner: FlowRunner,
    @Inject(MUTE_EDGE) private readonly deps: EdgeDeps,
  ) {}

  configureStoreVisitAutomation(r: muteFlowV1.ConfigureStoreVisitAutomationRequest, md?: Metadata) {
    return edge(async () => {
      const meta = caller(this.deps, md, 'rules.manage');
      const s = await this.automation.configure(
        meta.tenantId,
        {
          enabled: !!r.enabled,
          waitHours: r.waitHours,
          muteHours: r.muteHours,
          effect: r.effect as 'silent' | 'hold',
        },
        meta.actorId,
      );
      await this.runner.refresh();
      return settingsOut(s);
    });
  }

  getStoreVisitAutomation(_r: muteFlowV1.GetStoreVisitAutomationRequest, md?: Metadata) {
    return edge(async () => {
      const meta = caller(this.deps, md, 'rules.manage');
      return settingsOut(await this.automation.settings(this.automationPool(), meta.tenantId));
    });
  }

  private automationPool() {
    return this.automation.pool;
  }

  recordStoreVisit(r: muteFlowV1.RecordStoreVisitRequest, md?: Metadata) {
    return edge(async () => {
      const meta = caller(this.deps, md, 'rules.manage');
      const events = await this.automation.onCommerceEvent(
        fact('commerce.store_visited.v1', {
          tenantId: meta.tenantId,
          customerId: r.customerId,
          visitId: r.visitId,
          storeId: r.storeId,
          visitedAt: r.visitedAt || new Date().toISOString(),
        }),
      );
      return { effects: events.map((e) => EFFECT_NAMES[e.type]) };
    });
  }

  recordPurchase(r: muteFlowV1.RecordPurchaseRequest, md?: Metadata) {
    return edge(async () => {
      const meta = caller(this.deps, md, 'rules.manage');
      const events = await this.automation.onCommerceEvent(
        fact('commerce.purchase_completed.v1', {
          tenantId: meta.tenantId,
          customerId: r.customerId,
          purchaseId: r.purchaseId,
          storeId: r.storeId || null,
          purchasedAt: r.purchasedAt || new Date().toISOString(),
        }),
      );
      await this.runner.refresh();
      return { effects: events.map((e) => EFFECT_NAMES[e.type]) };
    });
  }

  listAutomationMutes(r: muteFlowV1.ListAutomationMutesRequest, md?: Metadata) {
    return edge(async () => {
      const meta = caller(this.deps, md, 'rules.manage');
      const mutes = await this.automation.listMutes(meta.tenantId, r.customerId || undefined);
      return {
        mutes: mutes.map((m) => ({
          customerId: m.customerId,
          muteId: m.muteId,
          from: isoOut(m.from),
          until: isoOut(m.until),
          liftedAt: isoOut(m.liftedAt),
          liftedReason: m.liftedReason ?? '',
        })),
      };
    });
  }
}
