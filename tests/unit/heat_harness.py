"""The real Heat engine, in-process, with our plugin_dirs.

Stacks are parsed, validated, stored and driven through create, update,
check and delete by Heat's own legacy ``Stack`` code on an in-memory
SQLite database. Only the service clients are replaced, by the test.
"""

import os

from oslo_service import backend

backend.init_backend(backend.BackendType.THREADING)

from oslo_config import cfg  # noqa: E402
from oslo_db import options as db_options  # noqa: E402

from heat.common import messaging  # noqa: E402

messaging.setup('fake://', optional=True)

from heat.common import config  # noqa: E402,F401
from heat.common import template_format  # noqa: E402
from heat.db import api as db_api  # noqa: E402
from heat.db import models  # noqa: E402
from heat.engine import environment  # noqa: E402
from heat.engine import resources  # noqa: E402
from heat.engine import scheduler  # noqa: E402
from heat.engine import stack as heat_stack  # noqa: E402
from heat.engine import template as heat_template  # noqa: E402
from heat.tests import utils  # noqa: E402

import heat_plugins  # noqa: E402

PLUGIN_DIR = os.path.dirname(os.path.abspath(heat_plugins.__file__))
REPO_DIR = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

_configured = False


def configure(state_dir):
    """Point Heat at our plugin_dirs and a SQLite database, once."""
    global _configured
    if _configured:
        return
    cfg.CONF([], project='heat', default_config_files=[])
    cfg.CONF.import_opt('keystone_backend', 'heat.engine.clients.os.'
                        'keystone.heat_keystoneclient')
    cfg.CONF.set_override('plugin_dirs', [PLUGIN_DIR])
    cfg.CONF.set_override('deferred_auth_method', 'password')
    cfg.CONF.set_override(
        'keystone_backend',
        'heat.engine.clients.os.keystone.fake_keystoneclient.'
        'FakeKeystoneClient')
    cfg.CONF.set_override('error_wait_time', None)
    # SQLite reuses deleted row ids unless tables autoincrement; Heat's
    # resource_properties_data rows then collide across updates.
    for table in models.BASE.metadata.tables.values():
        table.dialect_kwargs['sqlite_autoincrement'] = True
    db_options.set_defaults(
        cfg.CONF, connection='sqlite:///%s/heat.sqlite' % state_dir)
    models.BASE.metadata.create_all(db_api.get_engine())
    scheduler.ENABLE_SLEEP = False
    resources.initialise()
    _configured = True


def reset_database():
    utils.reset_dummy_db()


def context(is_admin=True):
    roles = ['admin'] if is_admin else ['member']
    return utils.dummy_context(is_admin=is_admin, roles=roles)


def build_stack(ctx, name, template_text, files=None, params=None,
                env=None, existing=None):
    """A heat Stack from HOT text, as the engine builds it from an API call.

    With ``existing``, the stack is built as the new definition for an
    update of that stack.
    """
    env_dict = dict(env or {})
    if params:
        env_dict.setdefault('parameters', {}).update(params)
    tmpl = heat_template.Template(
        template_format.parse(template_text),
        files=files or {},
        env=environment.Environment(env_dict))
    if existing is None:
        return heat_stack.Stack(ctx, name, tmpl)
    return heat_stack.Stack(ctx, name, tmpl,
                            **existing.get_kwargs_for_cloning())


def library_files(*relative_paths):
    """get_file contents for templates in the repo, keyed as HOT uses them."""
    files = {}
    for rel in relative_paths:
        with open(os.path.join(REPO_DIR, rel)) as f:
            files[rel] = f.read()
    return files


def outputs(stack):
    """Output values, resolved as the engine's show_stack resolves them."""
    stack._update_all_resource_data(for_resources=False, for_outputs=True)
    return {name: output.get_value()
            for name, output in stack.outputs.items()}
