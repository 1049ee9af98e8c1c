import { ServiceLogger } from '@tagguard/logging';

/** The name on every line tag-service writes, and its gRPC ServiceInfo's. */
export const SERVICE_NAME = 'tag-service';

/** A logger for one part of tag-service, written with its name even beside the others in one process. */
export const serviceLogger = (context: string): ServiceLogger => new ServiceLogger(SERVICE_NAME, context);
