# The one image of open-local: operator, NLS controller, agent, prepare-vg, CSI driver and extender.
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
COPY . .
ENTRYPOINT ["node", "/opt/open-local/bin/open-local.js"]
CMD ["--help"]
