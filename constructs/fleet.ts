import { Construct, IConstruct } from 'constructs';
import { BRANDS, hasBrand, setBrand } from './brand';
import type { Alert } from './alert';
import type { EdgeApp } from './edge-app';
import type { GitSource } from './git-source';
import type { ImagePolicy } from './image-policy';
import type { ImageRepository } from './image-repository';
import type { ImageUpdateAutomation } from './image-update-automation';
import type { RawObjects } from './raw-objects';
import type { Site } from './site';
import { check, dnsLabelProblem } from './validation';

/** Properties of a {@link Fleet}. */
export interface FleetProps {
  /**
   * Name of the fleet; the root of every construct path and the `app.kubernetes.io/part-of` label.
   * @default 'fleet'
   */
  readonly name?: string;
  /**
   * Namespace for apps that do not set their own.
   * @default 'edge-apps'
   */
  readonly namespace?: string;
  /**
   * Namespace for Flux objects (GitRepository, Kustomization, image automation) in the `flux` flavor.
   * @default 'flux-system'
   */
  readonly fluxNamespace?: string;
}

/**
 * Everything a config repository deploys: sites (edge clusters), apps, Git sources and image
 * automation. It is the root of the construct tree; every FluxOps construct lives under one.
 */
export class Fleet extends Construct {
  /** Whether `x` is a Fleet (works across copies of this module). */
  static isFleet(x: unknown): x is Fleet {
    return hasBrand(x, BRANDS.fleet);
  }

  /** The fleet a construct belongs to. */
  static of(c: IConstruct): Fleet {
    const root = c.node.root;
    if (!Fleet.isFleet(root)) {
      throw new Error(`${c.node.path}: FluxOps constructs must be created inside a Fleet (new Fleet() or defineFleet())`);
    }
    return root;
  }

  /** Fleet name. */
  readonly fleetName: string;
  /** Default namespace for apps. */
  readonly namespace: string;
  /** Namespace of Flux objects. */
  readonly fluxNamespace: string;

  constructor(props: FleetProps = {}) {
    const name = props.name ?? 'fleet';
    const namespace = props.namespace ?? 'edge-apps';
    const fluxNamespace = props.fluxNamespace ?? 'flux-system';
    check('<fleet>', 'name', name, dnsLabelProblem(name));
    check(name, 'namespace', namespace, dnsLabelProblem(namespace));
    check(name, 'fluxNamespace', fluxNamespace, dnsLabelProblem(fluxNamespace));
    super(undefined as unknown as Construct, name);
    this.fleetName = name;
    this.namespace = namespace;
    this.fluxNamespace = fluxNamespace;
    setBrand(this, BRANDS.fleet);
  }

  /** Apps, in definition order. */
  get apps(): EdgeApp[] {
    return this.collect<EdgeApp>(BRANDS.edgeApp);
  }

  /** Sites, in definition order. */
  get sites(): Site[] {
    return this.collect<Site>(BRANDS.site);
  }

  /** Git sources, in definition order. */
  get gitSources(): GitSource[] {
    return this.collect<GitSource>(BRANDS.gitSource);
  }

  /** Image repositories, in definition order. */
  get imageRepositories(): ImageRepository[] {
    return this.collect<ImageRepository>(BRANDS.imageRepository);
  }

  /** Image policies, in definition order. */
  get imagePolicies(): ImagePolicy[] {
    return this.collect<ImagePolicy>(BRANDS.imagePolicy);
  }

  /** Image update automations, in definition order. */
  get imageUpdateAutomations(): ImageUpdateAutomation[] {
    return this.collect<ImageUpdateAutomation>(BRANDS.imageUpdateAutomation);
  }

  /** Raw object bundles, in definition order. */
  get rawObjects(): RawObjects[] {
    return this.collect<RawObjects>(BRANDS.rawObjects);
  }

  /** Alerts, in definition order. */
  get alerts(): Alert[] {
    return this.collect<Alert>(BRANDS.alert);
  }

  /** The site with this name, if any. */
  findSite(name: string): Site | undefined {
    return this.sites.find((s) => s.siteName === name);
  }

  private collect<T>(brand: symbol): T[] {
    return this.node.findAll().filter((c) => hasBrand(c, brand)) as unknown as T[];
  }
}

/** Populates a fresh {@link Fleet}. */
export type FleetBuilder = (fleet: Fleet) => void;

/**
 * What a config repository exports: the fleet's props and a builder. Building lazily means
 * every synthesis gets a fresh tree and reads the environment (e.g. `FLUXOPS_REGISTRY`) anew.
 */
export interface FleetDefinition {
  /** Fleet props. */
  readonly props: FleetProps;
  /** Adds sites, apps and automation to a fleet. */
  readonly build: FleetBuilder;
  /** Creates and populates a new Fleet. */
  create(): Fleet;
}

/**
 * Declares a fleet in a config repository's entry module:
 *
 * ```ts
 * export default defineFleet({ name: 'edge-fleet' }, (fleet) => {
 *   const app = new EdgeApp(fleet, 'gateway', { ... });
 *   new Site(fleet, 'factory-a', { apps: [app] });
 * });
 * ```
 */
export function defineFleet(build: FleetBuilder): FleetDefinition;
export function defineFleet(props: FleetProps, build: FleetBuilder): FleetDefinition;
export function defineFleet(a: FleetProps | FleetBuilder, b?: FleetBuilder): FleetDefinition {
  const props = typeof a === 'function' ? {} : a;
  const build = typeof a === 'function' ? a : b;
  if (typeof build !== 'function') throw new TypeError('defineFleet: a builder function is required');
  const definition: FleetDefinition = {
    props,
    build,
    create(): Fleet {
      const fleet = new Fleet(props);
      build(fleet);
      return fleet;
    },
  };
  setBrand(definition, BRANDS.fleetDefinition);
  return Object.freeze(definition);
}

/** Whether `x` was returned by {@link defineFleet} (works across copies of this module). */
export function isFleetDefinition(x: unknown): x is FleetDefinition {
  return hasBrand(x, BRANDS.fleetDefinition);
}
