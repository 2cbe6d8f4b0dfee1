"""Heat resource plugins for self-healing with Vitrage and Mistral.

Everything under this package is imported by heat-engine through
``plugin_dirs``; keep it to resource types and their small helpers.
"""
