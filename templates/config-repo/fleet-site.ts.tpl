  new Site(fleet, '@@site@@', {
    apps: [app],
    // Declare the site's nodes and synthesis checks that every app can run on one of them:
    // nodes: [{ name: '@@site@@-node-1', architecture: 'arm64' }],
  });
