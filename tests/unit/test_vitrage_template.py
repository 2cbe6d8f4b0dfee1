"""SelfHealing::Vitrage::Template and OS::Vitrage::Template in real Heat."""

import textwrap

from keystoneauth1 import exceptions as ks_exceptions
import pytest
from vitrageclient import exceptions as vitrage_exc

from heat.common import exception
from heat.engine import resources

from heat_plugins import definition_checks
from heat_plugins import remote_definition

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
        name: get_param(alarm_name)
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


def _output(heat, stack, name):
    return heat.outputs(stack)[name]


def test_create_waits_until_vitrage_activates_the_template(heat, vitrage):
    vitrage.loading_polls = 3
    stack = _create(_stack(heat))

    assert stack.state == (stack.CREATE, stack.COMPLETE), stack.status_reason
    stored = vitrage.stored()['host_down_policy']
    assert stored.status == 'ACTIVE'
    assert stack['policy'].resource_id == stored.uuid
    assert _output(heat, stack, 'uuid') == stored.uuid
    assert _output(heat, stack, 'name') == 'host_down_policy'
    assert _output(heat, stack, 'status') == 'ACTIVE'
    # The parameters were resolved by Vitrage, not sent unresolved.
    assert stored.file_content['entities']['host_down_alarm']['name'] == (
        'compute.host.down')
    assert vitrage.calls[:2] == ['validate', 'add']


def test_name_and_description_override_the_metadata(heat, vitrage):
    template = STACK.replace(
        "      template: {get_file: host_down.yaml}\n",
        "      template: {get_file: host_down.yaml}\n"
        "      name: prod_host_down\n"
        "      description: production policy\n")
    stack = _create(_stack(heat, template))

    assert stack.state == (stack.CREATE, stack.COMPLETE), stack.status_reason
    stored = vitrage.stored()['prod_host_down']
    assert stored.file_content['metadata']['description'] == (
        'production policy')


def test_changed_parameters_replace_the_template_of_the_same_name(
        heat, vitrage):
    stack = _create(_stack(heat))
    old_uuid = stack['policy'].resource_id

    updated = _stack(heat, params={'alarm_name': 'compute.host.gone'},
                     existing=stack)
    stack.update(updated)

    assert stack.state == (stack.UPDATE, stack.COMPLETE), stack.status_reason
    new_uuid = stack['policy'].resource_id
    assert new_uuid != old_uuid
    stored = vitrage.stored()['host_down_policy']
    assert stored.uuid == new_uuid
    assert stored.file_content['entities']['host_down_alarm']['name'] == (
        'compute.host.gone')


def test_check_fails_when_vitrage_lost_or_broke_the_template(heat, vitrage):
    stack = _create(_stack(heat))
    stack.check()
    assert stack.state == (stack.CHECK, stack.COMPLETE), stack.status_reason

    uuid = stack['policy'].resource_id
    vitrage.db.templates.update(uuid, 'status', 'ERROR')
    vitrage.db.templates.update(uuid, 'status_details', 'evaluator crashed')
    stack.check()
    assert stack.state == (stack.CHECK, stack.FAILED)
    assert 'Vitrage reports ERROR for %s: evaluator crashed' % uuid in (
        stack['policy'].status_reason)

    vitrage.db.templates.update(uuid, 'status', 'DELETED')
    stack.check()
    assert 'Vitrage no longer holds %s' % uuid in (
        stack['policy'].status_reason)


def test_delete_removes_the_template(heat, vitrage):
    stack = _create(_stack(heat))
    stack.delete()

    assert stack.state == (stack.DELETE, stack.COMPLETE), stack.status_reason
    assert vitrage.stored() == {}
    assert 'delete' in vitrage.calls


def test_delete_tolerates_a_template_already_gone(heat, vitrage):
    stack = _create(_stack(heat))
    vitrage.db.templates.update(stack['policy'].resource_id, 'status',
                                'DELETED')
    stack.delete()

    assert stack.state == (stack.DELETE, stack.COMPLETE), stack.status_reason


def test_load_error_fails_create_and_delete_leaves_nothing(heat, vitrage):
    vitrage.load_error = 'scenario 0: target host not found in graph'
    stack = _create(_stack(heat))

    assert stack.state == (stack.CREATE, stack.FAILED)
    assert stack['policy'].status_reason == (
        'Error: resources.policy: Vitrage put the definition in ERROR: '
        'scenario 0: target host not found in graph')
    assert 'host_down_policy' in vitrage.stored()

    stack.delete()
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
    vitrage.load_error = 'evaluator failed'
    stack = _stack(heat)
    stack.disable_rollback = False
    _create(stack)

    assert stack.state == (stack.ROLLBACK, stack.COMPLETE)
    assert vitrage.stored() == {}
    assert vitrage.calls.count('add') == 1


def test_server_error_on_add_fails_clearly_and_stores_nothing(heat,
                                                              vitrage):
    vitrage.fail['add'] = vitrage_exc.ClientException(
        503, message='Failed to add template.')
    stack = _create(_stack(heat))

    assert stack.state == (stack.CREATE, stack.FAILED)
    assert stack['policy'].status_reason == (
        'Error: resources.policy: Vitrage failed while storing the '
        'definition: Failed to add template. (HTTP 503)')
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


def test_duplicate_name_fails_with_vitrages_reason(heat, vitrage):
    _create(_stack(heat))
    second = heat.build_stack(heat.context(), 'second', STACK,
                              files={'host_down.yaml': HOST_DOWN})
    _create(second)

    assert second.state == (second.CREATE, second.FAILED)
    assert second['policy'].status_reason == (
        'Error: resources.policy: Vitrage refused the template: '
        'Duplicate template name')
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


def test_legacy_type_works_again_on_heat_27(heat, vitrage):
    env = resources.global_env()
    legacy = env.get_class('OS::Vitrage::Template')
    assert legacy.__name__ == 'LegacyVitrageTemplate'

    stack = _create(_stack(heat, LEGACY_STACK))
    assert stack.state == (stack.CREATE, stack.COMPLETE), stack.status_reason
    assert vitrage.stored()['host_down_policy'].status == 'ACTIVE'
    stack.delete()
    assert vitrage.stored() == {}


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
    _create(_stack(heat))

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


def test_only_an_admin_may_load_a_template(heat, vitrage):
    for template in (STACK, LEGACY_STACK):
        stack = heat.build_stack(heat.context(is_admin=False), 'tenant',
                                 template,
                                 files={'host_down.yaml': HOST_DOWN})
        with pytest.raises(exception.Forbidden) as err:
            stack.validate()
        assert str(err.value) == (
            'You are not authorized to use resource_types:%s.' %
            stack['policy'].type())
    assert vitrage.calls == []
