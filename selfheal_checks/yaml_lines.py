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

"""YAML documents that know the line of each of their maps and lists."""

import functools

import yaml

from heat_plugins import definition_checks

# One Problem and DefinitionError for the checks and their Heat client.
Problem = definition_checks.Problem
DefinitionError = definition_checks.DefinitionError


@functools.lru_cache(maxsize=None)
def _tracking_loader(base):
    """A loader class that remembers the node of every map and list."""

    class TrackingLoader(base):
        def __init__(self, stream):
            super(TrackingLoader, self).__init__(stream)
            self.nodes = {}

        def construct_object(self, node, deep=False):
            data = super(TrackingLoader, self).construct_object(node, deep)
            if isinstance(data, (dict, list)):
                self.nodes[id(data)] = node
            return data

    return TrackingLoader


class YamlDocument(object):
    """A loaded YAML mapping and the nodes it was built from."""

    def __init__(self, data, nodes, root):
        self.data = data
        self._nodes = nodes
        self.root = root

    def line(self, container, key=None):
        """Line of a map or list, or of one of its keys or items."""
        node = self._nodes.get(id(container))
        if node is None:
            return None
        if key is not None:
            if isinstance(node, yaml.MappingNode):
                for key_node, _value in node.value:
                    if getattr(key_node, 'value', None) == key:
                        return key_node.start_mark.line + 1
            elif isinstance(key, int) and 0 <= key < len(node.value):
                return node.value[key].start_mark.line + 1
        return node.start_mark.line + 1

    def line_of_path(self, path, container=None):
        """Line of the deepest item of ``path`` (keys and indexes) found."""
        current = self.data if container is None else container
        line = self.line(current)
        for key in path:
            if isinstance(current, list) and isinstance(key, str) and \
                    key.isdigit():
                key = int(key)
            try:
                child = current[key]
            except (KeyError, IndexError, TypeError):
                break
            line = self.line(current, key) or line
            current = child
        return line

    def line_of_value(self, wanted):
        """Line of the first scalar value (not key) that ``wanted`` accepts."""
        stack = [self.root]
        while stack:
            node = stack.pop(0)
            if isinstance(node, yaml.MappingNode):
                children = [value for _key, value in node.value]
            elif isinstance(node, yaml.SequenceNode):
                children = node.value
            else:
                if wanted(node.value):
                    return node.start_mark.line + 1
                continue
            stack[0:0] = children
        return None


# The same loaders, parsing in C when PyYAML has libyaml.
_LIBYAML = {yaml.SafeLoader: getattr(yaml, 'CSafeLoader', yaml.SafeLoader),
            yaml.BaseLoader: getattr(yaml, 'CBaseLoader', yaml.BaseLoader)}


def load_yaml_document(text, what, loader_base=yaml.SafeLoader):
    """``text`` as a YamlDocument; DefinitionError if it is no YAML mapping.

    ``what`` names the document in messages ("The <what> is empty").
    """
    text = definition_checks.as_text(text, what)
    fast = _LIBYAML.get(loader_base)
    if fast is not None:
        try:
            return _parse(text, what, fast)
        except DefinitionError as ex:
            if ex.problem.message.startswith('The %s is not valid YAML' %
                                             what):
                # PyYAML's own parser words its errors as we document them.
                return _parse(text, what, loader_base)
            raise
    return _parse(text, what, loader_base)


def _parse(text, what, loader_base):
    data, loader, root = definition_checks.read_mapping(
        text, what, _tracking_loader(loader_base))
    return YamlDocument(data, loader.nodes, root)
