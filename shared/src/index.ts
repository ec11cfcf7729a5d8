export * from './events.js';
export * from './api.js';
export * from './read-api.js';
