import './tracing';
import { runServiceProcess } from '@tagguard/grpc-runtime';
import { loadSyncServiceConfig, startSyncService } from './app';

runServiceProcess('sync-service', async () => ({ service: await startSyncService(loadSyncServiceConfig()) }));
