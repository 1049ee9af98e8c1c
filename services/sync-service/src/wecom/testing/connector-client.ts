import * as grpc from '@grpc/grpc-js';
import { loadDevPrivateKey, signToken } from '@tagguard/auth';
import { protoRoot } from '@tagguard/grpc-runtime';
import { tagguardClient } from '@tagguard/testing';
import type { Caller } from '../../testing/sync-service-harness';

export type Counts = {
  created: string;
  updated: string;
  removed: string;
  statusChanged: string;
  unchanged: string;
};
export type Report = {
  departments: Counts;
  employees: Counts;
  partners: Counts;
  partnerStaff: Counts;
  customers: Counts;
  failures: { ref: string; errcode: number; errmsg: string }[];
  eventsWritten: string;
  seconds: number;
};
export type SyncMessage = {
  progress?: { phase: string; done: string; total: string; ratePerSecond: number; etaSeconds: number };
  report?: Report;
  joined: boolean;
};

/** tagguard.sync.v1.ConnectorService over a real socket, with signed tokens. */
export class ConnectorClient {
  private readonly client: grpc.Client;
  constructor(address: string) {
    this.client = tagguardClient<grpc.Client>(
      address,
      'tagguard/sync/v1/connector_service.proto',
      protoRoot(),
      ['tagguard', 'sync', 'v1', 'ConnectorService'],
    );
  }

  close(): void {
    this.client.close();
  }

  private metadata(caller: Caller): grpc.Metadata {
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${signToken(caller, loadDevPrivateKey())}`);
    return metadata;
  }

  /** Every message of one RunFullSync; `onMessage` hears each as it arrives. */
  runFullSync(caller: Caller, onMessage?: (m: SyncMessage) => void): Promise<SyncMessage[]> {
    const fn = (
      this.client as unknown as Record<
        string,
        (r: object, m: grpc.Metadata) => grpc.ClientReadableStream<SyncMessage>
      >
    )['RunFullSync']!;
    const call = fn.call(this.client, {}, this.metadata(caller));
    const out: SyncMessage[] = [];
    return new Promise((resolve, reject) => {
      call.on('data', (m: SyncMessage) => {
        out.push(m);
        onMessage?.(m);
      });
      call.on('error', reject);
      call.on('end', () => resolve(out));
    });
  }

  status<T = Record<string, unknown>>(caller: Caller): Promise<T> {
    const fn = (
      this.client as unknown as Record<
        string,
        (r: object, m: grpc.Metadata, cb: (e: grpc.ServiceError | null, v: T) => void) => void
      >
    )['GetConnectorStatus']!;
    return new Promise((resolve, reject) =>
      fn.call(this.client, {}, this.metadata(caller), (e, v) => (e ? reject(e) : resolve(v))),
    );
  }
}
