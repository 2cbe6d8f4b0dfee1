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

"""SelfHealing::Vitrage::Template and OS::Vitrage::Template in real Heat."""

import textwrap

from keystoneauth1 import exceptions as ks_exceptions
import oslo_messaging as messaging
import pytest

from heat.common import exception
from heat.common import template_format
from heat.engine import resources

from heat_plugins import definition_checks
from heat_plugins import remote_definition
from tests.unit.test_reference_stacks_none_servers import engine_service  # noqa: F401,E501

HOST_DOWN = textwrap.dedent("""\
    metadata:
      version: 3
      type: standard
      name: host_down_policy
      description: Doctor compute.host.down alarms mark the host down.
    parameters:
      new_state:
        description: state to give the host
        default: ERROR
      alarm_name:
        description: the Doctor alarm to react to
    entities:
      host_down_alarm:
        type: doctor
        name.regex: get_param(alarm_name)
      host:
        type: nova.host
    scenarios:
      - condition: host_down_alarm [on] host
        actions:
          - set_state:
              state: get_param(new_state)
              target: host
          - mark_down:
              target: host
    """)

STACK = textwrap.dedent("""\
    heat_template_version: 2021-04-16
    parameters:
      alarm_name:
        type: string
        default: compute.host.down
    resources:
      policy:
        type: SelfHealing::Vitrage::Template
        properties:
          template: {get_file: host_down.yaml}
          parameters:
            alarm_name: {get_param: alarm_name}
    outputs:
      uuid: {value: {get_attr: [policy, uuid]}}
      name: {value: {get_attr: [policy, name]}}
      status: {value: {get_attr: [policy, status]}}
    """)

LEGACY_STACK = textwrap.dedent("""\
    heat_template_version: 2021-04-16
    resources:
      policy:
        type: OS::Vitrage::Template
        properties:
          template_file: {get_file: host_down.yaml}
          template_params:
            alarm_name: compute.host.down
    """)


def _stack(heat, template=STACK, vitrage_text=HOST_DOWN, **kwargs):
    return heat.build_stack(heat.context(), 'vitrage_stack', template,
                            files={'host_down.yaml': vitrage_text}, **kwargs)


def _create(stack):
    stack.validate()
    stack.store()
    stack.create()
    return stack


def _named(template, name):
    return template.replace(
        "      template: {get_file: host_down.yaml}\n",
        "      template: {get_file: host_down.yaml}\n"
        "      name: %s\n" % name)


def _alarm(stored):
    return stored.file_content['entities']['host_down_alarm']['name.regex']


# Vitrage 15's API validates the template before its parameters are
# resolved, and add validates it again after: with this value, validate
# says OK and add stores the template in ERROR.
BAD_REGEX = 'compute.host.(down'
BAD_REGEX_ERROR = ('Vitrage put the definition in ERROR: Invalid regular '
                   'expression defined in field: - name.regex,%s' % BAD_REGEX)


def test_create_waits_until_vitrage_activates_the_template(
        heat, vitrage, lifecycle):
    vitrage.loading_polls = 3
    stack = lifecycle.create(_stack(heat))

    assert stack.state == (stack.CREATE, stack.COMPLETE), stack.status_reason
    name = stack['policy'].physical_resource_name()
    assert name.startswith('vitrage_stack-policy-')
    stored = vitrage.stored()[name]
    assert stored.status == 'ACTIVE'
    assert stack['policy'].resource_id == stored.uuid
    outputs = lifecycle.outputs(stack)
    assert outputs['uuid'] == stored.uuid
    assert outputs['name'] == name
    assert outputs['status'] == 'ACTIVE'
    # The parameters were resolved by Vitrage, not sent unresolved.
    assert _alarm(stored) == 'compute.host.down'
    assert vitrage.calls[:2] == ['validate', 'add']


def test_name_and_description_override_the_metadata(heat, vitrage,
                                                    lifecycle):
    template = _named(STACK, 'prod_host_down').replace(
        "      name: prod_host_down\n",
        "      name: prod_host_down\n"
        "      description: production policy\n")
    stack = lifecycle.create(_stack(heat, template))

    assert stack.state == (stack.CREATE, stack.COMPLETE), stack.status_reason
    stored = vitrage.stored()['prod_host_down']
    assert stored.file_content['metadata']['description'] == (
        'production policy')


def test_a_change_adds_the_replacement_before_deleting_the_old_one(
        heat, vitrage, lifecycle):
    stack = lifecycle.create(_stack(heat))
    old = stack['policy']
    old_uuid, old_name = old.resource_id, old.physical_resource_name()
    del vitrage.calls[:]

    stack = lifecycle.update(stack, _stack(
        heat, params={'alarm_name': 'compute.host.gone'}, existing=stack))

    assert stack.state == (stack.UPDATE, stack.COMPLETE), stack.status_reason
    new = stack['policy']
    assert new.resource_id != old_uuid
    assert new.physical_resource_name() != old_name
    assert list(vitrage.stored()) == [new.physical_resource_name()]
    assert _alarm(vitrage.stored()[new.physical_resource_name()]) == (
        'compute.host.gone')
    # Never a moment without a policy: the old one goes last.
    assert vitrage.calls.index('add') < vitrage.calls.index('delete')


def test_a_replacement_vitrage_fails_to_load_leaves_the_old_one_active(
        heat, vitrage, lifecycle):
    stack = lifecycle.create(_stack(heat))
    old_uuid = stack['policy'].resource_id

    stack = lifecycle.update(stack, _stack(
        heat, params={'alarm_name': BAD_REGEX}, existing=stack))

    assert stack.state == (stack.UPDATE, stack.FAILED)
    assert BAD_REGEX_ERROR in stack.status_reason
    active = [t for t in vitrage.stored().values() if t.status == 'ACTIVE']
    assert [t.uuid for t in active] == [old_uuid]
    assert _alarm(active[0]) == 'compute.host.down'

    stack = lifecycle.delete(stack)
    assert stack.state == (stack.DELETE, stack.COMPLETE), stack.status_reason
    assert vitrage.stored() == {}


def test_a_fixed_name_is_swapped_in_place(heat, vitrage, lifecycle):
    template = _named(STACK, 'prod_host_down')
    stack = lifecycle.create(_stack(heat, template))
    old_uuid = stack['policy'].resource_id

    stack = lifecycle.update(stack, _stack(
        heat, template, params={'alarm_name': 'compute.host.gone'},
        existing=stack))

    assert stack.state == (stack.UPDATE, stack.COMPLETE), stack.status_reason
    stored = vitrage.stored()
    assert list(stored) == ['prod_host_down']
    assert stored['prod_host_down'].uuid == stack['policy'].resource_id
    assert stored['prod_host_down'].uuid != old_uuid
    assert _alarm(stored['prod_host_down']) == 'compute.host.gone'


def test_a_fixed_name_whose_new_template_fails_gets_the_old_one_back(
        heat, vitrage, lifecycle):
    template = _named(STACK, 'prod_host_down')
    stack = lifecycle.create(_stack(heat, template))

    stack = lifecycle.update(stack, _stack(
        heat, template, params={'alarm_name': BAD_REGEX}, existing=stack))

    assert stack.state == (stack.UPDATE, stack.FAILED)
    restored = vitrage.stored()['prod_host_down']
    assert restored.status == 'ACTIVE'
    assert _alarm(restored) == 'compute.host.down'
    assert stack['policy'].resource_id == restored.uuid
    assert stack['policy'].status_reason == (
        'Error: resources.policy: %s; the previous template was restored '
        'as %s' % (BAD_REGEX_ERROR, restored.uuid))

    # A corrected update goes through.
    stack = lifecycle.update(stack, _stack(
        heat, template, params={'alarm_name': 'compute.host.gone'},
        existing=stack))
    assert stack.state == (stack.UPDATE, stack.COMPLETE), stack.status_reason
    assert _alarm(vitrage.stored()['prod_host_down']) == 'compute.host.gone'

    stack = lifecycle.delete(stack)
    assert vitrage.stored() == {}


def test_a_fixed_name_left_in_error_is_replaced_by_the_next_update(
        heat, vitrage, lifecycle):
    template = _named(STACK, 'prod_host_down')
    stack = lifecycle.create(_stack(heat, template,
                                    params={'alarm_name': BAD_REGEX}))
    assert stack.state == (stack.CREATE, stack.FAILED)
    assert vitrage.stored()['prod_host_down'].status == 'ERROR'

    stack = lifecycle.update(stack, _stack(heat, template, existing=stack))

    assert stack.state == (stack.UPDATE, stack.COMPLETE), stack.status_reason
    stored = vitrage.stored()
    assert list(stored) == ['prod_host_down']
    assert stored['prod_host_down'].status == 'ACTIVE'
    assert stored['prod_host_down'].uuid == stack['policy'].resource_id


def test_a_fixed_name_change_vitrage_refuses_changes_nothing(
        heat, vitrage, lifecycle, monkeypatch):
    monkeypatch.setattr(definition_checks, 'vitrage_validator_available',
                        lambda: False)
    template = _named(STACK, 'prod_host_down')
    stack = lifecycle.create(_stack(heat, template))
    uuid = stack['policy'].resource_id
    broken = HOST_DOWN.replace('host_down_alarm [on] host',
                               'host_down_alarm [on] hots')
    del vitrage.calls[:]

    # Heat's update API validates the new definition first (convergence
    # here); the legacy Stack.update leaves it to the resource.
    try:
        stack = lifecycle.update(stack, _stack(
            heat, template, vitrage_text=broken, existing=stack))
    except exception.StackValidationFailed as refusal:
        reason = str(refusal)
    else:
        assert stack.state == (stack.UPDATE, stack.FAILED)
        reason = stack.status_reason
    assert 'Vitrage validation failed (code 10200)' in reason
    assert vitrage.stored()['prod_host_down'].uuid == uuid
    assert 'delete' not in vitrage.calls and 'add' not in vitrage.calls


def test_check_fails_when_vitrage_lost_or_broke_the_template(
        heat, vitrage, lifecycle):
    stack = lifecycle.create(_stack(heat))
    stack = lifecycle.check(stack)
    assert stack.state == (stack.CHECK, stack.COMPLETE), stack.status_reason

    uuid = stack['policy'].resource_id
    vitrage.db.templates.update(uuid, 'status', 'ERROR')
    vitrage.db.templates.update(uuid, 'status_details', 'evaluator crashed')
    stack = lifecycle.check(stack)
    assert stack.state == (stack.CHECK, stack.FAILED)
    assert 'Vitrage reports ERROR for %s: evaluator crashed' % uuid in (
        stack['policy'].status_reason)

    vitrage.db.templates.update(uuid, 'status', 'DELETED')
    stack = lifecycle.check(stack)
    assert 'Vitrage no longer holds %s' % uuid in (
        stack['policy'].status_reason)


def test_delete_removes_the_template(heat, vitrage, lifecycle):
    stack = lifecycle.create(_stack(heat))
    stack = lifecycle.delete(stack)

    assert stack.state == (stack.DELETE, stack.COMPLETE), stack.status_reason
    assert vitrage.stored() == {}
    assert vitrage.calls.count('delete') == 1


def test_delete_tolerates_a_template_already_gone(heat, vitrage, lifecycle):
    stack = lifecycle.create(_stack(heat))
    vitrage.db.templates.update(stack['policy'].resource_id, 'status',
                                'DELETED')
    stack = lifecycle.delete(stack)

    assert stack.state == (stack.DELETE, stack.COMPLETE), stack.status_reason


def test_a_refused_delete_is_not_taken_for_done(heat, vitrage, lifecycle):
    stack = lifecycle.create(_stack(heat))
    uuid = stack['policy'].resource_id
    # Vitrage's API answers 404 when the RPC call behind it fails.
    vitrage.refuse['delete'] = 10

    stack = lifecycle.delete(stack)

    assert stack.state == (stack.DELETE, stack.FAILED)
    assert (
        'Error: resources.policy: Vitrage still holds %s (ACTIVE) after 3 '
        'delete requests; last answer: Vitrage failed while deleting the '
        'definition: Failed to delete template. (HTTP 404)' % uuid
        in stack.status_reason), stack.status_reason
    assert [t.uuid for t in vitrage.stored().values()
            if t.status == 'ACTIVE'] == [uuid]

    # Once Vitrage accepts it, deleting again completes.
    vitrage.refuse['delete'] = 0
    stack = lifecycle.delete(stack)
    assert stack.state == (stack.DELETE, stack.COMPLETE), stack.status_reason
    assert vitrage.stored() == {}


def test_a_delete_refused_once_is_asked_again(heat, vitrage, lifecycle):
    stack = lifecycle.create(_stack(heat))
    vitrage.refuse['delete'] = 1

    stack = lifecycle.delete(stack)

    assert stack.state == (stack.DELETE, stack.COMPLETE), stack.status_reason
    assert vitrage.calls.count('delete') == 2
    assert vitrage.stored() == {}


def test_a_delete_answered_404_but_done_completes(heat, vitrage, lifecycle):
    stack = lifecycle.create(_stack(heat))
    vitrage.late['delete'] = 1

    stack = lifecycle.delete(stack)

    assert stack.state == (stack.DELETE, stack.COMPLETE), stack.status_reason
    assert vitrage.calls.count('delete') == 1
    assert vitrage.stored() == {}


def test_an_unreadable_listing_does_not_confirm_a_delete(heat, vitrage,
                                                         monkeypatch):
    monkeypatch.setattr(remote_definition.RemoteDefinition,
                        'settle_timeout', 0)
    stack = _create(_stack(heat))
    vitrage.refuse['list'] = 100
    vitrage.refuse['delete'] = 1
    stack.delete()

    assert stack.state == (stack.DELETE, stack.FAILED)
    uuid = stack['policy'].resource_id
    assert stack['policy'].status_reason == (
        'Error: resources.policy: could not confirm that Vitrage deleted %s '
        'within 0 s; last answer: Vitrage failed while confirming the '
        'deletion: Failed to get template list (HTTP 404)' % uuid)
    assert len(vitrage.stored()) == 1


def test_an_error_on_add_fails_create_and_delete_leaves_nothing(
        heat, vitrage, lifecycle):
    stack = lifecycle.create(_stack(heat, params={'alarm_name': BAD_REGEX}))

    assert stack.state == (stack.CREATE, stack.FAILED)
    assert stack['policy'].status_reason == (
        'Error: resources.policy: %s' % BAD_REGEX_ERROR)
    assert len(vitrage.stored()) == 1

    stack = lifecycle.delete(stack)
    assert stack.state == (stack.DELETE, stack.COMPLETE), stack.status_reason
    assert vitrage.stored() == {}


def test_stuck_loading_times_out_clearly(heat, vitrage, monkeypatch):
    monkeypatch.setattr(remote_definition.RemoteDefinition,
                        'settle_timeout', 0)
    vitrage.loading_polls = None
    stack = _create(_stack(heat))

    assert stack.state == (stack.CREATE, stack.FAILED)
    assert stack['policy'].status_reason == (
        'Error: resources.policy: Vitrage did not activate the definition '
        'within 0 s; it is still LOADING')
    stack.delete()
    assert vitrage.stored() == {}


def test_rollback_removes_a_template_that_failed_to_load(heat, vitrage):
    stack = _stack(heat, params={'alarm_name': BAD_REGEX})
    stack.disable_rollback = False
    _create(stack)

    assert stack.state == (stack.ROLLBACK, stack.COMPLETE)
    assert vitrage.stored() == {}
    assert vitrage.calls.count('add') == 1


def test_server_error_on_add_fails_clearly_and_stores_nothing(heat,
                                                              vitrage):
    vitrage.refuse['add'] = 1
    stack = _create(_stack(heat))

    assert stack.state == (stack.CREATE, stack.FAILED)
    assert stack['policy'].status_reason == (
        'Error: resources.policy: Vitrage failed while storing the '
        'definition: Failed to add template. (HTTP 404)')
    assert vitrage.stored() == {}
    assert stack['policy'].resource_id is None


def test_unreachable_vitrage_fails_clearly_and_stores_nothing(heat, vitrage):
    vitrage.fail['validate'] = ks_exceptions.ConnectFailure(
        'Unable to establish connection to http://127.0.0.1:8999')
    stack = _create(_stack(heat))

    assert stack.state == (stack.CREATE, stack.FAILED)
    assert stack['policy'].status_reason == (
        'Error: resources.policy: Vitrage is unreachable while validating: '
        'Unable to establish connection to http://127.0.0.1:8999')
    assert vitrage.calls == ['validate']


def test_duplicate_fixed_name_fails_with_vitrages_reason(heat, vitrage):
    template = _named(STACK, 'prod_host_down')
    _create(_stack(heat, template))
    second = heat.build_stack(heat.context(), 'second', template,
                              files={'host_down.yaml': HOST_DOWN})
    _create(second)

    assert second.state == (second.CREATE, second.FAILED)
    assert second['policy'].status_reason == (
        'Error: resources.policy: Vitrage refused the template '
        'prod_host_down: Duplicate template name')
    assert len(vitrage.stored()) == 1


def _validation_error(heat, vitrage_text, **kwargs):
    with pytest.raises(exception.StackValidationFailed) as err:
        _stack(heat, vitrage_text=vitrage_text, **kwargs).validate()
    return str(err.value)


def test_invalid_template_is_refused_with_vitrages_message_and_code(
        heat, vitrage):
    broken = HOST_DOWN.replace('host_down_alarm [on] host',
                               'host_down_alarm [on] hots')
    message = _validation_error(heat, broken)

    assert message == (
        'resources.policy.properties.template: Condition contains an '
        'unknown entity id - host_down_alarm [on] hots, hots '
        '(Vitrage code 10200) (line 19)')
    assert vitrage.stored() == {} and vitrage.calls == []


def test_unparsable_yaml_is_refused(heat, vitrage):
    message = _validation_error(heat, 'metadata: [version: 3\n')
    assert message == (
        'resources.policy.properties.template: The Vitrage template is not '
        "valid YAML: while parsing a flow sequence, expected ',' or ']', "
        "but got '<stream end>' (line 2)")


def test_missing_parameter_is_named(heat, vitrage):
    stack_text = STACK.replace(
        "      parameters:\n        alarm_name: {get_param: alarm_name}\n",
        "")
    message = _validation_error(heat, HOST_DOWN, template=stack_text)
    assert message == (
        "resources.policy.properties.template: Parameter 'alarm_name' has "
        "no default and is given no value (line 10)")


def test_extra_parameter_is_named(heat, vitrage):
    stack_text = STACK.replace(
        "        alarm_name: {get_param: alarm_name}\n",
        "        alarm_name: {get_param: alarm_name}\n"
        "        alarm_nmae: typo\n")
    message = _validation_error(heat, HOST_DOWN, template=stack_text)
    assert message == (
        "resources.policy.properties.template: Parameter 'alarm_nmae' is "
        "given a value but the template does not declare it (line 6)")


def test_without_vitrage_installed_the_api_validates(heat, vitrage,
                                                     monkeypatch):
    monkeypatch.setattr(definition_checks, 'vitrage_validator_available',
                        lambda: False)
    broken = HOST_DOWN.replace('host_down_alarm [on] host',
                               'host_down_alarm [on] hots')
    message = _validation_error(heat, broken)

    assert vitrage.calls == ['validate']
    assert message == (
        'resources.policy.properties.template: Vitrage validation failed '
        '(code 10200): Condition contains an unknown entity id - '
        'host_down_alarm [on] hots,   hots ')
    assert vitrage.stored() == {}


# Written for Heat 26's OS::Vitrage::Template, in the pattern Vitrage
# documents for templates with parameters: the name comes from a
# template_name parameter that has no default; Heat supplied it.
HEAT_26_VITRAGE = textwrap.dedent("""\
    metadata:
      version: 3
      name: get_param(template_name)
      type: standard
      description: Raise an alarm on the instances of a host with an alarm
    parameters:
      template_name:
      host_alarm_name:
        description: the name of the alarm on the host
      instance_alarm_name:
        description: the alarm raised on its instances
    entities:
      host:
        type: nova.host
      host_alarm:
        type: zabbix
        name: get_param(host_alarm_name)
      instance:
        type: nova.instance
    scenarios:
      - condition: host_alarm [on] host AND host [contains] instance
        actions:
          - raise_alarm:
              target: instance
              alarm_name: get_param(instance_alarm_name)
              severity: WARNING
    """)

HEAT_26_STACK = textwrap.dedent("""\
    heat_template_version: rocky
    resources:
      host_alarm_policy:
        type: OS::Vitrage::Template
        properties:
          template_file: {get_file: host_alarm.yaml}
          template_params:
            host_alarm_name: High CPU on host
            instance_alarm_name: CPU degradation on the instance
    outputs:
      id: {value: {get_resource: host_alarm_policy}}
    """)


def _heat_26_stack(heat, existing=None, alarm='High CPU on host'):
    text = HEAT_26_STACK.replace('High CPU on host', alarm)
    return heat.build_stack(heat.context(), 'heat26', text,
                            files={'host_alarm.yaml': HEAT_26_VITRAGE},
                            existing=existing)


def test_a_template_written_for_heat_26_creates_unchanged(
        heat, vitrage, lifecycle):
    env = resources.global_env()
    assert env.get_class('OS::Vitrage::Template').__name__ == (
        'LegacyVitrageTemplate')

    stack = lifecycle.create(_heat_26_stack(heat))

    assert stack.state == (stack.CREATE, stack.COMPLETE), stack.status_reason
    policy = stack['host_alarm_policy']
    # The name Heat 26 gave it: the physical resource name.
    name = policy.physical_resource_name()
    assert name.startswith('heat26-host_alarm_policy-')
    stored = vitrage.stored()[name]
    assert stored.status == 'ACTIVE'
    assert lifecycle.outputs(stack)['id'] == stored.uuid
    assert stored.file_content['entities']['host_alarm']['name'] == (
        'High CPU on host')

    # A change replaces it, the new one added before the old one goes.
    del vitrage.calls[:]
    stack = lifecycle.update(stack, _heat_26_stack(
        heat, existing=stack, alarm='Disk full on host'))
    assert stack.state == (stack.UPDATE, stack.COMPLETE), stack.status_reason
    new_name = stack['host_alarm_policy'].physical_resource_name()
    assert list(vitrage.stored()) == [new_name] and new_name != name
    assert vitrage.calls.index('add') < vitrage.calls.index('delete')

    stack = lifecycle.delete(stack)
    assert vitrage.stored() == {}


def test_the_legacy_type_sends_what_heat_26_sent(heat, vitrage):
    sent = []
    real_add = vitrage.add

    def add(template_str=None, params=None, **kwargs):
        sent.append((template_str, dict(params)))
        return real_add(template_str=template_str, params=params)

    vitrage.add = add
    stack = _create(_heat_26_stack(heat))

    assert stack.state == (stack.CREATE, stack.COMPLETE), stack.status_reason
    assert sent == [(HEAT_26_VITRAGE, {
        'host_alarm_name': 'High CPU on host',
        'instance_alarm_name': 'CPU degradation on the instance',
        'template_name': stack['host_alarm_policy'].physical_resource_name(),
        'description': None})]


def test_legacy_type_defers_to_a_working_heat_type(monkeypatch):
    from heat_plugins import vitrage_template
    monkeypatch.setattr(vitrage_template,
                        'heat_has_working_vitrage_template', lambda: True)
    assert set(vitrage_template.resource_mapping()) == {
        'SelfHealing::Vitrage::Template'}


def test_heat_27_only_has_the_hidden_no_op():
    from heat_plugins import vitrage_template
    assert vitrage_template.heat_has_working_vitrage_template() is False


def test_unreachable_vitrage_during_validate_fails_clearly(heat, vitrage,
                                                           monkeypatch):
    monkeypatch.setattr(definition_checks, 'vitrage_validator_available',
                        lambda: False)
    vitrage.fail['validate'] = ks_exceptions.ConnectFailure(
        'Unable to establish connection to http://127.0.0.1:8999')
    with pytest.raises(exception.Error) as err:
        _stack(heat).validate()

    assert str(err.value) == (
        'Vitrage is unreachable while validating: Unable to establish '
        'connection to http://127.0.0.1:8999')


CONSTRAINED = textwrap.dedent("""\
    heat_template_version: 2021-04-16
    parameters:
      policy:
        type: string
        constraints:
          - custom_constraint: vitrage.template
    resources:
      nothing:
        type: OS::Heat::None
    """)


def test_vitrage_template_constraint(heat, vitrage):
    _create(_stack(heat, _named(STACK, 'host_down_policy')))

    for name in ('host_down_policy', vitrage.stored()[
            'host_down_policy'].uuid):
        heat.build_stack(heat.context(), 'ok', CONSTRAINED,
                         params={'policy': name}).validate()

    with pytest.raises(exception.StackValidationFailed) as err:
        heat.build_stack(heat.context(), 'bad', CONSTRAINED,
                         params={'policy': 'no_such_policy'}).validate()
    assert str(err.value) == (
        'Parameter \'policy\' is invalid: Error validating value '
        '\'no_such_policy\': The Vitrage template (no_such_policy) could not '
        'be found.')


ADMIN_ONLY = ('SelfHealing::Vitrage::Template', 'OS::Vitrage::Template')


def test_heat_policy_lets_only_admins_use_the_types(
        heat, vitrage, engine_service):  # noqa: F811
    member = heat.context(is_admin=False)
    for template in (STACK, LEGACY_STACK):
        # The engine API wraps what it raises for the RPC layer.
        with pytest.raises(messaging.ExpectedException) as err:
            engine_service.create_stack(
                member, 'tenant', template_format.parse(template), {},
                {'host_down.yaml': HOST_DOWN}, {})
        refusal = err.value.exc_info[1]
        assert isinstance(refusal, exception.Forbidden)
        assert str(refusal).startswith(
            'You are not authorized to use resource_types:')
    assert vitrage.calls == []

    for ctx, listed in ((member, set()), (heat.context(), set(ADMIN_ONLY))):
        types = set(resources.global_env().get_types(
            ctx, type_name='.*Vitrage::Template'))
        assert types & set(ADMIN_ONLY) == listed


def test_operators_can_tune_the_policy(heat, tmp_path, monkeypatch):
    from heat.common import policy as heat_policy
    from oslo_config import cfg
    policy_file = tmp_path / 'policy.yaml'
    policy_file.write_text(
        '"resource_types:SelfHealing::Vitrage::Template": "role:member"\n')
    monkeypatch.setattr(cfg.CONF.oslo_policy, 'policy_file',
                        str(policy_file), raising=False)
    cfg.CONF.set_override('policy_file', str(policy_file),
                          group='oslo_policy')
    try:
        enforcer = heat_policy.ResourceEnforcer()
        member = heat.context(is_admin=False)
        assert enforcer.enforce(member, 'SelfHealing::Vitrage::Template',
                                is_registered_policy=True)
        with pytest.raises(exception.Forbidden):
            enforcer.enforce(member, 'OS::Vitrage::Template',
                             is_registered_policy=True)
    finally:
        cfg.CONF.clear_override('policy_file', group='oslo_policy')


def test_the_types_use_our_client_plugin_under_a_name_of_its_own(heat):
    # Heat 16 to 26 register a 'vitrage' client plugin of their own.
    from heat.engine import clients
    from heat_plugins import vitrage_client
    assert vitrage_client.CLIENT_NAME == 'selfheal_vitrage'
    plugin = clients.Clients(heat.context()).client_plugin('selfheal_vitrage')
    assert isinstance(plugin, vitrage_client.VitrageClientPlugin)
    stack = _stack(heat)
    assert isinstance(stack['policy'].client_plugin(),
                      vitrage_client.VitrageClientPlugin)


def test_service_availability_reads_the_clients_vitrage_options(
        heat, monkeypatch):
    # The catalog lookup is the boundary: record the interface asked for.
    from heat.engine import clients
    from heat.engine.clients import client_plugin
    from oslo_config import cfg
    asked = []
    monkeypatch.setattr(
        client_plugin.ClientPlugin, 'url_for',
        lambda plugin, **kwargs: asked.append(kwargs) or 'http://rca')
    cfg.CONF.set_override('endpoint_type', 'internalURL',
                          group='clients_vitrage')
    try:
        plugin = clients.Clients(heat.context()).client_plugin(
            'selfheal_vitrage')
        assert plugin.does_endpoint_exist('rca', 'selfheal_vitrage')
    finally:
        cfg.CONF.clear_override('endpoint_type', group='clients_vitrage')
    assert asked == [{'service_type': 'rca', 'endpoint_type': 'internalURL'}]
