// Notifications: handoff events to Standard Webhooks endpoints and Slack, delivered durably by Temporal.
export * from './config';
export * from './events';
export { slackMessage, slackEscape, type SlackMessage, type SlackBlock } from './slack';
export {
  DEFAULT_ATTEMPTS_IN_FLIGHT,
  Notifier,
  RedeliveryRefused,
  deliveryWorkflowId,
  loggedDeliveries,
  type DeliveryView,
  type DeliveryWorkers,
  type NotifierOptions,
} from './notifier';
