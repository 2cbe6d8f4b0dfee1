"""The report of selfheal.evacuate_host, evaluated by Mistral's own YAQL."""

from tests.unit import mistral_yaql


def _report(key, contexts):
    return mistral_yaql.evaluate(
        'evacuate_host.yaml', 'selfheal.evacuate_host', 'report',
        'report.' + key, contexts)


def _candidates(*ids):
    return [{'id': i, 'status': 'ACTIVE', 'metadata': {}} for i in ids]


def test_skipped_lists_every_candidate_not_selected_and_no_other():
    contexts = [
        {'candidates': _candidates('a', 'b', 'c', 'd'),
         'selected': _candidates('c')},
        {'candidates': _candidates('a', 'b', 'c'),
         'selected': _candidates('a', 'c')},
        {'candidates': _candidates('a', 'b'), 'selected': []},
        # Fencing failed: nothing was listed.
        {},
    ]
    assert _report('skipped', contexts) == [
        ['a', 'b', 'd'], ['b'], ['a', 'b'], []]
