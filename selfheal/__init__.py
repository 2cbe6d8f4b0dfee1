"""Operator tooling for heat-selfhealing: ``selfheal validate``, ``lab``, ...

Nothing here is imported by Heat; heavy imports stay inside commands.
"""
