/**
 * The fixed facts of the OLM package: names, channel, who publishes it, where it runs.
 * Everything else in the bundle is derived from synth/, api/, examples/, README.md and package.json.
 */
import { DEFAULT_OPERATOR_NAMESPACE } from '../synth/install/operator-install.js';
import { names } from '../synth/names.js';

/** The OLM package (one per operator in a catalog); CSV names are `<package>.v<version>`. */
export const PACKAGE_NAME = 'open-local-operator';

/** The only channel. Named so the good-practices validator accepts it (candidate*, fast* or stable*). */
export const CHANNEL = 'stable';

export const DISPLAY_NAME = 'Open-Local Operator';

/** The operator Deployment and its ServiceAccount, as in the plain install (synth/install). */
export const OPERATOR_NAME = names.operator;

/** Where the OpenShift console proposes to install it; the same namespace the plain install uses. */
export const SUGGESTED_NAMESPACE = DEFAULT_OPERATOR_NAMESPACE;

/**
 * 1.28 is the first release whose CRD validation rules keep `fieldPath` (kubernetes/kubernetes#118041):
 * our CEL rules use it so an error names the offending field (older servers drop it silently and blame the
 * parent object). CEL rules themselves (1.25, beta on by default) and kubescheduler.config.k8s.io/v1 (1.25)
 * are older. The integration tests run against the version pinned in scripts/peers/versions.env.
 */
export const MIN_KUBE_VERSION = '1.28.0';

/**
 * The upgrade graph. Each release sets `replaces` to the CSV it upgrades from (the previous release's
 * `open-local-operator.vX.Y.Z`) and `olm.skipRange` to `<its own version`, so a cluster on any older
 * version, even one a catalog never listed, upgrades straight to it. The first release, 0.1.0, replaces
 * nothing; its skipRange `<0.1.0` matches no published version and is kept only for uniformity.
 */
export const REPLACES: string | undefined = undefined;

/**
 * Publisher details shown on OperatorHub. The GitHub organisation is the one that owns the image
 * (ghcr.io/open-local-operator); update these here if the project moves.
 */
export const REPOSITORY_URL = 'https://github.com/open-local-operator/open-local-operator';
export const PROVIDER = { name: 'Open-Local Operator project', url: 'https://github.com/open-local-operator' } as const;
export const MAINTAINERS = [{ name: 'Open-Local Operator maintainers', email: 'open-local-operator@users.noreply.github.com' }] as const;
export const LINKS = [
  { name: 'Source code', url: REPOSITORY_URL },
  { name: 'Open-Local (upstream project)', url: 'https://github.com/alibaba/open-local' },
] as const;
export const KEYWORDS = ['storage', 'local storage', 'lvm', 'csi', 'local persistent volume', 'open-local', 'scheduler extender'] as const;
