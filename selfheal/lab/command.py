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

"""``selfheal lab ...``: the command line of the lab."""

import sys
import time

from selfheal.lab import layout


def _lab():
    return layout.Lab.from_env()


def _controller():
    from selfheal.lab import control
    return control.Controller(_lab())


def _openstack():
    """The lab's openstack client, as a command that works as typed."""
    return str(_lab().services_venv / 'bin' / 'openstack')


def cmd_install(args):
    from selfheal.lab import install
    install.install(_lab())
    return 0


def cmd_up(args):
    started = time.monotonic()
    _controller().up()
    print('lab up in %.0f s; try: %s --os-cloud %s server list'
          % (time.monotonic() - started, _openstack(), layout.CLOUD))
    return 0


def cmd_down(args):
    _controller().down()
    return 0


def cmd_status(args):
    rows = _controller().status()
    width = max(len(name) for name, _, _ in rows)
    for name, state, detail in rows:
        print('%-*s  %-9s  %s' % (width, name, state, detail))
    return 0 if all(state == 'healthy' for _, state, _ in rows) else 1


def cmd_env(args):
    from selfheal.lab import cloud
    lab = _lab()
    print('clouds:     %s (admin), %s (demo, member of project demo)'
          % (layout.CLOUD, layout.DEMO_CLOUD))
    print('clouds.yaml: %s (also %s)'
          % (cloud.user_clouds_yaml(), lab.clouds_yaml))
    print('home:       %s' % lab.home)
    print('usage:      %s --os-cloud %s stack list'
          % (_openstack(), layout.CLOUD))
    try:
        rows = cloud.endpoints(lab)
    except Exception as e:  # keystone down: say so, show the ports
        print('endpoints (Keystone not answering: %s):' % type(e).__name__)
        rows = [(name, lab.url(name)) for name in layout.PORTS]
    else:
        print('endpoints:')
    for stype, url in rows:
        print('  %-14s %s' % (stype, url))
    return 0


def cmd_logs(args):
    from selfheal.lab import procs
    from selfheal.lab import services
    lab = _lab()
    names = services.service_names(lab)
    if args.service not in names:
        print('no lab service %r; one of: %s' % (args.service,
                                                 ', '.join(names)),
              file=sys.stderr)
        return 2
    path = lab.log(args.service)
    if args.path:
        print(path)
        return 0
    print(procs.tail(path, args.lines))
    return 0


def cmd_fault(args):
    from selfheal.lab import faults
    return faults.run(_lab(), args)


def cmd_demo(args):
    from selfheal.lab import demo
    return demo.run(_lab(), args)


def register(subparsers):
    parser = subparsers.add_parser(
        'lab', help='a real OpenStack with Heat, Mistral and Vitrage on '
                    '127.0.0.1 (install, up, down, status, env, logs, '
                    'fault, demo)')
    sub = parser.add_subparsers(dest='lab_command', metavar='ACTION')
    sub.required = True

    def add(name, func, help):
        p = sub.add_parser(name, help=help)
        p.set_defaults(func=_guard(func))
        return p

    add('install', cmd_install, 'apt and pip: Debian packages and the venvs')
    add('up', cmd_up, 'start every service, with health checks')
    add('down', cmd_down, "stop the lab's own processes")
    add('status', cmd_status, 'health per service')
    add('env', cmd_env, 'cloud names and endpoints')
    logs = add('logs', cmd_logs, "the tail of a service's log")
    logs.add_argument('service')
    logs.add_argument('-n', '--lines', type=int, default=50)
    logs.add_argument('--path', action='store_true',
                      help='print the log file path only')
    fault = add('fault', cmd_fault, 'inject a failure')
    fsub = fault.add_subparsers(dest='fault', metavar='FAULT')
    fsub.required = True
    for name, target, help in (
            ('host-down', 'host', 'stop HOST\'s nova-compute and post the '
                                  'Doctor compute.host.down event'),
            ('host-up', 'host', 'bring HOST back: nova-compute, Doctor up '
                                'event, force-down cleared'),
            ('nic-down', 'host', 'an external monitor\'s NIC-down alarm on '
                                 'HOST, into Vitrage'),
            ('instance-error', 'server', 'reset SERVER\'s state to error'),
            ('instance-delete', 'server', 'delete SERVER behind Heat\'s '
                                          'back')):
        f = fsub.add_parser(name, help=help)
        f.add_argument(target)
    demo = add('demo', cmd_demo, 'up, deploy the reference autohealing '
                                 'stack, fail a host, follow the heal')
    demo.add_argument('--host', default=None,
                      help='the compute host to fail (default: the one '
                           'with most of the stack\'s servers)')
    demo.add_argument('--keep', action='store_true',
                      help='leave the stack and the failed host as they are')
    demo.add_argument('--timeout', type=float, default=300)
    demo.add_argument('--template', default=None,
                      help='the stack to deploy instead of the reference '
                           'templates/host_evacuation_policy.yaml + '
                           'templates/autohealing_group.yaml')
    demo.add_argument('--environment', default=None,
                      help='its environment (default: '
                           'templates/environment.yaml when present)')
    demo.add_argument('--parameter', action='append', default=[],
                      metavar='KEY=VALUE', help='a stack parameter')


def _guard(func):
    """Operator errors print one message, never a traceback."""
    def run(args):
        from selfheal.lab import bootstrap
        try:
            return func(args)
        except bootstrap.LabError as e:
            print('selfheal lab %s: %s' % (args.lab_command, e),
                  file=sys.stderr)
            return 1
    return run
