import { Controller, Inject } from '@nestjs/common';
import { runtimeV1 } from '@tagguard/contracts';
import { SERVICE_IDENTITY, type ServiceIdentity } from './service-identity';

@Controller()
@runtimeV1.ServiceInfoServiceControllerMethods()
export class ServiceInfoGrpcController implements runtimeV1.ServiceInfoServiceController {
  constructor(@Inject(SERVICE_IDENTITY) private readonly identity: ServiceIdentity) {}

  getServiceInfo(): runtimeV1.GetServiceInfoResponse {
    return {
      name: this.identity.name,
      version: this.identity.version,
      startedAt: this.identity.startedAt.toISOString(),
      runtime: process.version,
      pid: process.pid,
    };
  }
}
