/**
 * Notifications: the events the reconcile loop and the image loop emit, and their delivery to
 * the destinations of the fleet's `Alert`s (generic signed webhooks, Slack, Teams, GitHub and
 * Gitea commit statuses).
 *
 * ```ts
 * const notifier = createNotifier({ alerts: alertSpecs(fleet, 'factory-a'), ...(await readAlertsConfig(stack)), registry });
 * notifier.notify(createEvent({ kind: 'image.updated', policy: 'gateway', image, from, to, commit }));
 * await notifier.close({ drainMs: 5000 });
 * ```
 */
export * from './events';
export * from './errors';
export * from './describe-event';
export * from './match-alert';
export * from './render';
export * from './destination';
export * from './drop';
export * from './notify-clock';
export * from './redact';
export * from './send-request';
export * from './notifier';
