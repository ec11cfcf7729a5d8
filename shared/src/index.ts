export * from './events.js';
export * from './api.js';
export * from './read-api.js';
export * from './sensor-list.js';
export * from './notifications-api.js';
export * from './audit-api.js';
export * from './live-view.js';
