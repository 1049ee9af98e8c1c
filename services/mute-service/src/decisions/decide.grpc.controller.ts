import type { Metadata } from '@grpc/grpc-js';
import { Controller, Inject } from '@nestjs/common';
import { muteDecideV1 } from '@tagguard/contracts';
import { concatMap, from, type Observable } from 'rxjs';
import { caller, consistencyToken, edge, MUTE_EDGE, type EdgeDeps } from '../edge';
import { invalid, MuteError } from '../write/mute.errors';
import { decisionOut, messageIn } from '../wire';
import { MessageDecisions } from './message-decisions';

export const MAX_BATCH = 500;

/** tagguard.mute.v1.DecideService: a message's NOTIFY / SILENT / HOLD with its reasons. */
@Controller()
@muteDecideV1.DecideServiceControllerMethods()
export class DecideGrpcController implements muteDecideV1.DecideServiceController {
  constructor(
    @Inject(MessageDecisions) private readonly decisions: MessageDecisions,
    @Inject(MUTE_EDGE) private readonly deps: EdgeDeps,
  ) {}

  decide(r: muteDecideV1.DecideRequest, md?: Metadata): Promise<muteDecideV1.DecideResponse> {
    return edge(async () => {
      const meta = caller(this.deps, md, 'decide');
      const message = messageIn(r.message, meta.tenantId, Date.now());
      await this.decisions.atLeast(consistencyToken(md));
      const answer = await this.decisions.decide(message, meta, r.dryRun);
      return { decision: decisionOut(answer.decision, answer.replayed, answer.recorded) };
    });
  }

  batchDecide(r: muteDecideV1.BatchDecideRequest, md?: Metadata): Promise<muteDecideV1.BatchDecideResponse> {
    return edge(async () => {
      const meta = caller(this.deps, md, 'decide');
      const list = r.messages ?? [];
      if (list.length === 0) throw invalid('messages', 'must list at least one message');
      if (list.length > MAX_BATCH) throw invalid('messages', `must list at most ${MAX_BATCH} messages`);
      // Every message is checked before any is recorded: a bad one fails the batch with nothing written.
      const now = Date.now();
      const messages = list.map((m, i) => messageIn(m, meta.tenantId, now, `messages[${i}]`));
      const ids = new Set<string>();
      messages.forEach((m, i) => {
        if (ids.has(m.messageId)) throw invalid(`messages[${i}].messageId`, 'is listed twice in the batch');
        ids.add(m.messageId);
      });
      await this.decisions.atLeast(consistencyToken(md));
      const answers = await Promise.all(
        messages.map((m, i) =>
          this.decisions.decide(m, meta, r.dryRun).catch((error: unknown) => {
            // A message id already decided for another message: named as the batch's item.
            if (error instanceof MuteError && error.field?.startsWith('message.'))
              throw new MuteError(error.code, error.message, `messages[${i}].${error.field.slice(8)}`);
            throw error;
          }),
        ),
      );
      return { decisions: answers.map((a) => decisionOut(a.decision, a.replayed, a.recorded)) };
    });
  }

  /** One answer per request, in order; the first bad request ends the stream with its error (mapped by the
   * service's error filter, as a unary call's). */
  decideStream(
    requests: Observable<muteDecideV1.DecideStreamRequest>,
    md?: Metadata,
  ): Observable<muteDecideV1.DecideStreamResponse> {
    let meta: ReturnType<typeof caller> | undefined;
    return requests.pipe(
      concatMap((r) =>
        from(
          edge(async () => {
            meta ??= caller(this.deps, md, 'decide');
            const message = messageIn(r.message, meta.tenantId, Date.now());
            await this.decisions.atLeast(consistencyToken(md));
            const answer = await this.decisions.decide(message, meta, r.dryRun);
            return { decision: decisionOut(answer.decision, answer.replayed, answer.recorded) };
          }),
        ),
      ),
    );
  }
}
