import type { Metadata } from '@grpc/grpc-js';
import { Controller, Inject } from '@nestjs/common';
import { authenticate, resolveVerifierKey, TokenVerifier } from '@tagguard/auth';
import { componentsV1 } from '@tagguard/contracts';
import type { ComponentRegistry } from '@tagguard/telemetry';

export const COMPONENT_REGISTRY = Symbol('COMPONENT_REGISTRY');
export const PLATFORM_OPERATOR = 'platform_operator';

/** Coded like the domain errors, so the error filter maps it (PERMISSION_DENIED, INVALID_ARGUMENT). */
class RuntimeError extends Error {
  constructor(
    readonly code: 'RUNTIME.PERMISSION_DENIED' | 'RUNTIME.INVALID_ARGUMENT',
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'RuntimeError';
  }
}

/** The lag figures count every tenant's events, so only a platform operator may read them. */
@Controller()
@componentsV1.ComponentsServiceControllerMethods()
export class ComponentsGrpcController implements componentsV1.ComponentsServiceController {
  // Resolved at start, so a service bound beyond loopback with the development key fails to start (D31).
  private readonly verifier = new TokenVerifier(
    resolveVerifierKey(process.env, process.env['GRPC_HOST'] ?? '127.0.0.1').pem,
  );

  constructor(@Inject(COMPONENT_REGISTRY) private readonly registry: ComponentRegistry) {}

  async listComponents(
    request: componentsV1.ListComponentsRequest,
    metadata?: Metadata,
  ): Promise<componentsV1.ListComponentsResponse> {
    const principal = authenticate(metadata, this.verifier);
    if (!principal.roles.includes(PLATFORM_OPERATOR))
      throw new RuntimeError(
        'RUNTIME.PERMISSION_DENIED',
        `ListComponents needs the ${PLATFORM_OPERATOR} role`,
      );
    if (!Number.isInteger(request.parkedLimit) || request.parkedLimit < 0 || request.parkedLimit > 100)
      throw new RuntimeError('RUNTIME.INVALID_ARGUMENT', 'parked_limit must be 0..100', 'parked_limit');
    const components = await Promise.all(
      this.registry.list().map(async (status): Promise<componentsV1.Component> => {
        const spec = this.registry.get(status.name);
        const lag = await spec?.lag?.().catch(() => undefined);
        const parked =
          request.parkedLimit > 0 ? ((await spec?.parkedEvents?.(request.parkedLimit)) ?? []) : [];
        return {
          name: status.name,
          kind: status.kind,
          state: status.state,
          role: status.role,
          since: status.since.toISOString(),
          lastError: status.lastError ?? '',
          retries: String(status.retries),
          parked: String(status.parked),
          lagKnown: lag !== undefined,
          lagEvents: String(lag?.events ?? 0),
          lagSeconds: lag?.seconds ?? 0,
          parkedEvents: parked.map((p) => ({
            eventId: p.eventId,
            what: p.what,
            reason: p.reason,
            attempts: p.attempts,
            parkedAt: p.parkedAt.toISOString(),
          })),
        };
      }),
    );
    return { components };
  }
}
