#
#    Licensed under the Apache License, Version 2.0 (the "License"); you may
#    not use this file except in compliance with the License. You may obtain
#    a copy of the License at
#
#         http://www.apache.org/licenses/LICENSE-2.0
#
#    Unless required by applicable law or agreed to in writing, software
#    distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#    WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#    License for the specific language governing permissions and limitations
#    under the License.

"""Health checks: each answers ``(ok, detail)`` and never raises."""

import datetime
import http.client
import socket

from selfheal.lab import layout


def port_open(port, host=layout.HOST, timeout=1.0):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def port_bindable(port, host=layout.HOST):
    """Whether a server could listen on port now (as servers bind it)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


class Tcp:
    def __init__(self, port):
        self.port = port

    def __call__(self, lab):
        if port_open(self.port):
            return True, 'port %d open' % self.port
        return False, 'port %d closed' % self.port


class Http:
    """An unauthenticated GET (version documents) answers below 500."""

    def __init__(self, port, path='/'):
        self.port, self.path = port, path

    def __call__(self, lab):
        conn = http.client.HTTPConnection(layout.HOST, self.port, timeout=5)
        try:
            conn.request('GET', self.path)
            status = conn.getresponse().status
        except (OSError, http.client.HTTPException) as e:
            return False, 'GET %s: %s' % (self.path, e)
        finally:
            conn.close()
        return status < 500, 'GET %s -> %d' % (self.path, status)


class Api:
    """An authenticated GET through the Keystone catalog answers 200,
    within TIMEOUT seconds.
    """

    TIMEOUT = 10

    def __init__(self, service_type, path, **headers):
        self.service_type, self.path, self.headers = (
            service_type, path, headers)

    def __call__(self, lab):
        from selfheal.lab import cloud
        try:
            resp = cloud.admin_session(lab).get(
                self.path, headers=self.headers, raise_exc=False,
                timeout=self.TIMEOUT,
                endpoint_filter={'service_type': self.service_type,
                                 'interface': 'public'})
        except Exception as e:  # keystoneauth's errors have no common base
            return False, '%s %s: %s' % (self.service_type, self.path, e)
        detail = '%s %s -> %d' % (self.service_type, self.path,
                                  resp.status_code)
        return resp.status_code == 200, detail


class ComputeUp:
    """Nova reports this host's nova-compute service as up.

    Up by Nova's count means a heartbeat within service_down_time, which a
    process that has just restarted inherits from its predecessor. It
    reports only once init_host (which resumes its guests) is done: until
    Nova has heard from it since it started, it is still starting.
    """

    def __init__(self, host):
        self.host = host

    def __call__(self, lab):
        from selfheal.lab import cloud
        try:
            services = cloud.compute_services(lab)
        except Exception as e:
            return False, 'os-services: %s' % e
        for svc in services:
            if svc['host'] == self.host:
                detail = 'nova-compute %s: %s, %s%s' % (
                    self.host, svc['state'], svc['status'],
                    ', forced down' if svc.get('forced_down') else '')
                # Fenced by a workflow (force-down): the process is fine.
                if svc.get('forced_down'):
                    return True, detail
                if svc['state'] == 'up' and not self._heard_since_start(
                        lab, svc):
                    return False, detail + ' (starting)'
                return svc['state'] == 'up', detail
        return False, 'nova-compute %s not registered yet' % self.host

    def _heard_since_start(self, lab, svc):
        try:
            started = lab.pidfile('nova-compute-' + self.host).stat().st_mtime
        except OSError:
            return True  # not started by this lab: nothing to compare
        if not svc.get('updated_at'):
            return False
        heard = datetime.datetime.fromisoformat(svc['updated_at'])
        return heard.replace(
            tzinfo=datetime.timezone.utc).timestamp() >= started


def alive(lab):
    return True, 'process running'
