import type { ApiObject } from 'cdk8s';
import type { ImagePolicy } from '../image-policy';
import type { ResolvedImage } from '../resolve-image';
import type { ManifestPath } from '../synth/manifest-yaml';

/** An image field written from an image policy (marked with a Flux setter comment in the flux flavor). */
export interface ImageSetter {
  /** Path of the image field in the object. */
  readonly path: ManifestPath;
  /** The policy. */
  readonly policy: ImagePolicy;
  /** Name of the container whose image this is. */
  readonly container: string;
  /** The image deployed, and where its tag came from. */
  readonly image: ResolvedImage;
}

/** A cdk8s object rendered from a fleet construct. */
export interface RenderedObject {
  /** The object. */
  readonly apiObject: ApiObject;
  /** Construct path of the fleet construct it came from. */
  readonly origin: string;
  /** Image fields backed by policies. */
  readonly imageSetters: readonly ImageSetter[];
}
