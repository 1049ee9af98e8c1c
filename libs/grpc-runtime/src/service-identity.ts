export interface ServiceIdentity {
  /** e.g. "tag-service" */
  name: string;
  version: string;
  startedAt: Date;
}

export const SERVICE_IDENTITY = Symbol('SERVICE_IDENTITY');
