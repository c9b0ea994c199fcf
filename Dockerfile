# The one image of open-local: operator, NLS controller, agent, prepare-vg, CSI driver and extender.
# It runs compiled JavaScript: tsx (TypeScript at run time) would add about 250 MiB and seconds to every start.

# Build stage: dev dependencies (TypeScript) compile the sources to dist/.
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY api ./api
COPY bin ./bin
COPY csi-driver ./csi-driver
COPY extender ./extender
COPY lib ./lib
COPY node-agent ./node-agent
COPY olm-bundle ./olm-bundle
COPY operator ./operator
COPY synth ./synth
RUN npm run build

FROM node:24-bookworm-slim
# Host tools the node components run: LVM, filesystems, blkid/wipefs/nsenter/mount, modprobe.
RUN apt-get update \
 && apt-get install -y --no-install-recommends lvm2 e2fsprogs xfsprogs util-linux kmod \
 && rm -rf /var/lib/apt/lists/*
# No udev inside the container: LVM must not wait for udev to create device nodes.
ENV DM_DISABLE_UDEV=1 NODE_ENV=production
WORKDIR /opt/open-local
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/dist ./dist
ENTRYPOINT ["node", "/opt/open-local/dist/bin/open-local.js"]
CMD ["--help"]
