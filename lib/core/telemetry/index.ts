export { TelemetryChannel, type TelemetryChannelName } from './channels.js';
export { emit, telemetryChannel } from './telemetry.js';
