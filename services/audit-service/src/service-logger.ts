import { ServiceLogger } from '@tagguard/logging';

/** The name on every line audit-service writes, and its gRPC ServiceInfo's. */
export const SERVICE_NAME = 'audit-service';

/** A logger for one part of audit-service, written with its name even beside the others in one process. */
export const serviceLogger = (context: string): ServiceLogger => new ServiceLogger(SERVICE_NAME, context);
