/**
 * Registry push receivers (distribution `notifications.endpoints`, Docker Hub, Harbor):
 * authenticate a notification and parse it into {@link ImagePushEvent}s that the image loop maps
 * to scans of the repositories concerned.
 */
export * from './image-push-event';
export * from './image-push-match';
export * from './registry-push-provider';
export * from './registry-push-receiver';
export * from './registry-push-route';
export { DISTRIBUTION_EVENTS_MEDIA_TYPE } from './providers/distribution';
