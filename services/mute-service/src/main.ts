import './tracing';
import { runServiceProcess } from '@tagguard/grpc-runtime';
import { loadMuteServiceConfig, startMuteService } from './app';

runServiceProcess('mute-service', async () => ({ service: await startMuteService(loadMuteServiceConfig()) }));
