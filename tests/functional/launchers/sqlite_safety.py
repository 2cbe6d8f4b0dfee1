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

"""SQLite shared by several threads of one process (test only).

Used by the heat launcher (imported as ``sqlite_safety``, next to it) and by
the in-process Heat harness of the unit tests. Kept free of OpenStack
imports.
"""


def use_sqlite_safely(engine):
    """Make SQLite writers wait for each other instead of failing.

    With a deferred BEGIN two threads can both read and then fail at once to
    upgrade to a write lock ("database is locked"): SQLite does not wait
    there. BEGIN IMMEDIATE takes the write lock up front and the busy
    timeout makes the others wait. oslo.db emits the BEGIN itself (from an
    engine ``begin`` listener, which no listener can precede: SQLAlchemy
    ignores ``insert=True`` for engine events), so rewrite its statement.
    """
    from sqlalchemy import event

    @event.listens_for(engine, 'connect')
    def _on_connect(dbapi_connection, connection_record):
        dbapi_connection.execute('PRAGMA busy_timeout = 60000')

    @event.listens_for(engine, 'before_cursor_execute', retval=True)
    def _immediate(conn, cursor, statement, parameters, context, many):
        if statement.strip().upper() == 'BEGIN':
            statement = 'BEGIN IMMEDIATE'
        return statement, parameters
