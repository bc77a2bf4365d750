# Release: for every Git tag vX.Y.Z, build the image for linux/amd64 and linux/arm64 (the arm64
# half under QEMU emulation) and push it as @@image@@:X.Y.Z, the tag without "v".
# FluxOps' image policy in the config repository picks X.Y.Z up. Nothing pushes `latest`:
# sites run exactly the versions their policy and lock allow.
#
# Registry credentials: @@credentialsHelp@@
name: release image

on:
  push:
    tags:
      - "v[0-9]+.[0-9]+.[0-9]+"

permissions:
  contents: read
  packages: @@packagesPermission@@

concurrency:
  group: release-image-${{ github.ref_name }}
  cancel-in-progress: false

jobs:
  image:
    runs-on: ubuntu-24.04
    timeout-minutes: 60
    env:
      IMAGE: "@@image@@"
    steps:
      - name: Version from the Git tag (vX.Y.Z -> X.Y.Z)
        id: version
        shell: bash
        env:
          GIT_TAG: ${{ github.ref_name }}
        run: |
          if [[ ! "$GIT_TAG" =~ ^v([0-9]+\.[0-9]+\.[0-9]+)$ ]]; then
            echo "::error::the tag $GIT_TAG is not vX.Y.Z"
            exit 1
          fi
          echo "version=${BASH_REMATCH[1]}" >> "$GITHUB_OUTPUT"

      - uses: actions/checkout@v7.0.1
        with:
          persist-credentials: false

      - name: Set up QEMU (runs the linux/arm64 build on the amd64 runner)
        uses: docker/setup-qemu-action@v4.2.0
        with:
          platforms: arm64

      - uses: docker/setup-buildx-action@v4.3.0

      - uses: docker/login-action@v4.1.0
        with:
          registry: "@@registryHost@@"
          username: @@registryUsername@@
          password: @@registryPassword@@

      - name: Build and push ${{ env.IMAGE }}:${{ steps.version.outputs.version }}
        uses: docker/build-push-action@v7.3.0
        with:
          context: .
          platforms: linux/amd64,linux/arm64
          push: true
          tags: ${{ env.IMAGE }}:${{ steps.version.outputs.version }}
          labels: |
            org.opencontainers.image.source=${{ github.server_url }}/${{ github.repository }}
            org.opencontainers.image.revision=${{ github.sha }}
            org.opencontainers.image.version=${{ steps.version.outputs.version }}
