// `pretest`: test/deploy/prometheus.test.ts runs Debian's Prometheus (`prometheus`, `promtool`) against
// the service, with deploy/prometheus/alerts.yml and every query of deploy/grafana/dashboard.json. It
// starts its own on a free port; see lib/debian-package.mjs for what happens when it is missing.
import { ensureDebianPackage } from './lib/debian-package.mjs';

ensureDebianPackage({ command: 'promtool', pkg: 'prometheus', neededBy: 'the Prometheus test of deploy/', service: 'prometheus', noRecommends: true });
