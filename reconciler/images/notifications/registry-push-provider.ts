import type { TokenLocation } from '../../http';
import type { ImagePushEvent, RegistryProvider } from './image-push-event';

/**
 * The per-registry part of a push receiver: where its shared secret travels and how its payload
 * is read. Content type, size, authentication order and decisions are shared by
 * `createRegistryPushReceiver`.
 */
export interface RegistryPushProvider {
  readonly provider: RegistryProvider;
  readonly contentTypes: readonly string[];
  readonly contentTypeHint: string;
  /** Where the secret is looked for unless the receiver's options say otherwise. */
  readonly defaultAuth: readonly TokenLocation[];
  /** Reads the payload (throws `InvalidPayloadError` naming the field). */
  parse(body: Buffer, input: string): ParsedNotification;
}

/** The provider-neutral content of a notification. */
export type ParsedNotification =
  | { readonly kind: 'pushes'; readonly events: readonly ImagePushEvent[]; /** How many entries the payload held in total. */ readonly total: number }
  | { readonly kind: 'other'; readonly name: string };
