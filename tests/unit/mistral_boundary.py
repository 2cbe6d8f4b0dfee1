"""The python-mistralclient boundary of the unit tests."""

NAMESPACE = 'unit-tests'


class FaultyWorkflows(object):
    """The real workflows manager, failing once where a test says."""

    def __init__(self, real):
        self.real = real
        self.fail = {}

    def __getattr__(self, name):
        method = getattr(self.real, name)

        def call(*args, **kwargs):
            if name in self.fail:
                raise self.fail.pop(name)
            return method(*args, **kwargs)
        return call
