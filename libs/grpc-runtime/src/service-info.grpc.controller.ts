import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { SERVICE_IDENTITY, type ServiceIdentity } from './service-identity';

interface GetServiceInfoResponse {
  name: string;
  version: string;
  startedAt: string;
  runtime: string;
  pid: number;
}

@Controller()
export class ServiceInfoGrpcController {
  constructor(@Inject(SERVICE_IDENTITY) private readonly identity: ServiceIdentity) {}

  @GrpcMethod('ServiceInfoService', 'GetServiceInfo')
  getServiceInfo(): GetServiceInfoResponse {
    return {
      name: this.identity.name,
      version: this.identity.version,
      startedAt: this.identity.startedAt.toISOString(),
      runtime: process.version,
      pid: process.pid,
    };
  }
}
