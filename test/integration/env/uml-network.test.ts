// A UML guest reaching the test control plane through a tap device in a network namespace: the
// path node-agent tests use to run the agent (inside the guest, next to real LVM) against a real
// kube-apiserver (on the host).
import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from '../../env/control-plane.js';
import { createNetns, type TestNetns } from '../../env/netns.js';
import { runInUml } from '../../env/uml.js';

describe('UML guest networking', function () {
  this.timeout(180_000);
  let cp: ControlPlane | undefined;
  let ns: TestNetns | undefined;

  before(async () => {
    ns = await createNetns();
    cp = await startControlPlane({ extraSANs: [ns.hostIp] });
  });
  after(async () => {
    await ns?.destroy();
    await cp?.stop();
  });

  it('reaches kube-apiserver at the tap address with TLS verified and a ServiceAccount token', async () => {
    if (!cp || !ns) throw new Error('setup failed');
    const port = Number(new URL(cp.server).port);
    await ns.forwardTcp(port, { host: '127.0.0.1', port });
    const kc = await cp.kubeConfigForServiceAccount('guest-ns', 'agent', { create: true });
    const token = kc.getCurrentUser()?.token ?? '';
    const ca = join(cp.dir, 'guest-ca.crt');
    await writeFile(ca, cp.caCert);
    const url = `https://${ns.hostIp}:${port}/apis/authentication.k8s.io/v1/selfsubjectreviews`;
    const r = await runInUml({
      tap: { netns: ns.name, device: ns.tap, address: ns.guestCidr },
      command: [
        'curl', '-sS', '--max-time', '20', '--cacert', ca, '-H', `Authorization: Bearer ${token}`,
        '-H', 'Content-Type: application/json', '-X', 'POST', '--data',
        '{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}', url,
      ],
      timeoutMs: 90_000,
    });
    expect(r.exitCode, r.output).to.equal(0);
    const review = JSON.parse(r.output) as { status?: { userInfo?: { username?: string } } };
    expect(review.status?.userInfo?.username).to.equal('system:serviceaccount:guest-ns:agent');
  });
});
