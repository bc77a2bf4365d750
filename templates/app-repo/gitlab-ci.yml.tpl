# Release: for every Git tag vX.Y.Z, build the image for linux/amd64 and linux/arm64 (the arm64
# half under QEMU emulation) and push it as @@image@@:X.Y.Z, the tag without "v".
# FluxOps' image policy in the config repository picks X.Y.Z up. Nothing pushes `latest`:
# sites run exactly the versions their policy and lock allow.
# The same as .github/workflows/release-image.yaml; keep the file of the forge you use.
#
# Registry credentials: REGISTRY_USER and REGISTRY_PASSWORD default to GitLab's own registry
# credentials; for another registry set them as CI/CD variables (masked, protected, and protect
# the tags v*: Settings > Repository > Protected tags).

release-image:
  image: docker:28.5.2
  services:
    - docker:28.5.2-dind
  variables:
    IMAGE: "@@image@@"
    REGISTRY: "@@registryHost@@"
    REGISTRY_USER: $CI_REGISTRY_USER
    REGISTRY_PASSWORD: $CI_REGISTRY_PASSWORD
    DOCKER_TLS_CERTDIR: "/certs"
  rules:
    - if: $CI_COMMIT_TAG =~ /^v[0-9]+\.[0-9]+\.[0-9]+$/
  script:
    - VERSION="${CI_COMMIT_TAG#v}"
    - printf '%s' "$REGISTRY_PASSWORD" | docker login "$REGISTRY" --username "$REGISTRY_USER" --password-stdin
    # QEMU for the linux/arm64 half, then a BuildKit builder that can build several platforms.
    - docker run --rm --privileged tonistiigi/binfmt:qemu-v10.2.3 --install arm64
    - docker buildx create --name fluxops-release --driver docker-container --use
    - >-
      docker buildx build --platform linux/amd64,linux/arm64
      --tag "$IMAGE:$VERSION"
      --label "org.opencontainers.image.source=$CI_PROJECT_URL"
      --label "org.opencontainers.image.revision=$CI_COMMIT_SHA"
      --label "org.opencontainers.image.version=$VERSION"
      --push .
