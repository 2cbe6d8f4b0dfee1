"""``selfheal lab``: real OpenStack, Heat, Mistral and Vitrage on 127.0.0.1.

The lab is a table of services (:mod:`selfheal.lab.services`) whose configs
are rendered from jinja2 templates (``configs/``) into a state directory
outside the repository (:mod:`selfheal.lab.layout`).
"""
