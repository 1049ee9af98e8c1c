import './tracing';
import { runServiceProcess } from '@tagguard/grpc-runtime';
import { loadPermissionServiceConfig, startPermissionService } from './app';

runServiceProcess('permission-service', async () => ({
  service: await startPermissionService(loadPermissionServiceConfig()),
}));
