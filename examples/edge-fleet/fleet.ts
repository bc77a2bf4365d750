/**
 * Example config repository: an edge fleet of two k3s sites running a sensor gateway, an MQTT
 * broker and a dashboard, with images kept up to date by image automation.
 *
 * Registry and Git remote are placeholders that tests (and labs) override. Fleet code sees only
 * FLEET_* variables (never FluxOps' own environment):
 *   FLEET_REGISTRY  registry host[:port]      (default registry.local:5000)
 *   FLEET_GIT_URL   URL of this config repo   (default https://git.example.com/edge/fleet-config.git)
 */
import { EdgeApp, GitSource, ImagePolicy, ImageRepository, ImageUpdateAutomation, Site, defineFleet } from 'fluxops/constructs';

export default defineFleet({ name: 'edge-fleet', namespace: 'edge-apps' }, (fleet) => {
  const registry = process.env.FLEET_REGISTRY ?? 'registry.local:5000';
  const gitUrl = process.env.FLEET_GIT_URL ?? 'https://git.example.com/edge/fleet-config.git';

  const fleetConfig = new GitSource(fleet, 'fleet-config', {
    url: gitUrl,
    ref: { kind: 'branch', name: 'main' },
    interval: '1m',
    path: './clusters',
  });

  // The lab registry speaks plain HTTP; production registries would use TLS and a secretRef.
  const gatewayRepo = new ImageRepository(fleet, 'sensor-gateway-repo', {
    name: 'sensor-gateway',
    image: `${registry}/edge/sensor-gateway`,
    interval: '5m',
    insecure: true,
  });
  const brokerRepo = new ImageRepository(fleet, 'mqtt-broker-repo', {
    name: 'mqtt-broker',
    image: `${registry}/edge/eclipse-mosquitto`,
    interval: '30m',
    insecure: true,
    // Upstream also publishes "-openssl" variants; we never want those.
    exclusionList: ['^.*\\.sig$', '-openssl$'],
  });
  const dashboardRepo = new ImageRepository(fleet, 'dashboard-repo', {
    name: 'dashboard',
    image: `${registry}/edge/dashboard`,
    interval: '5m',
    insecure: true,
  });

  const gatewayImage = new ImagePolicy(fleet, 'sensor-gateway-policy', {
    name: 'sensor-gateway',
    repository: gatewayRepo,
    policy: { kind: 'semver', range: '^1.4.0' },
    initialTag: '1.4.0',
  });
  const brokerImage = new ImagePolicy(fleet, 'mqtt-broker-policy', {
    name: 'mqtt-broker',
    repository: brokerRepo,
    policy: { kind: 'semver', range: '~2.0.18' },
    filterTags: { pattern: '^(?P<version>[0-9]+\\.[0-9]+\\.[0-9]+)$', extract: '$version' },
    initialTag: '2.0.18',
  });
  // Dashboard builds are tagged main-<sha>-<unix time>; the newest build wins.
  const dashboardImage = new ImagePolicy(fleet, 'dashboard-policy', {
    name: 'dashboard',
    repository: dashboardRepo,
    policy: { kind: 'numerical', order: 'asc' },
    filterTags: { pattern: '^main-[a-f0-9]+-(?P<ts>[0-9]+)$', extract: '$ts' },
    initialTag: 'main-3f2a9c1-1731400000',
  });

  new ImageUpdateAutomation(fleet, 'fleet-images', {
    source: fleetConfig,
    policies: [gatewayImage, brokerImage, dashboardImage],
    author: { name: 'FluxOps Bot', email: 'fluxops-bot@example.com' },
    skipCi: true,
  });

  const broker = new EdgeApp(fleet, 'mqtt-broker', {
    containers: [
      {
        image: brokerImage,
        ports: [
          { name: 'mqtt', port: 1883 },
          { name: 'websockets', port: 9001 },
        ],
        readiness: { kind: 'tcp', port: 'mqtt', periodSeconds: 10 },
        liveness: { kind: 'tcp', port: 'mqtt', initialDelaySeconds: 10, periodSeconds: 20 },
        resources: { cpu: { request: '50m', limit: '250m' }, memory: { request: '32Mi', limit: '64Mi' } },
        mounts: [
          { volume: 'data', path: '/mosquitto/data' },
          { volume: 'log', path: '/mosquitto/log' },
        ],
      },
    ],
    config: {
      data: {
        'mosquitto.conf': [
          'listener 1883',
          'listener 9001',
          'protocol websockets',
          'persistence true',
          'persistence_location /mosquitto/data/',
          'password_file /mosquitto/secrets/passwd',
          '',
        ].join('\n'),
      },
      mountPath: '/mosquitto/config',
    },
    volumes: [
      { kind: 'emptyDir', name: 'data', sizeLimit: '256Mi' },
      { kind: 'emptyDir', name: 'log', sizeLimit: '32Mi' },
    ],
    // The upstream image runs as the mosquitto user.
    securityContext: { runAsUser: 1883, runAsGroup: 1883, fsGroup: 1883 },
    strategy: 'Recreate',
  });

  const gateway = new EdgeApp(fleet, 'sensor-gateway', {
    containers: [
      {
        image: { policy: gatewayImage },
        ports: [{ name: 'http', port: 8080 }],
        env: {
          MQTT_URL: 'mqtt://mqtt-broker.edge-apps.svc.cluster.local:1883',
          MQTT_USERNAME: { secret: 'mqtt-credentials', key: 'username' },
          MQTT_PASSWORD: { secret: 'mqtt-credentials', key: 'password' },
          NODE_NAME: { field: 'spec.nodeName' },
          SITE_ID: 'unassigned',
          LOG_LEVEL: 'info',
        },
        readiness: { kind: 'http', path: '/healthz', port: 'http' },
        liveness: { kind: 'http', path: '/livez', port: 'http', initialDelaySeconds: 5 },
      },
    ],
    config: { data: { 'gateway.yaml': 'sampleIntervalSeconds: 5\nbufferMessages: 10000\n' }, mountPath: '/etc/sensor-gateway' },
  });

  const dashboard = new EdgeApp(fleet, 'dashboard', {
    containers: [
      {
        image: dashboardImage,
        ports: [{ name: 'http', port: 3000 }],
        env: { MQTT_URL: 'ws://mqtt-broker.edge-apps.svc.cluster.local:9001' },
        readiness: { kind: 'http', path: '/api/health', port: 'http' },
        resources: { memory: { request: '96Mi', limit: '192Mi' } },
      },
    ],
    service: { ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    ingress: { host: 'dashboard.edge.example.com' },
  });

  new Site(fleet, 'factory-a', {
    labels: { 'fluxops.dev/region': 'eu-central', 'fluxops.dev/tier': 'production' },
    nodes: [
      { name: 'factory-a-node-1', architecture: 'arm64' },
      { name: 'factory-a-node-2', architecture: 'arm64' },
    ],
    apps: [broker, gateway, dashboard],
    overrides: [
      { app: gateway, replicas: 2, env: { SITE_ID: 'factory-a' } },
      { app: dashboard, ingressHost: 'dashboard.factory-a.edge.example.com' },
    ],
  });

  new Site(fleet, 'warehouse-b', {
    labels: { 'fluxops.dev/region': 'eu-west', 'fluxops.dev/tier': 'production' },
    nodes: [{ name: 'warehouse-b-node-1', architecture: 'arm64' }],
    apps: [broker, gateway],
    overrides: [{ app: gateway, env: { SITE_ID: 'warehouse-b', LOG_LEVEL: 'debug' } }],
    holds: [{ policy: brokerImage, tag: '2.0.18', reason: 'legacy barcode scanners need MQTT 3.1 until the 2026 retrofit' }],
  });
});
