import { Construct } from 'constructs';
import { BRANDS, hasBrand, setBrand } from './brand';
import { Fleet } from './fleet';
import { SecretReference, checkSecretReference } from './secret-reference';
import { checkUniqueName } from './unique-name';
import { FluxInterval, check, childPath, dnsLabelProblem, goRegexProblem, imageNameProblem, intervalProblem } from './validation';

/** Flux's limit on `spec.exclusionList`. */
const MAX_EXCLUSIONS = 25;

/** Properties of an {@link ImageRepository}. */
export interface ImageRepositoryProps {
  /**
   * Object name (the Flux ImageRepository name).
   * @default the construct id
   */
  readonly name?: string;
  /** Repository to scan, without tag or digest: `registry.local:5000/edge/sensor-gateway`. */
  readonly image: string;
  /**
   * How often to list the repository's tags.
   * @default '5m'
   */
  readonly interval?: FluxInterval;
  /**
   * Secret of type `kubernetes.io/dockerconfigjson` with registry credentials.
   * @default anonymous access
   */
  readonly secretRef?: SecretReference;
  /**
   * Go regular expressions; matching tags are never considered (at most 25). A list replaces the
   * default rather than adding to it, as in Flux.
   * @default FluxOps excludes `^.*\.sig$` (Flux's default: cosign signatures) and `^sha256-`
   * (attestations, SBOMs and referrers tags published under a digest name); Flux itself, running
   * the `--flavor flux` output, applies only its own default unless the list is set
   */
  readonly exclusionList?: readonly string[];
  /**
   * Talk plain HTTP to the registry (a lab or in-cluster registry without TLS).
   * @default false
   */
  readonly insecure?: boolean;
}

/** A container image repository whose tags image automation scans. */
export class ImageRepository extends Construct {
  /** Whether `x` is an ImageRepository (works across copies of this module). */
  static isImageRepository(x: unknown): x is ImageRepository {
    return hasBrand(x, BRANDS.imageRepository);
  }

  /** Object name. */
  readonly repositoryName: string;
  /** Repository name including registry host. */
  readonly image: string;
  /** Scan interval. */
  readonly interval: FluxInterval;
  /** Registry credentials, if any. */
  readonly secretRef?: SecretReference;
  /** Tag exclusion patterns, if set. */
  readonly exclusionList?: readonly string[];
  /** Plain-HTTP registry. */
  readonly insecure: boolean;

  constructor(scope: Construct, id: string, props: ImageRepositoryProps) {
    const path = childPath(scope, id);
    const name = props.name ?? id;
    const interval = props.interval ?? '5m';
    check(path, 'name', name, dnsLabelProblem(name));
    check(path, 'image', props.image, imageNameProblem(props.image));
    check(path, 'interval', interval, intervalProblem(interval));
    checkSecretReference(path, 'secretRef', props.secretRef);
    if (props.exclusionList !== undefined) {
      check(
        path,
        'exclusionList',
        props.exclusionList,
        props.exclusionList.length > MAX_EXCLUSIONS ? `must have at most ${MAX_EXCLUSIONS} entries` : undefined,
      );
      props.exclusionList.forEach((re, i) => check(path, `exclusionList[${i}]`, re, goRegexProblem(re)));
    }
    checkUniqueName(path, 'name', name, Fleet.of(scope).imageRepositories, (r) => r.repositoryName === name);
    super(scope, id);
    this.repositoryName = name;
    this.image = props.image;
    this.interval = interval;
    this.secretRef = props.secretRef;
    this.exclusionList = props.exclusionList ? [...props.exclusionList] : undefined;
    this.insecure = props.insecure ?? false;
    setBrand(this, BRANDS.imageRepository);
  }
}
