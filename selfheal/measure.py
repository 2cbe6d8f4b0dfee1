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

"""How a heal went, read from the services' own records.

A heal passes five milestones. Each time is the one the owning service
recorded, never the observer's clock:

==========================  ===============================================
fault injected              Nova's instance action (``resetState``,
                            ``delete``) or the Doctor alarm as Vitrage holds
                            it (the monitor's event time)
Vitrage deduced             the first deduced alarm on an affected instance
Mistral execution started   the first healing execution after the fault
instances ACTIVE            Nova: the last create, evacuate or live
                            migration of each server that should be running
stack COMPLETE              Heat: the root stack's ``*_COMPLETE`` event
==========================  ===============================================

Nova, Heat and Mistral keep whole seconds, so every figure is +-1 s. The
lab demo, the scenario tests and benchmarks/healing.py share this module.
"""

import dataclasses
import datetime
import time

UTC = datetime.timezone.utc
COMPUTE = {'service_type': 'compute', 'interface': 'public'}
# Evacuated servers stay ACTIVE up to 2.94; 2.21 shows deleted servers'
# instance actions.
COMPUTE_VERSION = {'OpenStack-API-Version': 'compute 2.94'}
# Nova actions after which a server runs somewhere new.
PLACING_ACTIONS = ('create', 'evacuate', 'live-migration', 'rebuild')
MILESTONES = ('fault injected', 'Vitrage deduced',
              'Mistral execution started', 'instances ACTIVE',
              'stack COMPLETE')


def parse_time(text):
    """A service timestamp as an aware UTC datetime (None stays None).

    Heat: 2026-11-22T05:40:01Z; Nova: 2026-11-22T05:40:01.000000;
    Mistral: 2026-11-22 05:40:01; Vitrage: 2026-11-22 05:40:01.123456.
    """
    if not text:
        return None
    text = text.strip().replace(' ', 'T')
    if text.endswith('Z'):
        text = text[:-1] + '+00:00'
    when = datetime.datetime.fromisoformat(text)
    return when.replace(tzinfo=UTC) if when.tzinfo is None else (
        when.astimezone(UTC))


def now():
    return datetime.datetime.now(UTC)


class NotYet:
    """A probe's falsy answer that says what is still missing."""

    def __init__(self, detail):
        self.detail = detail

    def __bool__(self):
        return False

    def __repr__(self):
        return str(self.detail)


def wait_until(what, probe, timeout, interval=1.0):
    """Poll probe() until it returns something truthy and return that.

    On timeout, raise TimeoutError with what was awaited and the last
    answer (a NotYet says what was missing), so a failure shows how far
    the heal got.
    """
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = probe()
        if last:
            return last
        if time.monotonic() > deadline:
            raise TimeoutError('gave up after %.0f s waiting for %s; last '
                               'state: %s' % (timeout, what, last))
        time.sleep(interval)


class Cloud:
    """Admin read access to Nova, Heat, Mistral and Vitrage."""

    def __init__(self, session, mistral_url=None):
        from heatclient import client as heat_client
        from mistralclient.api import client as mistral_client
        from vitrageclient import client as vitrage_client
        self.session = session
        self.heat = heat_client.Client('1', session=session,
                                       interface='public')
        # Without an explicit URL mistralclient may fall back to
        # http://localhost:8989/v2.
        self.mistral = mistral_client.client(session=session,
                                             mistral_url=mistral_url)
        self.vitrage = vitrage_client.Client('1', session=session,
                                             interface='public')
        self._graph_ids = {}

    @classmethod
    def for_lab(cls, lab):
        from selfheal.lab import cloud
        return cls(cloud.admin_session(lab), lab.url('mistral', '/v2'))

    # -- Nova --------------------------------------------------------------

    def nova(self, path, method='GET', **kwargs):
        resp = self.session.request(path, method, endpoint_filter=COMPUTE,
                                    headers=COMPUTE_VERSION, raise_exc=False,
                                    **kwargs)
        if resp.status_code == 404:
            return None
        if resp.status_code >= 400:
            raise RuntimeError('nova %s %s: %d %s' % (
                method, path, resp.status_code, resp.text[:500]))
        return resp.json() if resp.content else {}

    def server(self, server_id):
        found = self.nova('/servers/%s' % server_id)
        return found and found['server']

    def servers(self, host=None):
        params = {'all_tenants': 1}
        if host:
            params['host'] = host
        return self.nova('/servers/detail', params=params)['servers']

    def instance_actions(self, server_id):
        """Actions with their events, oldest first."""
        found = self.nova('/servers/%s/os-instance-actions' % server_id)
        actions = []
        for action in reversed((found or {}).get('instanceActions', [])):
            detail = self.nova('/servers/%s/os-instance-actions/%s' % (
                server_id, action['request_id']))
            actions.append(detail['instanceAction'])
        return actions

    def compute_service(self, host):
        services = self.nova('/os-services', params={
            'host': host, 'binary': 'nova-compute'})['services']
        return services[0] if services else None

    # -- Heat --------------------------------------------------------------

    def stack(self, stack_id):
        return self.heat.stacks.get(stack_id, resolve_outputs=False)

    def stack_events(self, stack_id):
        """Events of the root stack itself, not of its resources.

        Listed events join action and status: 'UPDATE_IN_PROGRESS'.
        """
        stack = self.stack(stack_id)
        events = self.heat.events.list(stack.id, filters={
            'resource_name': stack.stack_name}, sort_dir='asc')
        return [e for e in events if e.physical_resource_id == stack.id]

    def servers_of_stack(self, stack_id):
        """{member stack id/resource name: server id} of every server."""
        members = {}
        for res in self.heat.resources.list(stack_id, nested_depth=10):
            if res.resource_type != 'OS::Nova::Server':
                continue
            stack_link = [link['href'] for link in res.links
                          if link.get('rel') == 'stack'][0]
            key = '%s/%s' % (stack_link.rstrip('/').rsplit('/', 1)[-1],
                             res.resource_name)
            members[key] = res.physical_resource_id
        return members

    # -- Mistral and Vitrage -------------------------------------------------

    def executions(self, workflow_names, since):
        """Executions of those workflows created at or after since."""
        found = self.mistral.executions.list(
            sort_keys='created_at', sort_dirs='desc', limit=200,
            all_projects=True)
        return sorted(
            (e for e in found if e.workflow_name in workflow_names and
             parse_time(e.created_at) >= _second(since)),
            key=lambda e: e.created_at)

    def graph_ids(self, openstack_ids):
        """{OpenStack id or host name: Vitrage graph id} of those resources.

        Alarms name their resource by graph id; a deleted resource leaves
        the graph, so ids once mapped are remembered.
        """
        wanted = set(openstack_ids)
        if not wanted <= set(self._graph_ids):
            for res in self.vitrage.resource.list(all_tenants=True):
                key = res.get('name') if res.get(
                    'vitrage_type') == 'nova.host' else res.get('id')
                self._graph_ids[key] = res['vitrage_id']
        return {k: v for k, v in self._graph_ids.items() if k in wanted}

    def alarms(self, since=None):
        """Active alarms; with since, also those that ended after it."""
        if since is None:
            return self.vitrage.alarm.list(vitrage_id='all',
                                           all_tenants=True)
        return self.vitrage.alarm.history(
            all_tenants=True, start=_second(since).isoformat(),
            limit=10000)


def _second(when):
    """Services keep whole seconds: compare at that resolution."""
    return when.replace(microsecond=0)


def alarm_time(alarm):
    """When the alarm started, as the service recorded it."""
    for key in ('start_timestamp', 'update_timestamp',
                'vitrage_sample_timestamp'):
        if alarm.get(key):
            return parse_time(alarm[key])
    return None


# -- Milestones, each read from the service that owns it ----------------------

def instance_action_time(cloud, server_id, action, since):
    """Start of the first Nova action of that kind on the server."""
    for act in cloud.instance_actions(server_id):
        started = parse_time(act['start_time'])
        if act['action'] == action and started >= _second(since):
            return started
    return None


def doctor_alarm_time(cloud, host, name):
    """The monitor's event time of the active Doctor alarm on host."""
    for alarm in cloud.alarms():
        if alarm.get('vitrage_type') == 'doctor' and \
                alarm.get('name') == name and alarm.get('hostname') == host:
            return alarm_time(alarm)
    return None


def deduced_time(cloud, server_ids, since):
    """First alarm Vitrage deduced on one of the servers after since."""
    graph_ids = set(cloud.graph_ids(server_ids).values())
    times = [alarm_time(a) for a in cloud.alarms(since)
             if a.get('vitrage_type') == 'vitrage' and
             a.get('vitrage_resource_id') in graph_ids]
    times = [t for t in times if t and t >= _second(since)]
    return min(times) if times else None


def running_since(cloud, server_id):
    """When Nova finished placing the server where it runs now."""
    for act in reversed(cloud.instance_actions(server_id)):
        if act['action'] in PLACING_ACTIONS:
            ends = [parse_time(ev.get('finish_time'))
                    for ev in act.get('events', [])]
            ends = [e for e in ends if e]
            return max(ends) if ends else parse_time(act['start_time'])
    return None


def stack_complete_time(cloud, stack_id, since):
    """The last *_COMPLETE event of the root stack at or after since."""
    done = [parse_time(e.event_time) for e in cloud.stack_events(stack_id)
            if e.resource_status.endswith('_COMPLETE') and
            parse_time(e.event_time) >= _second(since)]
    return max(done) if done else None


def stack_updates(cloud, stack_id, since):
    """Heat's own 'UPDATE IN_PROGRESS' events of the root stack since."""
    return [e for e in cloud.stack_events(stack_id)
            if e.resource_status == 'UPDATE_IN_PROGRESS' and
            parse_time(e.event_time) >= _second(since)]


@dataclasses.dataclass
class Timeline:
    """The milestones of one heal, as datetimes (None: not reached)."""

    fault: datetime.datetime
    deduced: datetime.datetime = None
    execution: datetime.datetime = None
    active: datetime.datetime = None
    complete: datetime.datetime = None
    notes: dict = dataclasses.field(default_factory=dict)
    # Milestones that do not apply (no stack to complete, no Vitrage).
    skipped: tuple = ()

    def offsets(self):
        """[(milestone, seconds after the fault or None)]."""
        return [(name, None if when is None else
                 (when - self.fault).total_seconds())
                for name, when in zip(MILESTONES, (
                    self.fault, self.deduced, self.execution, self.active,
                    self.complete))]

    @property
    def total(self):
        """Fault to the last of instances ACTIVE and stack COMPLETE."""
        ends = [t for t in (self.active, self.complete) if t]
        return (max(ends) - self.fault).total_seconds() if ends else None

    def lines(self):
        rows = []
        for name, offset in self.offsets():
            note = self.notes.get(name, '')
            when = 'not reached' if offset is None else '+%5.0f s' % offset
            if name in self.skipped:
                when = 'n/a'
            rows.append('  %-12s %-27s %s' % (when, name, note))
        return rows


def heal_timeline(cloud, fault, stack_id=None, affected=(),
                  workflows=(), running=()):
    """Build the Timeline of a heal that is over.

    fault: when it was injected (a service time); affected: ids of the
    servers that failed (where Vitrage deduces); workflows: names of the
    healing workflows; running: ids of the servers that should now run.
    """
    line = Timeline(fault=fault, skipped=tuple(
        name for name, needed in zip(MILESTONES[1:], (
            affected, workflows, running, stack_id)) if not needed))
    line.deduced = deduced_time(cloud, set(affected), fault)
    executions = cloud.executions(set(workflows), fault) if workflows else []
    if executions:
        line.execution = parse_time(executions[0].created_at)
        line.notes['Mistral execution started'] = '%d execution(s) of %s' % (
            len(executions), ', '.join(sorted({e.workflow_name
                                               for e in executions})))
    placed = [running_since(cloud, s) for s in running]
    if running and all(placed):
        line.active = max(placed)
        line.notes['instances ACTIVE'] = '%d server(s)' % len(running)
    if stack_id:
        line.complete = stack_complete_time(cloud, stack_id, fault)
        if line.complete:
            line.notes['stack COMPLETE'] = cloud.stack(stack_id).stack_status
    return line
