"""``selfheal validate``: the library checked offline by its owners' code.

HOT templates and environments go through Heat's template, environment and
resource schema code; Vitrage templates through Vitrage's validator; Mistral
definitions through Mistral's parser (selfheal_checks). Then the
cross-references between them are checked.

A new process checks Vitrage and Mistral definitions in child processes
while it loads Heat (workers), and loads the Heat resource types that the
files name (heat_environment).
"""
